"""Broadcasts between workers over one Redis pub/sub channel, on redis-py's public asyncio API only.

With ``REDIS_URL`` each worker delivers a command's events to its own clients (through socket.io's in-process
manager), then publishes them on the channel; every other worker delivers them to its clients. socket.io's
own Redis manager is not used: its reconnect and publish paths are private methods, and recovering lost
broadcasts needs both. Redis pub/sub keeps nothing, so ``RedisRelay`` makes losses recoverable:

- its listener reconnects quickly (at most ``RECONNECT_MAX`` seconds apart) and pings Redis when the channel is
  quiet, so a half-open connection (Redis's host lost, no reset) is noticed too;
- when the listener comes back after losing Redis, this worker's clients may have missed updates from the
  others: ``on_resync`` sends each of them a fresh ``snapshot`` (they merge it by section version);
- when one of this worker's publications is lost, it owes the others a resync: as soon as Redis takes a
  message again it publishes a resync notice, and every other worker resyncs its clients.

Nothing is lost meanwhile: changes are committed before they are published, and a snapshot is read from the
database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from urllib.parse import urlparse

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from ..broadcast import Event

log = logging.getLogger(__name__)

RECONNECT_MAX = 2.0  # seconds between the listener's attempts to reach Redis again, at most
PUBLISH_TIMEOUT = 3.0  # a publication that takes longer is counted as lost (and resynced), not waited for
LISTEN_PING_EVERY = 5.0  # the listener pings Redis when it has heard nothing for this long
WIRE = "thrive.1"  # the format of this module's messages; anything else on the channel is ignored

REDIS_OPTIONS = {
    "socket_keepalive": True,
    "socket_connect_timeout": 3,
    # No silent reconnects inside redis-py: a subscription that reconnected by itself would hide the messages
    # lost meanwhile. The relay reconnects, and has the clients resynced.
    "retry": Retry(NoBackoff(), 0),
}


class RedisRelay:
    """Carries every worker's events to the others; notices lost broadcasts and has the clients resynced."""

    def __init__(self, url: str, channel: str, redis_options: dict | None = None):
        self.url = url
        self.channel = channel
        self.redis_options = {**REDIS_OPTIONS, **(redis_options or {})}
        self.worker = uuid.uuid4().hex  # our own messages come back on the channel: skipped by this
        self.on_events: Callable[[list[Event]], Awaitable[None]] | None = None  # events from other workers
        # Called when this worker's clients may have missed events (they are sent fresh snapshots).
        self.on_resync: Callable[[], Awaitable[None]] | None = None
        self.listening = False
        self._subscribed = asyncio.Event()
        self._publisher: Redis | None = None  # publications and the listener use separate connections
        self._sentinel: Sentinel | None = None  # with redis+sentinel://, one for every connection
        self._listener: asyncio.Task | None = None
        self._resync_owed = False
        self._owed_task: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self._resync_again = False

    def connect(self) -> Redis:
        """A new client for ``url``: ``redis://``, ``rediss://`` (TLS), ``unix://`` or ``redis+sentinel://``."""
        if urlparse(self.url).scheme == "redis+sentinel":
            sentinels, service, options = parse_sentinel_url(self.url)
            if self._sentinel is None:
                self._sentinel = Sentinel(sentinels, **{**self.redis_options, **options})
            return self._sentinel.master_for(service or self.channel)
        return Redis.from_url(self.url, **self.redis_options)

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start listening (once)."""
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._keep_listening())

    async def wait_listening(self, timeout: float) -> bool:
        """Whether the subscription is up within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except TimeoutError:
            pass
        return self.listening

    async def ping(self, timeout: float = 2.0) -> bool:
        client = self.connect()
        try:
            return bool(await asyncio.wait_for(client.ping(), timeout))
        finally:
            await _close_quietly(client)

    async def close(self) -> None:
        tasks = [t for t in (self._listener, self._owed_task, self._resync_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._listener = None
        await _close_quietly(self._publisher)
        self._publisher = None
        if self._sentinel is not None:
            for client in self._sentinel.sentinels:
                await _close_quietly(client)
            self._sentinel = None

    # --- publishing ------------------------------------------------------------------------------------------

    async def publish(self, events: Sequence[Event]) -> bool:
        """Send ``events`` to the other workers; False (and a resync owed to them) when Redis did not take them."""
        if not events:
            return True
        if self._resync_owed:
            await self._send_notice()
        message = {
            "wire": WIRE,
            "from": self.worker,
            "events": [[event.name, event.data, list(event.rooms)] for event in events],
        }
        if await self._send(message):
            return True
        self._owe_resync()
        return False

    async def _send(self, message: dict) -> bool:
        error: Exception | None = None
        payload = json.dumps(message, separators=(",", ":"))
        for _attempt in range(2):
            publisher = self._publisher
            if publisher is None:
                publisher = self._publisher = self.connect()
            try:
                await asyncio.wait_for(publisher.publish(self.channel, payload), PUBLISH_TIMEOUT)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                if self._publisher is publisher:  # (a concurrent publication may have replaced it already)
                    self._publisher = None
                await _close_quietly(publisher)
        log.warning("could not publish to Redis (%s): the other workers will be resynced", error)
        return False

    async def _send_notice(self) -> bool:
        """Ask the other workers to resync their clients; True when Redis took the notice."""
        self._resync_owed = False  # (so that publications meanwhile do not send it again)
        if await self._send({"wire": WIRE, "from": self.worker, "resync": True}):
            return True
        self._owe_resync()
        return False

    def _owe_resync(self) -> None:
        self._resync_owed = True
        if self._owed_task is None or self._owed_task.done():
            self._owed_task = asyncio.ensure_future(self._pay_resync())

    async def _pay_resync(self) -> None:
        delay = 0.2
        while self._resync_owed:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)
            if self._resync_owed and await self._send_notice():
                log.info("Redis takes messages again: asked every worker to resync its clients")

    # --- listening -----------------------------------------------------------------------------------------

    async def _keep_listening(self) -> None:
        delay = 0.2
        lost = False
        while True:
            client = pubsub = None
            try:
                client = self.connect()
                pubsub = client.pubsub()
                await pubsub.subscribe(self.channel)
                self.listening = True
                self._subscribed.set()
                delay = 0.2
                if lost:
                    lost = False
                    log.info("listening to Redis again: resyncing this worker's clients")
                    self.schedule_resync()
                async for data in _messages(pubsub, self.channel):
                    await self._receive(data)
            except asyncio.CancelledError:
                self.listening = False
                await _close_quietly(pubsub)
                await _close_quietly(client)
                raise
            except Exception as exc:
                self.listening = False
                self._subscribed.clear()
                if not lost:
                    log.warning("lost Redis (%s): updates from other workers wait until it is back", exc)
                lost = True
                await _close_quietly(pubsub)
                await _close_quietly(client)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)

    async def _receive(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("wire") != WIRE or message.get("from") == self.worker:
            return  # another program's message, or our own (already delivered here)
        if message.get("resync"):
            self.schedule_resync()
            return
        try:
            events = [Event(name, payload, tuple(rooms)) for name, payload, rooms in message["events"]]
        except (KeyError, TypeError, ValueError):
            log.warning("ignored a malformed message on the Redis channel")
            return
        if self.on_events is not None:
            try:
                await self.on_events(events)
            except Exception:
                log.exception("could not deliver events from another worker")

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


async def _messages(pubsub, channel: str) -> AsyncIterator[bytes | str]:
    """The data published on ``channel``; raises when Redis stops answering (pings when quiet), so a half-open
    connection is noticed too."""
    wanted = {channel, channel.encode("utf-8")}
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
        if message.get("type") == "message" and message.get("channel") in wanted:
            yield message["data"]
        last_heard = loop.time()  # after handling it: a slow delivery is not Redis's silence


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str | None, dict]:
    """``redis+sentinel://[user:password@]host1:port1,host2:port2/db/service``, read as socket.io reads it:
    the sentinels, the service name (None: the channel's) and the options for the master's connections."""
    parsed = urlparse(url)
    if parsed.scheme != "redis+sentinel":
        raise ValueError("not a redis+sentinel:// URL")
    sentinels = []
    for host_port in parsed.netloc.rsplit("@", 1)[-1].split(","):
        host, port = host_port.rsplit(":", 1)
        sentinels.append((host, int(port)))
    options: dict = {}
    if parsed.username:
        options["username"] = parsed.username
    if parsed.password:
        options["password"] = parsed.password
    service = None
    parts = parsed.path.split("/")
    if len(parts) >= 2 and parts[1]:
        options["db"] = int(parts[1])
    if len(parts) >= 3 and parts[2]:
        service = parts[2]
    return sentinels, service, options


async def _close_quietly(connection) -> None:
    if connection is None:
        return
    try:
        await connection.aclose()
    except Exception:
        pass
