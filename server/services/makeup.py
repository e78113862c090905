"""Who was in the room, without names (issue 17): per table, the sectors represented and the number of people,
said on a phone of that table or on the console; the workshop's list of sectors, which the facilitator edits.

A phone is not a person: the number is what the table says. Ticking a sector is one command per sector (present
or not), so two phones of a table ticking different sectors at once both keep theirs. A sector still ticked at a
table cannot be taken off the list (``invalid_state``, naming the tables): nothing a table said is lost.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from ..domain import plan as rules
from ..models import WorkshopTable
from .commands import Actor, Context, Payload, command
from .errors import CommandError, forbidden, invalid_payload, not_found
from .sections import makeup_section
from .state import load_tables

SectorId = Annotated[str, Field(min_length=1, max_length=32, pattern=rules.SECTOR_ID.pattern)]


async def publish_makeup(ctx: Context, tables: list[WorkshopTable] | None = None) -> None:
    await ctx.update_workshop(makeup_version=ctx.version)
    await ctx.session.flush()
    if tables is None:
        tables = await load_tables(ctx.session, ctx.workshop.id)
    ctx.emit_to_everyone({"type": "makeup", "version": ctx.version, "makeup": makeup_section(ctx.workshop, tables)})


async def _table(ctx: Context, actor: Actor, requested: str | None) -> WorkshopTable:
    """Participants speak for their own table only; facilitators name one."""
    if actor.role == "participant":
        if requested is not None and requested != actor.table_id:
            raise forbidden("You can only say who is at your own table.")
        requested = actor.table_id
    if requested is None:
        raise invalid_payload("table_id: required")
    table = await ctx.session.get(WorkshopTable, requested)
    if table is None or table.workshop_id != ctx.workshop.id:
        raise not_found("That table")
    return table


class SetSector(Payload):
    table_id: str | None = Field(default=None, min_length=1, max_length=32)
    sector_id: SectorId
    present: bool


@command("makeup.set_sector", roles={"participant", "facilitator"}, payload=SetSector)
async def set_sector(ctx: Context, actor: Actor, p: SetSector):
    table = await _table(ctx, actor, p.table_id)
    known = [s["id"] for s in rules.sector_options(ctx.workshop.sector_options)]
    if p.sector_id not in known:
        raise not_found("That sector")
    current = list(table.sectors or [])
    if p.present == (p.sector_id in current):
        return {"sectors": current}
    # Kept in the list's order, so the same sectors always read the same.
    wanted = set(current) ^ {p.sector_id}
    table.sectors = [s for s in known if s in wanted]
    await publish_makeup(ctx)
    return {"sectors": list(table.sectors)}


class SetPeople(Payload):
    table_id: str | None = Field(default=None, min_length=1, max_length=32)
    people: int | None = Field(ge=0, le=rules.MAX_PEOPLE_PER_TABLE)  # null: not said


@command("makeup.set_people", roles={"participant", "facilitator"}, payload=SetPeople)
async def set_people(ctx: Context, actor: Actor, p: SetPeople):
    table = await _table(ctx, actor, p.table_id)
    if table.people != p.people:
        table.people = p.people
        await publish_makeup(ctx)
    return {"people": table.people}


class SectorIn(Payload):
    id: SectorId | None = None
    label: str = Field(min_length=1, max_length=rules.MAX_SECTOR_LABEL)


class SetSectorList(Payload):
    sectors: list[SectorIn] = Field(min_length=1, max_length=rules.MAX_SECTORS)

    @field_validator("sectors")
    @classmethod
    def _each_once(cls, value: list[SectorIn]) -> list[SectorIn]:
        ids = [s.id for s in value if s.id]
        labels = [s.label.casefold() for s in value]
        if len(set(ids)) != len(ids) or len(set(labels)) != len(labels):
            raise ValueError("each sector once")
        return value


@command("makeup.set_sector_list", roles={"facilitator"}, payload=SetSectorList)
async def set_sector_list(ctx: Context, actor: Actor, p: SetSectorList):
    """The workshop's list of sectors: rename, reorder, add (no id) or remove (left out)."""
    before = rules.sector_options(ctx.workshop.sector_options)
    known = {s["id"] for s in before}
    for s in p.sectors:
        if s.id is not None and s.id not in known:
            raise not_found(f"The sector {s.id!r}")
    taken = {s.id for s in p.sectors if s.id}
    after = []
    for s in p.sectors:
        sector_id = s.id or rules.sector_id_for(s.label, taken)
        taken.add(sector_id)
        after.append({"id": sector_id, "label": s.label})
    tables = await load_tables(ctx.session, ctx.workshop.id)
    kept = {s["id"] for s in after}
    still_ticked = sorted({s for t in tables for s in (t.sectors or []) if s not in kept})
    if still_ticked:
        labels = {s["id"]: s["label"] for s in before}
        where = [t.name for t in tables if set(t.sectors or []) & set(still_ticked)]
        names = [labels.get(s, s) for s in still_ticked]
        one = len(names) == 1
        raise CommandError(
            "invalid_state",
            f"{', '.join(names)} {'is' if one else 'are'} still ticked at {', '.join(where)}: "
            f"untick {'it' if one else 'them'} there first, then take {'it' if one else 'them'} off the list.",
            status=409,
        )
    if after == before:
        return {"sectors": after}
    await ctx.update_workshop(sector_options=after)
    ordered = [s["id"] for s in after]
    for t in tables:  # the sectors a table ticked, in the list's new order
        t.sectors = [s for s in ordered if s in set(t.sectors or [])]
    await publish_makeup(ctx, tables)
    return {"sectors": after}
