"""Loading a workshop's rows, and the snapshot a client gets on connect."""

from __future__ import annotations

import contextlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import statements
from ..domain.ranking import capacity_for
from ..models import (
    Participant,
    PlanAction,
    Presence,
    Principle,
    PrincipleScore,
    Ranking,
    Segment,
    TableReasons,
    Worksheet,
    Workshop,
    WorkshopPlan,
    WorkshopTable,
)
from . import notes, score_sections, sections
from .commands import Actor
from .errors import not_found


@dataclass
class WorkshopRows:
    workshop: Workshop
    principles: list[Principle]
    tables: list[WorkshopTable]
    rankings: dict[str, Ranking]
    segments: list[Segment]


# The loaders' statements are built once (a statement costs more CPU to build than SQLite takes to run it, and
# every connection's snapshot runs all of them); they take the workshop's id as a parameter.
_WORKSHOP_ID = bindparam("workshop_id")
_PRINCIPLES = select(Principle).where(Principle.workshop_id == _WORKSHOP_ID).order_by(Principle.position)
_TABLES = select(WorkshopTable).where(WorkshopTable.workshop_id == _WORKSHOP_ID).order_by(WorkshopTable.position)
_RANKINGS = select(Ranking).where(Ranking.workshop_id == _WORKSHOP_ID)
_SEGMENTS = select(Segment).where(Segment.workshop_id == _WORKSHOP_ID).order_by(Segment.position)
_WORKSHEETS = select(Worksheet).where(Worksheet.workshop_id == _WORKSHOP_ID)
_PLAN_ACTIONS = select(PlanAction).where(PlanAction.workshop_id == _WORKSHOP_ID).order_by(PlanAction.position)
_PRESENCE = select(Presence.role, Presence.table_id).where(Presence.workshop_id == _WORKSHOP_ID)


async def _load(session: AsyncSession, statement, workshop_id: str) -> list:
    return list(await session.exec(statement, params={"workshop_id": workshop_id}))


async def load_principles(session: AsyncSession, workshop_id: str) -> list[Principle]:
    return await _load(session, _PRINCIPLES, workshop_id)


# A workshop's principle ids are fixed when it is made (creation or a JSON import makes a new workshop; scoring
# changes a principle's scores, never its id or place), so every worker may keep them: edits check ids against
# them, and the consensus orders them, without a query. Bounded, oldest out; a deleted workshop's entry is never
# asked for again (ids are random).
_PRINCIPLE_IDS: OrderedDict[str, tuple[tuple[str, ...], frozenset[str]]] = OrderedDict()
PRINCIPLE_IDS_KEPT = 4096
_PRINCIPLE_ORDER = (
    select(Principle.principle_id).where(Principle.workshop_id == _WORKSHOP_ID).order_by(Principle.position)
)


async def _kept_principles(session: AsyncSession, workshop_id: str) -> tuple[tuple[str, ...], frozenset[str]]:
    kept = _PRINCIPLE_IDS.get(workshop_id)
    if kept is not None:
        with contextlib.suppress(KeyError):  # another thread (SQLite's: statements) may have dropped it
            _PRINCIPLE_IDS.move_to_end(workshop_id)
        return kept
    # Through ``statements``: a command run in SQLite's thread may be the first to ask.
    order = tuple(r[0] for r in await statements.all_rows(session, _PRINCIPLE_ORDER, {"workshop_id": workshop_id}))
    kept = (order, frozenset(order))
    if order:  # never remember a workshop that is not there (yet)
        _PRINCIPLE_IDS[workshop_id] = kept
        while len(_PRINCIPLE_IDS) > PRINCIPLE_IDS_KEPT:
            _PRINCIPLE_IDS.popitem(last=False)
    return kept


async def principle_ids(session: AsyncSession, workshop_id: str) -> frozenset[str]:
    """The workshop's principle ids (kept after the first read)."""
    return (await _kept_principles(session, workshop_id))[1]


async def principle_order(session: AsyncSession, workshop_id: str) -> tuple[str, ...]:
    """The workshop's principle ids in catalogue order (kept after the first read)."""
    return (await _kept_principles(session, workshop_id))[0]


async def load_tables(session: AsyncSession, workshop_id: str) -> list[WorkshopTable]:
    return await _load(session, _TABLES, workshop_id)


