"""The timed agenda: the facilitator starts, pauses, extends and moves on. The server is the clock."""

from __future__ import annotations

from pydantic import Field

from ..domain import agenda as rules
from ..models import Segment
from .commands import Actor, Context, Payload, command
from .errors import not_found
from .sections import agenda_section, display_section
from .state import load_segments


def _timer(s: Segment) -> rules.SegmentTimer:
    return rules.SegmentTimer(
        planned_seconds=s.planned_seconds,
        status=s.status,
        deadline=s.deadline,
        remaining_seconds=s.remaining_seconds,
        elapsed_seconds=s.elapsed_seconds,
        run_started_at=s.run_started_at,
        started_at=s.started_at,
        ended_at=s.ended_at,
    )


def _to_domain(ctx: Context, segments: list[Segment]) -> rules.Agenda:
    return rules.Agenda(
        segments=tuple(
            rules.Segment(id=s.id, kind=s.kind, title=s.title, instructions=s.instructions, timer=_timer(s))
            for s in segments
        ),
        current_id=ctx.workshop.current_segment_id,
    )


def _store(ctx: Context, rows: list[Segment], agenda: rules.Agenda) -> None:
    by_id = {s.id: s for s in agenda.segments}
    for row in rows:
        t = by_id[row.id].timer
        row.planned_seconds = t.planned_seconds
        row.status = t.status
        row.deadline = t.deadline
        row.remaining_seconds = t.remaining_seconds
        row.elapsed_seconds = t.elapsed_seconds
        row.run_started_at = t.run_started_at
        row.started_at = t.started_at
        row.ended_at = t.ended_at
    ctx.workshop.current_segment_id = agenda.current_id
    ctx.workshop.agenda_version = ctx.version
    ctx.emit_to_everyone(
        {
            "type": "agenda",
            "version": ctx.version,
            "agenda": agenda_section(ctx.workshop, rows),
            "server_now": ctx.now,
        }
    )


async def _change(ctx: Context, transition) -> None:
    rows = await load_segments(ctx.session, ctx.workshop.id)
    before = _to_domain(ctx, rows)
    after = transition(before)
    if after != before:
        _store(ctx, rows, after)


class NoArguments(Payload):
    pass


class Extend(Payload):
    seconds: int = Field(ge=1, le=7200)


class GoTo(Payload):
    segment_id: str = Field(min_length=1, max_length=32)


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


@command("agenda.start", roles={"facilitator"}, payload=NoArguments)
async def start(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.start_current(_first_pending_when_none(a), ctx.now))


@command("agenda.pause", roles={"facilitator"}, payload=NoArguments)
async def pause(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.pause_current(a, ctx.now))


@command("agenda.resume", roles={"facilitator"}, payload=NoArguments)
async def resume(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.resume_current(a, ctx.now))


@command("agenda.extend", roles={"facilitator"}, payload=Extend)
async def extend(ctx: Context, actor: Actor, p: Extend):
    await _change(ctx, lambda a: rules.extend_current(a, p.seconds, ctx.now))


@command("agenda.finish", roles={"facilitator"}, payload=NoArguments)
async def finish(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.finish_current(a, ctx.now))


def _projector_follows_the_agenda(ctx: Context) -> None:
    """A view the facilitator picked for one part (say one table's five) must not stick into the next part."""
    ws = ctx.workshop
    if (ws.display_mode, ws.display_table_id, ws.display_cell) != ("auto", None, None):
        ws.display_mode, ws.display_table_id, ws.display_cell = "auto", None, None
        ws.display_version = ctx.version
        ctx.emit_to_everyone({"type": "display", "version": ctx.version, "display": display_section(ws)})


def _known(agenda: rules.Agenda, segment_id: str) -> None:
    if segment_id not in {s.id for s in agenda.segments}:
        raise not_found("That agenda segment")


@command("agenda.go_to", roles={"facilitator"}, payload=GoTo)
async def go_to(ctx: Context, actor: Actor, p: GoTo):
    def move(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.go_to(agenda, p.segment_id, ctx.now)

    await _change(ctx, move)
    _projector_follows_the_agenda(ctx)


@command("agenda.next", roles={"facilitator"}, payload=NoArguments)
async def next_segment(ctx: Context, actor: Actor, p: NoArguments):
    await _change(ctx, lambda a: rules.go_next(a, ctx.now))
    _projector_follows_the_agenda(ctx)


@command("agenda.set_planned", roles={"facilitator"}, payload=SetPlanned)
async def set_planned(ctx: Context, actor: Actor, p: SetPlanned):
    def edit(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.edit_planned(agenda, p.segment_id, p.planned_seconds, ctx.now)

    await _change(ctx, edit)


@command("agenda.skip", roles={"facilitator"}, payload=GoTo)
async def skip(ctx: Context, actor: Actor, p: GoTo):
    def edit(agenda: rules.Agenda) -> rules.Agenda:
        _known(agenda, p.segment_id)
        return rules.skip_segment(agenda, p.segment_id, ctx.now)

    await _change(ctx, edit)


@command("agenda.set_lock_on_timeout", roles={"facilitator"}, payload=SetLockOnTimeout)
async def set_lock_on_timeout(ctx: Context, actor: Actor, p: SetLockOnTimeout):
    if ctx.workshop.lock_on_timeout == p.enabled:
        return None
    ctx.workshop.lock_on_timeout = p.enabled
    rows = await load_segments(ctx.session, ctx.workshop.id)
    _store(ctx, rows, _to_domain(ctx, rows))
    return None
