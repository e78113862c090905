"""socket.io: the server, its manager (in-process or Redis, by configuration) and the Broadcaster over it.

With ``REDIS_URL`` every worker publishes its emits on one Redis channel and listens to the others', so a phone
on one worker and a projector on another see each other's changes. socket.io's Redis manager delivers to the
worker's own clients directly and publishes for the others; when Redis is unreachable those publications are
lost (Redis pub/sub keeps nothing). ``RedisManager`` makes that recoverable:

- its listener reconnects quickly (at most ``RECONNECT_MAX`` seconds apart, not socket.io's 60);
- when the listener comes back after losing Redis, this worker's clients may have missed updates from the
  others: it sends each of them a fresh ``snapshot`` (they merge it by section version, as on a reconnect);
- when one of this worker's publications is lost, it owes the others a resync: as soon as Redis takes a
  message again it publishes a resync notice, and every other worker sends its clients a fresh snapshot.

Nothing is lost meanwhile: changes are committed before they are published, and a snapshot is read from the
database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import socketio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ..broadcast import CLOSE_CONNECTIONS, Event
from ..db import SessionFactory
from ..services import access
from ..services.errors import CommandError, unauthenticated
from ..services.state import build_snapshot
from ..settings import Settings

log = logging.getLogger(__name__)

# The transport's hard cap: a message over it closes the connection. Events are limited well below it (the
# MAX_MESSAGE_BYTES setting, 64 KiB) with a `too_large` ack, so a client never meets this one by accident.
MAX_MESSAGE_BYTES = 1024 * 1024
RECONNECT_MAX = 2.0  # seconds between the listener's attempts to reach Redis again, at most
PUBLISH_TIMEOUT = 3.0  # a publication that takes longer is counted as lost (and resynced), not waited for
LISTEN_PING_EVERY = 5.0  # the listener pings Redis when it has heard nothing for this long
RESYNC_METHOD = "thrive.resync"
RESYNC_CONCURRENCY = 8  # snapshots built at once during a resync


class RedisManager(socketio.AsyncRedisManager):
    """socket.io's Redis manager that notices lost broadcasts and has the clients resynced."""

    def __init__(self, url: str, **kwargs):
        super().__init__(url, **kwargs)
        self.on_resync: Callable[[], Awaitable[None]] | None = None
        self.listening = False
        self._publisher = None  # publications and the listener use separate connections
        self._resync_owed = False
        self._owed_task: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self._resync_again = False

    def _new_connection(self):
        self._redis_connect()  # socket.io's: plain, TLS and Sentinel URLs
        return self.redis, self.pubsub

    # --- publishing --------------------------------------------------------------------------------------

    async def _send(self, message: dict) -> bool:
        error: Exception | None = None
        for _attempt in range(2):
            try:
                if self._publisher is None:
                    self._publisher, _ = self._new_connection()
                payload = self.json.dumps(message)
                await asyncio.wait_for(self._publisher.publish(self.channel, payload), PUBLISH_TIMEOUT)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                await _close_quietly(self._publisher)
                self._publisher = None
        log.warning("could not publish to Redis (%s): the other workers will be resynced", error)
        return False

    async def _publish(self, data):
        if self._resync_owed and await self._send(self._notice()):
            self._resync_owed = False
        if not await self._send(data):
            self._owe_resync()

    def _notice(self) -> dict:
        return {"method": RESYNC_METHOD, "host_id": self.host_id}

    def _owe_resync(self) -> None:
        self._resync_owed = True
        if self._owed_task is None or self._owed_task.done():
            self._owed_task = asyncio.ensure_future(self._pay_resync())

    async def _pay_resync(self) -> None:
        delay = 0.2
        while self._resync_owed:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)
            if self._resync_owed and await self._send(self._notice()):
                self._resync_owed = False
                log.info("Redis takes messages again: asked every worker to resync its clients")

    # --- listening -----------------------------------------------------------------------------------------

    async def _listen(self):
        channel = self.channel.encode("utf-8")
        delay = 0.2
        lost = False
        while True:
            client = pubsub = None
            try:
                client, pubsub = self._new_connection()
                await pubsub.subscribe(self.channel)
                self.listening = True
                delay = 0.2
                if lost:
                    lost = False
                    log.info("listening to Redis again: resyncing this worker's clients")
                    self.schedule_resync()
                async for message in _messages(pubsub):
                    if message.get("type") != "message" or message.get("channel") != channel:
                        continue
                    data = message.get("data")
                    if isinstance(data, bytes) and RESYNC_METHOD.encode() in data[:100]:
                        notice = self.json.loads(data)
                        if notice.get("method") == RESYNC_METHOD:
                            if notice.get("host_id") != self.host_id:
                                self.schedule_resync()
                            continue
                    yield data
            except asyncio.CancelledError:
                self.listening = False
                await _close_quietly(pubsub)
                await _close_quietly(client)
                raise
            except Exception as exc:
                self.listening = False
                if not lost:
                    log.warning("lost Redis (%s): updates from other workers wait until it is back", exc)
                lost = True
                await _close_quietly(pubsub)
                await _close_quietly(client)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)

    # --- resync ----------------------------------------------------------------------------------------------

    def schedule_resync(self) -> None:
        """Resync this worker's clients soon; requests made while one runs fold into one more run."""
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.ensure_future(self._resync())

    async def _resync(self) -> None:
        while True:
            self._resync_again = False
            if self.on_resync is not None:
                try:
                    await self.on_resync()
                except Exception:
                    log.exception("resync failed; clients keep what they have")
            if not self._resync_again:
                return

    # --- health and shutdown ------------------------------------------------------------------------------

    async def ping(self, timeout: float = 2.0) -> bool:
        client, _ = self._new_connection()
        try:
            return bool(await asyncio.wait_for(client.ping(), timeout))
        finally:
            await _close_quietly(client)

    async def close(self) -> None:
        for task in (self._owed_task, self._resync_task, getattr(self, "thread", None)):
            if task is not None and not task.done():
                task.cancel()
        await _close_quietly(self._publisher)
        self._publisher = None


