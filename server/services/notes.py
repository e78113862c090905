"""The method as it happens (issue 17): what the facilitator notes while the room works.

- ``review``: the findings from pathway mapping and the local data, noted during the opening review of the
  top-line priorities (the projector shows the heat map and the lowest-scored principles meanwhile).
- ``table:<table id>``: what a table said when it shared its five in Exercise 2.

The facilitator writes them, or a scribe holding the co-facilitator link (the ``facilitator`` role includes it).
Only facilitators see them (the ``notes`` section; docs/protocol.md): they are working notes, kept in the report.
Each note carries the version that last wrote it; a save may name the version it was typed over
(``expected_version``), and is refused with ``conflict`` (nothing lost: the ack carries the text now stored) when
someone else saved meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field
from sqlalchemy import bindparam
from sqlmodel import select

from ..broadcast import rooms
from ..models import WorkshopNote, WorkshopTable
from .commands import Actor, Context, Payload, command
from .errors import CommandError, not_found

REVIEW = "review"
TABLE_PREFIX = "table:"
MAX_REVIEW_CHARS = 4000
MAX_TABLE_NOTE_CHARS = 2000


def table_subject(table_id: str) -> str:
    return f"{TABLE_PREFIX}{table_id}"


def note_item(row: Any) -> dict[str, Any]:
    return {"text": row.text, "version": row.version, "updated_at": row.updated_at}


def notes_section(rows: Iterable[Any], table_ids: Iterable[str]) -> dict[str, Any]:
    """The notes section from the workshop's note rows (ORM objects or read-only rows). Notes of a table that is
    no longer there are left out."""
    known = set(table_ids)
    review = None
    tables: dict[str, Any] = {}
    version = 0
    for row in rows:
        version = max(version, row.version)
        if row.subject == REVIEW:
            review = note_item(row)
        elif row.subject.startswith(TABLE_PREFIX) and row.subject[len(TABLE_PREFIX):] in known:
            tables[row.subject[len(TABLE_PREFIX):]] = note_item(row)
    return {"version": version, "review": review, "tables": dict(sorted(tables.items()))}


_NOTES = WorkshopNote.__table__
NOTE_ROWS = select(*_NOTES.columns).where(_NOTES.c.workshop_id == bindparam("workshop_id")).order_by(_NOTES.c.subject)


async def _publish(ctx: Context) -> None:
    rows = list(await ctx.session.exec(select(WorkshopNote).where(WorkshopNote.workshop_id == ctx.workshop.id)))
    tables = await ctx.session.exec(select(WorkshopTable.id).where(WorkshopTable.workshop_id == ctx.workshop.id))
    section = notes_section(rows, tables)
    # Working notes: the facilitators' room only (a co-facilitator is in it too).
    ctx.emit({"type": "notes", "version": ctx.version, "notes": section}, [rooms.role(ctx.workshop.id, "facilitator")])


async def _write(ctx: Context, subject: str, text: str, expected: int | None) -> dict[str, Any]:
    row = await ctx.session.get(WorkshopNote, (ctx.workshop.id, subject))
    stored = row.version if row is not None else 0
    if expected is not None and expected != stored:
        raise CommandError(
            "conflict",
            "Someone else saved this note while you were writing. Their text is shown; yours is still in the box: "
            "merge the two and save again.",
            status=409,
            extra={"note": note_item(row) if row is not None else None},
        )
    if row is not None and row.text == text:
        return {"note": note_item(row)}
    if row is None:
        row = WorkshopNote(workshop_id=ctx.workshop.id, subject=subject, text=text, version=ctx.version, updated_at=ctx.now)
        ctx.session.add(row)
    else:
        row.text, row.version, row.updated_at = text, ctx.version, ctx.now
    await ctx.session.flush()
    await _publish(ctx)
    return {"note": note_item(row)}


class SetReviewNotes(Payload):
    text: str = Field(max_length=MAX_REVIEW_CHARS)
    # The note's version the text was typed over (0: there was none); absent: save whatever is stored.
    expected_version: int | None = Field(default=None, ge=0)


@command("notes.set_review", roles={"facilitator"}, payload=SetReviewNotes)
async def set_review(ctx: Context, actor: Actor, p: SetReviewNotes):
    return await _write(ctx, REVIEW, p.text, p.expected_version)


class SetTableNotes(Payload):
    table_id: str = Field(min_length=1, max_length=32)
    text: str = Field(max_length=MAX_TABLE_NOTE_CHARS)
    expected_version: int | None = Field(default=None, ge=0)


@command("notes.set_table", roles={"facilitator"}, payload=SetTableNotes)
async def set_table(ctx: Context, actor: Actor, p: SetTableNotes):
    table = await ctx.session.get(WorkshopTable, p.table_id)
    if table is None or table.workshop_id != ctx.workshop.id:
        raise not_found("That table")
    return await _write(ctx, table_subject(p.table_id), p.text, p.expected_version)
