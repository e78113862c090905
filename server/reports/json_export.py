"""Everything about a workshop as JSON, to keep or to import into another instance as a new workshop.

The export names no ids, tokens, token hashes, addresses or passwords: tables are referred to by their place,
segments by theirs. Importing it creates a workshop equal in content (the same export comes out again, but for
``exported_at``) with new ids, new tokens and a new join code. Participants come back as anonymous places that
nobody can log in with, so attendance is kept. Everything imported is checked as if typed in.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..domain import worksheet as doc_rules
from ..domain.agenda import SEGMENT_KINDS, TIMER_STATUSES
from ..domain.errors import DomainError
from ..domain.tally import METHODS
from ..models import (
    Participant,
    PlanAction,
    Principle,
    Ranking,
    Segment,
    Worksheet,
    WorkshopPlan,
    WorkshopTable,
)
from ..services import tokens
from ..services.errors import invalid_payload
from ..services.workshops import CreatedWorkshop, insert_workshop
from .data import ReportData, ReportRows, assemble

FORMAT = "thrive-workshop-export"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 16 * 1024 * 1024
DISPLAY_MODES = ("auto", "join", "rankings", "table", "tally", "final", "worksheet", "answers", "plan")


def _report_dict(report: ReportData) -> dict[str, Any]:
    return dataclasses.asdict(report)


def export(rows: ReportRows) -> dict[str, Any]:
    ws = rows.workshop
    tables = sorted(rows.tables, key=lambda t: t.position)
    place = {t.id: i for i, t in enumerate(tables)}
    segments = sorted(rows.segments, key=lambda s: s.position)
    segment_place = {s.id: i for i, s in enumerate(segments)}
    principle_fields = [f for f in Principle.model_fields if f not in ("pk", "workshop_id")]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": rows.now,
        "workshop": {
            "title": ws.title,
            "locality": ws.locality,
            "created_at": ws.created_at,
            "rankings_locked": ws.rankings_locked,
            "lock_on_timeout": ws.lock_on_timeout,
            "tally_method": ws.tally_method,
            "results_revealed": ws.results_revealed,
            "confirmed": ws.confirmed,
            "display_mode": ws.display_mode,
            "display_table": place.get(ws.display_table_id),
            "display_cell": ws.display_cell,
            "current_segment": segment_place.get(ws.current_segment_id),
        },
        "principles": [
            {f: getattr(p, f) for f in principle_fields}
            for p in sorted(rows.principles, key=lambda p: p.position)
        ],
        "tables": [{"name": t.name, "participants": rows.attendance.get(t.id, 0)} for t in tables],
        "rankings": [
            {
                "table": place[r.table_id],
                "items": list(r.items),
                "revision": r.revision,
                "agreed": r.agreed,
                "agreed_at": r.agreed_at,
                "updated_at": r.updated_at,
            }
            for r in sorted(rows.rankings.values(), key=lambda r: place.get(r.table_id, 0))
            if r.table_id in place
        ],
        "agenda": [
            {
                "kind": s.kind,
                "title": s.title,
                "instructions": s.instructions,
                "subject": s.subject,
                "planned_seconds": s.planned_seconds,
                "status": s.status,
                "deadline": s.deadline,
                "remaining_seconds": s.remaining_seconds,
                "elapsed_seconds": s.elapsed_seconds,
                "run_started_at": s.run_started_at,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
            }
            for s in segments
        ],
        "worksheets": [
            {
                "priority_id": w.priority_id,
                "table": place.get(w.table_id) if w.table_id is not None else None,
                "text": {cell: w.text.get(cell, "") for cell in doc_rules.CELLS},
                "state": doc_rules.b64encode(w.doc),
                "created_at": w.created_at,
                "updated_at": w.updated_at,
            }
            for w in sorted(
                rows.worksheets,
                key=lambda w: (w.priority_id, -1 if w.table_id is None else place.get(w.table_id, 10**6)),
            )
            if w.table_id is None or w.table_id in place
        ],
        "plan": {
            "engagement_notes": rows.plan.engagement_notes if rows.plan else "",
            "redesign_date": rows.plan.redesign_date if rows.plan else "",
            "tables_may_edit": bool(rows.plan and rows.plan.tables_may_edit),
            "actions": [
                {
                    "action": a.action,
                    "priority_id": a.priority_id,
                    "owner": a.owner,
                    "due": a.due,
                    "status": a.status,
                    "created_at": a.created_at,
                    "updated_at": a.updated_at,
                }
                for a in sorted(rows.actions, key=lambda a: a.position)
            ],
        },
        # The report as every other format says it (for readers of the JSON); ignored on import.
        "report": _report_dict(assemble(rows)),
    }


# --- import ------------------------------------------------------------------------------------------------


class _M(BaseModel):
    model_config = ConfigDict(extra="ignore")


Time = float | None


class WorkshopIn(_M):
    title: str = Field(min_length=1, max_length=200)
    locality: str = Field(default="", max_length=200)
    created_at: float
    rankings_locked: bool = False
    lock_on_timeout: bool = False
    tally_method: Literal[METHODS] = "borda"  # type: ignore[valid-type]
    results_revealed: bool = False
    confirmed: dict[str, Any] | None = None
    display_mode: Literal[DISPLAY_MODES] = "auto"  # type: ignore[valid-type]
    display_table: int | None = Field(default=None, ge=0, le=29)
    display_cell: Literal[doc_rules.CELLS] | None = None  # type: ignore[valid-type]
    current_segment: int | None = Field(default=None, ge=0, le=59)


class PrincipleIn(_M):
    principle_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(default="", max_length=500)
    level: Literal["macro", "meso", "micro"] | None = None
    baseline_score: int | None = Field(default=None, ge=1, le=4)
    position: int = Field(ge=0, le=1000)
    model_config = ConfigDict(extra="allow")  # fields another version adds (a statement, level texts)


class TableIn(_M):
    name: str = Field(min_length=1, max_length=60)
    participants: int = Field(default=0, ge=0, le=1000)


class RankingIn(_M):
    table: int = Field(ge=0, le=29)
    items: list[str] = Field(max_length=60)
    revision: int = Field(default=0, ge=0)
    agreed: bool = False
    agreed_at: Time = None
    updated_at: Time = None


class SegmentIn(_M):
    kind: Literal[SEGMENT_KINDS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=120)
    instructions: str = Field(default="", max_length=1000)
    subject: str | None = Field(default=None, max_length=64)
    planned_seconds: int = Field(ge=0, le=14400)
    status: Literal[TIMER_STATUSES] = "pending"  # type: ignore[valid-type]
    deadline: Time = None
    remaining_seconds: float
    elapsed_seconds: float = 0.0
    run_started_at: Time = None
    started_at: Time = None
    ended_at: Time = None


class WorksheetIn(_M):
    priority_id: str = Field(min_length=1, max_length=64)
    table: int | None = Field(default=None, ge=0, le=29)
    text: dict[str, str] = Field(default_factory=dict)
    state: str | None = Field(default=None, max_length=doc_rules.MAX_DOC_BYTES * 4 // 3 + 8)
    created_at: float
    updated_at: Time = None

    @field_validator("text")
    @classmethod
    def _cells(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) - set(doc_rules.CELLS) or any(
            len(v) > doc_rules.MAX_CELL_CHARS for v in value.values()
        ):
            raise ValueError("text: only the six cells, each at most 4000 characters")
        return value


class ActionIn(_M):
    action: str = Field(min_length=1, max_length=500)
    priority_id: str | None = Field(default=None, max_length=64)
    owner: str = Field(default="", max_length=120)
    due: str = Field(default="", max_length=40)
    status: Literal["not_started", "in_progress", "done"] = "not_started"
    created_at: float
    updated_at: Time = None


class PlanIn(_M):
    engagement_notes: str = Field(default="", max_length=4000)
    redesign_date: str = Field(default="", max_length=10)
    tables_may_edit: bool = False
    actions: list[ActionIn] = Field(default_factory=list, max_length=200)


class ExportIn(_M):
    format: Literal["thrive-workshop-export"]
    format_version: Literal[1]
    workshop: WorkshopIn
    principles: list[PrincipleIn] = Field(min_length=1, max_length=60)
    tables: list[TableIn] = Field(min_length=1, max_length=30)
    rankings: list[RankingIn] = Field(default_factory=list, max_length=30)
    agenda: list[SegmentIn] = Field(default_factory=list, max_length=60)
    worksheets: list[WorksheetIn] = Field(default_factory=list, max_length=60 * 31)
    plan: PlanIn = Field(default_factory=PlanIn)


def parse_export(raw: object) -> ExportIn:
    if not isinstance(raw, dict):
        raise invalid_payload("The export must be a JSON object.")
    try:
        data = ExportIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))[:120]
        raise invalid_payload(
            f"This is not a workshop export this server can read ({where}: {first.get('msg')})."
        ) from None
    ids = [p.principle_id for p in data.principles]
    if len(set(ids)) != len(ids):
        raise invalid_payload("principles: ids must be different")
    names = [t.name.casefold() for t in data.tables]
    if len(set(names)) != len(names):
        raise invalid_payload("tables: names must be different")
    known = set(ids)
    n_tables = len(data.tables)
    for r in data.rankings:
        if r.table >= n_tables or not set(r.items) <= known or len(set(r.items)) != len(r.items):
            raise invalid_payload("rankings: a ranking names an unknown table or principle")
    for w in data.worksheets:
        if (w.table is not None and w.table >= n_tables) or w.priority_id not in known:
            raise invalid_payload("worksheets: a worksheet names an unknown table or principle")
    for s in data.agenda:
        if s.subject is not None and s.subject not in known:
            raise invalid_payload("agenda: a segment's subject is not one of the principles")
    for a in data.plan.actions:
        if a.priority_id is not None and a.priority_id not in known:
            raise invalid_payload("plan: an action names an unknown principle")
    confirmed = data.workshop.confirmed
    if confirmed is not None and not (
        isinstance(confirmed.get("items"), list)
        and set(confirmed["items"]) <= known
        and set(confirmed.get("tally_items") or []) <= known
    ):
        raise invalid_payload("workshop.confirmed: names an unknown principle")
    if data.workshop.current_segment is not None and data.workshop.current_segment >= len(data.agenda):
        raise invalid_payload("workshop.current_segment: there is no such segment")
    return data


def _worksheet_state(w: WorksheetIn) -> tuple[bytes, dict[str, str]]:
    """The stored document: the exported Yjs state when it is a valid worksheet, else one made from the text."""
    try:
        if w.state:
            merged = doc_rules.merge(None, doc_rules.b64decode(w.state, limit=doc_rules.MAX_DOC_BYTES))
            return merged.state, merged.texts
    except DomainError:
        raise invalid_payload("worksheets: a worksheet's state is not a valid worksheet document") from None
    state = doc_rules.new_document({cell: w.text.get(cell, "") for cell in doc_rules.CELLS})
    return state, doc_rules.texts_of(state)


async def import_workshop(session, raw: object, now: float | None = None) -> CreatedWorkshop:
    data = parse_export(raw)
    now = time.time() if now is None else now
    w = data.workshop
    workshop, facilitator_token, projector_token = await insert_workshop(
        session,
        now,
        created_at=w.created_at,
        title=w.title,
        locality=w.locality,
        rankings_locked=w.rankings_locked,
        lock_on_timeout=w.lock_on_timeout,
        tally_method=w.tally_method,
        results_revealed=w.results_revealed,
        confirmed=w.confirmed,
        display_mode=w.display_mode,
        display_cell=w.display_cell,
    )
    table_ids = []
    for position, t in enumerate(data.tables):
        table = WorkshopTable(id=tokens.new_id(), workshop_id=workshop.id, name=t.name, position=position)
        table_ids.append(table.id)
        session.add(table)
        for _ in range(t.participants):
            # A place at the table with no credential: attendance is kept, nobody can log in with it.
            session.add(
                Participant(id=tokens.new_id(), workshop_id=workshop.id, table_id=table.id, created_at=now)
            )
    rankings = {r.table: r for r in data.rankings}
    for index, table_id in enumerate(table_ids):
        r = rankings.get(index)
        session.add(
            Ranking(
                table_id=table_id,
                workshop_id=workshop.id,
                items=list(r.items) if r else [],
                revision=r.revision if r else 0,
                agreed=r.agreed if r else False,
                agreed_at=r.agreed_at if r else None,
                updated_at=(r.updated_at if r else None) or now,
            )
        )
    principle_fields = set(Principle.model_fields) - {"pk", "workshop_id"}
    for p in data.principles:
        values = {k: v for k, v in p.model_dump().items() if k in principle_fields}
        session.add(Principle(workshop_id=workshop.id, **values))
    segment_ids = []
    for position, s in enumerate(data.agenda):
        segment = Segment(id=tokens.new_id(), workshop_id=workshop.id, position=position, **s.model_dump())
        segment_ids.append(segment.id)
        session.add(segment)
    if w.current_segment is not None:
        workshop.current_segment_id = segment_ids[w.current_segment]
    if w.display_table is not None and w.display_table < len(table_ids):
        workshop.display_table_id = table_ids[w.display_table]
    seen = set()
    for sheet in data.worksheets:
        key = (sheet.priority_id, sheet.table)
        if key in seen:
            raise invalid_payload("worksheets: two worksheets for the same priority and table")
        seen.add(key)
        state, text = _worksheet_state(sheet)
        session.add(
            Worksheet(
                id=tokens.new_id(),
                workshop_id=workshop.id,
                priority_id=sheet.priority_id,
                table_id=None if sheet.table is None else table_ids[sheet.table],
                doc=state,
                text=text,
                created_at=sheet.created_at,
                updated_at=sheet.updated_at,
            )
        )
    plan = data.plan
    if plan.redesign_date:
        import datetime as dt

        try:
            dt.date.fromisoformat(plan.redesign_date)
        except ValueError:
            raise invalid_payload("plan.redesign_date: a date as YYYY-MM-DD") from None
    session.add(
        WorkshopPlan(
            workshop_id=workshop.id,
            engagement_notes=plan.engagement_notes,
            redesign_date=plan.redesign_date,
            tables_may_edit=plan.tables_may_edit,
        )
    )
    for position, a in enumerate(plan.actions):
        session.add(
            PlanAction(id=tokens.new_id(), workshop_id=workshop.id, position=position, **a.model_dump())
        )
    await session.commit()
    return CreatedWorkshop(workshop, facilitator_token, projector_token)
