"""In-app baseline scoring: the room (one score per table, or per person) scores each principle 1–4 on phones,
reading its four descriptions; the facilitator records the agreed score. Imported baseline scores stay as they
were: the two are kept apart and both shown.

Every change goes through the command bus and publishes the ``scores`` section after the commit
(``score_sections``): the room's spread to facilitators and the projector, a table's own scores to its phones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt
from sqlmodel import select

from ..broadcast import rooms
from ..models import Principle, PrincipleScore
from .commands import Actor, Context, Payload, command
from .errors import invalid_state, not_found
from .score_sections import KIND_FOR, load_scores, room_section, table_section
from .state import load_principles, load_tables


async def publish_scores(ctx: Context, table_ids: list[str] | None = None) -> None:
    """Send the room's view to facilitators and the projector, and each table's view to its phones (only the
    tables named, or all of them)."""
    ws = ctx.workshop
    await ctx.session.flush()
    principles = await load_principles(ctx.session, ws.id)
    scores = await load_scores(ctx.session, ws.id)
    room = room_section(ws, principles, scores)
    ctx.emit(
        {"type": "scores", "version": ctx.version, "scores": room},
        [rooms.role(ws.id, "facilitator"), rooms.role(ws.id, "projector")],
    )
    if table_ids is None:
        table_ids = [t.id for t in await load_tables(ctx.session, ws.id)]
    for table_id in table_ids:
        ctx.emit(
            {"type": "scores", "version": ctx.version, "scores": table_section(ws, principles, scores, table_id)},
            [rooms.table(ws.id, table_id)],
        )


async def _principle(ctx: Context, principle_id: str) -> Principle:
    rows = await ctx.session.exec(
        select(Principle).where(Principle.workshop_id == ctx.workshop.id, Principle.principle_id == principle_id)
    )
    principle = rows.first()
    if principle is None:
        raise not_found(f"The principle {principle_id[:64]!r}")
    return principle


class Configure(Payload):
    open: bool
    by: Literal["table", "person"] | None = None


@command("scores.configure", roles={"facilitator"}, payload=Configure)
async def configure(ctx: Context, actor: Actor, p: Configure):
    ws = ctx.workshop
    by = p.by or ws.scoring_by
    if (ws.scoring_open, ws.scoring_by) == (p.open, by):
        return None
    ws.scoring_open, ws.scoring_by = p.open, by
    ws.scores_version = ctx.version
    await publish_scores(ctx)
    return None


class SetScore(Payload):
    principle_id: str = Field(min_length=1, max_length=64)
    score: StrictInt | None = Field(ge=1, le=4)  # null takes the score back


@command("scores.set", roles={"participant"}, payload=SetScore)
async def set_score(ctx: Context, actor: Actor, p: SetScore):
    ws = ctx.workshop
    if not ws.scoring_open:
        raise invalid_state("Scoring isn't open just now: the facilitator opens it from the console.")
    await _principle(ctx, p.principle_id)
    kind = KIND_FOR[ws.scoring_by]
    scorer = f"table:{actor.table_id}" if kind == "table" else f"participant:{actor.participant_id}"
    row = await ctx.session.get(PrincipleScore, (ws.id, p.principle_id, scorer))
    if row is None:
        if p.score is None:
            return {"score": None}
        row = PrincipleScore(
            workshop_id=ws.id, principle_id=p.principle_id, scorer=scorer, kind=kind, table_id=actor.table_id,
            score=p.score, updated_at=ctx.now, version=ctx.version,
        )
        ctx.session.add(row)
    elif row.score == p.score and row.table_id == actor.table_id:
        return {"score": p.score}
    else:
        row.score, row.table_id, row.updated_at, row.version = p.score, actor.table_id, ctx.now, ctx.version
    await publish_scores(ctx, [actor.table_id])
    return {"score": p.score}


class AgreeScore(Payload):
    principle_id: str = Field(min_length=1, max_length=64)
    score: StrictInt | None = Field(ge=1, le=4)  # null clears the agreed score


@command("scores.agree", roles={"facilitator"}, payload=AgreeScore)
async def agree_score(ctx: Context, actor: Actor, p: AgreeScore):
    principle = await _principle(ctx, p.principle_id)
    if principle.agreed_score == p.score:
        return None
    principle.agreed_score = p.score
    ctx.workshop.scores_version = ctx.version
    await publish_scores(ctx)
    return None
