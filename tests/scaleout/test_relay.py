"""The relay between workers, in process on real Redis: events cross from one worker to the others, a
subscription whose connection goes silent is noticed and restored, and lost broadcasts end in a resync."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import uuid

import pytest
from redis import asyncio as aioredis

from server.broadcast import Event
from server.realtime import relay as relay_module
from server.realtime.relay import RedisRelay, parse_sentinel_url
from tests.live import eventually, free_port
from tests.scaleout.cluster import _port_open, wait_until

pytestmark = pytest.mark.redis


class Proxy:
    """TCP proxy to Redis whose connections can be frozen (bytes stop flowing, nothing is closed) or cut (closed,
    and new ones refused) until restored."""

    def __init__(self, port: int):
        self.port = port
        self.frozen = asyncio.Event()
        self.cut = False
        self.listen_port = 0
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listen_port}/0"

    async def _handle(self, reader, writer):
        if self.cut:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        born_frozen = self.frozen.is_set()
        self._writers.update((writer, up_writer))

        async def pipe(src, dst):
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    if self.frozen.is_set() and not born_frozen:
                        await asyncio.Event().wait()  # hold everything, forever
                    dst.write(data)
                    await dst.drain()
            dst.close()

        for task in (
            asyncio.ensure_future(pipe(reader, up_writer)),
            asyncio.ensure_future(pipe(up_reader, writer)),
        ):
            self._tasks.add(task)

    def cut_off(self) -> None:
        """Redis is gone for whoever goes through the proxy: its connections close, new ones are refused."""
        self.cut = True
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def close(self):
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def redis_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@contextlib.asynccontextmanager
async def relays(*urls: str, channel: str | None = None):
    """Started relays on one channel, each recording the events and the resyncs it was handed."""
    channel = channel or f"thrive-test-{uuid.uuid4().hex[:8]}"
    started = []
    for url in urls:
        relay = RedisRelay(url, channel)
        relay.received, relay.resyncs = [], []

        async def on_events(events, relay=relay):
            relay.received.extend(events)

        async def on_resync(relay=relay):
            relay.resyncs.append(1)

        relay.on_events, relay.on_resync = on_events, on_resync
        relay.start()
        started.append(relay)
    try:
        for relay in started:
            assert await relay.wait_listening(30)
        yield started
    finally:
        for relay in started:
            await relay.close()


def event(n: int) -> Event:
    return Event("ranking", {"n": n, "text": "é ✓"}, ("w:1", "w:1:t:2"))


async def test_events_reach_every_other_worker_and_foreign_messages_are_ignored(shared_redis):
    async with relays(shared_redis, shared_redis, shared_redis) as (a, b, c):
        assert await a.publish([event(1), event(2)])
        await eventually(lambda: len(b.received) == 2 and len(c.received) == 2)
        assert b.received == [event(1), event(2)] == c.received  # in order, the same events
        # Messages that are not the relay's (another program on the channel, socket.io's own format from a
        # worker of an older release) are ignored, not delivered and not fatal to the listener.
        async with aioredis.Redis.from_url(shared_redis) as other:
            for junk in (
                b"not json",
                b"[1, 2]",
                b'{"method": "emit", "event": "x", "data": [1]}',
                b'{"wire": "thrive.1", "from": "x", "events": [["only a name"]]}',
            ):
                await other.publish(a.channel, junk)
        assert await b.publish([event(3)])
        await eventually(lambda: len(a.received) == 1 and len(c.received) == 3)
        assert a.received == [event(3)] and c.received[-1] == event(3)
        assert b.received == [event(1), event(2)]  # a worker's own events are not handed back to it
        assert a.resyncs == b.resyncs == c.resyncs == []  # nothing was lost
        assert await a.ping()


async def test_a_silent_redis_connection_is_noticed_restored_and_the_clients_resynced(
    shared_redis, monkeypatch
):
    monkeypatch.setattr(relay_module, "LISTEN_PING_EVERY", 0.3)
    proxy = await Proxy(redis_port(shared_redis)).start()
    try:
        async with relays(proxy.url, shared_redis) as (listener, sender):
            assert await sender.publish([event(1)])
            await eventually(lambda: len(listener.received) == 1)

            proxy.frozen.set()  # the connection stays open but nothing comes back, not even pongs
            # Noticed by its pings; a new connection (which the proxy lets through) subscribes again, and what
            # may have been missed meanwhile is resynced.
            await eventually(lambda: listener.resyncs, timeout=30)
            assert listener.listening
            assert await sender.publish([event(2)])
            await eventually(lambda: len(listener.received) == 2)
            # A resync notice from another worker resyncs this one's clients too, and is not passed on as events.
            before = len(listener.resyncs)
            async with aioredis.Redis.from_url(shared_redis) as other:
                await other.publish(listener.channel, b'{"wire": "thrive.1", "from": "w2", "resync": true}')
            await eventually(lambda: len(listener.resyncs) > before)
            assert len(listener.received) == 2
    finally:
        await proxy.close()


async def test_a_lost_publication_has_the_others_resynced_once_redis_takes_messages_again(shared_redis):
    proxy = await Proxy(redis_port(shared_redis)).start()
    try:
        async with relays(proxy.url, shared_redis) as (cut_off, other):
            proxy.cut_off()  # Redis is unreachable for one worker only
            await eventually(lambda: not cut_off.listening)
            assert not await cut_off.publish([event(1)])  # lost: not retried, but owed
            assert other.received == [] and other.resyncs == []
            assert not await cut_off.publish([event(2)])

            proxy.cut = False  # Redis is back
            # The worker that lost its publications asks the others to resync, once, by itself (no further
            # publication needed); its own listener is back too, and resyncs its own clients.
            await eventually(lambda: other.resyncs, timeout=30)
            await eventually(lambda: cut_off.listening and cut_off.resyncs, timeout=30)
            assert other.received == []  # the lost events are not replayed: the snapshot carries them
            assert await cut_off.publish([event(3)])
            await eventually(lambda: other.received == [event(3)])
            assert len(other.resyncs) == 1
    finally:
        await proxy.close()


@pytest.fixture
def sentinel_port(shared_redis, tmp_path):
    """A real sentinel (``redis-server --sentinel``) watching the machine's Redis as the master "thrive"."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor thrive 127.0.0.1 {redis_port(shared_redis)} 1\n"
    )
    sentinel = subprocess.Popen(
        ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        wait_until(lambda: _port_open(port), 10, "redis sentinel to listen")
        yield port
    finally:
        sentinel.kill()
        sentinel.wait(10)


async def test_a_sentinel_url_finds_its_master(shared_redis, sentinel_port):
    """``redis+sentinel://`` (docs/deploy.md) reaches the master a sentinel names."""
    url = f"redis+sentinel://127.0.0.1:{sentinel_port}/0/thrive"
    async with relays(url, shared_redis) as (through_sentinel, direct):
        assert await through_sentinel.ping()
        assert await through_sentinel.publish([event(1)])
        await eventually(lambda: direct.received == [event(1)])
        assert await direct.publish([event(2)])
        await eventually(lambda: through_sentinel.received == [event(2)])


def test_sentinel_urls_are_read_as_socketio_reads_them():
    assert parse_sentinel_url("redis+sentinel://u:pw@h1:26379,h2:26380/2/mymaster") == (
        [("h1", 26379), ("h2", 26380)],
        "mymaster",
        {"username": "u", "password": "pw", "db": 2},
    )
    assert parse_sentinel_url("redis+sentinel://:pw@h1:26379") == ([("h1", 26379)], None, {"password": "pw"})
    with pytest.raises(ValueError):
        parse_sentinel_url("redis://h1:6379/0")
