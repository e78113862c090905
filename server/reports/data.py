"""What every report format says, assembled once from the workshop's rows (``assemble`` is pure), so the Word
document, the workbook, the CSV files, the printable page and the JSON export cannot disagree.

``datasets`` turns the report into named tables (headers + rows): the workbook's sheets and the CSV files.
Nothing here holds a token, a token hash, an address or a password; attendance is counted, never named.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain import agenda as agenda_rules
from ..domain import plan as plan_rules
from ..domain import reasons as reason_rules
from ..domain import report_status
from ..domain.worksheet import CELL_LABELS, CELLS
from ..models import (
    Participant,
    PlanAction,
    Principle,
    Ranking,
    Segment,
    TableReasons,
    Worksheet,
    Workshop,
    WorkshopNote,
    WorkshopPlan,
    WorkshopTable,
)
from ..services.notes import REVIEW, table_subject
from ..services.sections import consensus_sections, ordered_ids
from ..settings import DEFAULT_TIME_ZONE, time_zone_setting  # noqa: F401  (time_zone_setting: re-exported)
from ..text import clean_value

METHOD_NAMES = {"borda": "Borda count", "dowdall": "Dowdall", "count": "Count", "schulze": "Schulze"}
STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
SEGMENT_STATUS = {"pending": "Not started", "running": "Running", "paused": "Paused", "done": "Done", "skipped": "Skipped"}
# One label for each score, in every format and on every screen (facilitator/static/heatmap.js).
BASELINE_LABEL = "Baseline"
AGREED_LABEL = "Agreed today"
NOT_SCORED = "not scored"
LEVEL_TITLES = {"macro": "Macro", "meso": "Meso", "micro": "Micro", "": "not given"}
LEVEL_HINTS = {"macro": "commissioning, agencies together", "meso": "services", "micro": "with families", "": ""}
PLACES = ("1st", "2nd", "3rd", "4th", "5th")
SETTLED_BY = {
    "countback": "countback (more higher places)",
    "head_to_head": "head-to-head",
    "shared": "shared rank",
    "schulze": "Schulze strongest paths",
}


def english_date(day: dt.date | None) -> str:
    """A date as people in England write it: 7 December 2026."""
    return f"{day.day} {day:%B %Y}" if day else ""


def parse_day(text: str | None) -> dt.date | None:
    """A stored ISO date ("2027-03-31"), or None when the text is not one."""
    if not text or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def day_text(text: str | None) -> str:
    """A stored date for people: "31 March 2027" when it is an ISO date, else the text as typed."""
    day = parse_day(text)
    return english_date(day) if day else (text or "")


@dataclass
class ReportRows:
    workshop: Workshop
    principles: list[Principle]
    tables: list[WorkshopTable]
    rankings: dict[str, Ranking]
    segments: list[Segment]
    worksheets: list[Worksheet]
    plan: WorkshopPlan | None
    actions: list[PlanAction]
    attendance: dict[str, int]  # table id -> phones that joined it
    now: float
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)  # table id -> principle id -> its reason
    reason_docs: dict[str, bytes] = field(default_factory=dict)  # table id -> its reasons' Yjs document
    reason_times: dict[str, float | None] = field(default_factory=dict)  # table id -> when last written
    notes: list[WorkshopNote] = field(default_factory=list)  # the facilitators' notes (services.notes)


async def load_report_rows(session: AsyncSession, workshop: Workshop, now: float) -> ReportRows:
    from ..services.state import (
        load_plan,
        load_principles,
        load_rankings,
        load_segments,
        load_tables,
        load_worksheets,
    )

    counts = await session.exec(
        select(Participant.table_id, func.count())
        .where(Participant.workshop_id == workshop.id)
        .group_by(Participant.table_id)
    )
    plan, actions = await load_plan(session, workshop.id)
    reasons = list(await session.exec(select(TableReasons).where(TableReasons.workshop_id == workshop.id)))
    notes = await session.exec(select(WorkshopNote).where(WorkshopNote.workshop_id == workshop.id))
    return ReportRows(
        workshop=workshop,
        principles=await load_principles(session, workshop.id),
        tables=await load_tables(session, workshop.id),
        rankings=await load_rankings(session, workshop.id),
        segments=await load_segments(session, workshop.id),
        worksheets=await load_worksheets(session, workshop.id),
        plan=plan,
        actions=[a for a in actions if not a.removed],
        attendance={table_id: n for table_id, n in counts},
        now=now,
        reasons={r.table_id: dict(r.text) for r in reasons},
        reason_docs={r.table_id: r.doc for r in reasons},
        reason_times={r.table_id: r.updated_at for r in reasons},
        notes=sorted(notes, key=lambda n: n.subject),
    )


@dataclass
class SheetText:
    label: str  # "Consolidated" or the table's name
    table: str | None
    cells: dict[str, str]

    @property
    def empty(self) -> bool:
        return not any(self.cells.get(c, "").strip() for c in CELLS if c != "ideal")


@dataclass
class GapPriority:
    principle_id: str
    name: str
    consolidated: SheetText | None
    tables: list[SheetText]
    segment_status: str | None


@dataclass
class ReportData:
    title: str
    locality: str
    date: str  # the workshop's date as people in England write it (7 December 2026), in its time zone
    generated_at: str
    tables: list[dict[str, Any]]  # name, phones
    attendance_total: int
    principles: list[dict[str, Any]]  # id, name, summary, level, baseline_score, thrive_like
    table_rankings: list[dict[str, Any]]  # table, agreed, items (names)
    tally: dict[str, Any]  # method, method_label, tie_break_rule, ballot_count, rows, cut_tie, warnings
    comparison: dict[str, list[str]]  # method label -> top five names
    disagreements: list[str]  # sentences: where methods disagreed with Borda
    confirmed: dict[str, Any] | None  # items, tally_items (names), changed_by_room, note, method, confirmed_at
    gap: list[GapPriority]
    actions: list[dict[str, Any]]
    engagement_notes: str
    redesign_date: str
    agenda: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    # Added for the board's report (issue 16).
    day: str = ""  # the workshop's date, ISO, for spreadsheets
    generated: str = ""  # when the report was made, local ISO date and time (2026-12-07T14:05), for spreadsheets
    time_zone: str = DEFAULT_TIME_ZONE
    final: bool = False  # marked final by a facilitator (domain.report_status); else a draft
    status: str = "Draft"  # "Draft", or "Final, agreed on 7 December 2026" (in the workshop's time zone)
    final_on: str = ""  # the day it was made final, as people in England write it; "" while a draft
    final_when: str = ""  # when it was made final, local ISO date and time, for spreadsheets
    final_by: str = ""  # which link made it final: "facilitator" or "co-facilitator"
    draft_note: str = ""  # while a draft that was final before: when and why it went back
    status_history: list[dict[str, Any]] = field(default_factory=list)  # state, when, by, because (words)
    levels: list[dict[str, Any]] = field(default_factory=list)  # level, title, hint, principles
    summary: list[dict[str, Any]] = field(default_factory=list)  # the five: place, name, level, scores, first rec.
    method: list[str] = field(default_factory=list)  # the method in plain words, one paragraph each
    settlement: list[str] = field(default_factory=list)  # how fifth place was settled, plainly
    head_to_head: dict[str, Any] = field(default_factory=dict)  # names, matrix[i][j] = tables preferring i to j
    # The method as it happens (issue 17): the findings noted in the opening review of the top-line priorities,
    # and what each table said when it shared its five (Exercise 2): table, text; tables with a note only.
    review_notes: str = ""
    share_notes: list[dict[str, Any]] = field(default_factory=list)
    # Who was in the room and a plan that can be governed (issue 17).
    makeup: dict[str, Any] = field(default_factory=dict)  # see _makeup
    plan_flags: dict[str, Any] = field(default_factory=dict)  # unactioned (names), overdue (count), today


def _local(ts: float | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A moment in the workshop's time zone, without its zone (spreadsheets cannot hold one)."""
    return None if ts is None else dt.datetime.fromtimestamp(ts, zone).replace(tzinfo=None)


