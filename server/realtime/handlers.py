"""socket.io event handlers. Thin: who is asking, then hand the payload to the command bus.

python-socketio has no connection-state recovery: a reconnect is a new sid with no rooms, so every connect
re-joins rooms and gets a full snapshot.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from ..broadcast import rooms
from ..services.commands import REGISTRY, Actor, CommandBus, refusal
from ..services.errors import CommandError
from ..services.presence import PresenceTracker
from ..services.state import build_snapshot
from ..services.workshops import authenticate

log = logging.getLogger(__name__)

READ_ONLY_EVENTS = ("sync", "clock")


class SocketHandlers:
    def __init__(self, sio: socketio.AsyncServer, bus: CommandBus, presence: PresenceTracker):
        self.sio = sio
        self.bus = bus
        self.presence = presence

    def register(self) -> None:
        self.sio.on("connect", self.connect)
        self.sio.on("disconnect", self.disconnect)
        self.sio.on("sync", self.sync)
        self.sio.on("clock", self.clock)
        for name in REGISTRY:
            self.sio.on(name, self._command_handler(name))
        self.sio.on("*", self.unknown_event)

    async def connect(self, sid: str, environ: dict, auth: Any = None):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            async with self.bus.sessions() as session:
                actor = await authenticate(session, token)
        except CommandError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.to_payload()) from None
        await self.sio.save_session(sid, {"actor": actor})
        for room in rooms.for_client(actor.workshop_id, actor.role, actor.table_id):
            await self.sio.enter_room(sid, room)
        # The snapshot goes out once the connection is accepted (after this handler returns).
        self.sio.start_background_task(self._welcome, sid, actor)
        return True

    async def _welcome(self, sid: str, actor: Actor) -> None:
        try:
            await self.presence.connected(sid, actor, time.time())
            snapshot = await self._snapshot(actor)
            await self.sio.emit("snapshot", snapshot, to=sid)
        except Exception:
            log.exception("could not welcome %s; the client will ask with sync", sid)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        try:
            await self.presence.disconnected(sid)
        except Exception:
            log.exception("presence cleanup failed for %s", sid)

    async def _actor(self, sid: str) -> Actor | None:
        try:
            session = await self.sio.get_session(sid)
        except KeyError:
            return None
        return session.get("actor")

    async def _snapshot(self, actor: Actor) -> dict:
        async with self.bus.sessions() as session:
            return await build_snapshot(session, actor, time.time())

    async def sync(self, sid: str, data: Any = None) -> dict:
        actor = await self._actor(sid)
        if actor is None:
            return refusal(CommandError("unauthenticated", "Not connected."))
        try:
            return {"ok": True, "snapshot": await self._snapshot(actor)}
        except CommandError as exc:
            return refusal(exc)

    async def clock(self, sid: str, data: Any = None) -> dict:
        return {"ok": True, "server_now": time.time()}

    def _command_handler(self, name: str):
        async def handle(sid: str, data: Any = None) -> dict:
            actor = await self._actor(sid)
            if actor is None:
                return refusal(CommandError("unauthenticated", "Not connected."))
            return await self.bus.execute(name, actor, data)

        handle.__name__ = f"on_{name.replace('.', '_')}"
        return handle

    async def unknown_event(self, event: str, sid: str, data: Any = None) -> dict:
        return refusal(CommandError("unknown_event", f"There is no event called {str(event)[:60]!r}."))
