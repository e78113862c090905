"""What every report format says, assembled once from the workshop's rows (``assemble`` is pure), so the Word
document, the workbook, the CSV files, the printable page and the JSON export cannot disagree.

``datasets`` turns the report into named tables (headers + rows): the workbook's sheets and the CSV files.
Nothing here holds a token, a token hash, an address or a password; attendance is counted, never named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain import agenda as agenda_rules
from ..domain.worksheet import CELL_LABELS, CELLS
from ..models import (
    Participant,
    PlanAction,
    Principle,
    Ranking,
    Segment,
    Worksheet,
    Workshop,
    WorkshopPlan,
    WorkshopTable,
)
from ..services.sections import consensus_sections, ordered_ids
from ..text import clean_value

METHOD_NAMES = {"borda": "Borda count", "dowdall": "Dowdall", "count": "Count", "schulze": "Schulze"}
STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
SEGMENT_STATUS = {"pending": "Not started", "running": "Running", "paused": "Paused", "done": "Done", "skipped": "Skipped"}
SETTLED_BY = {
    "countback": "countback (more higher places)",
    "head_to_head": "head-to-head",
    "shared": "shared rank",
    "schulze": "Schulze strongest paths",
}


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
    date: str  # the workshop's date (ISO), from when it was created
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


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


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
            "settled_by": SETTLED_BY.get(r["settled_by"], r["settled_by"] or ""),
            "per_table": {table_names.get(t, t): pts for t, pts in r["per_table"].items()},
        }
        for r in tally["rows"]
    ]
    comparison = {METHOD_NAMES.get(m, m): [name(p) for p in top] for m, top in full["comparison"].items()}
    borda = full["comparison"].get("borda", [])
    disagreements = []
    for method, top in full["comparison"].items():
        if method != "borda" and top != borda:
            disagreements.append(
                f"{METHOD_NAMES.get(method, method)} gives {', '.join(name(p) for p in top)} "
                f"where Borda gives {', '.join(name(p) for p in borda)}."
            )
    confirmed = None
    if ws.confirmed:
        c = ws.confirmed
        confirmed = {
            "items": [name(p) for p in c.get("items", [])],
            "item_ids": list(c.get("items", [])),
            "tally_items": [name(p) for p in c.get("tally_items", [])],
            "changed_by_room": bool(c.get("changed_by_room")),
            "note": c.get("note", ""),
            "method": METHOD_NAMES.get(c.get("method"), c.get("method") or ""),
            "confirmed_at": _iso(c.get("confirmed_at")),
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
        agenda_rows.append(
            {
                "title": s.title,
                "kind": s.kind,
                "status": SEGMENT_STATUS.get(s.status, s.status),
                "planned_seconds": timer["planned_seconds"],
                "actual_seconds": round(timer["actual_seconds"], 1) if s.status != "pending" else None,
                "over_by_seconds": round(timer["over_by_seconds"], 1) if timer["over_by_seconds"] is not None else None,
                "started_at": _iso(s.started_at),
                "ended_at": _iso(s.ended_at),
            }
        )

    attendance = [{"name": t.name, "phones": rows.attendance.get(t.id, 0)} for t in tables]
    return ReportData(
        title=ws.title,
        locality=ws.locality,
        date=dt.datetime.fromtimestamp(ws.created_at, dt.UTC).date().isoformat(),
        generated_at=_iso(rows.now),
        tables=attendance,
        attendance_total=sum(a["phones"] for a in attendance),
        principles=[
            {
                "id": p.principle_id,
                "name": p.name,
                "summary": p.summary,
                "level": p.level or "",
                "baseline_score": p.baseline_score,
                "thrive_like": p.baseline_score is not None and p.baseline_score >= 3,
            }
            for p in sorted(rows.principles, key=lambda p: p.position)
        ],
        table_rankings=[
            {
                "table": t.name,
                "agreed": bool(rows.rankings.get(t.id) and rows.rankings[t.id].agreed),
                "items": [name(p) for p in (rows.rankings[t.id].items if t.id in rows.rankings else [])],
            }
            for t in tables
        ],
        tally={
            "method": METHOD_NAMES.get(tally["method"], tally["method"]),
            "method_label": tally["method_label"],
            "tie_break_rule": tally["tie_break_rule"],
            "ballot_count": tally["ballot_count"],
            "rows": tally_rows,
            "cut_tie": [name(p) for p in tally["cut_tie"]["principle_ids"]] if tally["cut_tie"] else None,
            "warnings": [w if isinstance(w, str) else str(w) for w in tally["warnings"]],
            "table_names": [t.name for t in tables],
        },
        comparison=comparison,
        disagreements=disagreements,
        confirmed=confirmed,
        gap=gap,
        actions=[
            {
                "action": a.action,
                "priority": name(a.priority_id) if a.priority_id else "",
                "owner": a.owner,
                "due": a.due,
                "status": STATUS_LABELS.get(a.status, a.status),
            }
            for a in sorted(rows.actions, key=lambda a: a.position)
        ],
        engagement_notes=rows.plan.engagement_notes if rows.plan else "",
        redesign_date=rows.plan.redesign_date if rows.plan else "",
        agenda=agenda_rows,
    )


def _cells(sheet: Worksheet | None) -> dict[str, str]:
    text = dict(sheet.text) if sheet else {}
    return {cell: str(text.get(cell, "")) for cell in CELLS}


def _points(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def datasets(report: ReportData) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The report as named tables: the workbook's sheets and the CSV files, in this order."""
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    out["Summary"] = (
        ["Item", "Value"],
        [
            ["Title", report.title],
            ["Locality", report.locality],
            ["Date", report.date],
            ["Report generated", report.generated_at],
            ["Tables", len(report.tables)],
            ["Phones that joined", report.attendance_total],
            *[[f"Phones at {t['name']}", t["phones"]] for t in report.tables],
            ["Consensus confirmed", "yes" if report.confirmed else "not yet"],
            *[[f"Priority {i}", n] for i, n in enumerate((report.confirmed or {}).get("items", []), 1)],
            ["Redesign workshop", report.redesign_date],
        ],
    )
    out["Baseline"] = (
        ["Principle", "Level", "Baseline score (1-4)", "THRIVE-like (3 or more)", "Summary"],
        [
            [p["name"], p["level"], p["baseline_score"] if p["baseline_score"] is not None else "",
             "yes" if p["thrive_like"] else "no", p["summary"]]
            for p in report.principles
        ],
    )
    out["Table rankings"] = (
        ["Table", "Agreed", "1", "2", "3", "4", "5"],
        [[r["table"], "yes" if r["agreed"] else "no", *(r["items"] + [""] * 5)[:5]] for r in report.table_rankings],
    )
    names = report.tally["table_names"]
    out["Tally"] = (
        ["Rank", "Shared rank", "Principle", "Points", "First places", "Tables that ranked it", "Tie settled by",
         *[f"Points from {n}" for n in names]],
        [
            [r["rank"], "yes" if r["shared"] else "no", r["principle"], _points(r["points"]), r["first_places"],
             r["tables_ranked"], r["settled_by"], *[_points(r["per_table"].get(n, 0)) for n in names]]
            for r in report.tally["rows"]
        ],
    )
    out["Methods"] = (
        ["Method", "1", "2", "3", "4", "5", "Differs from Borda"],
        [[m, *(top + [""] * 5)[:5], "yes" if m != "Borda count" and top != report.comparison.get("Borda count") else "no"]
         for m, top in report.comparison.items()],
    )
    c = report.confirmed
    out["Consensus"] = (
        ["Place", "Confirmed priority", "Tally's choice"],
        [[i + 1, item, (c["tally_items"] + [""] * 5)[i] if c else ""] for i, item in enumerate(c["items"] if c else [])]
        + ([["", "Changed by the room", "yes" if c["changed_by_room"] else "no"], ["", "Note", c["note"]],
            ["", "Method", c["method"]], ["", "Confirmed at", c["confirmed_at"]]] if c else []),
    )
    out["Gap analysis"] = (
        ["Priority", "Worksheet", *[CELL_LABELS[cell] for cell in CELLS]],
        [
            [g.name, sheet.label, *[sheet.cells[cell] for cell in CELLS]]
            for g in report.gap
            for sheet in ([g.consolidated] if g.consolidated else []) + g.tables
        ],
    )
    out["Action plan"] = (
        ["Action", "Priority", "Owner", "By when", "Status"],
        [[a["action"], a["priority"], a["owner"], a["due"], a["status"]] for a in report.actions]
        + [["", "", "", "", ""], ["Wider engagement", report.engagement_notes, "", "", ""],
           ["Redesign workshop", report.redesign_date, "", "", ""]],
    )
    out["Agenda"] = (
        ["Segment", "Kind", "Status", "Planned", "Actual", "Over (+) / under (-)", "Started", "Ended"],
        [
            [a["title"], a["kind"], a["status"], minutes(a["planned_seconds"]), minutes(a["actual_seconds"]),
             minutes(a["over_by_seconds"]), a["started_at"], a["ended_at"]]
            for a in report.agenda
        ],
    )
    return out
