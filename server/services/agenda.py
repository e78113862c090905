"""The timed agenda: the facilitator starts, pauses, extends and moves on. The server is the clock."""

from __future__ import annotations

from dataclasses import fields

from pydantic import Field
from sqlalchemy import bindparam

from .. import statements
from ..domain import agenda as rules
from ..models import Segment
from . import tokens
from .commands import Actor, Context, Payload, command
from .errors import invalid_state, not_found
from .sections import agenda_section, display_section
from .state import load_segments, segment_rows

# The agenda's commands run on prebuilt statements, not the ORM (``statements_only``): every console's timer
# goes through them, and an ORM session held the writer's turn, and the event loop, several times longer.
_TIMER_COLUMNS = tuple(f.name for f in fields(rules.SegmentTimer))  # the same names as Segment's columns
_SEGMENTS = Segment.__table__
_WRITE_TIMER = (
    _SEGMENTS.update()
    .where(_SEGMENTS.c.id == bindparam("segment_id"))
    .values({name: bindparam(f"new_{name}") for name in _TIMER_COLUMNS})
)


# An agenda is at most this long (an export's limit too: reports.json_import.MAX_SEGMENTS).
MAX_SEGMENTS = 60


def _timer(s) -> rules.SegmentTimer:
    return rules.SegmentTimer(**{name: getattr(s, name) for name in _TIMER_COLUMNS})


def _to_domain(ctx: Context, segments: list) -> rules.Agenda:
    return rules.Agenda(
        segments=tuple(
            rules.Segment(id=s.id, kind=s.kind, title=s.title, instructions=s.instructions, timer=_timer(s))
            for s in segments
        ),
        current_id=ctx.workshop.current_segment_id,
    )


async def _store(ctx: Context, rows: list, agenda: rules.Agenda) -> None:
    """Write the segments whose timer changed and the current segment, and send everyone the agenda."""
    timers = {s.id: s.timer for s in agenda.segments}
    stored = []
    for row in rows:
        values = {name: getattr(timers[row.id], name) for name in _TIMER_COLUMNS}
        if values != {name: getattr(row, name) for name in _TIMER_COLUMNS}:
            await statements.execute(
                ctx.session, _WRITE_TIMER, {"segment_id": row.id, **{f"new_{k}": v for k, v in values.items()}}
            )
            row = row._replace(**values)
        stored.append(row)
    await ctx.update_workshop(current_segment_id=agenda.current_id, agenda_version=ctx.version)
    ctx.emit_to_everyone(
        {
            "type": "agenda",
            "version": ctx.version,
            "agenda": agenda_section(ctx.workshop, stored),
            "server_now": ctx.now,
        }
    )


async def _change(ctx: Context, transition) -> None:
    rows = await segment_rows(ctx.session, ctx.workshop.id)
    before = _to_domain(ctx, rows)
    after = transition(before)
    if after != before:
        await _store(ctx, rows, after)


class NoArguments(Payload):
    pass


class Extend(Payload):
    seconds: int = Field(ge=1, le=7200)


class GoTo(Payload):
    segment_id: str = Field(min_length=1, max_length=32)


class Move(GoTo):
    # Start the target's clock as the room gets there (the console's default); false: the facilitator starts it.
    start: bool = False


class Next(Payload):
    start: bool = False


class SetPlanned(Payload):
    segment_id: str = Field(min_length=1, max_length=32)
    planned_seconds: int = Field(ge=60, le=14400)


class SetLockOnTimeout(Payload):
    enabled: bool


def _first_pending_when_none(agenda: rules.Agenda) -> rules.Agenda:
    """Before anything has started, "start" means the first segment."""
    if agenda.current_id is None and agenda.segments:
        return rules.Agenda(segments=agenda.segments, current_id=agenda.segments[0].id)
    return agenda


@command("agenda.start", roles={"facilitator"}, payload=NoArguments, statements_only=True)
async def start(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.start_current(_first_pending_when_none(a), ctx.now))


@command("agenda.pause", roles={"facilitator"}, payload=NoArguments, statements_only=True)
async def pause(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.pause_current(a, ctx.now))


@command("agenda.resume", roles={"facilitator"}, payload=NoArguments, statements_only=True)
async def resume(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.resume_current(a, ctx.now))


@command("agenda.extend", roles={"facilitator"}, payload=Extend, statements_only=True)
async def extend(ctx: Context, actor: Actor, p: Extend):
    await _change(ctx, lambda a: rules.extend_current(a, p.seconds, ctx.now))