def when_text(moment: dt.datetime | None) -> str:
    """7 December 2026, 14:05."""
    return f"{english_date(moment.date())}, {moment:%H:%M}" if moment else ""


def _score(value: Any) -> int | None:
    return value if isinstance(value, int) and 1 <= value <= 4 else None


def _stamp(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else ""


def _real(text: str) -> dt.date | dt.datetime | str:
    """For spreadsheets: an ISO date or local date and time as a real date; anything else as it is."""
    if not text:
        return ""
    try:
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        return text


def score_text(value: int | None) -> str:
    return str(value) if value is not None else NOT_SCORED


def minutes(seconds: float | None) -> str:
    """Seconds as "h:mm:ss" or "m:ss"; blank when unknown."""
    if seconds is None:
        return ""
    negative = seconds < 0
    whole = int(round(abs(seconds)))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"-{text}" if negative else text


def assemble(rows: ReportRows) -> ReportData:
    # Text stored before it was cleaned where it came in, or typed into a worksheet (shared edits are not
    # payload text), must not stop the Word and Excel writers: XML cannot hold control characters.
    return _cleaned(_assemble(rows))


def _cleaned(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _cleaned(getattr(value, f.name)) for f in fields(value)})
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return clean_value(value)


def _assemble(rows: ReportRows) -> ReportData:
    ws = rows.workshop
    zone = time_zone_setting()
    names = {p.principle_id: p.name for p in rows.principles}
    name = lambda pid: names.get(pid, pid)  # noqa: E731
    tables = sorted(rows.tables, key=lambda t: t.position)
    table_names = {t.id: t.name for t in tables}

    full, _hidden = consensus_sections(ws, ordered_ids(rows.principles), rows.tables, rows.rankings)
    tally = full["tally"]
    tally_rows = [
        {
            "rank": r["rank"],
            "shared": r["shared"],
            "principle_id": r["principle_id"],
            "principle": name(r["principle_id"]),
            "points": r["points"],
            "first_places": r["first_places"],
            "tables_ranked": r["tables_ranked"],
            "rank_counts": (list(r["rank_counts"]) + [0] * 5)[:5],
            "settled_by": SETTLED_BY.get(r["settled_by"], r["settled_by"] or ""),
            "per_table": {table_names.get(t, t): pts for t, pts in r["per_table"].items()},
        }
        for r in tally["rows"]
    ]
    method_name = METHOD_NAMES.get(tally["method"], tally["method"])
    comparison = {METHOD_NAMES.get(m, m): [name(p) for p in top] for m, top in full["comparison"].items()}
    borda = full["comparison"].get("borda", [])
    disagreements = [
        _disagreement(METHOD_NAMES.get(method, method), top, borda, name)
        for method, top in full["comparison"].items()
        if method != "borda"
    ]
    confirmed = None
    if ws.confirmed:
        c = ws.confirmed
        confirmed_when = _local(c.get("confirmed_at"), zone)
        confirmed = {
            "items": [name(p) for p in c.get("items", [])],
            "item_ids": list(c.get("items", [])),
            "tally_items": [name(p) for p in c.get("tally_items", [])],
            "changed_by_room": bool(c.get("changed_by_room")),
            "note": c.get("note", ""),
            # How the room settled a tie at the cut: a key of TIE_REASONS and its words ("" for older records,
            # whose free-text note says it).
            "reason": c.get("reason") or "",
            "reason_text": report_status.TIE_REASONS.get(c.get("reason") or "", ""),
            # A tie straddled the cut when the room confirmed (as recorded then; older records have no reason to
            # label, so False).
            "settled_tie": bool(c.get("settled_tie")),
            "method": METHOD_NAMES.get(c.get("method"), c.get("method") or ""),
            "confirmed_at": when_text(confirmed_when),
            "confirmed_when": _stamp(confirmed_when),
        }

    by_priority: dict[str, list[Worksheet]] = {}
    for sheet in rows.worksheets:
        by_priority.setdefault(sheet.priority_id, []).append(sheet)
    gap_segments = {s.subject: s for s in rows.segments if s.kind == "gap" and s.subject}
    order = [s.subject for s in sorted(rows.segments, key=lambda s: s.position) if s.kind == "gap" and s.subject]
    order += [p for p in (ws.confirmed or {}).get("items", []) if p not in order and p in by_priority]
    order += sorted(p for p in by_priority if p not in order)
    gap = []
    for pid in order:
        sheets = by_priority.get(pid, [])
        consolidated = next((s for s in sheets if s.table_id is None), None)
        per_table = sorted(
            (s for s in sheets if s.table_id is not None),
            key=lambda s: next((t.position for t in tables if t.id == s.table_id), 10**6),
        )
        gap.append(
            GapPriority(
                principle_id=pid,
                name=name(pid),
                consolidated=SheetText("Consolidated", None, _cells(consolidated)) if consolidated else None,
                tables=[SheetText(table_names.get(s.table_id, "?"), table_names.get(s.table_id), _cells(s)) for s in per_table],
                segment_status=gap_segments[pid].status if pid in gap_segments else None,
            )
        )

    agenda_rows = []
    domain = {s.id: s for s in sorted(rows.segments, key=lambda s: s.position)}
    timers = agenda_rules.planned_vs_actual(
        agenda_rules.Agenda(
            segments=tuple(
                agenda_rules.Segment(
                    s.id, s.kind, s.title, s.instructions,
                    agenda_rules.SegmentTimer(
                        s.planned_seconds, s.status, s.deadline, s.remaining_seconds, s.elapsed_seconds,
                        s.run_started_at, s.started_at, s.ended_at,
                    ),
                )
                for s in domain.values()
            ),
            current_id=ws.current_segment_id,
        ),
        rows.now,
    )
    for timer in timers:
        s = domain[timer["id"]]
        started, ended = _local(s.started_at, zone), _local(s.ended_at, zone)
        agenda_rows.append(
            {
                "title": s.title,
                "kind": s.kind,
                "status": SEGMENT_STATUS.get(s.status, s.status),
                "planned_seconds": timer["planned_seconds"],
                "actual_seconds": round(timer["actual_seconds"], 1) if s.status != "pending" else None,
                "over_by_seconds": round(timer["over_by_seconds"], 1) if timer["over_by_seconds"] is not None else None,
                "started_at": when_text(started),
                "ended_at": when_text(ended),
                "started": _stamp(started),
                "ended": _stamp(ended),
            }
        )

    principles = [
        {
            "id": p.principle_id,
            "ref": p.principle_id,
            "name": p.name,
            "summary": p.summary,
            "level": p.level or "",
            "level_title": LEVEL_TITLES.get(p.level or "", (p.level or "").capitalize()),
            "baseline_score": _score(p.baseline_score),
            "agreed_score": _score(p.agreed_score),
            # None when never scored: "not scored", never "no".
            "thrive_like": None if _score(p.baseline_score) is None else p.baseline_score >= 3,
            "statement": p.statement or "",
            "descriptors": [str(d) for d in (p.descriptors or [])],
        }
        for p in sorted(rows.principles, key=lambda p: p.position)
    ]
    levels = []
    for level in ("macro", "meso", "micro", ""):
        members = [p for p in principles if (p["level"] if p["level"] in ("macro", "meso", "micro") else "") == level]
        if members:
            levels.append({"level": level, "title": LEVEL_TITLES[level] if level else "Principles without a level", "hint": LEVEL_HINTS[level], "principles": members})
    by_ref = {p["id"]: p for p in principles}

    summary = []
    if ws.confirmed:
        sheets = {g.principle_id: g for g in gap}
        for place, pid in enumerate(ws.confirmed.get("items", []), 1):
            p = by_ref.get(pid, {})
            g = sheets.get(pid)
            recommendation = _first_line(g.consolidated.cells.get("recommendations", "")) if g and g.consolidated else ""
            summary.append(
                {
                    "place": place,
                    "principle_id": pid,
                    "name": name(pid),
                    "level": p.get("level_title", ""),
                    "baseline_score": p.get("baseline_score"),
                    "agreed_score": p.get("agreed_score"),
                    "recommendation": recommendation,
                }
            )

    ballots = {t.id: list(rows.rankings[t.id].items)[:5] for t in tables if t.id in rows.rankings and rows.rankings[t.id].agreed}
    near = _near_the_cut(tally_rows)
    head_to_head = {
        "names": [r["principle"] for r in near],
        "matrix": [[None if a is b else _prefer(ballots.values(), a["principle_id"], b["principle_id"]) for b in near]
                   for a in near],
    }
    cut_tie = tally["cut_tie"]
    settlement = _settlement(tally_rows, cut_tie, ws.confirmed, name, method_name)
    created = _local(ws.created_at, zone)
    generated = _local(rows.now, zone)
    status = report_status.from_stored(
        getattr(ws, "report_final_at", None), getattr(ws, "report_final_by", None), getattr(ws, "report_history", None)
    )
    final_when = _local(status.final_at, zone)
    attendance = [{"name": t.name, "phones": rows.attendance.get(t.id, 0)} for t in tables]
    notes = {n.subject: n.text.strip() for n in rows.notes}
    share_notes = [{"table": t.name, "text": notes[table_subject(t.id)]} for t in tables if notes.get(table_subject(t.id))]
    reviewed = any(s.kind == "review" and s.status != "skipped" for s in rows.segments) or bool(notes.get(REVIEW))
    today = generated.date()  # overdue is relative to the day the report is made, in the workshop's time zone
    actions, plan_flags = _plan(rows, name, today)
    return ReportData(
        title=ws.title,
        locality=ws.locality,
        date=english_date(created.date()),
        generated_at=when_text(generated),
        tables=attendance,
        attendance_total=sum(a["phones"] for a in attendance),
        principles=principles,
        table_rankings=[
            {
                "table": t.name,
                "agreed": bool(rows.rankings.get(t.id) and rows.rankings[t.id].agreed),
                "items": [name(p) for p in (rows.rankings[t.id].items if t.id in rows.rankings else [])],
                # Why the table chose each of its five (one line each, "" when none was written).
                "reasons": [
                    why
                    for _pid, why in reason_rules.shown(
                        list(rows.rankings[t.id].items) if t.id in rows.rankings else [], rows.reasons.get(t.id, {})
                    )
                ],
            }
            for t in tables
        ],
        tally={
            "method": method_name,
            "method_label": tally["method_label"],
            "tie_break_rule": tally["tie_break_rule"],
            "ballot_count": tally["ballot_count"],
            "rows": tally_rows,
            "cut_tie": [name(p) for p in cut_tie["principle_ids"]] if cut_tie else None,
            "cut_tie_rank": cut_tie["rank"] if cut_tie else None,
            "warnings": [w if isinstance(w, str) else str(w) for w in tally["warnings"]],
            "table_names": [t.name for t in tables],
            "five": _tally_five(tally_rows, cut_tie, name, method_name),
        },
        comparison=comparison,
        disagreements=disagreements,
        confirmed=confirmed,
        gap=gap,
        actions=actions,
        engagement_notes=rows.plan.engagement_notes if rows.plan else "",
        redesign_date=day_text(rows.plan.redesign_date) if rows.plan else "",
        agenda=agenda_rows,
        day=created.date().isoformat(),
        generated=_stamp(generated),
        time_zone=str(zone.key),
        levels=levels,
        summary=summary,
        method=_method_words(len(tables), len(principles), tally["method"], method_name, reviewed, bool(share_notes)),
        review_notes=notes.get(REVIEW, ""),
        share_notes=share_notes,
        settlement=settlement,
        head_to_head=head_to_head,
        final=status.is_final,
        status=f"Final, agreed on {english_date(final_when.date())}" if final_when else "Draft",
        final_on=english_date(final_when.date()) if final_when else "",
        final_when=_stamp(final_when),
        final_by=LINK_NAMES.get(status.final_by or "", status.final_by or ""),
        draft_note=_draft_note(report_status.last_return(status), zone),
        status_history=[_history_entry(h, zone) for h in status.history],
        makeup=_makeup(ws, tables, rows.attendance),
        plan_flags=plan_flags,
    )