async def load_rankings(session: AsyncSession, workshop_id: str) -> dict[str, Ranking]:
    return {r.table_id: r for r in await _load(session, _RANKINGS, workshop_id)}


def _rows_of(model, *order_by):
    """All of a model's columns, for one workshop: read-only rows with the model's attribute names."""
    table = model.__table__
    return select(*table.columns).where(table.c.workshop_id == _WORKSHOP_ID).order_by(*order_by)


_TABLE_ROWS = _rows_of(WorkshopTable, WorkshopTable.position)
_RANKING_ROWS = _rows_of(Ranking)


async def table_rows(session: statements.Executor, workshop_id: str) -> list:
    """The workshop's tables in order, as read-only rows (through ``statements``)."""
    return await statements.all_rows(session, _TABLE_ROWS, {"workshop_id": workshop_id})


async def ranking_rows(session: statements.Executor, workshop_id: str) -> dict[str, Any]:
    """The workshop's rankings by table, as read-only rows (through ``statements``)."""
    return {r.table_id: r for r in await statements.all_rows(session, _RANKING_ROWS, {"workshop_id": workshop_id})}


async def load_segments(session: AsyncSession, workshop_id: str) -> list[Segment]:
    return await _load(session, _SEGMENTS, workshop_id)


_SEGMENT_ROWS = _rows_of(Segment, Segment.position)


async def segment_rows(session: statements.Executor, workshop_id: str) -> list:
    """The workshop's agenda in order, as read-only rows (through ``statements``)."""
    return await statements.all_rows(session, _SEGMENT_ROWS, {"workshop_id": workshop_id})


async def load_worksheets(session: AsyncSession, workshop_id: str) -> list[Worksheet]:
    rows = await _load(session, _WORKSHEETS, workshop_id)
    return sorted(rows, key=lambda w: (w.priority_id, w.table_id or "", w.id))


async def load_plan(session: AsyncSession, workshop_id: str) -> tuple[WorkshopPlan | None, list[PlanAction]]:
    plan = await session.get(WorkshopPlan, workshop_id)
    return plan, await _load(session, _PLAN_ACTIONS, workshop_id)


def reasons_for(actor: Actor, tables: list, rows: list) -> dict[str, Any]:
    """Who sees which table's reasons (docs/protocol.md, "Reasons"): a phone its own table's, with the Yjs state;
    the projector every table's as text; facilitators every table's with state. Every table has an entry."""
    by_table = {r.table_id: r for r in rows}
    shown: dict[str, Any] = {}
    for t in tables:
        if actor.role == "participant" and t.id != actor.table_id:
            continue
        shown[t.id] = sections.reasons_with_state(t.id, by_table.get(t.id), actor.role != "projector")
    return shown


def worksheets_for(actor: Actor, worksheets: list[Worksheet]) -> dict[str, Any]:
    """Who sees which worksheet (docs/protocol.md, "Worksheets"): a phone its own table's, with the Yjs state,
    and the consolidated ones as text; the projector every one as text; facilitators every one with state."""
    shown: dict[str, Any] = {}
    for w in worksheets:
        if actor.role == "participant":
            if w.table_id == actor.table_id:
                shown[w.id] = sections.worksheet_with_state(w, True)
            elif w.table_id is None:
                shown[w.id] = sections.worksheet_with_state(w, False)
        else:
            shown[w.id] = sections.worksheet_with_state(w, actor.role == "facilitator")
    return shown


async def load_rows(session: AsyncSession, workshop: Workshop) -> WorkshopRows:
    return WorkshopRows(
        workshop=workshop,
        principles=await load_principles(session, workshop.id),
        tables=await load_tables(session, workshop.id),
        rankings=await load_rankings(session, workshop.id),
        segments=await load_segments(session, workshop.id),
    )


async def presence_counts(session: AsyncSession, workshop_id: str) -> dict[str, Any]:
    return _count_presence(await _load(session, _PRESENCE, workshop_id))


def _count_presence(rows) -> dict[str, Any]:
    tables: dict[str, int] = {}
    facilitators = projectors = 0
    for role, table_id in rows:
        if role == "participant" and table_id is not None:
            tables[table_id] = tables.get(table_id, 0) + 1
        elif role == "facilitator":
            facilitators += 1
        elif role == "projector":
            projectors += 1
    return {"tables": tables, "facilitators": facilitators, "projectors": projectors}


