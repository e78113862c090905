"""From a file's rows to principles: which column holds which field, and which rows make a principle.

``guess_mapping`` reads the headers; the facilitator may change the result. ``validate`` applies a mapping to a
``Sheet`` and says, for every row, the principle it makes or every reason it is refused. Pure functions.

A principle (what ``POST /api/workshops`` takes in ``principles``):
``{"id", "name", "summary", "level", "statement", "descriptors", "baseline_score", "notes", "key_principles"}``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from . import default_principles
from .formats import SECTION_HEADING, Sheet

MAX_PRINCIPLES = 60  # what a workshop takes (services.workshops.CreateWorkshop)
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
LEVELS = ("macro", "meso", "micro")
SCALE = {1: "not yet met", 2: "partly met", 3: "mostly met (THRIVE-like)", 4: "fully THRIVE-like"}
LIMITS = {"name": 120, "summary": 500, "statement": 2000, "descriptor": 1000, "notes": 2000}
DESCRIPTORS = ("descriptor_1", "descriptor_2", "descriptor_3", "descriptor_4")

# field -> (label for people, required?)
FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("Id (made up when absent)", False),
    "level": ("Level (macro, meso or micro)", False),
    "name": ("Short name (made from the statement when absent)", False),
    "statement": ("Statement", False),
    "descriptor_1": ("Description 1: not yet met", False),
    "descriptor_2": ("Description 2", False),
    "descriptor_3": ("Description 3", False),
    "descriptor_4": ("Description 4: fully THRIVE-like", False),
    "baseline_score": ("Baseline score (1–4)", False),
    "notes": ("Notes or evidence", False),
    "key_principles": ("Key principles it links to", False),
    "summary": ("One-line summary", False),
}


class MappingError(ValueError):
    """A mapping that cannot be applied: the message says which part."""


# --- guessing ---------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: "Not yet met (1)" -> "not yet met 1"."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ").replace("_", " ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


EXACT: dict[str, tuple[str, ...]] = {
    "id": ("id", "principle id", "ref", "reference", "code", "number", "no", "num", "item", "principle number"),
    "level": ("level", "system level", "tier", "level of system", "system"),
    "name": ("name", "short name", "principle", "principle name", "title", "heading", "principle title"),
    "statement": ("statement", "principle statement", "text", "full text", "description of principle",
                  "what the principle says", "the principle", "wording"),
    "descriptor_1": ("descriptor 1", "description 1", "1", "not yet met", "not met", "score 1", "level 1",
                     "1 not yet met", "not yet met 1"),
    "descriptor_2": ("descriptor 2", "description 2", "2", "partly met", "partially met", "score 2", "level 2",
                     "emerging", "2 partly met", "partly met 2"),
    "descriptor_3": ("descriptor 3", "description 3", "3", "mostly met", "largely met", "score 3", "level 3",
                     "thrive like", "3 mostly met", "mostly met 3"),
    "descriptor_4": ("descriptor 4", "description 4", "4", "fully met", "fully thrive like", "score 4", "level 4",
                     "4 fully thrive like", "fully thrive like 4", "fully"),
    "baseline_score": ("baseline score", "baseline", "score", "our score", "locality score", "rating",
                       "assessment score", "self assessment", "self assessment score", "current score"),
    "notes": ("notes", "note", "evidence", "notes evidence", "notes and evidence", "comments", "comment",
              "evidence notes"),
    "key_principles": ("key principles", "key principle", "linked key principles", "links", "thrive principles",
                       "key thrive principles"),
    "summary": ("summary", "one line summary", "short description"),
}
_EXACT_LOOKUP = {normalise(s): f for f, synonyms in EXACT.items() for s in synonyms} | {
    normalise(f): f for f in FIELDS
}
# Tried in order when no header matches exactly: (field, pattern on the normalised header).
CONTAINS: list[tuple[str, re.Pattern[str]]] = [
    ("descriptor_1", re.compile(r"\bnot (yet )?met\b|\bnot thrive\b")),
    ("descriptor_2", re.compile(r"\bpartly\b|\bpartially\b|\bemerging\b")),
    ("descriptor_3", re.compile(r"\bmostly\b|\blargely\b")),
    ("descriptor_4", re.compile(r"\bfully\b")),
    ("baseline_score", re.compile(r"\bscore\b|\bbaseline\b|\brating\b|\brated\b")),
    ("descriptor_1", re.compile(r"^(descriptors?|descriptions?|levels?)\s*1$|\b1\b.*\bdescri")),
    ("descriptor_2", re.compile(r"^(descriptors?|descriptions?|levels?)\s*2$|\b2\b.*\bdescri")),
    ("descriptor_3", re.compile(r"^(descriptors?|descriptions?|levels?)\s*3$|\b3\b.*\bdescri")),
    ("descriptor_4", re.compile(r"^(descriptors?|descriptions?|levels?)\s*4$|\b4\b.*\bdescri")),
    ("key_principles", re.compile(r"\bkey principles?\b|\blinks?\b|\blinked\b")),
    ("notes", re.compile(r"\bevidence\b|\bnotes?\b|\bcomments?\b")),
    ("statement", re.compile(r"\bstatement\b|\bwording\b")),
    ("level", re.compile(r"\blevel\b|\bsection heading\b|\bsection\b")),
    ("name", re.compile(r"\bname\b|\bprinciple\b|\btitle\b")),
    ("id", re.compile(r"^(id|ref|no|number)\b|\bid$|\bref$")),
]


def guess_field(header: str) -> str | None:
    """The field a header most likely names, or None."""
    key = normalise(header)
    if not key:
        return None
    if key in _EXACT_LOOKUP:
        return _EXACT_LOOKUP[key]
    for name, pattern in CONTAINS:
        if pattern.search(key):
            return name
    return None


def guess_mapping(headers: list[str]) -> dict[str, str | None]:
    """Field -> header (or None): exact names first, then telling words; each header is used once."""
    mapping: dict[str, str | None] = dict.fromkeys(FIELDS)
    used: set[str] = set()
    keys = {h: normalise(h) for h in headers}
    for h in headers:
        f = _EXACT_LOOKUP.get(keys[h])
        if f and mapping[f] is None:
            mapping[f], _ = h, used.add(h)
    for f, pattern in CONTAINS:
        if mapping[f] is not None:
            continue
        for h in headers:
            if h not in used and keys[h] and pattern.search(keys[h]):
                mapping[f], _ = h, used.add(h)
                break
    return mapping


def check_mapping(headers: list[str], raw: object) -> dict[str, str | None]:
    """A mapping from a request: known fields only, headers of this file, no header used twice."""
    if not isinstance(raw, dict):
        raise MappingError("The mapping must be an object of field → column.")
    mapping: dict[str, str | None] = dict.fromkeys(FIELDS)
    seen: dict[str, str] = {}
    for f, h in raw.items():
        if f not in FIELDS:
            raise MappingError(f"Unknown field {str(f)[:40]!r}. Fields: {', '.join(FIELDS)}.")
        if h in (None, ""):
            continue
        if not isinstance(h, str) or h not in headers:
            raise MappingError(f"The column {str(h)[:60]!r} (for {f}) is not in this file.")
        if h in seen:
            raise MappingError(f"The column “{h[:60]}” is chosen for both {seen[h]} and {f}: pick one.")
        seen[h] = f
        mapping[f] = h
    if not mapping["name"] and not mapping["statement"]:
        raise MappingError("Choose the column with the principles' names (or at least their statements).")
    return mapping


# --- validating rows --------------------------------------------------------------------------------------


@dataclass
class Accepted:
    index: int  # the row's place in the sheet
    label: str
    principle: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Refused:
    index: int
    label: str
    reasons: list[str]
    name: str = ""  # what the row seems to be, to help people find it


@dataclass
class Preview:
    accepted: list[Accepted]
    refused: list[Refused]
    blank_rows: int
    problems: list[str]  # reasons the import as a whole cannot go ahead

    @property
    def principles(self) -> list[dict[str, Any]]:
        return [a.principle for a in self.accepted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": [
                {"row": a.index + 1, "label": a.label, "principle": a.principle, "warnings": a.warnings}
                for a in self.accepted
            ],
            "refused": [{"row": r.index + 1, "label": r.label, "name": r.name, "reasons": r.reasons} for r in self.refused],
            "blank_rows": self.blank_rows,
            "problems": self.problems,
            "counts": {
                "accepted": len(self.accepted),
                "refused": len(self.refused),
                "by_level": {
                    level or "none": sum(1 for a in self.accepted if a.principle["level"] == level)
                    for level in (*LEVELS, None)
                },
            },
        }


def _key_principle_lookup() -> dict[str, str]:
    lookup = {}
    for p in default_principles():
        lookup[re.sub(r"[^a-z0-9]", "", normalise(p["id"]))] = p["id"]
        lookup[re.sub(r"[^a-z0-9]", "", normalise(p["name"]))] = p["id"]
    return lookup


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Line breaks as "\\n", no control characters, no spaces at the ends of lines or of the text."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    lines = [line.rstrip() for line in value.split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def one_line(value: str) -> str:
    return " ".join(clean_text(value).split())


def parse_level(value: str) -> tuple[str | None, str | None]:
    """(level, reason refused): "Macro level" -> macro; "" -> None."""
    text = normalise(value)
    if not text:
        return None, None
    found = {w for w in text.split() if w in LEVELS}
    if len(found) == 1:
        return found.pop(), None
    return None, f"level “{one_line(value)[:40]}” isn't macro, meso or micro"


_SCORE = re.compile(
    r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:(?:/|out of|of)\s*4)?"  # "3", "3.0", "3/4", "3 out of 4"
    r"\s*(?:[(\[]([^()\[\]]*)[)\]]|[-–—:;,]\s*(\D.*))?\s*$",  # then a remark: "(provisional)", "- to check"
    re.IGNORECASE | re.DOTALL,
)


def parse_score(value: str) -> tuple[int | None, str | None]:
    """(score, reason refused): "3", "3.0", "3/4", "3 out of 4", "3 (provisional)" -> 3; "" -> None."""
    score, why, _ = parse_score_remark(value)
    return score, why


def parse_score_remark(value: str) -> tuple[int | None, str | None, str]:
    """(score, reason refused, remark typed after it): "1 (provisional)" -> (1, None, "provisional")."""
    text = value.strip()
    if not text:
        return None, None, ""
    match = _SCORE.match(text)
    if not match:
        return None, f"baseline score “{one_line(text)[:20]}” isn't a number from 1 to 4 (leave it empty if not scored)", ""
    number = float(match.group(1).replace(",", "."))
    if not number.is_integer():
        return None, f"baseline score {one_line(text)[:20]} isn't a whole number from 1 to 4", ""
    if not 1 <= number <= 4:
        return None, f"baseline score {int(number)} is outside 1–4", ""
    return int(number), None, one_line(match.group(2) or match.group(3) or "")


def parse_key_principles(value: str, lookup: dict[str, str]) -> tuple[list[str], list[str]]:
    """(ids, reasons): names or ids of the eight key principles, separated by ; , / or new lines."""
    ids, reasons = [], []
    for part in re.split(r"[;,/\n|]+", value):
        if not part.strip():
            continue
        key = re.sub(r"[^a-z0-9]", "", normalise(part))
        if key in lookup:
            if lookup[key] not in ids:
                ids.append(lookup[key])
        else:
            reasons.append(f"key principle “{one_line(part)[:40]}” isn't one of the eight THRIVE key principles")
    return ids, reasons


def make_name(statement: str) -> str:
    """A short name from a statement: its first sentence, at most 60 characters, cut at a word."""
    text = one_line(statement)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(first) <= 60:
        return first
    cut = first[:60].rsplit(" ", 1)[0]
    return (cut or first[:60]).rstrip(",;:") + "…"


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", normalise(text)).strip("-")
    return s[:48].rstrip("-")


def validate(sheet: Sheet, mapping: dict[str, str | None]) -> Preview:
    """Every row: the principle it makes, or why it is refused (all the reasons, not just the first)."""
    lookup = _key_principle_lookup()
    accepted: list[Accepted] = []
    refused: list[Refused] = []
    blank = 0
    mapped = [h for h in mapping.values() if h]

    def cell(row: dict[str, str], f: str) -> str:
        h = mapping.get(f)
        return row.get(h, "") if h else ""

    for index, row in enumerate(sheet.rows):
        label = sheet.labels[index]
        if not any(row.get(h, "").strip() for h in mapped):
            blank += 1
            continue
        reasons: list[str] = []
        notes: list[str] = []
        statement = clean_text(cell(row, "statement"))
        name = one_line(cell(row, "name"))
        if not name and statement:
            name = make_name(statement)
            notes.append("short name made from the statement")
        if not name:
            reasons.append("no name and no statement")
        given_id = re.sub(r"\s+", "-", one_line(cell(row, "id")))
        if given_id and not ID_PATTERN.match(given_id):
            reasons.append(f"id “{given_id[:40]}” may only use letters, digits, '-', '_' and '.' (64 at most)")
        level, why = parse_level(cell(row, "level"))
        if why and mapping.get("level") == SECTION_HEADING:
            level = None  # a heading above a table that names no level ("Scoring key") just gives none
        elif why:
            reasons.append(why)
        typed_score = one_line(cell(row, "baseline_score"))
        score, why, remark = parse_score_remark(typed_score)
        if why:
            reasons.append(why)
        elif remark:
            notes.append(f"score “{typed_score[:40]}” read as {score}; the remark is kept in the notes")
        key_ids, whys = parse_key_principles(cell(row, "key_principles"), lookup)
        reasons.extend(whys)
        descriptors = [clean_text(cell(row, f)) for f in DESCRIPTORS]
        if not any(descriptors):
            descriptors = []
        elif not all(descriptors):
            missing = [str(i) for i, d in enumerate(descriptors, start=1) if not d]
            notes.append(f"description{'s' if len(missing) > 1 else ''} {', '.join(missing)} empty")
        principle = {
            "id": given_id,
            "name": name,
            "summary": one_line(cell(row, "summary")),
            "level": level,
            "statement": statement,
            "descriptors": descriptors,
            "baseline_score": score,
            "notes": clean_text(cell(row, "notes")),
            "key_principles": key_ids,
        }
        if remark:  # "1 (provisional)": the score is 1, and what was typed is kept with the notes
            kept = f"Score as typed: {typed_score}"
            principle["notes"] = f"{principle['notes']}\n{kept}" if principle["notes"] else kept
        for f, limit_key, label_text in (
            ("name", "name", "name"), ("summary", "summary", "summary"), ("statement", "statement", "statement"),
            ("notes", "notes", "notes"),
        ):
            if len(principle[f]) > LIMITS[limit_key]:
                reasons.append(f"{label_text} is {len(principle[f])} characters; at most {LIMITS[limit_key]}")
        for i, d in enumerate(descriptors, start=1):
            if len(d) > LIMITS["descriptor"]:
                reasons.append(f"description {i} is {len(d)} characters; at most {LIMITS['descriptor']}")
        if reasons:
            refused.append(Refused(index, label, reasons, name[:120]))
        else:
            accepted.append(Accepted(index, label, principle, notes))

    # Ids: a repeated id is refused everywhere it appears (which one is right is not ours to guess).
    by_id: dict[str, list[Accepted]] = {}
    for a in accepted:
        if a.principle["id"]:
            by_id.setdefault(a.principle["id"].casefold(), []).append(a)
    duplicates = {key: rows for key, rows in by_id.items() if len(rows) > 1}
    if duplicates:
        kept = []
        for a in accepted:
            rows = duplicates.get(a.principle["id"].casefold()) if a.principle["id"] else None
            if rows:
                others = ", ".join(r.label for r in rows if r is not a)
                refused.append(Refused(a.index, a.label, [f"id “{a.principle['id']}” is also used by {others}"],
                                       a.principle["name"]))
            else:
                kept.append(a)
        accepted = kept
        refused.sort(key=lambda r: r.index)
    taken = {a.principle["id"].casefold() for a in accepted if a.principle["id"]}
    for n, a in enumerate(accepted, start=1):
        if a.principle["id"]:
            continue
        base = slug(a.principle["name"]) or f"p{n}"
        candidate, k = base, 2
        while candidate.casefold() in taken:
            candidate = f"{base}-{k}"
            k += 1
        taken.add(candidate.casefold())
        a.principle["id"] = candidate
        a.warnings.insert(0, "id made up")
    problems = []
    if len(accepted) > MAX_PRINCIPLES:
        problems.append(
            f"The file has {len(accepted)} principles; a workshop takes at most {MAX_PRINCIPLES}. "
            "Split it, or leave out the ones you won't rank."
        )
    if not accepted:
        problems.append("No row makes a principle: check the columns chosen for each field.")
    return Preview(accepted, refused, blank, problems)



def gaps(sheet: Sheet, mapping: dict[str, str | None], preview: Preview) -> dict[str, Any]:
    """What the principles to be imported lack, and the columns left out that look as if they hold what is
    lacking: the preview's warnings that can't be missed (the page asks to confirm an import with gaps).

    ``counts``: how many principles have no level, not all four descriptions, no score. ``unmapped``: each column
    no field uses whose heading names a description or a score ("Descriptors", "Rating"), or whose values are
    mostly scores (1–4). ``warnings``: the same in sentences."""
    principles = preview.principles
    counts = {
        "level": sum(1 for p in principles if not p["level"]),
        "descriptions": sum(1 for p in principles if len([d for d in p["descriptors"] if d]) < 4),
        "score": sum(1 for p in principles if p["baseline_score"] is None),
    }
    used = {h for h in mapping.values() if h}
    unmapped = []
    for h in sheet.headers:
        if h in used:
            continue
        field_ = guess_field(h)
        looks = ("descriptions" if field_ in DESCRIPTORS or re.search(r"\bdescri", normalise(h)) else
                 "scores" if field_ == "baseline_score" or _mostly_scores(sheet, h) else None)
        if looks:
            unmapped.append({"column": h, "looks_like": looks})
    total = len(principles)
    warnings = []
    for key, words in (("level", "no level (macro, meso or micro)"),
                       ("descriptions", "not all four descriptions"), ("score", "no score (not scored)")):
        n = counts[key]
        if not n:
            continue
        if n == total:
            warnings.append(f"All {total} principles have {words}." if total > 1 else f"The principle has {words}.")
        else:
            warnings.append(f"{n} of the {total} principles {'has' if n == 1 else 'have'} {words}.")
    for u in unmapped:
        warnings.append(f"The column “{u['column'][:60]}” looks like {u['looks_like']} but isn't used: choose it "
                        "below, or check the file.")
    return {"counts": counts, "unmapped": unmapped, "warnings": warnings, "any": bool(total and warnings)}


def _mostly_scores(sheet: Sheet, header: str) -> bool:
    values = [row.get(header, "").strip() for row in sheet.rows]
    values = [v for v in values if v]
    scores = sum(1 for v in values if parse_score(v)[0] is not None)
    return len(values) >= 3 and scores >= 0.8 * len(values)


def fields_for_people() -> list[dict[str, Any]]:
    return [{"field": f, "label": label, "required": required} for f, (label, required) in FIELDS.items()]
