"""Who is connected: one row per live connection, so counts are right whichever worker holds the socket.

Each worker knows the sockets it holds (``_live``); the ``presence`` rows are how the others see them. The
heartbeat (``beat``, every ``heartbeat_interval`` seconds, from the app's lifespan) keeps the two honest:

- it records that this worker is alive (``worker.last_seen``);
- it makes this worker's rows equal to its sockets: it deletes rows of sockets that are gone (a disconnect
  whose delete failed during a database outage, or that overtook the connect's insert) and re-adds rows that
  are missing (swept while this worker could not beat);
- it sweeps the rows of workers that have not beaten for ``STALE_BEATS`` intervals (killed, host lost), and of
  workers it does not know;
- it publishes fresh counts for every workshop whose counts it changed since the last beat. Counts published
  by two workers at nearly the same time can arrive in either order; this later publication settles them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlmodel import select

from .. import statements
from ..broadcast import Broadcaster, Event, rooms
from ..db import SessionFactory
from ..models import Presence, Worker, Workshop
from .commands import Actor, is_database_outage
from .errors import CommandError
from .state import presence_counts

log = logging.getLogger(__name__)

# A worker silent for this many heartbeat intervals is taken for dead.
STALE_BEATS = 3
# How long a worker remembers a socket that ended (a connect handled after its own disconnect writes no row).
ENDED_KEPT = 60.0


@dataclass
class _Connection:
    workshop_id: str
    role: str
    table_id: str | None
    seen_at: float
    pending: bool = True  # its row is being written by ``connected``
    credential_hash: str | None = (
        None  # the token it used: revoking the token finds the row (services.access)
    )

    def values(self, sid: str, worker_id: str) -> dict[str, Any]:
        return {
            "sid": sid,
            "workshop_id": self.workshop_id,
            "role": self.role,
            "table_id": self.table_id,
            "worker_id": worker_id,
            "seen_at": self.seen_at,
            "credential_hash": self.credential_hash,
        }

    def row(self, sid: str, worker_id: str) -> Presence:
        return Presence(
            sid=sid,
            workshop_id=self.workshop_id,
            role=self.role,
            table_id=self.table_id,
            worker_id=worker_id,
            seen_at=self.seen_at,
            credential_hash=self.credential_hash,
        )


Refusal = CommandError | None


_PRESENCE, _WORKSHOPS = Presence.__table__, Workshop.__table__
# A write to the workshop's row: on PostgreSQL it holds that row's lock until commit; on SQLite it takes the
# database's write lock. Either way the next connection of the workshop counts after this one commits.
_LOCK_WORKSHOP = (
    _WORKSHOPS.update().where(_WORKSHOPS.c.id == bindparam("workshop_id")).values(id=_WORKSHOPS.c.id)
)
_ADD_PRESENCE = _PRESENCE.insert().values({c.name: bindparam(c.name) for c in _PRESENCE.columns})
_REMOVE_PRESENCE = (
    _PRESENCE.delete().where(_PRESENCE.c.sid == bindparam("sid")).returning(_PRESENCE.c.workshop_id)
)


async def _add_row(connection: statements.Executor, values: dict[str, Any], caps) -> Refusal:
    """A connection's row, counted against the caps under the workshop row's lock; the refusal, if any, comes
    back as a value (from SQLite's thread, without a traceback's frames)."""
    try:
        if caps is not None:
            await statements.execute(connection, _LOCK_WORKSHOP, {"workshop_id": values["workshop_id"]})
            refused = await caps(connection)
            if refused is not None:
                await statements.rollback(connection)
                return refused
        await statements.execute(connection, _ADD_PRESENCE, values)
        await statements.commit(connection)
    except BaseException:
        await statements.rollback(connection)
        raise
    return None


async def _remove_row(connection: statements.Executor, sid: str) -> str | None:
    """Delete a connection's row; its workshop, or None when there was none."""
    try:
        row = await statements.first(connection, _REMOVE_PRESENCE, {"sid": sid})
        await statements.commit(connection)
    except BaseException:
        await statements.rollback(connection)
        raise
    return row.workshop_id if row is not None else None


