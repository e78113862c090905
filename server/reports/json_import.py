"""What a workshop export must be for this server to take it (``POST /api/workshops/import``).

The same bounds as the live commands and the set-up form: five per ranking, known principles and tables, finite
times, the same text limits, the agenda's timer rules, the table and participant caps. Whatever passes here can
be snapshotted by every role and rendered in every report format (tests/untrusted/test_import_property.py).

Pure (pydantic, the domain rules, pycrdt for worksheet documents): the server runs ``canonical_export`` on the
raw bytes in a parser child (``server.untrusted``), and checks its answer again with ``parse_export`` before
anything is stored.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from ..domain import plan as plan_rules
from ..domain import reasons as reason_rules
from ..domain import report_status
from ..domain import worksheet as doc_rules
from ..domain.agenda import (
    MAX_INSTRUCTIONS_CHARS,
    MAX_PLANNED_SECONDS,
    MAX_TITLE_CHARS,
    SEGMENT_KINDS,
    TIMER_STATUSES,
)
from ..domain.errors import DomainError
from ..domain.ranking import MAX_CAPACITY, capacity_for
from ..domain.report_status import TIE_REASONS
from ..domain.room import MAX_PARTICIPANTS_PER_TABLE, MAX_TABLES
from ..domain.tally import METHODS
from ..json_input import load_json
from ..services.display import MAX_DISPLAY_PAGE
from ..services.errors import CommandError
from ..text import CleanedModel

FORMAT = "thrive-workshop-export"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 16 * 1024 * 1024
MAX_PRINCIPLES = 60
MAX_SEGMENTS = 60
MAX_ACTIONS = 200
MAX_REVISION = 2**31 - 1
DISPLAY_MODES = ("auto", "join", "rankings", "table", "tally", "final", "worksheet", "answers", "plan", "heatmap")
PRINCIPLE_ID = r"^[A-Za-z0-9_.-]{1,64}$"

# Times are UNIX seconds: finite, and between 1970 and the year 5000 (no Infinity, no 1e308).
Time = Annotated[float, Field(ge=0, le=1e11)]
Seconds = Annotated[float, Field(ge=-1e7, le=1e7)]
PrincipleId = Annotated[str, Field(pattern=PRINCIPLE_ID)]


class _In(CleanedModel):
    # Unknown fields (a newer version's) are dropped, never stored; numbers must be finite.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class ConfirmedIn(_In):
    items: list[PrincipleId] = Field(min_length=1, max_length=MAX_CAPACITY)
    tally_items: list[PrincipleId] = Field(default_factory=list, max_length=MAX_CAPACITY)
    changed_by_room: bool = False
    note: str = Field(default="", max_length=1000)
    reason: Literal[tuple(TIE_REASONS)] | None = None  # type: ignore[valid-type]
    settled_tie: bool = False
    method: Literal[METHODS] = "borda"  # type: ignore[valid-type]
    confirmed_at: Time | None = None

    @model_validator(mode="after")
    def _each_once(self):
        if len(set(self.items)) != len(self.items) or len(set(self.tally_items)) != len(self.tally_items):
            raise ValueError("each principle once")
        return self


class ReportHistoryIn(_In):
    state: Literal["draft", "final"]
    at: Time
    by: str = Field(max_length=16)
    because: Literal[report_status.MARKED_FINAL, report_status.RETURNED, report_status.CHANGED]
    what: str | None = Field(default=None, max_length=200)


class ReportStateIn(_In):
    """The report's state; an export from before it existed has none and imports as a draft."""

    final_at: Time | None = None
    final_by: Literal["facilitator", "cofacilitator", "system"] | None = None
    history: list[ReportHistoryIn] = Field(default_factory=list, max_length=report_status.HISTORY_KEPT)


class SectorOptionIn(_In):
    id: str = Field(pattern=plan_rules.SECTOR_ID.pattern)
    label: str = Field(min_length=1, max_length=plan_rules.MAX_SECTOR_LABEL)


