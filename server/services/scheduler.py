"""Work that happens because time passed: locking the rankings when Exercise 1's time is up, if asked.

Deadlines are stored, so this is a query, not a timer per workshop: any worker (or the same one after a
restart) finds what is due. The lock goes through the command bus, and locking twice is a no-op, so several
workers running this at once still lock exactly once.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import select

from ..models import Segment, Workshop
from .commands import SYSTEM, Actor, CommandBus

log = logging.getLogger(__name__)


async def due_rank_locks(bus: CommandBus, now: float) -> list[str]:
    async with bus.sessions() as session:
        rows = await session.exec(
            select(Workshop.id)
            .join(Segment, Segment.id == Workshop.current_segment_id)
            .where(
                Workshop.lock_on_timeout == True,  # noqa: E712  (SQL expression)
                Workshop.rankings_locked == False,  # noqa: E712
                Segment.kind == "rank",
                Segment.status == "running",
                Segment.deadline <= now,
            )
        )
        return list(rows)


async def fire_due(bus: CommandBus) -> int:
    fired = 0
    for workshop_id in await due_rank_locks(bus, bus.clock()):
        ack = await bus.execute("rankings.lock", Actor(workshop_id, SYSTEM), {"locked": True})
        fired += bool(ack.get("ok"))
    return fired


async def run_scheduler(bus: CommandBus, interval: float) -> None:
    while True:
        try:
            await fire_due(bus)
        except Exception:
            log.exception("scheduler pass failed; trying again")
        await asyncio.sleep(interval)