# A snapshot reads rows, not ORM objects, through ``statements``: on SQLite the whole snapshot is one trip to
# SQLite's thread. Every connection gets one, so a room joining at once builds a thousand of them.
_SNAPSHOT_WORKSHOP = select(*Workshop.__table__.columns).where(Workshop.__table__.c.id == _WORKSHOP_ID)
_SNAPSHOT_PRINCIPLES = _rows_of(Principle, Principle.position)
_SNAPSHOT_SCORES = _rows_of(PrincipleScore, PrincipleScore.principle_id, PrincipleScore.scorer)
_SNAPSHOT_WORKSHEETS = _rows_of(Worksheet)
_SNAPSHOT_PLAN = _rows_of(WorkshopPlan)
_SNAPSHOT_REASONS = _rows_of(TableReasons, TableReasons.table_id)
_SNAPSHOT_PLAN_ACTIONS = _rows_of(PlanAction, PlanAction.position)
_SNAPSHOT_PARTICIPANT = select(Participant.__table__.c.display_name).where(
    Participant.__table__.c.id == bindparam("participant_id")
)


async def build_snapshot(session: statements.Executor, actor: Actor, now: float) -> dict[str, Any]:
    """What a client holds (docs/protocol.md), read afresh in one go (on SQLite one call, ``in_database_thread``).
    For the rarer callers (a resync after Redis came back, the sample report): on PostgreSQL their session reads
    under READ COMMITTED, so what they read is never kept for others (``read_snapshot``)."""
    return await statements.in_database_thread(session, _fresh_snapshot, session, actor, now)


# A phone's snapshot is its table's, the same for every phone at the table, but for ``me``, ``server_now`` and
# ``link``; and it changes only with the workshop's version: every write to what it shows is a command, which
# bumps the version in the same transaction (``commands``), and a read sees one moment (``statements.read``), so
# the version it reads is the version of everything else it reads. So each worker keeps, per table, the last
# version's snapshot, as JSON (a fresh copy for each phone, nothing shared to change by mistake, ~6 KB a table):
# a room joining at once reads two rows a phone, not a dozen. Presence (which changes without a version) is not
# in a phone's snapshot; consoles and projectors, which show it, are not kept. Bounded, oldest out.
_PHONE_SNAPSHOTS: OrderedDict[tuple[str, str], tuple[int, str]] = OrderedDict()
PHONE_SNAPSHOTS_KEPT = 4096
_PER_PHONE = ("me", "server_now", "link")
# The test suite sets it (tests/conftest.py): every snapshot served from what was kept is checked against one
# read afresh, so a write that forgets the version fails whatever test makes it.
CHECK_KEPT_SNAPSHOTS = os.environ.get("THRIVE_CHECK_KEPT_SNAPSHOTS") == "1"


class KeptSnapshotDiffers(AssertionError):
    """A phone's kept snapshot differs from the one read afresh at the same version (only with the check on)."""


async def _me(session: statements.Executor, actor: Actor) -> dict[str, Any]:
    participant = await statements.first(session, _SNAPSHOT_PARTICIPANT, {"participant_id": actor.participant_id})
    return {
        "participant_id": actor.participant_id,
        "table_id": actor.table_id,
        "display_name": participant.display_name if participant else "",
    }


async def _workshop_row(session: statements.Executor, actor: Actor):
    workshop = await statements.first(session, _SNAPSHOT_WORKSHOP, {"workshop_id": actor.workshop_id})
    if workshop is None:
        raise not_found("The workshop")
    return workshop


async def _fresh_snapshot(session: statements.Executor, actor: Actor, now: float) -> dict[str, Any]:
    return await _snapshot_of(session, actor, now, await _workshop_row(session, actor))


