"""The gap analysis: the agenda's gap block and the worksheets, edited live by several phones at once.

A worksheet is a Yjs document (``domain.worksheet``). Clients send Yjs updates (``worksheet.update``); the server
merges them into the stored document in the command's transaction, keeps a plain-text copy of every cell, and
publishes what was new (the *incremental* update) with the texts. Yjs merging is idempotent, so a resent or
duplicated update is harmless: ``worksheet.update`` keeps no command record.

Who receives a worksheet update (docs/protocol.md, "Worksheets"):
- a table's worksheet: that table's phones and the facilitators with the Yjs update, the projector as text;
- a consolidated worksheet: the facilitators with the Yjs update, the phones and the projector as text.
"""

from __future__ import annotations

from pydantic import Field
from sqlmodel import select

from ..broadcast import rooms
from ..domain import gap as gap_rules
from ..domain import worksheet as doc_rules
from ..domain.errors import DomainError
from ..models import Principle, Segment, Worksheet
from . import tokens
from .commands import Actor, Context, Payload, command
from .errors import CommandError, forbidden, not_found
from .sections import agenda_section, worksheet_section
from .state import load_segments, load_tables, load_worksheets


def publish_worksheet(ctx: Context, row: Worksheet, update: bytes) -> None:
    """Send one worksheet's change: the Yjs bytes to those who edit it, the texts to everyone who sees it."""
    ws_id = ctx.workshop.id
    section = worksheet_section(row)
    with_bytes = {"type": "worksheet", "version": ctx.version, "worksheet": section,
                  "update": doc_rules.b64encode(update)}
    as_text = {"type": "worksheet", "version": ctx.version, "worksheet": section}
    if row.table_id is not None:
        ctx.emit(with_bytes, [rooms.table(ws_id, row.table_id), rooms.role(ws_id, "facilitator")])
        ctx.emit(as_text, [rooms.role(ws_id, "projector")])
    else:
        ctx.emit(with_bytes, [rooms.role(ws_id, "facilitator")])
        ctx.emit(as_text, [rooms.role(ws_id, "projector"), rooms.role(ws_id, "participant")])


def ideal_text(principle: Principle | None) -> str:
    """What the principle sets out: its statement when a site imported one, else our one-line summary."""
    if principle is None:
        return ""
    statement = getattr(principle, "statement", None)
    return (statement or principle.summary or "").strip()


async def prepare_gap_analysis(ctx: Context, priorities: list[str]) -> None:
    """After the consensus is confirmed: the gap block in the agenda, and a worksheet for every table and a
    consolidated one for every priority that has none. Never removes or empties anything."""
    ws = ctx.workshop
    principles = {
        p.principle_id: p
        for p in await ctx.session.exec(select(Principle).where(Principle.workshop_id == ws.id))
    }
    segments = await load_segments(ctx.session, ws.id)
    plan = gap_rules.plan_gap_segments(
        [gap_rules.Placed(s.id, s.kind, s.status, s.subject) for s in segments], priorities
    )
    if plan.changes_anything:
        by_id = {s.id: s for s in segments}
        for segment_id, priority in plan.assign.items():
            by_id[segment_id].subject = priority
            by_id[segment_id].title = gap_rules.gap_title(principles[priority].name)
        ordered: list[Segment] = []
        for kind, ref in plan.order:
            if kind == "existing":
                ordered.append(by_id[ref])
                continue
            if kind == "gap":
                title, instructions, seconds = (
                    gap_rules.gap_title(principles[ref].name),
                    gap_rules.GAP_INSTRUCTIONS,
                    gap_rules.DEFAULT_GAP_SECONDS,
                )
            else:
                title, instructions, seconds = (
                    gap_rules.NEXT_STEPS_TITLE,
                    gap_rules.NEXT_STEPS_INSTRUCTIONS,
                    gap_rules.DEFAULT_NEXT_STEPS_SECONDS,
                )
            row = Segment(
                id=tokens.new_id(),
                workshop_id=ws.id,
                position=0,
                kind=kind,
                title=title,
                instructions=instructions,
                planned_seconds=seconds,
                remaining_seconds=float(seconds),
                subject=ref,
            )
            ctx.session.add(row)
            ordered.append(row)
        for position, row in enumerate(ordered):
            row.position = position
        ws.agenda_version = ctx.version
        ctx.emit_to_everyone(
            {"type": "agenda", "version": ctx.version, "agenda": agenda_section(ws, ordered), "server_now": ctx.now}
        )
    existing = {(w.priority_id, w.table_id) for w in await load_worksheets(ctx.session, ws.id)}
    tables = await load_tables(ctx.session, ws.id)
    for priority in priorities:
        prefill = {"ideal": ideal_text(principles.get(priority))}
        for table_id in [t.id for t in tables] + [None]:
            if (priority, table_id) in existing:
                continue
            state = doc_rules.new_document(prefill)
            row = Worksheet(
                id=tokens.new_id(),
                workshop_id=ws.id,
                priority_id=priority,
                table_id=table_id,
                doc=state,
                text=doc_rules.texts_of(state),
                version=ctx.version,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            ctx.session.add(row)
            publish_worksheet(ctx, row, state)


class UpdateWorksheet(Payload):
    worksheet_id: str = Field(min_length=1, max_length=32)
    update: str = Field(min_length=1, max_length=doc_rules.MAX_UPDATE_BASE64 + 4)


async def _editable(ctx: Context, actor: Actor, worksheet_id: str) -> Worksheet:
    row = await ctx.session.get(Worksheet, worksheet_id)
    if row is None or row.workshop_id != ctx.workshop.id:
        raise not_found("That worksheet")
    if actor.role == "participant" and (row.table_id is None or row.table_id != actor.table_id):
        raise forbidden("You can only write in your own table's worksheet.")
    return row


# Idempotent by construction (a Yjs update applied twice changes nothing), so no command record: a resend
# after a reconnect is simply merged again. Records would also cost a row per keystroke batch.
@command("worksheet.update", roles={"participant", "facilitator"}, payload=UpdateWorksheet, keep_record=False)
async def update_worksheet(ctx: Context, actor: Actor, p: UpdateWorksheet):
    row = await _editable(ctx, actor, p.worksheet_id)
    update = doc_rules.b64decode(p.update)
    try:
        merged = doc_rules.merge(row.doc, update)
    except DomainError as exc:
        extra = {}
        if exc.code == "cell_too_long":
            # The client's document now holds text the server refused: it starts again from this one.
            extra = {"state": doc_rules.b64encode(row.doc), "worksheet_id": row.id}
        raise CommandError(exc.code, exc.message, status=409 if extra else 422, extra=extra) from None
    if merged.changed:
        row.doc = merged.state
        row.text = merged.texts
        row.version = ctx.version
        row.updated_at = ctx.now
        publish_worksheet(ctx, row, merged.delta)
    return {
        "worksheet_id": row.id,
        "changed": merged.changed,
        "version": row.version,
        "state_vector": doc_rules.b64encode(merged.state_vector),
    }