class WorkshopIn(_In):
    title: str = Field(min_length=1, max_length=200)
    locality: str = Field(default="", max_length=200)
    created_at: Time
    rankings_locked: bool = False
    lock_on_timeout: bool = False
    tally_method: Literal[METHODS] = "borda"  # type: ignore[valid-type]
    results_revealed: bool = False
    confirmed: ConfirmedIn | None = None
    display_mode: Literal[DISPLAY_MODES] = "auto"  # type: ignore[valid-type]
    display_table: int | None = Field(default=None, ge=0, lt=MAX_TABLES)
    display_cell: Literal[doc_rules.CELLS] | None = None  # type: ignore[valid-type]
    display_page: int | None = Field(default=None, ge=0, le=MAX_DISPLAY_PAGE)
    current_segment: int | None = Field(default=None, ge=0, lt=MAX_SEGMENTS)
    report: ReportStateIn | None = None
    # Exports before issue 17 have none: the default list.
    sector_options: list[SectorOptionIn] | None = Field(default=None, min_length=1, max_length=plan_rules.MAX_SECTORS)

    @model_validator(mode="after")
    def _sectors_once(self):
        if self.sector_options is not None:
            ids = [s.id for s in self.sector_options]
            labels = [s.label.casefold() for s in self.sector_options]
            if len(set(ids)) != len(ids) or len(set(labels)) != len(labels):
                raise ValueError("sector_options: each sector once")
        return self


class PrincipleIn(_In):
    """As ``services.workshops.PrincipleSpec`` (the set-up form), with its place and the room's agreed score."""

    principle_id: PrincipleId
    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(default="", max_length=500)
    level: Literal["macro", "meso", "micro"] | None = None
    baseline_score: int | None = Field(default=None, ge=1, le=4)
    agreed_score: int | None = Field(default=None, ge=1, le=4)
    position: int = Field(ge=0, le=1000)
    statement: str = Field(default="", max_length=2000)
    descriptors: list[Annotated[str, Field(max_length=1000)]] = Field(default_factory=list, max_length=4)
    notes: str = Field(default="", max_length=2000)
    key_principles: list[PrincipleId] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _four_or_none(self):
        if self.descriptors and len(self.descriptors) != 4:
            raise ValueError("descriptors: all four descriptions (1 to 4), or none")
        if len(set(self.key_principles)) != len(self.key_principles):
            raise ValueError("key_principles: each once")
        return self


class TableIn(_In):
    name: str = Field(min_length=1, max_length=60)
    participants: int = Field(default=0, ge=0, le=MAX_PARTICIPANTS_PER_TABLE)
    sectors: list[Annotated[str, Field(pattern=plan_rules.SECTOR_ID.pattern)]] = Field(
        default_factory=list, max_length=plan_rules.MAX_SECTORS
    )
    people: int | None = Field(default=None, ge=0, le=plan_rules.MAX_PEOPLE_PER_TABLE)


class RankingIn(_In):
    table: int = Field(ge=0, lt=MAX_TABLES)
    items: list[PrincipleId] = Field(max_length=MAX_CAPACITY)
    revision: int = Field(default=0, ge=0, le=MAX_REVISION)
    agreed: bool = False
    agreed_at: Time | None = None
    updated_at: Time | None = None


