"""socket.io event handlers. Thin: who is asking, then hand the payload to the command bus.

python-socketio has no connection-state recovery: a reconnect is a new sid with no rooms, so every connect
re-joins rooms and gets a full snapshot.

Every handler answers every event (whatever its arguments), after the limits in ``services.limits``; nothing a
client sends can raise out of a handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import socketio

from ..broadcast import rooms
from ..services.commands import (
    PRIVATE_PREFIX,
    REGISTRY,
    Actor,
    CommandBus,
    check_credential,
    is_database_outage,
    refusal,
)
from ..services.errors import CommandError, unauthenticated, unavailable
from ..services.guesses import Guesses
from ..services.limits import SocketLimits, check_connection_caps
from ..services.presence import PresenceTracker
from ..services.state import read_snapshot
from ..services.workshops import authenticate
from ..settings import Settings

log = logging.getLogger(__name__)

READ_ONLY_EVENTS = ("sync", "clock")
NAMESPACE = "/"
# Snapshots built at once. A room joining together would otherwise build hundreds at the same moment: each
# waits for a database connection (the pool is small) and holds its half-built rows meanwhile, which costs
# memory the process keeps; in turn, the phones are ready as soon as before, the first of them sooner.
WELCOME_CONCURRENCY = 8


def client_address(environ: dict) -> str:
    """The client's address as the ASGI server saw it (uvicorn's --proxy-headers decides whom to believe)."""
    client = (environ.get("asgi.scope") or {}).get("client")
    return str(client[0]) if client else "unknown"


def unknown_event(name: object) -> CommandError:
    return CommandError("unknown_event", f"There is no event called {str(name)[:60]!r}.")


async def checked_snapshot(connection, actor: Actor, now: float) -> dict | None:
    """The snapshot, or None when the actor's token no longer works."""
    try:
        await check_credential(connection, actor)
    except CommandError:
        return None
    return await read_snapshot(connection, actor, now)


