"""Exercise 3: the room's consensus top five: tally method, reveal, confirm and undo."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..broadcast import rooms
from ..domain import report_status
from ..domain.ranking import capacity_for
from ..domain.tally import METHODS
from .commands import Actor, Context, Payload, command
from .errors import invalid_payload, invalid_state, not_found
from .sections import consensus_sections, ordered_ids
from .state import load_rows, principle_order, ranking_rows, table_rows
from .worksheets import prepare_gap_analysis


async def publish_consensus(ctx: Context) -> None:
    """Mark the consensus section changed and send it: the full tally to facilitators, the rest per reveal."""
    await ctx.update_workshop(consensus_version=ctx.version)
    ws = ctx.workshop
    # Through ``statements``: agreeing runs in SQLite's thread (commands.command, ``statements_only``).
    full, others = consensus_sections(
        ws,
        await principle_order(ctx.session, ws.id),
        await table_rows(ctx.session, ws.id),
        await ranking_rows(ctx.session, ws.id),
    )
    if full is others:
        ctx.emit_to_everyone({"type": "consensus", "version": ctx.version, "consensus": full})
        return
    ctx.emit(
        {"type": "consensus", "version": ctx.version, "consensus": full}, [rooms.role(ws.id, "facilitator")]
    )
    ctx.emit(
        {"type": "consensus", "version": ctx.version, "consensus": others},
        [rooms.role(ws.id, "projector"), rooms.role(ws.id, "participant")],
    )


class SetMethod(Payload):
    method: Literal[METHODS]  # type: ignore[valid-type]


@command("consensus.set_method", roles={"facilitator"}, payload=SetMethod)
async def set_method(ctx: Context, actor: Actor, p: SetMethod):
    if ctx.workshop.tally_method == p.method:
        return None
    ctx.workshop.tally_method = p.method
    await publish_consensus(ctx)
    return None


class Reveal(Payload):
    revealed: bool


@command("consensus.reveal", roles={"facilitator"}, payload=Reveal)
async def reveal(ctx: Context, actor: Actor, p: Reveal):
    if ctx.workshop.results_revealed == p.revealed:
        return None
    ctx.workshop.results_revealed = p.revealed
    await publish_consensus(ctx)
    return None


class Confirm(Payload):
    items: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=5)
    note: str = Field(default="", max_length=report_status.MAX_NOTE)
    # How the room settled a tie across the cut (domain.report_status.TIE_REASONS); required when there is one.
    reason: str | None = Field(default=None, max_length=40)


@command("consensus.confirm", roles={"facilitator"}, payload=Confirm)
async def confirm(ctx: Context, actor: Actor, p: Confirm):
    ws = ctx.workshop
    rows = await load_rows(ctx.session, ws)
    known = {pr.principle_id for pr in rows.principles}
    for pid in p.items:
        if pid not in known:
            raise not_found(f"The principle {pid[:64]!r}")
    if len(set(p.items)) != len(p.items):
        raise invalid_payload("items: each principle may appear once.")
    needed = capacity_for(len(known))
    if len(p.items) != needed:
        raise invalid_payload(f"items: the consensus needs exactly {needed} principles.")
    full, _ = consensus_sections(ws, ordered_ids(rows.principles), rows.tables, rows.rankings)
    tally_items = full["tally"]["top"][:needed]
    if full["agreed_tables"] == 0:
        raise invalid_state("No table has agreed its top five yet.")
    settled_tie = full["tally"]["cut_tie"] is not None
    report_status.check_reason(p.reason, p.note, cut_tie=settled_tie)
    ws.confirmed = {
        "items": list(p.items),
        "tally_items": list(tally_items),
        "changed_by_room": list(p.items) != list(tally_items),
        "note": p.note,
        "reason": p.reason,
        "settled_tie": settled_tie,  # a tie straddled the cut and the room settled it
        "method": ws.tally_method,
        "confirmed_at": ctx.now,
    }
    await publish_consensus(ctx)
    # The second half follows: a gap-analysis segment and worksheets per agreed priority (services.worksheets).
    await prepare_gap_analysis(ctx, list(p.items))
    return {"confirmed": ws.confirmed}


class Unconfirm(Payload):
    pass


@command("consensus.unconfirm", roles={"facilitator"}, payload=Unconfirm)
async def unconfirm(ctx: Context, actor: Actor, p: Unconfirm):
    if ctx.workshop.confirmed is None:
        return None
    ctx.workshop.confirmed = None
    await publish_consensus(ctx)
    return None
