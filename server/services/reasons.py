"""Exercise 1: each table's reasons, one line per chosen priority, co-edited by the table's phones.

Like a worksheet (``services.worksheets``): clients send Yjs updates (``reasons.update``), the server merges them
into the table's stored document (``domain.reasons``) in the command's transaction, keeps a plain copy of the
reasons written, and publishes what was new with the texts. Yjs merging is idempotent, so a resent update is
harmless: ``reasons.update`` keeps no command record.

Who receives a table's reasons (docs/protocol.md, "Reasons"): that table's phones and the facilitators with the
Yjs update, the projector as text (for Exercise 2's spotlight). Other tables' phones do not (as with rankings).
"""

from __future__ import annotations

from pydantic import Field

from ..broadcast import rooms
from ..domain import reasons as reason_rules
from ..domain import worksheet as doc_rules
from ..domain.errors import DomainError
from ..models import TableReasons
from .commands import Actor, Context, Payload, command
from .errors import CommandError
from .rankings import target_table
from .sections import reasons_section
from .state import principle_order


def publish_reasons(ctx: Context, table_id: str, row: TableReasons, update: bytes) -> None:
    ws_id = ctx.workshop.id
    section = reasons_section(table_id, row)
    ctx.emit(
        {"type": "reasons", "version": ctx.version, "reasons": section, "update": doc_rules.b64encode(update)},
        [rooms.table(ws_id, table_id), rooms.role(ws_id, "facilitator")],
    )
    ctx.emit({"type": "reasons", "version": ctx.version, "reasons": section}, [rooms.role(ws_id, "projector")])


class UpdateReasons(Payload):
    # A phone's own table when left out; a facilitator (or a scribe on the co-facilitator link) names one.
    table_id: str | None = Field(default=None, min_length=1, max_length=32)
    update: str = Field(min_length=1, max_length=doc_rules.MAX_UPDATE_BASE64 + 4)


# Idempotent by construction (a Yjs update applied twice changes nothing), so no command record.
@command("reasons.update", roles={"participant", "facilitator"}, payload=UpdateReasons, keep_record=False)
async def update_reasons(ctx: Context, actor: Actor, p: UpdateReasons):
    table_id = await target_table(ctx, actor, p.table_id, "You can only write your own table's reasons.")
    update = doc_rules.b64decode(p.update)
    row = await ctx.session.get(TableReasons, table_id)
    stored = row.doc if row is not None else reason_rules.empty_document()
    ids = await principle_order(ctx.session, ctx.workshop.id)
    try:
        merged = reason_rules.merge(stored, update, ids)
    except DomainError as exc:
        # The client's document now holds text the server refused: it starts again from this one.
        extra = {"state": doc_rules.b64encode(stored), "table_id": table_id}
        raise CommandError(exc.code, exc.message, status=409, extra=extra) from None
    if merged.changed:
        if row is None:
            row = TableReasons(table_id=table_id, workshop_id=ctx.workshop.id, doc=merged.state)
            ctx.session.add(row)
        row.doc = merged.state
        row.text = reason_rules.only_written(merged.texts)
        row.version = ctx.version
        row.updated_at = ctx.now
        publish_reasons(ctx, table_id, row, merged.delta)
    return {
        "table_id": table_id,
        "changed": merged.changed,
        "version": row.version if row is not None else 0,
        "state_vector": doc_rules.b64encode(merged.state_vector),
    }
