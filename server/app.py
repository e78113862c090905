"""The application factory: settings -> database -> socket.io -> services -> Starlette, wrapped by socket.io."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

import socketio
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware

from .db import SessionFactory, make_engine, make_session_factory
from .realtime.handlers import SocketHandlers
from .realtime.transport import SocketIOBroadcaster, create_socket_server
from .services import agenda, consensus, display, rankings  # noqa: F401  (register their commands)
from .services.commands import CommandBus
from .services.presence import PresenceTracker
from .services.scheduler import run_scheduler
from .settings import Settings
from .web.assets import template_environment
from .web.routes import routes
from .web.security import SecurityHeadersMiddleware

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


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    sio = create_socket_server(settings)
    broadcaster = SocketIOBroadcaster(sio)
    bus = CommandBus(sessions, broadcaster)
    worker_id = uuid.uuid4().hex
    presence = PresenceTracker(sessions, broadcaster, worker_id)
    SocketHandlers(sio, bus, presence).register()
    return Services(settings, engine, sessions, sio, bus, presence, template_environment(), worker_id)


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or Settings.from_env()
    services = build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if not settings.redis_url:
            # One process holds every socket: rows left by a previous run are stale.
            await services.presence.forget_all()
        scheduler = asyncio.create_task(run_scheduler(services.bus, settings.scheduler_interval))
        try:
            yield
        finally:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
            await services.presence.forget_worker(services.worker_id)
            await services.engine.dispose()

    starlette_app = Starlette(
        routes=routes(), lifespan=lifespan, middleware=[Middleware(SecurityHeadersMiddleware)]
    )
    starlette_app.state.services = services
    # Wrap, don't mount: socket.io answers /socket.io/, everything else (and the lifespan) goes to Starlette.
    app = socketio.ASGIApp(services.sio, other_asgi_app=starlette_app)
    app.services = services  # for tests and the CLI
    return app