class SocketHandlers:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        bus: CommandBus,
        presence: PresenceTracker,
        guesses: Guesses,
        settings: Settings | None = None,
    ):
        self.sio = sio
        self.guesses = guesses
        self.bus = bus
        self.presence = presence
        self.settings = settings or Settings()
        self.limits = SocketLimits(self.settings)
        self._welcoming = asyncio.Semaphore(WELCOME_CONCURRENCY)

    def register(self) -> None:
        self.sio.on("connect", self.connect)
        self.sio.on("disconnect", self.disconnect)
        self.sio.on("sync", self.sync)
        self.sio.on("clock", self.clock)
        for name in REGISTRY:
            self.sio.on(name, self._command_handler(name))
        self.sio.on("*", self.unknown_event)

    def _is_live(self, sid: str) -> bool:
        return self.sio.manager.is_connected(sid, NAMESPACE)

    # --- connecting --------------------------------------------------------------------------------------

    async def connect(self, sid: str, environ: Any = None, auth: Any = None, *extra: Any):
        if self._is_live(sid):
            # A client *event* named "connect" (socket.io routes it here): not a connection. Refuse it. (A
            # connection is only pre-connected while this runs, since python-socketio 5.18.0: pyproject.toml.)
            return refusal(unknown_event("connect"))
        ip = client_address(environ if isinstance(environ, dict) else {})
        try:
            actor = await self._admit(sid, ip, auth)
        except CommandError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.to_payload()) from None
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            # A clear, retryable refusal (the client tries again) rather than a connection that never answers.
            error = unavailable()
            raise socketio.exceptions.ConnectionRefusedError(error.message, error.to_payload()) from None
        try:
            await self.sio.save_session(sid, {"actor": actor, "ip": ip})
            for room in rooms.for_client(actor.workshop_id, actor.role, actor.table_id):
                await self.sio.enter_room(sid, room)
        except BaseException:
            await self.presence.disconnected(sid)  # give its place back: a refused connection gets no disconnect
            raise
        # The snapshot goes out once the connection is accepted (after this handler returns).
        self.sio.start_background_task(self._welcome, sid, actor)
        return True

    async def _admit(self, sid: str, ip: str, auth: Any) -> Actor:
        refused = self.limits.check_connect(ip)
        if refused:
            raise refused
        token = auth.get("token") if isinstance(auth, dict) else None
        password = auth.get("password") if isinstance(auth, dict) else None
        # One statement (on SQLite on the loop's reading connection), no ORM session.
        actor = replace(
            await authenticate(None, token, password, guesses=self.guesses, address=ip, read=self.bus.read),
            connection=sid,
        )
        # The connection's presence row is written before it is accepted, counted against the caps under a lock.
        refused = await self.presence.connected(
            sid, actor, time.time(), caps=lambda session: check_connection_caps(session, actor, self.settings)
        )
        if refused:
            raise refused
        return actor

    async def _welcome(self, sid: str, actor: Actor) -> None:
        async with self._welcoming:
            await self._welcome_now(sid, actor)

    async def _welcome_now(self, sid: str, actor: Actor) -> None:
        try:
            # A revocation committed while this connection was being made may have looked for its presence
            # row too early: check the token again now that the row is written, and read the snapshot, in one
            # go, in one read transaction (no ORM session).
            snapshot = await self.bus.read(checked_snapshot, actor, time.time())
            if snapshot is None:
                await self.sio.emit("revoked", unauthenticated().to_payload(), to=sid)
                await self.sio.disconnect(sid)
                return
            await self.sio.emit("snapshot", snapshot, to=sid)  # this worker holds the socket
        except Exception:
            log.exception("could not welcome %s; the client will ask with sync", sid)

    async def disconnect(self, sid: str, reason: Any = None, *extra: Any):
        if self._is_live(sid):
            # A client event named "disconnect": it must not erase the presence of a live connection.
            return refusal(unknown_event("disconnect"))
        self.limits.forget(sid)
        try:
            await self.presence.disconnected(sid)
        except Exception:
            log.exception("presence cleanup failed for %s", sid)
        return None

    # --- events ------------------------------------------------------------------------------------------

    async def _session(self, sid: str) -> dict:
        try:
            return await self.sio.get_session(sid)
        except KeyError:
            return {}

    async def _actor(self, sid: str) -> Actor | None:
        return (await self._session(sid)).get("actor")

    async def _admitted(self, sid: str, data: Any) -> tuple[Actor | None, dict | None]:
        """The actor, or the refusal to answer with (not connected, too fast, too large)."""
        session = await self._session(sid)
        refused = self.limits.check_event(sid, session.get("ip", "unknown"), data)
        if refused:
            return None, refusal(refused)
        actor = session.get("actor")
        if actor is None:
            return None, refusal(CommandError("unauthenticated", "Not connected."))
        return actor, None

    async def sync(self, sid: str, data: Any = None, *extra: Any) -> dict:
        actor, refused = await self._admitted(sid, data)
        if refused:
            return refused
        try:
            # The token checked and the snapshot read in one go, in one read transaction.
            snapshot = await self.bus.read(checked_snapshot, actor, time.time())
            if snapshot is None:
                raise unauthenticated()
            return {"ok": True, "snapshot": snapshot}
        except CommandError as exc:
            return refusal(exc)
        except Exception as exc:
            if is_database_outage(exc):
                return refusal(unavailable())
            log.exception("sync failed")
            return refusal(CommandError("server_error", "Something went wrong. Try again.", status=500))

    async def clock(self, sid: str, data: Any = None, *extra: Any) -> dict:
        _actor, refused = await self._admitted(sid, data)
        return refused or {"ok": True, "server_now": time.time()}

    def _command_handler(self, name: str):
        async def handle(sid: str, data: Any = None, *extra: Any) -> dict:
            actor, refused = await self._admitted(sid, data)
            if refused:
                return refused
            ack = await self.bus.execute(name, actor, data)
            rebind = ack.get("_rebind")
            if rebind:
                # This connection rotated its own link: from now on it speaks with the new token.
                async with self.sio.session(sid) as session:
                    session["actor"] = replace(session["actor"], credential_hash=rebind)
            return {k: v for k, v in ack.items() if not k.startswith(PRIVATE_PREFIX)}

        handle.__name__ = f"on_{name.replace('.', '_')}"
        return handle

    async def unknown_event(self, event: Any, sid: Any = None, data: Any = None, *extra: Any) -> dict:
        literal_star = isinstance(event, str) and self._is_live(event)
        if literal_star and not (isinstance(sid, str) and self._is_live(sid)):
            # An event literally named "*": socket.io calls this handler without the event name.
            event, sid, data = "*", event, sid
        _actor, refused = await self._admitted(sid, data)
        return refused or refusal(unknown_event(event))