LINK_NAMES = {"facilitator": "facilitator", "cofacilitator": "co-facilitator", "system": "the app",
              "participant": "a table"}
BECAUSE = {report_status.MARKED_FINAL: "marked final", report_status.RETURNED: "returned to draft by a facilitator",
           report_status.CHANGED: "returned to draft by an edit after it was made final"}


def _history_entry(entry: dict[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    at = entry.get("at")
    moment = _local(at, zone) if isinstance(at, (int, float)) else None
    because = BECAUSE.get(entry.get("because", ""), str(entry.get("because", "")))
    if entry.get("what"):
        because += f" ({entry['what']})"
    return {"state": "Final" if entry.get("state") == report_status.FINAL else "Draft", "when": _stamp(moment),
            "when_text": when_text(moment), "by": LINK_NAMES.get(entry.get("by", ""), str(entry.get("by", ""))),
            "because": because}


def _draft_note(entry: dict[str, Any] | None, zone: dt.tzinfo) -> str:
    """Why a report that was final is a draft again, in one sentence."""
    if not entry:
        return ""
    at = entry.get("at")
    moment = _local(at, zone) if isinstance(at, (int, float)) else None
    when = f" on {when_text(moment)}" if moment else ""
    if entry.get("because") == report_status.CHANGED:
        return f"It was final, and went back to draft{when} because {entry.get('what') or 'the workshop changed'}."
    who = LINK_NAMES.get(entry.get("by", ""), "a facilitator")
    return f"It was final, and the {who} returned it to draft{when}."


def _plan(rows: ReportRows, name, today: dt.date) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The actions as every format shows them, and what a steering group must see: agreed priorities with no
    action, actions past their due date (not done) as of ``today``."""
    ordered = sorted(rows.actions, key=lambda a: a.position)
    priorities = list((rows.workshop.confirmed or {}).get("items", []))
    flags = plan_rules.plan_flags(
        priorities, [plan_rules.ActionDates(a.id, a.priority_id, a.due, a.status) for a in ordered], today
    )
    overdue = set(flags["overdue"])
    actions = [
        {
            "action": a.action,
            "priority": name(a.priority_id) if a.priority_id else "",
            "recommendation": a.recommendation or "",
            "owner": a.owner,
            # The date as England writes it; words kept from before dates were dates when there is no date.
            "due": day_text(a.due) or (a.due_note or ""),
            "due_date": parse_day(a.due).isoformat() if parse_day(a.due) else "",
            "due_text": a.due or (a.due_note or ""),
            "due_note": a.due_note or "",
            "review": day_text(a.review_date),
            "review_date": a.review_date or "",
            "measure": a.measure or "",
            "status": STATUS_LABELS.get(a.status, a.status),
            "overdue": a.id in overdue,
        }
        for a in ordered
    ]
    return actions, {
        "unactioned": [name(p) for p in flags["unactioned"]],
        "overdue": len(overdue),
        "today": english_date(today),
    }


def _makeup(ws: Workshop, tables: list[WorkshopTable], attendance: dict[str, int]) -> dict[str, Any]:
    """Who was in the room, without names: what each table said (sectors, people) and the room added up."""
    options = plan_rules.sector_options(ws.sector_options)
    labels = {o["id"]: o["label"] for o in options}
    said = [plan_rules.TableMakeup(t.id, tuple(t.sectors or ()), t.people) for t in tables]
    room = plan_rules.room_makeup(options, said)
    took_part = {True: "yes", False: "no", None: "not asked"}
    return {
        "tables": [
            {"name": t.name, "phones": attendance.get(t.id, 0), "people": t.people,
             "sectors": [labels.get(s, s) for s in (t.sectors or [])]}
            for t in tables
        ],
        "people": room["people"],
        "tables_counted": room["tables_counted"],
        "covered": [labels[s] for s in room["sectors_covered"]],
        "missing": [labels[s] for s in room["sectors_missing"]],
        "young_people": took_part[room["young_people"]],
        "parent_carers": took_part[room["parent_carers"]],
        "sentence": _makeup_sentence(room, len(tables), [labels[s] for s in room["sectors_covered"]]),
    }


def _makeup_sentence(room: dict[str, Any], tables: int, covered: list[str]) -> str:
    if not room["tables_counted"] and not covered:
        return "The tables did not say who sat at them."
    people = (f"{room['people']} people at the {room['tables_counted']} tables that gave their numbers"
              if room["tables_counted"] < tables else f"{room['people']} people at {tables} tables")
    sectors = f"sectors represented: {_names(covered)}" if covered else "no sectors were recorded"
    parts = [f"{people}; {sectors}."]
    for key, who in (("young_people", "Children and young people"), ("parent_carers", "Parent carers")):
        if room[key] is not None:
            parts.append(f"{who} {'took part' if room[key] else 'were not recorded at any table'}.")
    return " ".join(parts)


def _first_line(text: str) -> str:
    return next((line.strip(" -•*\t") for line in (text or "").splitlines() if line.strip(" -•*\t")), "")


def _names(items: list[str]) -> str:
    """a, b and c."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _pts_text(value: float) -> str:
    v = _points(value)
    return f"{v} point" if v == 1 else f"{v} points"


def _prefer(ballots, a: str, b: str) -> list[int]:
    """[tables preferring a to b, tables preferring b to a]: ranked higher, or listed when the other is not."""
    wins = losses = 0
    for ballot in ballots:
        pa = ballot.index(a) if a in ballot else None
        pb = ballot.index(b) if b in ballot else None
        if pa is None and pb is None:
            continue
        if pb is None or (pa is not None and pa < pb):
            wins += 1
        else:
            losses += 1
    return [wins, losses]


def _near_the_cut(rows: list[dict[str, Any]], cut: int = 5) -> list[dict[str, Any]]:
    """The principles with points around fifth place: 4th to 7th, and every one level on points with 5th."""
    scored = [r for r in rows if r["points"] > 0]
    if len(scored) <= cut:
        return []
    fifth = scored[cut - 1]["points"]
    near = [r for i, r in enumerate(scored) if cut - 2 <= i <= cut + 1 or r["points"] == fifth]
    return near[:10]


def _tally_five(rows, cut_tie, name, method: str) -> str:
    """The tally's five in one true sentence, also when fifth place is tied."""
    if not rows or all(r["points"] == 0 for r in rows):
        return "No table had agreed its five when this report was made."
    if cut_tie:
        tied = set(cut_tie["principle_ids"])
        clear = [r["principle"] for r in rows if r["rank"] < cut_tie["rank"] and r["principle_id"] not in tied]
        group = [name(p) for p in cut_tie["principle_ids"]]
        count = ("one", "two", "three", "four")[len(clear) - 1] if 0 < len(clear) <= 4 else str(len(clear))
        lead = f"The {method} tally's first {count} were {', '.join(clear)}; " if clear else f"In the {method} tally, "
        return (f"{lead}{_ordinal(cut_tie['rank'])} place was tied between {_names(group)}, "
                f"which the tie-break rules could not separate.")
    five = [r["principle"] for r in rows[:5] if r["points"] > 0]
    return f"The {method} tally's five were {', '.join(five)}."


def _settlement(rows, cut_tie, confirmed, name, method: str) -> list[str]:
    """How fifth place was settled, in plain sentences: by the points, by rule, or by the room."""
    scored = [r for r in rows if r["points"] > 0]
    out: list[str] = []
    if len(scored) < 5:
        if scored:
            out.append(f"Only {len(scored)} principles got points, so there was no contest for fifth place.")
        return out
    fifth = scored[4]
    level = [r for r in scored if r["points"] == fifth["points"]]
    if cut_tie:
        group = [name(p) for p in cut_tie["principle_ids"]]
        out.append(
            f"A tie straddled the cut: {_names(group)} each had {_pts_text(fifth['points'])} and shared "
            f"{_ordinal(cut_tie['rank'])} place. Countback (more first places, then more second places, and so on) "
            f"and head-to-head (which one more tables ranked higher) could not separate them, so the tally alone "
            f"did not give a five."
        )
        if confirmed:
            chosen = [name(p) for p in confirmed.get("items", []) if p in cut_tie["principle_ids"]]
            left = [g for g in group if g not in chosen]
            if chosen:
                out.append(f"The room settled the tie: it chose {_names(chosen)}"
                           + (f" over {_names(left)}." if left else "."))
            else:
                out.append(f"The room settled the tie by choosing none of {_names(group)}.")
        else:
            out.append("The room has still to settle the tie: the five is not confirmed yet.")
    elif len(level) > 1 and any(r["rank"] > 5 for r in level):
        rules = _names(list(dict.fromkeys(r["settled_by"] for r in level if r["settled_by"]))) or "the tie-break rules"
        order = ", ".join(f"{r['principle']} {_ordinal(r['rank'])}" for r in level)
        out.append(
            f"A tie straddled the cut: {_names([r['principle'] for r in level])} each had "
            f"{_pts_text(fifth['points'])}. It was settled by rule ({rules}), not by the room: {order}."
        )
    else:
        sixth = scored[5] if len(scored) > 5 else None
        if sixth:
            out.append(f"No tie straddled the cut: fifth place, {fifth['principle']}, had "
                       f"{_pts_text(fifth['points'])}; sixth, {sixth['principle']}, had {_pts_text(sixth['points'])}.")
    if confirmed and confirmed.get("items"):
        top = [r["principle_id"] for r in rows if r["rank"] <= 5 and r["points"] > 0]
        tied = set(cut_tie["principle_ids"]) if cut_tie else set()
        clear = [p for p in top if p not in tied]
        items = list(confirmed["items"])
        ranks = {r["principle_id"]: r["rank"] for r in rows}
        added = [p for p in items if p not in top]
        dropped = [p for p in clear if p not in items]
        if added or dropped:
            a = _names([f"{name(p)} ({_ordinal(ranks[p])} in the tally)" if p in ranks else name(p) for p in added])
            d = _names([name(p) for p in dropped])
            sentence = "The room changed the tally's five: "
            if added and dropped:
                sentence += f"it chose {a} in place of {d}."
            elif added:
                sentence += f"it chose {a}."
            else:
                sentence += f"it left out {d}."
            out.append(sentence)
        elif confirmed.get("changed_by_room") and _reordered([ranks[p] for p in items if p in clear]):
            out.append("The room kept the tally's principles but changed their order.")
    if confirmed:
        out.extend(_reason_sentences(confirmed, settled_tie=bool(confirmed.get("settled_tie"))))
    return out


def _reason_sentences(confirmed: dict[str, Any], *, settled_tie: bool) -> list[str]:
    """The reason chosen from the short list, in words, and the room's note; an older record's free-text note
    alone says "The room's reason"."""
    reason, note = confirmed.get("reason") or "", (confirmed.get("note") or "").strip()
    label = "How the tie was settled" if settled_tie else "The room's reason"
    if reason not in report_status.TIE_REASONS:
        return [f"The room's reason: {note}"] if note else []
    if reason == "other":
        return [f"{label}: {note}" if note else f"{label}: another reason (not noted)."]
    return [f"{label}: {report_status.TIE_REASONS[reason]}.", *([f"The room's note: {note}"] if note else [])]


def _reordered(ranks: list[int]) -> bool:
    """The room's order goes against the tally's ranks (principles sharing a rank may go either way)."""
    return any(a > b for a, b in zip(ranks, ranks[1:], strict=False))


def _disagreement(method: str, top: list[str], borda: list[str], name) -> str:
    """One line: what this method would have changed in the Borda count's five."""
    ins = [name(p) for p in top if p not in borda]
    outs = [name(p) for p in borda if p not in top]
    if not ins and not outs:
        if top == borda:
            return f"{method}: the same five in the same order."
        return f"{method}: the same five, in a different order ({', '.join(name(p) for p in top)})."
    parts = []
    if ins:
        parts.append(f"would bring in {_names(ins)}")
    if outs:
        parts.append(f"would leave out {_names(outs)}")
    extra = " (a tie at the cut keeps more than five in)" if len(top) > 5 or len(borda) > 5 else ""
    return f"{method}: {' and '.join(parts)}{extra}."


def _method_words(
    tables: int, principles: int, method: str, method_name: str, reviewed: bool = False, shared_notes: bool = False
) -> list[str]:
    if method == "borda":
        counting = ("a table's first choice scored 5 points, its second 4, its third 3, its fourth 2 and its fifth "
                    "1; a principle a table did not choose scored nothing")
    elif method == "dowdall":
        counting = "a table's first choice scored 1 point, its second 1/2, its third 1/3, its fourth 1/4, its fifth 1/5"
    elif method == "count":
        counting = "each principle scored 1 point for every table that put it in its five"
    else:
        counting = "principles were compared in pairs: one beats another when more tables ranked it higher"
    opening = []
    if reviewed:
        opening.append(
            "The workshop opened with a review of the top-line priorities: the room looked at the locality's scores "
            "by level and the principles scored lowest, alongside what pathway mapping and the local data showed "
            "(the findings noted then are under \"Findings from the opening review\")."
        )
    shared = (" What each table said as it shared is under \"What each table said (Exercise 2)\"."
              if shared_notes else "")
    return [
        *opening,
        f"The room sat at {tables} tables. Each table discussed the {principles} THRIVE principles and agreed its "
        "own top five, in order of priority (Exercise 1), thinking about its pathway maps, its understanding of the "
        f"data and the scores, then shared it with the room (Exercise 2).{shared}",
        f"The room's tally (Exercise 3) added up the tables' fives by the {method_name}: {counting}.",
        "Where principles had the same points, the tie was broken first by countback (the one more tables put "
        "first, then second, and so on) and then head-to-head (the one more tables ranked higher than the other); "
        "principles still level shared a place. A tie across fifth place was settled by the room.",
        "The tally was checked against the other ways of counting the app offers (Borda, Dowdall, a simple count of "
        "tables and Schulze's pairwise method); where they would have given a different five, this report says so.",
        "The facilitator then confirmed the room's five priorities. For each one, every table filled a gap-analysis "
        "worksheet (what is in place, in development, the gaps, training and recommendations), and the facilitator "
        "brought them together in a consolidated worksheet, which this report gives first.",
        f"Scores: '{BASELINE_LABEL}' is the locality's THRIVE Assessment Tool self-assessment, 1 (not yet met) to 4 "
        f"(fully THRIVE-like), 3 or more being THRIVE-like; '{AGREED_LABEL}' is the score the room agreed in the "
        f"workshop. Where there is none the report says '{NOT_SCORED}'.",
    ]


def _cells(sheet: Worksheet | None) -> dict[str, str]:
    text = dict(sheet.text) if sheet else {}
    # A line typed in a worksheet ends with its own line break (worksheet-sync.js): none is kept at the end.
    return {cell: str(text.get(cell, "")).strip() for cell in CELLS}


def _points(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def worksheets_by_table(report: ReportData) -> list[tuple[str, list[tuple[int, GapPriority, SheetText]]]]:
    """The appendix's order: each table's worksheets, in the priorities' order, under the table's name."""
    out: dict[str, list[tuple[int, GapPriority, SheetText]]] = {}
    for i, g in enumerate(report.gap, 1):
        for sheet in g.tables:
            out.setdefault(sheet.label, []).append((i, g, sheet))
    return list(out.items())


def _thrive_like(value: bool | None) -> str:
    return NOT_SCORED if value is None else ("yes" if value else "no")


def reason_rows(report: ReportData) -> list[list[Any]]:
    """Each table's reasons, one row per priority of its five that has one: table, place, principle, reason."""
    return [
        [r["table"], PLACES[i], item, why]
        for r in report.table_rankings
        for i, (item, why) in enumerate(zip(r["items"][:5], r.get("reasons", [])[:5], strict=False))
        if why
    ]


def datasets(report: ReportData) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The report as named tables: the workbook's sheets and the CSV files, in this order.

    Dates are ``datetime.date`` and times ``datetime.datetime`` (in the workshop's time zone): real dates in the
    workbook, ISO text in the CSV files.
    """
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    c = report.confirmed
    out["Summary"] = (
        ["Item", "Value"],
        [
            ["Title", report.title],
            ["Locality", report.locality],
            ["Date", _real(report.day) or report.date],
            ["Report generated", _real(report.generated) or report.generated_at],
            ["Time zone", report.time_zone],
            ["Status", report.status],
            ["Made final on", _real(report.final_when) or ""],
            ["Made final by", report.final_by],
            *([["Back to draft", report.draft_note]] if report.draft_note else []),
            ["Tables", len(report.tables)],
            ["Phones that joined", report.attendance_total],
            *[[f"Phones at {t['name']}", t["phones"]] for t in report.tables],
            ["People (as the tables said)", report.makeup.get("people", 0)],
            ["Sectors represented", ", ".join(report.makeup.get("covered", []))],
            ["Young people took part", report.makeup.get("young_people", "")],
            ["Parent carers took part", report.makeup.get("parent_carers", "")],
            ["Consensus confirmed", "yes" if report.confirmed else "not yet"],
            *[[f"Priority {i}", n] for i, n in enumerate((report.confirmed or {}).get("items", []), 1)],
            ["Redesign workshop", parse_day_text(report.redesign_date)],
        ],
    )
    out["Baseline"] = (
        ["Level", "Ref", "Principle", f"{BASELINE_LABEL} (1-4)", f"{AGREED_LABEL} (1-4)", "THRIVE-like (3 or more)",
         "Summary"],
        [
            [level["title"], p["ref"], p["name"], _score_cell(p["baseline_score"]), _score_cell(p["agreed_score"]),
             _thrive_like(p["thrive_like"]), p["summary"]]
            for level in report.levels
            for p in level["principles"]
        ],
    )
    out["Table rankings"] = (
        ["Table", "Agreed", "1", "2", "3", "4", "5"],
        [[r["table"], "yes" if r["agreed"] else "no", *(r["items"] + [""] * 5)[:5]] for r in report.table_rankings],
    )
    names = report.tally["table_names"]
    out["Tally"] = (
        ["Rank", "Shared rank", "Principle", "Points", "First places", "Tables that ranked it", "Tie settled by",
         *[f"Tables that put it {p}" for p in PLACES], *[f"Points from {n}" for n in names]],
        [
            [r["rank"], "yes" if r["shared"] else "no", r["principle"], _points(r["points"]), r["first_places"],
             r["tables_ranked"], r["settled_by"], *r["rank_counts"], *[_points(r["per_table"].get(n, 0)) for n in names]]
            for r in report.tally["rows"]
        ],
    )
    out["Methods"] = (
        ["Method", "1", "2", "3", "4", "5", "Differs from Borda", "What it would change"],
        [[m, *(top + [""] * 5)[:5], "yes" if m != "Borda count" and top != report.comparison.get("Borda count") else "no",
          next((d.split(": ", 1)[1] for d in report.disagreements if d.startswith(f"{m}: ")), "")]
         for m, top in report.comparison.items()],
    )
    out["Consensus"] = (
        ["Place", "Confirmed priority", "Tally's choice"],
        [[i + 1, item, (c["tally_items"] + [""] * 5)[i] if c else ""] for i, item in enumerate(c["items"] if c else [])]
        + ([["", "Changed by the room", "yes" if c["changed_by_room"] else "no"],
            ["", "How the tie was settled" if c["settled_tie"] else "The room's reason", c["reason_text"]],
            ["", "Note", c["note"]],
            ["", "Method", c["method"]], ["", "Confirmed at", _real(c["confirmed_when"]) or c["confirmed_at"]]] if c else [])
        + [["", "The tally's five", report.tally["five"]]]
        + [["", "How fifth place was settled", sentence] for sentence in report.settlement],
    )
    out["Gap analysis"] = (
        ["Priority", "Worksheet", *[CELL_LABELS[cell] for cell in CELLS]],
        [
            [g.name, sheet.label, *[sheet.cells[cell] for cell in CELLS]]
            for g in report.gap
            for sheet in ([g.consolidated] if g.consolidated else []) + g.tables
        ],
    )
    flags = report.plan_flags
    blank = [""] * 9
    out["Action plan"] = (
        ["Action", "Priority", "Recommendation", "Owner (role or organisation)", "Due", "Review", "Measure of success",
         "Status", "Overdue"],
        [[a["action"], a["priority"], a.get("recommendation", ""), a["owner"], _real(a["due_date"]) or a["due_text"],
          _real(a.get("review_date", "")), a.get("measure", ""), a["status"], "yes" if a.get("overdue") else ""]
         for a in report.actions]
        + [blank, ["Wider engagement", report.engagement_notes, *blank[2:]],
           ["Redesign workshop", parse_day_text(report.redesign_date), *blank[2:]],
           ["Priorities with no action", ", ".join(flags.get("unactioned", [])) or "none", *blank[2:]],
           [f"Actions overdue on {flags.get('today', '')}", flags.get("overdue", 0), *blank[2:]]],
    )
    out["Agenda"] = (
        ["Segment", "Kind", "Status", "Planned", "Actual", "Over (+) / under (-)", "Started", "Ended"],
        [
            [a["title"], a["kind"], a["status"], minutes(a["planned_seconds"]), minutes(a["actual_seconds"]),
             minutes(a["over_by_seconds"]), _real(a["started"]), _real(a["ended"])]
            for a in report.agenda
        ],
    )
    # Added for the board's report (issue 16): after the sheets above, whose order scripts may rely on.
    out["Priorities"] = (
        ["Place", "Priority", "Ref", "Level", BASELINE_LABEL, AGREED_LABEL, "First recommendation"],
        [[s["place"], s["name"], s["principle_id"], s["level"], _score_cell(s["baseline_score"]),
          _score_cell(s["agreed_score"]), s["recommendation"]] for s in report.summary],
    )
    out["Heat map"] = (
        ["Level", "Ref", "Principle", BASELINE_LABEL, AGREED_LABEL, "Score now (agreed today, else baseline)"],
        [
            [level["title"], p["ref"], p["name"], _score_cell(p["baseline_score"]), _score_cell(p["agreed_score"]),
             _score_cell(p["agreed_score"] if p["agreed_score"] is not None else p["baseline_score"])]
            for level in report.levels
            for p in level["principles"]
        ],
    )
    h2h = report.head_to_head
    out["Head-to-head"] = (
        ["Principle", *[f"against {n}" for n in h2h.get("names", [])]],
        [[n, *["" if cell is None else f"{cell[0]} to {cell[1]}" for cell in row]]
         for n, row in zip(h2h.get("names", []), h2h.get("matrix", []), strict=True)],
    )
    out["Report status"] = (
        ["State", "When", "By", "Why"],
        [[h["state"], _real(h["when"]), h["by"], h["because"]] for h in report.status_history],
    )
    # Last, so the files of the sets before keep their numbers.
    out["Table reasons"] = (["Table", "Place", "Principle", "Why it matters here"], reason_rows(report))
    # Added for issue 17, after the sets above.
    out["Method notes"] = (
        ["Part", "Table", "Note"],
        ([["Opening review of the top-line priorities", "", report.review_notes]] if report.review_notes else [])
        + [["Exercise 2: what the table said", n["table"], n["text"]] for n in report.share_notes],
    )
    principles = {p["id"]: p for p in report.principles}
    out["Priority context"] = (
        ["Priority", "Ref", "Level", BASELINE_LABEL, AGREED_LABEL, *[f"Description {n}" for n in range(1, 5)],
         "Target"],
        [
            [g.name, g.principle_id, p.get("level_title", ""), _score_cell(p.get("baseline_score")),
             _score_cell(p.get("agreed_score")), *(list(p.get("descriptors") or []) + [""] * 4)[:4],
             "Description 4 (the most THRIVE-like)" if p.get("descriptors") else ""]
            for g in report.gap
            for p in [principles.get(g.principle_id, {})]
        ],
    )
    # Added for issue 17, last for the same reason.
    out["Who took part"] = (
        ["Table", "People (as the table said)", "Phones that joined", "Sectors"],
        [[t["name"], t["people"] if t["people"] is not None else "not said", t["phones"], ", ".join(t["sectors"])]
         for t in report.makeup.get("tables", [])],
    )
    return out


def _score_cell(value: int | None) -> int | str:
    return value if value is not None else NOT_SCORED


def parse_day_text(text: str) -> dt.date | str:
    """Back from "12 May 2027" to a date, for spreadsheets; other text as it is."""
    try:
        return dt.datetime.strptime(text, "%d %B %Y").date()
    except ValueError:
        return text
