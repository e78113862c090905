"""Exercise 1: each table's shared top five. Edits race; they are applied one at a time per workshop."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import bindparam, select

from .. import statements
from ..broadcast import rooms
from ..domain import ranking as rules
from ..domain.errors import Conflict
from ..models import Ranking, WorkshopTable
from .commands import Actor, Context, Payload, ReadAhead, command
from .consensus import publish_consensus
from .errors import CommandError, forbidden, invalid_payload, not_found
from .sections import ranking_section, workshop_section
from .state import principle_ids

PrincipleId = str


class _TablePayload(Payload):
    table_id: str | None = Field(default=None, max_length=32)
    base_revision: int = Field(ge=0, le=1_000_000_000)


class EditRanking(_TablePayload):
    op: Literal["add", "remove", "move", "replace"]
    principle_id: PrincipleId | None = Field(default=None, min_length=1, max_length=64)
    index: int | None = Field(default=None, ge=0, le=100)
    to_index: int | None = Field(default=None, ge=0, le=100)
    items: list[PrincipleId] | None = Field(default=None, max_length=60)

    @model_validator(mode="after")
    def _fields_fit_the_op(self):
        needs_principle = self.op in ("add", "remove", "move")
        if needs_principle and self.principle_id is None:
            raise ValueError(f"'{self.op}' needs principle_id")
        if self.op == "move" and self.to_index is None:
            raise ValueError("'move' needs to_index")
        if self.op == "replace" and self.items is None:
            raise ValueError("'replace' needs items")
        if self.items is not None and any(not (1 <= len(i) <= 64) for i in self.items):
            raise ValueError("items: ids are 1 to 64 characters")
        return self

    def to_edit(self) -> rules.Edit:
        if self.op == "add":
            return rules.Add(self.principle_id, self.index)
        if self.op == "remove":
            return rules.Remove(self.principle_id)
        if self.op == "move":
            return rules.Move(self.principle_id, self.to_index)
        return rules.Replace(tuple(self.items))


class AgreeRanking(_TablePayload):
    pass


class ReopenRanking(_TablePayload):
    pass


async def target_table(
    ctx: Context, actor: Actor, requested: str | None, refusal: str = "You can only change your own table's top five."
) -> str:
    """Participants act on their own table only; facilitators name one."""
    if actor.role == "participant":
        if requested is not None and requested != actor.table_id:
            raise forbidden(refusal)
        return actor.table_id
    if requested is None:
        raise invalid_payload("table_id: required")
    table = await statements.first(ctx.session, _READ_TABLE, {"table_id": requested})
    if table is None or table.workshop_id != ctx.workshop.id:
        raise not_found("That table")
    return requested


_READ_TABLE = select(WorkshopTable.__table__.c.workshop_id).where(
    WorkshopTable.__table__.c.id == bindparam("table_id")
)
# Rankings are read and written with prebuilt Core statements, not the ORM: edits are the commands a room sends
# most, and loading, tracking and flushing an ORM object cost more than the statements themselves.
_RANKINGS = Ranking.__table__
_READ_RANKING = select(_RANKINGS).where(
    _RANKINGS.c.table_id == bindparam("table_id"), _RANKINGS.c.workshop_id == bindparam("workshop_id")
)
_WRITE_RANKING = (
    _RANKINGS.update()
    .where(_RANKINGS.c.table_id == bindparam("row_table_id"))
    .values(
        items=bindparam("new_items"),
        revision=bindparam("new_revision"),
        agreed=bindparam("new_agreed"),
        agreed_at=bindparam("new_agreed_at"),
        updated_at=bindparam("new_updated_at"),
        version=bindparam("new_version"),
    )
)


def _own_table(actor: Actor, _payload) -> dict | None:
    """A phone's ranking commands are about its own table's ranking: read it ahead (``commands.ReadAhead``)."""
    if actor.role != "participant" or actor.table_id is None:
        return None
    return {"table_id": actor.table_id, "workshop_id": actor.workshop_id}


_OWN_RANKING = ReadAhead(_READ_RANKING, _own_table)


def _ranking_command(name: str, payload: type[Payload]):
    """A table's ranking command: phones (their own table) and facilitators (any), statements only."""
    return command(
        name, roles={"participant", "facilitator"}, payload=payload, statements_only=True, read_ahead=_OWN_RANKING
    )


async def _ranking_for(ctx: Context, table_id: str):
    """The ranking row as stored: a read-only row of ``Ranking``'s columns (``statements``)."""
    if ctx.ahead is not None and ctx.ahead.table_id == table_id:
        return ctx.ahead
    row = await statements.first(
        ctx.session, _READ_RANKING, {"table_id": table_id, "workshop_id": ctx.workshop.id}
    )
    if row is None:
        raise not_found("That table")
    return row


