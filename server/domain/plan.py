"""The rules of a plan that can be governed, and of the room's make-up (issue 17). Pure: no I/O, no clock.

- Dates in the plan are ISO dates ("2027-03-31") or nothing. A due date typed as words before dates were dates
  ("spring", "end of March") is kept beside the date as ``due_note``; ``split_due`` turns what was typed into
  (date, note), reading what is plainly a date (day before month, as in England) and keeping the rest.
- An action is overdue when its due date is before today and it is not done; an agreed priority with no action
  is "unactioned" (``plan_flags``).
- A recommendation an action links to is one line of the priority's consolidated "Recommendations" cell
  (``recommendation_lines``).
- The room's make-up (``room_makeup``): per table, the sectors represented and the number of people; a phone is
  not a person, so the number is what the table says, never a count of phones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RECOMMENDATION_CHARS = 500
MAX_DUE_NOTE_CHARS = 120
MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")],
        1,
    )
    for name in names
}
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_WORDS_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")

# The sectors a table may tick, until the facilitator edits the list for the workshop. Two of them say whether
# children and young people, and parent carers, took part: their ids are fixed.
YOUNG_PEOPLE = "young_people"
PARENT_CARERS = "parent_carers"
DEFAULT_SECTORS: tuple[tuple[str, str], ...] = (
    ("health", "Health"),
    ("social_care", "Social care"),
    ("education", "Education"),
    ("voluntary", "Voluntary sector"),
    (YOUNG_PEOPLE, "Young people"),
    (PARENT_CARERS, "Parent carers"),
    ("commissioning", "Commissioning"),
    ("other", "Other"),
)
MAX_SECTORS = 20
MAX_SECTOR_LABEL = 40
MAX_PEOPLE_PER_TABLE = 30  # a table of 4-8; a crowded one still fits
SECTOR_ID = re.compile(r"^[a-z0-9_]{1,32}$")


def iso_date(text: str) -> dt.date | None:
    """A strict ISO date ("2027-03-31"), else None."""
    if not isinstance(text, str) or not ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def iso_or_empty(value: str) -> str:
    """A validator: an ISO date, or "" for none (ValueError otherwise)."""
    if value and iso_date(value) is None:
        raise ValueError("a date as YYYY-MM-DD, or empty")
    return value


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def read_date(text: str) -> dt.date | None:
    """What was typed, as a date when it plainly is one: ISO, 31/3/2027 (day first), 31 March 2027, March 31,
    2027. Anything vaguer ("spring", "March 2027", "ASAP") is not a date."""
    typed = " ".join((text or "").split()).lower()
    found = iso_date(typed)
    if found:
        return found
    try:
        if match := _NUMERIC.match(typed):
            day, month, year = int(match[1]), int(match[2]), _year(match[3])
            return dt.date(year, month, day)
        if match := _WORDS.match(typed):
            month = MONTHS.get(match[2])
            return dt.date(int(match[3]), month, int(match[1])) if month else None
        if match := _WORDS_MONTH_FIRST.match(typed):
            month = MONTHS.get(match[1])
            return dt.date(int(match[3]), month, int(match[2])) if month else None
    except ValueError:  # 31/2/2027
        return None
    return None


def split_due(text: str) -> tuple[str, str]:
    """A due date typed as words, before dates were dates: (ISO date, "") when it is a date, else ("", the text
    as typed, cut to ``MAX_DUE_NOTE_CHARS``) so that nothing is lost."""
    typed = (text or "").strip()
    if not typed:
        return "", ""
    found = read_date(typed)
    if found:
        return found.isoformat(), ""
    return "", typed[:MAX_DUE_NOTE_CHARS]


def is_overdue(due: str, status: str, today: dt.date) -> bool:
    """Past its due date (before today) and not done."""
    day = iso_date(due)
    return day is not None and day < today and status != "done"


def recommendation_lines(text: str) -> list[str]:
    """The recommendations of a consolidated worksheet: one per line, bullets and blank lines dropped, each
    once, each cut to ``MAX_RECOMMENDATION_CHARS``."""
    seen: list[str] = []
    for line in (text or "").splitlines():
        cleaned = " ".join(line.strip().lstrip("-•*–").split())
        cleaned = cleaned[:MAX_RECOMMENDATION_CHARS]
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


@dataclass(frozen=True)
class ActionDates:
    action_id: str
    priority_id: str | None
    due: str
    status: str


def plan_flags(priorities: Sequence[str], actions: Iterable[ActionDates], today: dt.date) -> dict[str, list[str]]:
    """What a steering group needs to see: the agreed priorities (in order) with no action, and the actions past
    their due date (ids, in the order given)."""
    actions = list(actions)
    linked = {a.priority_id for a in actions if a.priority_id}
    return {
        "unactioned": [p for p in priorities if p not in linked],
        "overdue": [a.action_id for a in actions if is_overdue(a.due, a.status, today)],
    }


def sector_options(stored: Sequence[Mapping[str, str]] | None) -> list[dict[str, str]]:
    """The workshop's list of sectors: as the facilitator edited it, else the default list."""
    if stored is None:
        return [{"id": i, "label": label} for i, label in DEFAULT_SECTORS]
    return [{"id": str(s["id"]), "label": str(s["label"])} for s in stored]


def sector_id_for(label: str, taken: Iterable[str]) -> str:
    """An id for a new sector, from its label ("Police & justice" -> "police_justice"), unique in the list."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:28] or "sector"
    taken = set(taken)
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base[:28]}_{n}"
        n += 1
    return candidate


@dataclass(frozen=True)
class TableMakeup:
    table_id: str
    sectors: tuple[str, ...]
    people: int | None


def room_makeup(options: Sequence[Mapping[str, str]], tables: Sequence[TableMakeup]) -> dict:
    """The room's make-up from what each table said: people in total (and how many tables said), the sectors
    represented (in the list's order), and whether young people and parent carers took part (None when that
    sector is not in the workshop's list, so nobody could say)."""
    ids = [o["id"] for o in options]
    present = {s for t in tables for s in t.sectors}
    counted = [t.people for t in tables if t.people is not None]
    tables_by_sector = {i: sum(1 for t in tables if i in t.sectors) for i in ids}
    return {
        "people": sum(counted),
        "tables_counted": len(counted),
        "tables": len(tables),
        "sectors_covered": [i for i in ids if i in present],
        "sectors_missing": [i for i in ids if i not in present],
        "tables_by_sector": tables_by_sector,
        "young_people": (YOUNG_PEOPLE in present) if YOUNG_PEOPLE in ids else None,
        "parent_carers": (PARENT_CARERS in present) if PARENT_CARERS in ids else None,
    }
