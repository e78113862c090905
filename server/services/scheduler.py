"""Work that happens because time passed: locking the rankings when Exercise 1's time is up, if asked.

Deadlines are stored, so this is a query, not a timer per workshop: every worker polls, and any worker (or the
same one after a restart) finds what is due. There is no owner to fail over: when a worker dies, the others'
next poll finds the same rows.

Exactly once across workers: the poll only nominates workshops. The lock itself is a system command on the
command bus, so it runs under the workshop's row lock (``UPDATE workshop SET version=version+1`` first), where
it checks again that the deadline has passed and that this deadline has not been handled yet
(``Workshop.timeout_lock_deadline``). Two workers nominating the same workshop at once are serialised by the
row lock; the second finds the deadline handled and changes nothing (no commit, no event). Checking inside the
transaction also means a poll that went stale (the facilitator extended or paused in between) locks nothing.
A Redis lock would add nothing to this and would be one more thing that can fail.

Once per deadline: when the facilitator unlocks in overtime, the scheduler does not lock again; extending the
timer gives a new deadline, which locks again when it runs out.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import or_, select

from ..models import Segment, Workshop
from .commands import SYSTEM, Actor, CommandBus, Context, Payload, command, is_database_outage
from .sections import workshop_section

log = logging.getLogger(__name__)

TIMEOUT_LOCK = "scheduler.lock_on_timeout"


class NoArguments(Payload):
    pass


def _deadline_unhandled(deadline_column):
    return or_(
        Workshop.timeout_lock_deadline == None,  # noqa: E711  (SQL expression)
        Workshop.timeout_lock_deadline != deadline_column,
    )


# Only the system may send it: clients that try get ``forbidden``.
@command(TIMEOUT_LOCK, roles=(), payload=NoArguments)
async def lock_on_timeout(ctx: Context, actor: Actor, p: NoArguments):
    ws = ctx.workshop
    if not ws.lock_on_timeout or ws.current_segment_id is None:
        return None
    segment = await ctx.session.get(Segment, ws.current_segment_id)
    if (
        segment is None
        or segment.kind != "rank"
        or segment.status != "running"
        or segment.deadline is None
        or segment.deadline > ctx.now
        or ws.timeout_lock_deadline == segment.deadline
    ):
        return None  # not due (any more), or handled already: nothing changes, nothing is published
    already_locked = ws.rankings_locked
    ws.timeout_lock_deadline = segment.deadline
    ws.rankings_locked = True
    # Also when the facilitator had locked already: the deadline is recorded as handled (the one update then
    # carries an unchanged workshop section), so unlocking in overtime is not overruled.
    ws.workshop_version = ctx.version
    ctx.emit_to_everyone({"type": "workshop", "version": ctx.version, "workshop": workshop_section(ws)})
    return {"locked": not already_locked}


async def due_rank_locks(bus: CommandBus, now: float) -> list[str]:
    async with bus.sessions() as session:
        rows = await session.exec(
            select(Workshop.id)
            .join(Segment, Segment.id == Workshop.current_segment_id)
            .where(
                Workshop.lock_on_timeout == True,  # noqa: E712  (SQL expression)
                Segment.kind == "rank",
                Segment.status == "running",
                Segment.deadline <= now,
                _deadline_unhandled(Segment.deadline),
            )
        )
        return list(rows)


async def fire_due(bus: CommandBus) -> int:
    """One pass: lock what is due. Returns how many workshops this pass locked."""
    fired = 0
    for workshop_id in await due_rank_locks(bus, bus.clock()):
        ack = await bus.execute(TIMEOUT_LOCK, Actor(workshop_id, SYSTEM), {})
        if not ack.get("ok"):
            log.warning("timeout lock of %s refused: %s", workshop_id, ack.get("error"))
        fired += bool(ack.get("locked"))
    return fired


async def run_scheduler(bus: CommandBus, interval: float) -> None:
    while True:
        try:
            await fire_due(bus)
        except Exception as exc:
            if is_database_outage(exc):
                log.warning("scheduler: database unavailable (%s); trying again", exc.__class__.__name__)
            else:
                log.exception("scheduler pass failed; trying again")
        await asyncio.sleep(interval)