async def read_snapshot(session: statements.Executor, actor: Actor, now: float) -> dict[str, Any]:
    """The same, on a connection of ``statements.read`` (one read-only transaction that sees one moment, which
    is what lets a phone's snapshot be kept per version and served from what was kept: above)."""
    workshop = await _workshop_row(session, actor)
    if actor.role != "participant":
        return await _snapshot_of(session, actor, now, workshop)
    key = (actor.workshop_id, actor.table_id)
    kept = _PHONE_SNAPSHOTS.get(key)
    if kept is None or kept[0] != workshop.version:
        snapshot = await _snapshot_of(session, actor, now, workshop)
        shared = {k: v for k, v in snapshot.items() if k not in _PER_PHONE}
        _PHONE_SNAPSHOTS[key] = (workshop.version, json.dumps(shared))
        while len(_PHONE_SNAPSHOTS) > PHONE_SNAPSHOTS_KEPT:
            _PHONE_SNAPSHOTS.popitem(last=False)
        return snapshot
    with contextlib.suppress(KeyError):  # another thread (SQLite's) may have dropped it
        _PHONE_SNAPSHOTS.move_to_end(key)
    snapshot = {**json.loads(kept[1]), "server_now": now, "link": actor.principal, "me": await _me(session, actor)}
    if CHECK_KEPT_SNAPSHOTS:
        fresh = json.loads(json.dumps(await _snapshot_of(session, actor, now, workshop)))
        if fresh != snapshot:
            raise KeptSnapshotDiffers(
                f"a phone's kept snapshot of version {workshop.version} differs from a fresh one in "
                f"{sorted(k for k in fresh if fresh.get(k) != snapshot.get(k))}: a write that left the version alone?"
            )
    return snapshot


async def _snapshot_of(session: statements.Executor, actor: Actor, now: float, workshop) -> dict[str, Any]:
    ids = {"workshop_id": actor.workshop_id}
    principles = await statements.all_rows(session, _SNAPSHOT_PRINCIPLES, ids)
    tables = await table_rows(session, actor.workshop_id)
    all_rankings = await ranking_rows(session, actor.workshop_id)
    rankings = all_rankings
    me = None
    if actor.role == "participant":
        rankings = {k: v for k, v in all_rankings.items() if k == actor.table_id}
        me = await _me(session, actor)
    segments = await segment_rows(session, actor.workshop_id)
    scores = await statements.all_rows(session, _SNAPSHOT_SCORES, ids)
    worksheets = sorted(
        await statements.all_rows(session, _SNAPSHOT_WORKSHEETS, ids),
        key=lambda w: (w.priority_id, w.table_id or "", w.id),
    )
    reasons = await statements.all_rows(session, _SNAPSHOT_REASONS, ids)
    plan = await statements.first(session, _SNAPSHOT_PLAN, ids)
    actions = await statements.all_rows(session, _SNAPSHOT_PLAN_ACTIONS, ids)
    # Phones do not show presence (and are not sent its updates).
    presence = None
    if actor.role != "participant":
        presence = _count_presence(await statements.all_rows(session, _PRESENCE, ids))
    # The facilitators' working notes (services.notes): theirs only.
    notes_section = None
    if actor.role == "facilitator":
        note_rows = await statements.all_rows(session, notes.NOTE_ROWS, ids)
        notes_section = notes.notes_section(note_rows, [t.id for t in tables])
    return {
        "version": workshop.version,
        "server_now": now,
        "role": actor.role,
        # Which link this connection uses: a co-facilitator has the facilitator's role, not every power.
        "link": actor.principal,
        "me": me,
        "workshop": sections.workshop_section(workshop),
        "principles": [sections.principle_item(p) for p in principles],
        "tables": [sections.table_item(t) for t in tables],
        "capacity": capacity_for(len(principles)),
        "agenda": sections.agenda_section(workshop, segments),
        "rankings": {t: sections.ranking_section(r) for t, r in rankings.items()},
        "consensus": sections.consensus_for_role(
            workshop, sections.ordered_ids(principles), tables, all_rankings, actor.role
        ),
        "display": sections.display_section(workshop),
        # In-app baseline scores (services.scores): the room's spread, or a phone's own table's scores.
        "scores": score_sections.scores_for(workshop, principles, scores, actor.role, actor.table_id),
        "worksheets": worksheets_for(actor, worksheets),
        # Each table's reasons for its five (services.reasons).
        "reasons": reasons_for(actor, tables, reasons),
        "plan": sections.plan_section(workshop, plan, actions),
        "makeup": sections.makeup_section(workshop, tables),
        "presence": presence,
        # The report's state (draft or final): facilitators only, else null.
        "report": sections.report_for_role(workshop, actor.role),
        "notes": notes_section,
    }
