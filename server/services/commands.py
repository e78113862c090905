"""The one path every change takes: authorise, validate, apply in a transaction, commit, then publish.

Commands are registered with ``@command``; each names the roles that may send it and a payload model.
Writes to one workshop are serialised by bumping ``Workshop.version`` first thing in the transaction: on
PostgreSQL that row lock orders writers across workers, on SQLite the write lock does. An in-process lock per
workshop keeps writers of one process from queueing on the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from ..broadcast import Broadcaster, Event, rooms
from ..db import SessionFactory
from ..domain.errors import Conflict, DomainError
from ..models import CommandRecord, Workshop
from .errors import CommandError, forbidden, invalid_payload, not_found, unavailable

log = logging.getLogger(__name__)

ROLES = ("facilitator", "projector", "participant")
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    workshop_id: str
    role: str
    participant_id: str | None = None
    table_id: str | None = None


class Payload(BaseModel):
    """Base of every command payload: strict, bounded, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    command_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


@dataclass
class Context:
    """What a command handler works with, inside the transaction."""

    session: AsyncSession
    workshop: Workshop
    version: int
    now: float
    events: list[Event] = field(default_factory=list)

    def emit(self, data: dict[str, Any], to: Iterable[str]) -> None:
        self.events.append(Event("update", data, tuple(to)))

    def emit_to_everyone(self, data: dict[str, Any]) -> None:
        self.emit(data, [rooms.everyone(self.workshop.id)])


Handler = Callable[[Context, Actor, Any], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[str]
    payload: type[Payload]
    handler: Handler


REGISTRY: dict[str, CommandSpec] = {}


def command(name: str, *, roles: Iterable[str], payload: type[Payload]):
    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise RuntimeError(f"command {name!r} registered twice")
        REGISTRY[name] = CommandSpec(name, frozenset(roles) | {SYSTEM}, payload, handler)
        return handler

    return register


def validate(spec: CommandSpec, raw: Any) -> Payload:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise invalid_payload("The message must be a JSON object.")
    try:
        return spec.payload.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        raise invalid_payload(f"{where}: {first.get('msg', 'invalid value')}") from None


class _WorkshopLocks:
    """One asyncio.Lock per workshop, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def get(self, workshop_id: str) -> asyncio.Lock:
        lock = self._locks.get(workshop_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[workshop_id] = lock
        return lock


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, OSError, TimeoutError))


def ok(result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"ok": True, **(result or {})}


def refusal(error: CommandError) -> dict[str, Any]:
    return {"ok": False, "error": error.to_payload()}


class CommandBus:
    def __init__(
        self, sessions: SessionFactory, broadcaster: Broadcaster, clock: Callable[[], float] = time.time
    ):
        self.sessions = sessions
        self.broadcaster = broadcaster
        self.clock = clock
        self._locks = _WorkshopLocks()

    async def execute(self, name: str, actor: Actor, raw: Any) -> dict[str, Any]:
        """Run one command and answer with an ack (docs/protocol.md). Never raises for bad input."""
        try:
            spec = REGISTRY.get(name)
            if spec is None:
                raise CommandError("unknown_event", f"There is no event called {name[:60]!r}.")
            if actor.role not in spec.roles:
                raise forbidden()
            payload = validate(spec, raw)
            result, events = await self._apply(spec, actor, payload)
        except CommandError as exc:
            return refusal(exc)
        except Exception as exc:
            if is_database_outage(exc):
                log.warning("database unavailable during %s: %s", name, exc)
                return refusal(unavailable())
            log.exception("command %s failed", name)
            return refusal(CommandError("server_error", "Something went wrong. Try again.", status=500))
        if events:
            await self._publish(events)
        return result

    async def _apply(self, spec: CommandSpec, actor: Actor, payload: Payload):
        async with self._locks.get(actor.workshop_id), self.sessions() as session:
            try:
                version = await _lock_workshop(session, actor.workshop_id)
                if payload.command_id:
                    record = await session.get(CommandRecord, (actor.workshop_id, payload.command_id))
                    if record is not None:
                        response = record.response  # read before the rollback expires it
                        await session.rollback()
                        return response, []
                workshop = await session.get(Workshop, actor.workshop_id)
                ctx = Context(session, workshop, version, self.clock())
                try:
                    result = ok(await spec.handler(ctx, actor, payload))
                except Conflict as exc:
                    raise CommandError(
                        "conflict", exc.message, status=409, extra=getattr(exc, "extra", {})
                    ) from None
                except DomainError as exc:
                    raise CommandError(exc.code, exc.message, status=409) from None
                if not ctx.events:
                    # Nothing changed: keep the version as it was.
                    await session.rollback()
                    return result, []
                if payload.command_id:
                    session.add(
                        CommandRecord(
                            workshop_id=actor.workshop_id,
                            command_id=payload.command_id,
                            response=result,
                            created_at=ctx.now,
                        )
                    )
                await session.commit()
                return result, ctx.events
            except BaseException:
                await session.rollback()
                raise

    async def _publish(self, events: list[Event]) -> None:
        # The change is committed: a failed broadcast must not turn it into an error; clients resync.
        try:
            await self.broadcaster.publish(events)
        except Exception:
            log.exception("broadcast failed; clients will resync")


async def _lock_workshop(session: AsyncSession, workshop_id: str) -> int:
    result = await session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(version=Workshop.version + 1)
        .returning(Workshop.version)
    )
    version = result.scalar_one_or_none()
    if version is None:
        raise not_found("The workshop")
    return version
