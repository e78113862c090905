"""Loading a workshop's rows, and the snapshot a client gets on connect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.ranking import capacity_for
from ..models import (
    Participant,
    PlanAction,
    Presence,
    Principle,
    Ranking,
    Segment,
    Worksheet,
    Workshop,
    WorkshopPlan,
    WorkshopTable,
)
from . import score_sections, sections
from .commands import Actor
from .errors import not_found


@dataclass
class WorkshopRows:
    workshop: Workshop
    principles: list[Principle]
    tables: list[WorkshopTable]
    rankings: dict[str, Ranking]
    segments: list[Segment]


async def load_principles(session: AsyncSession, workshop_id: str) -> list[Principle]:
    rows = await session.exec(
        select(Principle).where(Principle.workshop_id == workshop_id).order_by(Principle.position)
    )
    return list(rows)


async def load_tables(session: AsyncSession, workshop_id: str) -> list[WorkshopTable]:
    rows = await session.exec(
        select(WorkshopTable).where(WorkshopTable.workshop_id == workshop_id).order_by(WorkshopTable.position)
    )
    return list(rows)


async def load_rankings(session: AsyncSession, workshop_id: str) -> dict[str, Ranking]:
    rows = await session.exec(select(Ranking).where(Ranking.workshop_id == workshop_id))
    return {r.table_id: r for r in rows}


async def load_segments(session: AsyncSession, workshop_id: str) -> list[Segment]:
    rows = await session.exec(
        select(Segment).where(Segment.workshop_id == workshop_id).order_by(Segment.position)
    )
    return list(rows)


async def load_worksheets(session: AsyncSession, workshop_id: str) -> list[Worksheet]:
    rows = await session.exec(select(Worksheet).where(Worksheet.workshop_id == workshop_id))
    return sorted(rows, key=lambda w: (w.priority_id, w.table_id or "", w.id))


async def load_plan(session: AsyncSession, workshop_id: str) -> tuple[WorkshopPlan | None, list[PlanAction]]:
    plan = await session.get(WorkshopPlan, workshop_id)
    rows = await session.exec(
        select(PlanAction).where(PlanAction.workshop_id == workshop_id).order_by(PlanAction.position)
    )
    return plan, list(rows)


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
    rows = await session.exec(
        select(Presence.role, Presence.table_id).where(Presence.workshop_id == workshop_id)
    )
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


async def build_snapshot(session: AsyncSession, actor: Actor, now: float) -> dict[str, Any]:
    workshop = await session.get(Workshop, actor.workshop_id)
    if workshop is None:
        raise not_found("The workshop")
    rows = await load_rows(session, workshop)
    rankings = rows.rankings
    if actor.role == "participant":
        rankings = {k: v for k, v in rankings.items() if k == actor.table_id}
    me = None
    if actor.role == "participant":
        participant = await session.get(Participant, actor.participant_id)
        me = {
            "participant_id": actor.participant_id,
            "table_id": actor.table_id,
            "display_name": participant.display_name if participant else "",
        }
    return {
        "version": workshop.version,
        "server_now": now,
        "role": actor.role,
        # Which link this connection uses: a co-facilitator has the facilitator's role, not every power.
        "link": actor.principal,
        "me": me,
        "workshop": sections.workshop_section(workshop),
        "principles": [sections.principle_item(p) for p in rows.principles],
        "tables": [sections.table_item(t) for t in rows.tables],
        "capacity": capacity_for(len(rows.principles)),
        "agenda": sections.agenda_section(workshop, rows.segments),
        "rankings": {t: sections.ranking_section(r) for t, r in rankings.items()},
        "consensus": sections.consensus_for_role(
            workshop, rows.principles, rows.tables, rows.rankings, actor.role
        ),
        "display": sections.display_section(workshop),
        # In-app baseline scores (services.scores): the room's spread, or a phone's own table's scores.
        "scores": score_sections.scores_for(
            workshop, rows.principles, await score_sections.load_scores(session, workshop.id), actor.role,
            actor.table_id,
        ),
        "worksheets": worksheets_for(actor, await load_worksheets(session, workshop.id)),
        "plan": sections.plan_section(*(await load_plan(session, workshop.id))),
        # Phones do not show presence (and are not sent its updates).
        "presence": None if actor.role == "participant" else await presence_counts(session, workshop.id),
    }