class SegmentIn(_In):
    kind: Literal[SEGMENT_KINDS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    instructions: str = Field(default="", max_length=MAX_INSTRUCTIONS_CHARS)
    subject: PrincipleId | None = None
    planned_seconds: int = Field(ge=0, le=MAX_PLANNED_SECONDS)
    status: Literal[TIMER_STATUSES] = "pending"  # type: ignore[valid-type]
    deadline: Time | None = None
    remaining_seconds: Seconds
    elapsed_seconds: Annotated[float, Field(ge=0, le=1e7)] = 0.0
    run_started_at: Time | None = None
    started_at: Time | None = None
    ended_at: Time | None = None

    @model_validator(mode="after")
    def _timer(self):
        # The agenda's rules (domain.agenda): a running timer has its deadline and run start; no other has.
        running = self.status == "running"
        if running != (self.deadline is not None) or running != (self.run_started_at is not None):
            raise ValueError("a running part has a deadline and a run start, and no other part has")
        return self


class WorksheetIn(_In):
    priority_id: PrincipleId
    table: int | None = Field(default=None, ge=0, lt=MAX_TABLES)
    text: dict[Literal[doc_rules.CELLS], Annotated[str, Field(max_length=doc_rules.MAX_CELL_CHARS)]] = Field(  # type: ignore[valid-type]
        default_factory=dict
    )
    state: str | None = Field(default=None, max_length=doc_rules.MAX_DOC_BYTES * 4 // 3 + 8)
    created_at: Time
    updated_at: Time | None = None


class ReasonsIn(_In):
    """A table's reasons (``domain.reasons``): the texts by principle id, and the Yjs document when exported."""

    table: int = Field(ge=0, lt=MAX_TABLES)
    text: dict[PrincipleId, Annotated[str, Field(max_length=reason_rules.MAX_REASON_CHARS)]] = Field(
        default_factory=dict, max_length=MAX_PRINCIPLES
    )
    state: str | None = Field(default=None, max_length=reason_rules.MAX_DOC_BYTES * 4 // 3 + 8)
    updated_at: Time | None = None


class ActionIn(_In):
    action: str = Field(min_length=1, max_length=500)
    priority_id: PrincipleId | None = None
    recommendation: str = Field(default="", max_length=plan_rules.MAX_RECOMMENDATION_CHARS)
    owner: str = Field(default="", max_length=120)
    # An ISO date; an older export's words ("spring") move to due_note, as migration 0007 moves stored ones.
    due: str = Field(default="", max_length=40)
    due_note: str = Field(default="", max_length=plan_rules.MAX_DUE_NOTE_CHARS)
    review: str = Field(default="", max_length=10)
    measure: str = Field(default="", max_length=500)
    status: Literal["not_started", "in_progress", "done"] = "not_started"
    created_at: Time
    updated_at: Time | None = None

    @model_validator(mode="after")
    def _dates(self):
        plan_rules.iso_or_empty(self.review)
        if self.due and plan_rules.iso_date(self.due) is None:
            due, note = plan_rules.split_due(self.due)
            self.due, self.due_note = due, self.due_note or note
        if self.recommendation and self.priority_id is None:
            raise ValueError("recommendation: an action with a recommendation names its priority")
        return self


class PlanIn(_In):
    engagement_notes: str = Field(default="", max_length=4000)
    redesign_date: str = Field(default="", max_length=10)
    tables_may_edit: bool = False
    actions: list[ActionIn] = Field(default_factory=list, max_length=MAX_ACTIONS)

    @model_validator(mode="after")
    def _date(self):
        if self.redesign_date and plan_rules.iso_date(self.redesign_date) is None:
            raise ValueError("redesign_date: a date as YYYY-MM-DD")
        return self


class NoteIn(_In):
    text: str = Field(default="", max_length=4000)
    updated_at: Time


class TableNoteIn(_In):
    table: int = Field(ge=0, lt=MAX_TABLES)
    text: str = Field(default="", max_length=2000)
    updated_at: Time


class NotesIn(_In):
    """The facilitators' notes (services.notes); exports made before them have none."""

    review: NoteIn | None = None
    tables: list[TableNoteIn] = Field(default_factory=list, max_length=MAX_TABLES)


class ExportIn(_In):
    format: Literal["thrive-workshop-export"]
    format_version: Literal[1]
    workshop: WorkshopIn
    principles: list[PrincipleIn] = Field(min_length=1, max_length=MAX_PRINCIPLES)
    tables: list[TableIn] = Field(min_length=1, max_length=MAX_TABLES)
    rankings: list[RankingIn] = Field(default_factory=list, max_length=MAX_TABLES)
    agenda: list[SegmentIn] = Field(default_factory=list, max_length=MAX_SEGMENTS)
    worksheets: list[WorksheetIn] = Field(default_factory=list, max_length=MAX_PRINCIPLES * (MAX_TABLES + 1))
    reasons: list[ReasonsIn] = Field(default_factory=list, max_length=MAX_TABLES)
    plan: PlanIn = Field(default_factory=PlanIn)
    notes: NotesIn = Field(default_factory=NotesIn)


def refused(field: str, detail: str) -> CommandError:
    return CommandError(
        "invalid_payload",
        f"This is not a workshop export this server can take ({field}: {detail}).",
        status=422,
        extra={"field": field, "detail": detail},
    )


def parse_export(raw: object) -> ExportIn:
    """The export, checked against every rule; ``invalid_payload`` with the field and detail otherwise."""
    if not isinstance(raw, dict):
        raise refused("export", "must be a JSON object")
    try:
        data = ExportIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))[:120] or "export"
        raise refused(where, str(first.get("msg", "invalid value")).removeprefix("Value error, ")[:200]) from None
    _check_references(data)
    return data


def _check_references(data: ExportIn) -> None:
    ids = [p.principle_id for p in data.principles]
    if len(set(ids)) != len(ids):
        raise refused("principles", "ids must be different")
    names = [t.name.casefold() for t in data.tables]
    if len(set(names)) != len(names):
        raise refused("tables", "names must be different")
    known, n_tables = set(ids), len(data.tables)
    full = capacity_for(len(ids))
    seen_tables: set[int] = set()
    for i, r in enumerate(data.rankings):
        where = f"rankings.{i}"
        if r.table >= n_tables or r.table in seen_tables:
            raise refused(f"{where}.table", "an unknown table, or a table ranked twice")
        seen_tables.add(r.table)
        if not set(r.items) <= known or len(set(r.items)) != len(r.items) or len(r.items) > full:
            raise refused(f"{where}.items", f"at most {full} of the workshop's principles, each once")
        if r.agreed and len(r.items) != full:
            raise refused(f"{where}.agreed", f"a table agrees a full top {full}")
    seen_sheets: set[tuple[str, int | None]] = set()
    for i, w in enumerate(data.worksheets):
        if (w.table is not None and w.table >= n_tables) or w.priority_id not in known:
            raise refused(f"worksheets.{i}", "names an unknown table or principle")
        if (w.priority_id, w.table) in seen_sheets:
            raise refused(f"worksheets.{i}", "a second worksheet for the same priority and table")
        seen_sheets.add((w.priority_id, w.table))
    seen_reasons: set[int] = set()
    for i, r in enumerate(data.reasons):
        if r.table >= n_tables or r.table in seen_reasons:
            raise refused(f"reasons.{i}.table", "an unknown table, or a table's reasons twice")
        seen_reasons.add(r.table)
        if not set(r.text) <= known:
            raise refused(f"reasons.{i}.text", "a reason names an unknown principle")
    for i, s in enumerate(data.agenda):
        if s.subject is not None and s.subject not in known:
            raise refused(f"agenda.{i}.subject", "not one of the principles")
    for i, a in enumerate(data.plan.actions):
        if a.priority_id is not None and a.priority_id not in known:
            raise refused(f"plan.actions.{i}.priority_id", "not one of the principles")
    noted: set[int] = set()
    for i, n in enumerate(data.notes.tables):
        if n.table >= n_tables or n.table in noted:
            raise refused(f"notes.tables.{i}.table", "an unknown table, or a table noted twice")
        noted.add(n.table)
    w = data.workshop
    sectors = {s["id"] for s in plan_rules.sector_options(
        [o.model_dump() for o in w.sector_options] if w.sector_options is not None else None)}
    for i, t in enumerate(data.tables):
        if not set(t.sectors) <= sectors or len(set(t.sectors)) != len(t.sectors):
            raise refused(f"tables.{i}.sectors", "sectors of the workshop's list, each once")
    if w.confirmed is not None:
        if not set(w.confirmed.items) | set(w.confirmed.tally_items) <= known:
            raise refused("workshop.confirmed", "names an unknown principle")
        if len(w.confirmed.items) != full:
            raise refused("workshop.confirmed.items", f"the consensus holds exactly {full} principles")
    if w.current_segment is not None and w.current_segment >= len(data.agenda):
        raise refused("workshop.current_segment", "there is no such part of the agenda")
    if w.display_table is not None and w.display_table >= n_tables:
        raise refused("workshop.display_table", "there is no such table")


def canonical_export(body: bytes) -> dict[str, Any]:
    """In the parser child: the raw body to a checked export whose worksheet documents are merged and whose
    cell texts are what the documents say. The serving process stores this after ``parse_export`` again."""
    data = parse_export(load_json(body, "The export"))
    for i, sheet in enumerate(data.worksheets):
        state, texts = _worksheet_state(sheet, i)
        sheet.state = doc_rules.b64encode(state)
        sheet.text = texts
    ids = [p.principle_id for p in data.principles]
    for i, reasons in enumerate(data.reasons):
        state = _reasons_state(reasons, ids, i)
        reasons.state = doc_rules.b64encode(state)
        reasons.text = reason_rules.texts_of(state, ids)
    dumped = data.model_dump(mode="json")
    _assert_finite(dumped)
    return dumped


def _worksheet_state(w: WorksheetIn, index: int) -> tuple[bytes, dict[str, str]]:
    """The stored document: the exported Yjs state when it is a valid worksheet, else one made from the text."""
    try:
        if w.state:
            merged = doc_rules.merge(None, doc_rules.b64decode(w.state, limit=doc_rules.MAX_DOC_BYTES))
            return merged.state, merged.texts
    except DomainError as exc:
        raise refused(f"worksheets.{index}.state", exc.message) from None
    state = doc_rules.new_document({cell: w.text.get(cell, "") for cell in doc_rules.CELLS})
    return state, doc_rules.texts_of(state)


def _reasons_state(r: ReasonsIn, ids: list[str], index: int) -> bytes:
    """A table's stored reasons: the exported document when it is a valid one, else one made from the texts."""
    try:
        if r.state:
            return reason_rules.merge(None, doc_rules.b64decode(r.state, limit=reason_rules.MAX_DOC_BYTES), ids).state
        return reason_rules.new_document(r.text, ids)
    except DomainError as exc:
        raise refused(f"reasons.{index}", exc.message) from None


def _assert_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise refused("export", "a number is not finite")
    if isinstance(value, dict):
        for v in value.values():
            _assert_finite(v)
    elif isinstance(value, list):
        for v in value:
            _assert_finite(v)
