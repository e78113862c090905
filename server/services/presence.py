"""Who is connected: one row per live connection, so counts are right whichever worker holds the socket."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from ..broadcast import Broadcaster, Event, rooms
from ..db import SessionFactory
from ..models import Presence
from .commands import Actor
from .state import presence_counts


class PresenceTracker:
    def __init__(self, sessions: SessionFactory, broadcaster: Broadcaster, worker_id: str):
        self.sessions = sessions
        self.broadcaster = broadcaster
        self.worker_id = worker_id

    async def connected(self, sid: str, actor: Actor, now: float) -> None:
        async with self.sessions() as session:
            session.add(
                Presence(
                    sid=sid,
                    workshop_id=actor.workshop_id,
                    role=actor.role,
                    table_id=actor.table_id,
                    worker_id=self.worker_id,
                    seen_at=now,
                )
            )
            await session.commit()
            await self._publish(session, actor.workshop_id)

    async def disconnected(self, sid: str) -> None:
        async with self.sessions() as session:
            row = await session.get(Presence, sid)
            if row is None:
                return
            await session.delete(row)
            await session.commit()
            await self._publish(session, row.workshop_id)

    async def forget_worker(self, worker_id: str) -> None:
        """Drop the rows of a worker that is gone (its sockets died with it)."""
        async with self.sessions() as session:
            await session.execute(delete(Presence).where(Presence.worker_id == worker_id))
            await session.commit()

    async def forget_all(self) -> None:
        async with self.sessions() as session:
            await session.execute(delete(Presence))
            await session.commit()

    async def _publish(self, session: AsyncSession, workshop_id: str) -> None:
        counts = await presence_counts(session, workshop_id)
        # Phones do not show presence; only the console and projector get it.
        await self.broadcaster.publish(
            [
                Event(
                    "update",
                    {"type": "presence", "presence": counts},
                    (rooms.role(workshop_id, "facilitator"), rooms.role(workshop_id, "projector")),
                )
            ]
        )