async def _principle_ids(ctx: Context) -> frozenset[str]:
    return await principle_ids(ctx.session, ctx.workshop.id)


def _refuse_when_locked(ctx: Context) -> None:
    if ctx.workshop.rankings_locked:
        raise CommandError("rankings_locked", "The facilitator has locked the rankings for now.", status=409)


def _as_domain(r) -> rules.Ranking:
    return rules.Ranking(items=tuple(r.items), revision=r.revision, agreed=r.agreed)


async def _store(ctx: Context, row, new: rules.Ranking, *, last: bool = False):
    """Write the ranking. ``last``: the handler reads nothing more after it (an edit), so it may go with the
    command's record (``Context.write_last``); agreeing and reopening read every ranking back for the tally."""
    if new.agreed:
        agreed_at = row.agreed_at if row.agreed else ctx.now
    else:
        agreed_at = None
    stored = row._replace(
        items=list(new.items),
        revision=new.revision,
        agreed=new.agreed,
        agreed_at=agreed_at,
        updated_at=ctx.now,
        version=ctx.version,
    )
    values = {
        "row_table_id": row.table_id,
        "new_items": stored.items,
        "new_revision": stored.revision,
        "new_agreed": stored.agreed,
        "new_agreed_at": stored.agreed_at,
        "new_updated_at": stored.updated_at,
        "new_version": stored.version,
    }
    if last:
        ctx.write_last(_WRITE_RANKING, values)
    else:
        await statements.execute(ctx.session, _WRITE_RANKING, values)
        ctx.mark_changed()
    ctx.emit(
        {"type": "ranking", "version": ctx.version, "ranking": ranking_section(stored)},
        [
            rooms.table(ctx.workshop.id, row.table_id),
            rooms.role(ctx.workshop.id, "facilitator"),
            rooms.role(ctx.workshop.id, "projector"),
        ],
    )
    return stored


@_ranking_command("ranking.edit", EditRanking)
async def edit_ranking(ctx: Context, actor: Actor, p: EditRanking):
    table_id = await target_table(ctx, actor, p.table_id)
    _refuse_when_locked(ctx)
    row = await _ranking_for(ctx, table_id)
    ids = await _principle_ids(ctx)
    try:
        outcome = rules.apply_edit(
            _as_domain(row), p.to_edit(), p.base_revision, ids, rules.capacity_for(len(ids))
        )
    except Conflict as exc:
        raise CommandError(
            "conflict", exc.message, status=409, extra={"ranking": ranking_section(row)}
        ) from None
    if outcome.changed:
        row = await _store(ctx, row, outcome.ranking, last=True)
    return {"ranking": ranking_section(row), "changed": outcome.changed, "rebased": outcome.rebased}


def _check_revision(row, base_revision: int) -> None:
    if base_revision != row.revision:
        raise CommandError(
            "conflict",
            "Your table's list changed a moment ago. Have another look, then try again.",
            status=409,
            extra={"ranking": ranking_section(row)},
        )


@_ranking_command("ranking.agree", AgreeRanking)
async def agree_ranking(ctx: Context, actor: Actor, p: AgreeRanking):
    table_id = await target_table(ctx, actor, p.table_id)
    _refuse_when_locked(ctx)
    row = await _ranking_for(ctx, table_id)
    if row.agreed:  # a second tap, or a resend: already done
        return {"ranking": ranking_section(row)}
    # Agreeing is about the exact list people looked at: never agree a list that changed under them.
    _check_revision(row, p.base_revision)
    ids = await _principle_ids(ctx)
    row = await _store(ctx, row, rules.agree(_as_domain(row), rules.capacity_for(len(ids))))
    await publish_consensus(ctx)
    return {"ranking": ranking_section(row)}


@_ranking_command("ranking.reopen", ReopenRanking)
async def reopen_ranking(ctx: Context, actor: Actor, p: ReopenRanking):
    table_id = await target_table(ctx, actor, p.table_id)
    _refuse_when_locked(ctx)
    row = await _ranking_for(ctx, table_id)
    if not row.agreed:
        return {"ranking": ranking_section(row)}
    row = await _store(ctx, row, rules.reopen(_as_domain(row)))
    await publish_consensus(ctx)
    return {"ranking": ranking_section(row)}


__all__ = ["AgreeRanking", "EditRanking", "LockRankings", "ReopenRanking"]


class LockRankings(Payload):
    locked: bool


@command("rankings.lock", roles={"facilitator"}, payload=LockRankings)
async def lock_rankings(ctx: Context, actor: Actor, p: LockRankings):
    ws = ctx.workshop
    if ws.rankings_locked == p.locked:
        return None
    ws.rankings_locked = p.locked
    ws.workshop_version = ctx.version
    ctx.emit_to_everyone({"type": "workshop", "version": ctx.version, "workshop": workshop_section(ws)})
    return None
