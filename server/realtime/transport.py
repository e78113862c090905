"""socket.io: the server, its manager (in-process or Redis, by configuration) and the Broadcaster over it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import socketio

from ..broadcast import Event
from ..settings import Settings

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024


def create_socket_server(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        # Every worker subscribes to one channel; an emit reaches the clients of every worker.
        manager = socketio.AsyncRedisManager(
            settings.redis_url,
            logger=logging.getLogger("thrive.redis"),
            redis_options={"health_check_interval": 30, "socket_keepalive": True},
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


class SocketIOBroadcaster:
    """The Broadcaster services publish through, implemented with socket.io rooms."""

    def __init__(self, sio: socketio.AsyncServer):
        self.sio = sio

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self.sio.emit(event.name, event.data, to=list(event.rooms))
