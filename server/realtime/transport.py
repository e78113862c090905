"""socket.io: the server, the Broadcaster over it and, with ``REDIS_URL``, the relay between workers.

socket.io keeps its default in-process manager in every deployment and is used through its public API only.
Alone, a worker's Broadcaster delivers events to its own clients. With ``REDIS_URL`` it also hands them to a
``RedisRelay`` (relay.py), which publishes them for the other workers and delivers theirs here, so a phone on
one worker and a projector on another see each other's changes; when broadcasts may have been lost the relay
calls ``resync_local_clients``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import socketio

from ..broadcast import CLOSE_CONNECTIONS, Event
from ..db import SessionFactory
from ..services import access
from ..services.errors import CommandError, unauthenticated
from ..services.state import build_snapshot
from ..settings import Settings
from .relay import RedisRelay

log = logging.getLogger(__name__)

# The transport's hard cap: a message over it closes the connection. Events are limited well below it (the
# MAX_MESSAGE_BYTES setting, 64 KiB) with a `too_large` ack, so a client never meets this one by accident.
MAX_MESSAGE_BYTES = 1024 * 1024
RESYNC_CONCURRENCY = 8  # snapshots built at once during a resync


def create_socket_server(settings: Settings) -> socketio.AsyncServer:
    origins = list(settings.allowed_origins) if settings.allowed_origins else None  # None: same origin only
    return socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=origins,
        transports=settings.transports,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        logger=False,
        engineio_logger=False,
    )


def create_relay(settings: Settings) -> RedisRelay | None:
    """The relay between workers when Redis is configured; every worker of a deployment shares the channel."""
    if not settings.redis_url:
        return None
    return RedisRelay(settings.redis_url, settings.redis_channel)


def local_clients(sio: socketio.AsyncServer) -> list[str]:
    """The sids of the clients connected to this worker."""
    return [sid for sid, _eio_sid in sio.manager.get_participants("/", None)]


async def resync_local_clients(sio: socketio.AsyncServer, sessions: SessionFactory, clock) -> int:
    """Send every client of this worker a fresh snapshot (after broadcasts may have been lost). A client whose
    token was revoked meanwhile (its close went through Redis too) is told and disconnected instead."""
    limit = asyncio.Semaphore(RESYNC_CONCURRENCY)

    async def resync(sid: str) -> bool:
        async with limit:
            try:
                actor = (await sio.get_session(sid)).get("actor")
            except KeyError:
                return False  # gone meanwhile
            if actor is None:
                return False
            async with sessions() as session:
                try:
                    await access.ensure_current(session, actor)
                except CommandError:
                    # Revoked while the revocation could not reach this worker: close it now.
                    await sio.emit("revoked", unauthenticated().to_payload(), to=sid)
                    await sio.disconnect(sid)
                    return False
                snapshot = await build_snapshot(session, actor, clock())
            await sio.emit("snapshot", snapshot, to=sid)
            return True

    results = await asyncio.gather(*(resync(sid) for sid in local_clients(sio)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        log.warning("resync: %d clients could not be resynced (%s)", len(failed), failed[0])
    return sum(r is True for r in results)


class SocketIOBroadcaster:
    """The Broadcaster services publish through, implemented with socket.io rooms: this worker's clients
    first, then (with a relay) every other worker's."""

    def __init__(self, sio: socketio.AsyncServer, relay: RedisRelay | None = None):
        self.sio = sio
        self.relay = relay
        if relay is not None:
            relay.on_events = self.deliver

    async def publish(self, events: Sequence[Event]) -> None:
        await self.deliver(events)
        if self.relay is not None:
            await self.relay.publish(events)

    async def deliver(self, events: Sequence[Event]) -> None:
        """Send ``events`` to the clients of this worker."""
        for event in events:
            if event.name == CLOSE_CONNECTIONS:
                await self._close(event)
                continue
            await self.sio.emit(event.name, event.data, to=list(event.rooms))

    async def _close(self, event: Event) -> None:
        """Tell, then disconnect, the connections a revocation names that this worker holds (every worker
        runs this for its own)."""
        notice, keep = event.data.get("notice", {}), set(event.data.get("keep", ()))
        sids = {sid for sid in event.data.get("sids", ()) if self.sio.manager.is_connected(sid, "/")}
        for room in event.rooms:
            sids.update(sid for sid, _eio in self.sio.manager.get_participants("/", room))
        for sid in sorted(sids - keep):
            await self.sio.emit("revoked", notice, to=sid)
            await self.sio.disconnect(sid)