@command("agenda.finish", roles={"facilitator"}, payload=NoArguments, statements_only=True)
async def finish(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.finish_current(a, ctx.now))


async def _projector_follows_the_agenda(ctx: Context) -> None:
    """A view the facilitator picked for one part (say one table's five) must not stick into the next part."""
    ws = ctx.workshop
    if (ws.display_mode, ws.display_table_id, ws.display_cell, ws.display_page) != ("auto", None, None, None):
        await ctx.update_workshop(
            display_mode="auto", display_table_id=None, display_cell=None, display_page=None,
            display_version=ctx.version,
        )
        ctx.emit_to_everyone({"type": "display", "version": ctx.version, "display": display_section(ctx.workshop)})


def _known(agenda: rules.Agenda, segment_id: str) -> None:
    if segment_id not in {s.id for s in agenda.segments}:
        raise not_found("That agenda segment")


@command("agenda.go_to", roles={"facilitator"}, payload=Move, statements_only=True)
async def go_to(ctx: Context, actor: Actor, p: Move):
    def move(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.go_to(agenda, p.segment_id, ctx.now, start_clock=p.start)

    await _change(ctx, move)
    await _projector_follows_the_agenda(ctx)


@command("agenda.next", roles={"facilitator"}, payload=Next, statements_only=True)
async def next_segment(ctx: Context, actor: Actor, p: Next):
    await _change(ctx, lambda a: rules.go_next(a, ctx.now, start_clock=p.start))
    await _projector_follows_the_agenda(ctx)


@command("agenda.set_planned", roles={"facilitator"}, payload=SetPlanned, statements_only=True)
async def set_planned(ctx: Context, actor: Actor, p: SetPlanned):
    def edit(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.edit_planned(agenda, p.segment_id, p.planned_seconds, ctx.now)

    await _change(ctx, edit)


@command("agenda.skip", roles={"facilitator"}, payload=GoTo, statements_only=True)
async def skip(ctx: Context, actor: Actor, p: GoTo):
    def edit(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.skip_segment(agenda, p.segment_id, ctx.now)

    await _change(ctx, edit)


@command("agenda.set_lock_on_timeout", roles={"facilitator"}, payload=SetLockOnTimeout, statements_only=True)
async def set_lock_on_timeout(ctx: Context, actor: Actor, p: SetLockOnTimeout):
    if ctx.workshop.lock_on_timeout == p.enabled:
        return None
    await ctx.update_workshop(lock_on_timeout=p.enabled)
    rows = await segment_rows(ctx.session, ctx.workshop.id)
    await _store(ctx, rows, _to_domain(ctx, rows))
    return None


class AddDiscussion(Payload):
    minutes: int = Field(default=rules.DEFAULT_DISCUSS_MINUTES, ge=1, le=240)


@command("agenda.add_discussion", roles={"facilitator"}, payload=AddDiscussion)
async def add_discussion(ctx: Context, actor: Actor, p: AddDiscussion):
    """The optional "Discuss potential priorities": after the opening review, else before Exercise 1. One at a
    time: while one has not ended (or was skipped), adding another is refused; "Skip" removes it from the run."""
    ws = ctx.workshop
    rows = await load_segments(ctx.session, ws.id)
    if any(s.kind == "discuss" and s.status not in ("done", "skipped") for s in rows):
        raise invalid_state("The agenda already has a discussion of potential priorities still to come.")
    if len(rows) >= MAX_SEGMENTS:
        raise invalid_state(f"The agenda can hold {MAX_SEGMENTS} parts.")
    row = Segment(
        id=tokens.new_id(),
        workshop_id=ws.id,
        position=0,
        kind="discuss",
        title=rules.DISCUSS_TITLE,
        instructions=rules.DISCUSS_INSTRUCTIONS,
        planned_seconds=p.minutes * 60,
        remaining_seconds=float(p.minutes * 60),
    )
    ctx.session.add(row)
    ordered = list(rows)
    ordered.insert(rules.discussion_index([s.kind for s in rows]), row)
    for position, segment in enumerate(ordered):
        segment.position = position
    ws.agenda_version = ctx.version
    ctx.emit_to_everyone(
        {"type": "agenda", "version": ctx.version, "agenda": agenda_section(ws, ordered), "server_now": ctx.now}
    )
    return {"segment_id": row.id}