class PresenceTracker:
    def __init__(
        self,
        sessions: SessionFactory,
        broadcaster: Broadcaster,
        worker_id: str,
        *,
        host: str = "",
        pid: int = 0,
        heartbeat_interval: float = 5.0,
        publish_delay: float = 0.0,
        clock: Callable[[], float] = time.time,
        writer: Callable[..., Awaitable[Any]] | None = None,
    ):
        self.sessions = sessions
        # Runs a connection's presence write in the writer's turn (``CommandBus.write``); without it, on a
        # connection of its own.
        self.writer = writer
        self.broadcaster = broadcaster
        self.worker_id = worker_id
        self.host = host
        self.pid = pid
        self.heartbeat_interval = heartbeat_interval
        # Counts are published at most once per ``publish_delay`` seconds per worker (0: at every change): a
        # room of phones joining at once is one update to the console and projector, not one per phone.
        self.publish_delay = publish_delay
        self._to_publish: set[str] = set()
        self._publisher: asyncio.Task | None = None
        self.clock = clock
        self.started_at = clock()
        self._live: dict[str, _Connection] = {}
        # Sockets that ended lately: a disconnect can be handled before the connect's row is written.
        self._ended: dict[str, float] = {}
        self._dirty: set[str] = set()
        self._last_beat: float | None = None  # when this worker last managed to beat

    # --- connections -------------------------------------------------------------------------------------

    async def connected(
        self,
        sid: str,
        actor: Actor,
        now: float,
        caps: Callable[[statements.Executor], Awaitable[Refusal]] | None = None,
    ) -> Refusal:
        """Write the connection's row. With ``caps`` (the connection limits), it is written only if ``caps``
        finds room, counted under a lock on the workshop's row: connections made at the same moment, on any
        worker, are counted one after the other, so a cap of 40 lets 40 in. Returns the refusal, if any.

        One transaction of ``statements`` in the writer's turn (``writer``: on SQLite with the commands waiting
        for it, ``statements.TakingTurns``)."""
        connection = _Connection(
            actor.workshop_id, actor.role, actor.table_id, now, credential_hash=actor.credential_hash
        )
        if sid in self._ended:
            return None  # it is gone already
        self._live[sid] = connection
        try:
            refused = await self._write(_add_row, connection.values(sid, self.worker_id), caps)
            if refused is not None:
                self._live.pop(sid, None)
                return refused
            if self._live.get(sid) is not connection:
                # The socket went while its row was being written: take the row back.
                await self._write(_remove_row, sid)
            await self._announce([actor.workshop_id])
        except BaseException:
            if caps is not None:
                # The connection is refused: the heartbeat must not re-add its row (it deletes it, if written).
                self._live.pop(sid, None)
            raise
        finally:
            connection.pending = False
        return None

    async def disconnected(self, sid: str) -> None:
        self._ended[sid] = self.clock()
        connection = self._live.pop(sid, None)
        # A statement, not the ORM's delete: a revocation or another worker's sweep may take the row first.
        workshop_id = await self._write(_remove_row, sid)
        if workshop_id is None:
            return  # never written, or ``connected`` is still writing it and will take it back
        await self._announce([workshop_id if connection is None else connection.workshop_id])

    async def _write(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        if self.writer is not None:
            return await self.writer(function, *args)
        async with self.sessions.kw["bind"].connect() as connection:
            return await function(connection, *args)

    # --- heartbeat ---------------------------------------------------------------------------------------

    async def beat(self, now: float | None = None) -> None:
        """Record that this worker is alive, make its rows match its sockets, sweep dead workers, publish."""
        now = self.clock() if now is None else now
        was_beating = self._last_beat is not None and now - self._last_beat <= 2 * self.heartbeat_interval
        self._ended = {sid: at for sid, at in self._ended.items() if at > now - ENDED_KEPT}
        changed: set[str] = set()
        async with self.sessions() as session:
            await self._record_alive(session, now)
            changed |= await self._reconcile(session)
            # After a gap in our own beats (a database outage, a stall) the others may not have been able to
            # beat either: sweep only when this worker has been beating steadily.
            if was_beating:
                changed |= await self._sweep(session, now - STALE_BEATS * self.heartbeat_interval)
            self._last_beat = now
            dirty, self._dirty = self._dirty, set()
            await self._publish(session, changed | dirty, mark_dirty=False)

    async def _record_alive(self, session, now: float) -> None:
        result = await session.exec(update(Worker).where(Worker.id == self.worker_id).values(last_seen=now))
        if result.rowcount == 0:
            session.add(
                Worker(
                    id=self.worker_id,
                    host=self.host[:255],
                    pid=self.pid,
                    started_at=self.started_at,
                    last_seen=now,
                )
            )
        await session.commit()

    async def _reconcile(self, session) -> set[str]:
        # Only sockets whose row was written before the read below can be missing from it: one that finishes
        # connecting while the read runs has its row, which the read may not show.
        settled = {sid for sid, c in self._live.items() if not c.pending}
        stored = dict(
            (
                await session.exec(
                    select(Presence.sid, Presence.workshop_id).where(Presence.worker_id == self.worker_id)
                )
            ).all()
        )
        live = dict(self._live)
        gone = [sid for sid in stored if sid not in live]
        missing = [sid for sid in settled if sid in live and sid not in stored]
        if not gone and not missing:
            return set()
        if gone:
            await session.exec(delete(Presence).where(Presence.sid.in_(gone)))
        for sid in missing:
            session.add(live[sid].row(sid, self.worker_id))
        await session.commit()
        if missing:
            log.info("presence: re-added %d rows of this worker", len(missing))
        return {stored[sid] for sid in gone} | {live[sid].workshop_id for sid in missing}

    async def _sweep(self, session, cutoff: float) -> set[str]:
        alive = select(Worker.id).where(Worker.last_seen >= cutoff)
        stale = Presence.worker_id.not_in(alive)
        workshops = set((await session.exec(select(Presence.workshop_id).where(stale).distinct())).all())
        if workshops:
            await session.exec(delete(Presence).where(stale))
            log.info("presence: swept the rows of stopped workers in %d workshops", len(workshops))
        await session.exec(delete(Worker).where(Worker.last_seen < cutoff))
        await session.commit()
        return workshops

    # --- start and stop ------------------------------------------------------------------------------------

    async def leave(self) -> None:
        """This worker is stopping: drop its rows and its heartbeat, and publish the new counts."""
        self._live.clear()
        if self._publisher is not None:
            self._publisher.cancel()
        async with self.sessions() as session:
            workshops = set(
                (
                    await session.exec(
                        select(Presence.workshop_id).where(Presence.worker_id == self.worker_id).distinct()
                    )
                ).all()
            )
            await session.exec(delete(Presence).where(Presence.worker_id == self.worker_id))
            await session.exec(delete(Worker).where(Worker.id == self.worker_id))
            await session.commit()
            await self._publish(session, workshops, mark_dirty=False)

    async def forget_worker(self, worker_id: str) -> None:
        """Drop the rows of a worker that is gone (its sockets died with it)."""
        async with self.sessions() as session:
            await session.exec(delete(Presence).where(Presence.worker_id == worker_id))
            await session.commit()

    async def forget_all(self) -> None:
        """A single process holds every socket: at its start, every row is stale."""
        async with self.sessions() as session:
            await session.exec(delete(Presence))
            await session.exec(delete(Worker))
            await session.commit()

    # --- publishing ----------------------------------------------------------------------------------------

    async def _announce(self, workshop_ids: Iterable[str]) -> None:
        """Publish these workshops' counts now, or with the next coalesced publication."""
        if self.publish_delay <= 0:
            async with self.sessions() as session:
                await self._publish(session, workshop_ids)
            return
        self._to_publish.update(workshop_ids)
        self._dirty.update(workshop_ids)  # the heartbeat publishes them again if this publication fails
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.ensure_future(self._publish_later())

    async def _publish_later(self) -> None:
        await asyncio.sleep(self.publish_delay)
        workshop_ids, self._to_publish = self._to_publish, set()
        try:
            async with self.sessions() as session:
                await self._publish(session, workshop_ids)
        except Exception as exc:
            log.warning("presence: could not publish counts (%s); the heartbeat will", exc.__class__.__name__)

    async def _publish(self, session, workshop_ids: Iterable[str], *, mark_dirty: bool = True) -> None:
        events = []
        for workshop_id in sorted(set(workshop_ids)):
            counts = await presence_counts(session, workshop_id)
            # Phones do not show presence; only the console and projector get it.
            events.append(
                Event(
                    "update",
                    {"type": "presence", "presence": counts},
                    (rooms.role(workshop_id, "facilitator"), rooms.role(workshop_id, "projector")),
                )
            )
            if mark_dirty:
                self._dirty.add(workshop_id)
        if events:
            await self.broadcaster.publish(events)


async def run_heartbeat(presence: PresenceTracker, interval: float) -> None:
    """The lifespan task: beat every ``interval`` seconds, whatever happens."""
    while True:
        await asyncio.sleep(interval)
        try:
            await presence.beat()
        except Exception as exc:
            if is_database_outage(exc):
                log.warning("heartbeat: database unavailable (%s); trying again", exc.__class__.__name__)
            else:
                log.exception("heartbeat failed; trying again")
