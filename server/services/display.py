"""What the projector shows: following the agenda, or a view the facilitator picks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..domain.worksheet import CELLS
from ..models import WorkshopTable
from .commands import Actor, Context, Payload, command
from .errors import invalid_payload, not_found
from .sections import display_section

# worksheet: one table's gap-analysis worksheet (table_id), or the consolidated one (table_id null);
# answers: every table's answer in one worksheet column (cell) side by side; plan: the action plan.
# heatmap: the baseline scores by level (services.scores).
DISPLAY_MODES = ("auto", "join", "rankings", "table", "tally", "final", "worksheet", "answers", "plan", "heatmap")


class SetDisplay(Payload):
    mode: Literal[DISPLAY_MODES]  # type: ignore[valid-type]
    table_id: str | None = Field(default=None, max_length=32)
    cell: Literal[CELLS] | None = None  # type: ignore[valid-type]


@command("display.set", roles={"facilitator"}, payload=SetDisplay)
async def set_display(ctx: Context, actor: Actor, p: SetDisplay):
    ws = ctx.workshop
    table_id = None
    cell = None
    if p.mode == "table" and p.table_id is None:
        raise invalid_payload("table_id: required when mode is 'table'")
    if p.mode in ("table", "worksheet") and p.table_id is not None:
        table = await ctx.session.get(WorkshopTable, p.table_id)
        if table is None or table.workshop_id != ws.id:
            raise not_found("That table")
        table_id = p.table_id
    if p.mode == "answers":
        cell = p.cell or "gaps"
    if (ws.display_mode, ws.display_table_id, ws.display_cell) == (p.mode, table_id, cell):
        return None
    # Another view starts at its first page, turning by itself.
    ws.display_mode, ws.display_table_id, ws.display_cell, ws.display_page = p.mode, table_id, cell, None
    _changed(ctx)
    return None


def _changed(ctx: Context) -> None:
    ws = ctx.workshop
    ws.display_version = ctx.version
    ctx.emit_to_everyone({"type": "display", "version": ctx.version, "display": display_section(ws)})


# Long answers side by side, a worksheet, a long plan or a long tally are cut into pages on the projector (at
# 1920×1080, so only the projector knows how many). By themselves they turn at a reading pace; once the
# facilitator steps them from the console, every projector shows the page named here and stays on it, until
# the facilitator lets them turn by themselves again (page null) or the view changes. A page past the last
# wraps round to the first (the projector shows page % pages), so "next" never runs into a wall.
MAX_DISPLAY_PAGE = 999


class SetDisplayPage(Payload):
    page: int | None = Field(ge=0, le=MAX_DISPLAY_PAGE)


@command("display.page", roles={"facilitator"}, payload=SetDisplayPage)
async def set_display_page(ctx: Context, actor: Actor, p: SetDisplayPage):
    ws = ctx.workshop
    if ws.display_page == p.page:
        return None
    ws.display_page = p.page
    _changed(ctx)
    return None