async def _messages(pubsub):
    """The subscription's messages; raises when Redis stops answering (pings when quiet), so a half-open
    connection (Redis's host lost, no reset) is noticed too."""
    loop = asyncio.get_running_loop()
    last_heard = loop.time()
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=LISTEN_PING_EVERY)
        now = loop.time()
        if message is None:
            silent = now - last_heard
            if silent > 2.5 * LISTEN_PING_EVERY:
                raise ConnectionError(f"Redis has not answered for {silent:.0f} s")
            if silent >= LISTEN_PING_EVERY:
                await pubsub.ping()
            continue
        last_heard = now
        if message.get("type") != "pong":
            yield message


async def _close_quietly(connection) -> None:
    if connection is None:
        return
    try:
        await connection.aclose()
    except Exception:
        pass


def create_socket_server(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        # Every worker subscribes to one channel; an emit reaches the clients of every worker.
        manager = RedisManager(
            settings.redis_url,
            channel=settings.redis_channel,
            logger=logging.getLogger("thrive.redis"),
            redis_options={
                "socket_keepalive": True,
                "socket_connect_timeout": 3,
                # No silent reconnects inside redis-py: a subscription that reconnected by itself would hide
                # the messages lost meanwhile. RedisManager reconnects, and resyncs the clients.
                "retry": Retry(NoBackoff(), 0),
            },
        )
    origins = list(settings.allowed_origins) if settings.allowed_origins else None  # None: same origin only
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=origins,
        transports=settings.transports,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        logger=False,
        engineio_logger=False,
    )


def start_manager(sio: socketio.AsyncServer) -> None:
    """Start listening to Redis now, not at the first connection, so that connection misses nothing."""
    if not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()


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
                    await sio.emit("revoked", unauthenticated().to_payload(), to=sid, ignore_queue=True)
                    await sio.disconnect(sid, ignore_queue=True)
                    return False
                snapshot = await build_snapshot(session, actor, clock())
            await sio.emit("snapshot", snapshot, to=sid, ignore_queue=True)
            return True

    results = await asyncio.gather(*(resync(sid) for sid in local_clients(sio)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        log.warning("resync: %d clients could not be resynced (%s)", len(failed), failed[0])
    return sum(r is True for r in results)


class SocketIOBroadcaster:
    """The Broadcaster services publish through, implemented with socket.io rooms."""

    def __init__(self, sio: socketio.AsyncServer):
        self.sio = sio

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.name == CLOSE_CONNECTIONS:
                await self._close(event)
                continue
            await self.sio.emit(event.name, event.data, to=list(event.rooms))

    async def _close(self, event: Event) -> None:
        """Tell, then disconnect (on whichever worker holds them) the connections a revocation names."""
        notice, keep = event.data.get("notice", {}), set(event.data.get("keep", ()))
        sids = set(event.data.get("sids", ()))
        for room in event.rooms:  # the members of this worker (the presence rows name every worker's)
            sids.update(sid for sid, _eio in self.sio.manager.get_participants("/", room))
        for sid in sorted(sids - keep):
            await self.sio.emit("revoked", notice, to=sid)
            await self.sio.disconnect(sid)
