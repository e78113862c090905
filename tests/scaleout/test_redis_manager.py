"""The Redis manager's recovery, in process: a subscription whose connection goes silent (Redis's host lost, no
reset) is noticed by its pings, restored, and the worker's clients are resynced."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from redis import asyncio as aioredis

from server.realtime import transport
from server.realtime.transport import RedisManager
from tests.scaleout.cluster import eventually

pytestmark = [pytest.mark.asyncio, pytest.mark.redis]


class FreezableProxy:
    """TCP proxy to Redis whose open connections can be frozen: bytes stop flowing, nothing is closed."""

    def __init__(self, port: int):
        self.port = port
        self.frozen = asyncio.Event()
        self.listen_port = 0
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> FreezableProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        born_frozen = self.frozen.is_set()

        async def pipe(src, dst):
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    if self.frozen.is_set() and not born_frozen:
                        await asyncio.Event().wait()  # hold everything, forever
                    dst.write(data)
                    await dst.drain()

        for task in (
            asyncio.ensure_future(pipe(reader, up_writer)),
            asyncio.ensure_future(pipe(up_reader, writer)),
        ):
            self._tasks.add(task)

    async def close(self):
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def test_a_silent_redis_connection_is_noticed_restored_and_the_clients_resynced(
    shared_redis, monkeypatch
):
    monkeypatch.setattr(transport, "LISTEN_PING_EVERY", 0.3)
    proxy = await FreezableProxy(int(shared_redis.rsplit(":", 1)[1].split("/")[0])).start()
    channel = f"thrive-test-{uuid.uuid4().hex[:8]}"
    manager = RedisManager(f"redis://127.0.0.1:{proxy.listen_port}/0", channel=channel)
    resyncs = []

    async def resync():
        resyncs.append(1)

    manager.on_resync = resync
    received: list[bytes] = []

    async def listen():
        async for data in manager._listen():
            received.append(data)

    listening = asyncio.ensure_future(listen())
    publisher = aioredis.Redis.from_url(shared_redis)
    try:
        await eventually(lambda: manager.listening)
        await publisher.publish(channel, b'{"method": "emit", "n": 1}')
        await eventually(lambda: len(received) == 1)

        proxy.frozen.set()  # the connection stays open but nothing comes back, not even pongs
        # Noticed by its pings; a new connection (which the proxy lets through) subscribes again, and what may
        # have been missed meanwhile is resynced.
        await eventually(lambda: resyncs, timeout=30)
        assert manager.listening
        await publisher.publish(channel, b'{"method": "emit", "n": 2}')
        await eventually(lambda: len(received) == 2)
        # A resync notice from another worker resyncs this one's clients too, and is not passed on as an emit.
        before = len(resyncs)
        await publisher.publish(channel, b'{"method": "thrive.resync", "host_id": "another-worker"}')
        await eventually(lambda: len(resyncs) > before)
        assert len(received) == 2
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await publisher.aclose()
        await manager.close()
        await proxy.close()
