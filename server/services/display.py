"""What the projector shows: following the agenda, or a view the facilitator picks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..models import WorkshopTable
from .commands import Actor, Context, Payload, command
from .errors import invalid_payload, not_found
from .sections import display_section

DISPLAY_MODES = ("auto", "join", "rankings", "table", "tally", "final")


class SetDisplay(Payload):
    mode: Literal[DISPLAY_MODES]  # type: ignore[valid-type]
    table_id: str | None = Field(default=None, max_length=32)


@command("display.set", roles={"facilitator"}, payload=SetDisplay)
async def set_display(ctx: Context, actor: Actor, p: SetDisplay):
    ws = ctx.workshop
    table_id = None
    if p.mode == "table":
        if p.table_id is None:
            raise invalid_payload("table_id: required when mode is 'table'")
        table = await ctx.session.get(WorkshopTable, p.table_id)
        if table is None or table.workshop_id != ws.id:
            raise not_found("That table")
        table_id = p.table_id
    if (ws.display_mode, ws.display_table_id) == (p.mode, table_id):
        return None
    ws.display_mode, ws.display_table_id = p.mode, table_id
    ws.display_version = ctx.version
    ctx.emit_to_everyone({"type": "display", "version": ctx.version, "display": display_section(ws)})
    return None
