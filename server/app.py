"""The application factory: settings -> database -> socket.io -> services -> Starlette, wrapped by socket.io."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

import socketio
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware

from . import process_tuning
from .db import SessionFactory, make_engine, make_session_factory
from .realtime.handlers import SocketHandlers
from .realtime.relay import RedisRelay
from .realtime.transport import SocketIOBroadcaster, create_relay, create_socket_server, resync_local_clients
from .services import every_command  # noqa: F401  (registers every command)
from .services.commands import CommandBus
from .services.guesses import Guesses
from .services.presence import PresenceTracker, run_heartbeat
from .services.scheduler import run_scheduler
from .settings import Settings
from .untrusted.pool import ParserPool
from .web.assets import template_environment
from .web.routes import exception_handlers, routes
from .web.security import SecurityHeadersMiddleware, keep_secrets_out_of_logs
from .web.static_assets import compression

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    sio: socketio.AsyncServer
    bus: CommandBus
    presence: PresenceTracker
    templates: Environment
    worker_id: str
    parsers: ParserPool  # files and exports from outside are parsed in its child processes
    guesses: Guesses  # limits on guessing passwords and join codes, across workers with Redis
    relay: RedisRelay | None  # with REDIS_URL: broadcasts to and from the other workers
    draining: bool = False  # set when shutting down: /readyz answers 503 so balancers stop sending work


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    sio = create_socket_server(settings)
    relay = create_relay(settings)
    broadcaster = SocketIOBroadcaster(sio, relay)
    bus = CommandBus(sessions, broadcaster)
    worker_id = uuid.uuid4().hex
    presence = PresenceTracker(
        sessions,
        broadcaster,
        worker_id,
        host=socket.gethostname(),
        pid=os.getpid(),
        heartbeat_interval=settings.heartbeat_interval,
        publish_delay=settings.presence_publish_delay,
        writer=bus.write,
    )
    if relay is not None:
        # Broadcasts lost while Redis was unreachable: send this worker's clients fresh snapshots.
        relay.on_resync = lambda: resync_local_clients(sio, sessions, time.time)
    guesses = Guesses.from_settings(settings)
    SocketHandlers(sio, bus, presence, guesses, settings).register()
    parsers = ParserPool.from_settings(settings)
    return Services(
        settings,
        engine,
        sessions,
        sio,
        bus,
        presence,
        template_environment(),
        worker_id,
        parsers,
        guesses,
        relay,
    )


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or Settings.from_env()
    keep_secrets_out_of_logs()
    services = build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await _start(services)
        process_tuning.tune_for_serving()
        tasks = [
            asyncio.create_task(run_scheduler(services.bus, settings.scheduler_interval)),
            asyncio.create_task(run_heartbeat(services.presence, settings.heartbeat_interval)),
        ]
        if settings.memory_trim_interval > 0:
            tasks.append(asyncio.create_task(process_tuning.release_free_memory_every(settings.memory_trim_interval)))
        try:
            yield
        finally:
            # uvicorn has stopped accepting, closed the websockets (code 1012: clients reconnect to another
            # worker at once) and finished the requests in flight; now leave cleanly.
            services.draining = True
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await _stop(services)

    starlette_app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeadersMiddleware), compression()],
        exception_handlers=exception_handlers(),
    )
    starlette_app.state.services = services
    # Wrap, don't mount: socket.io answers /socket.io/, everything else (and the lifespan) goes to Starlette.
    app = socketio.ASGIApp(services.sio, other_asgi_app=starlette_app)
    app.services = services  # for tests and the CLI
    return app


async def _start(services: Services) -> None:
    settings = services.settings
    services.parsers.start()
    try:
        if not settings.redis_url:
            # One process holds every socket: rows left by a previous run are stale.
            await services.presence.forget_all()
        # Beat before serving, so this worker is known before it writes any presence row.
        await services.presence.beat()
    except Exception:
        # Serve all the same (/readyz says what is wrong); the heartbeat keeps trying.
        log.exception("could not reach the database at start-up")
    if services.relay is not None:
        services.relay.start()
        # Up to 3 s: the first clients should not connect before the subscription.
        if not await services.relay.wait_listening(3.0):
            log.warning("not listening to Redis yet; serving anyway (clients are resynced when it is back)")


async def _stop(services: Services) -> None:
    await services.parsers.close()
    await services.guesses.close()
    try:
        await services.presence.leave()
    except Exception:
        log.warning("could not remove this worker's presence rows; the others will sweep them")
    if services.relay is not None:
        await services.relay.close()
    await services.engine.dispose()
