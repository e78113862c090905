"""The one path every change takes: authorise, validate, apply in a transaction, commit, then publish.

Commands are registered with ``@command``; each names the roles that may send it and a payload model.
Writes to one workshop are serialised by bumping ``Workshop.version`` first thing in the transaction: on
PostgreSQL that row lock orders writers across workers, on SQLite the write lock does. An in-process lock per
workshop keeps writers of one process from queueing on the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, Field, ValidationError
from sqlalchemy import bindparam, exists, false, func, literal, true
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import statements
from ..broadcast import CLOSE_CONNECTIONS, Broadcaster, Event, rooms
from ..db import SessionFactory
from ..domain import report_status
from ..domain.errors import Conflict, DomainError
from ..models import CommandRecord, Credential, Presence, Workshop
from ..text import CleanedModel
from .errors import CommandError, forbidden, invalid_payload, not_found, unauthenticated, unavailable
from .sections import report_section, report_status_of

log = logging.getLogger(__name__)

ROLES = ("facilitator", "projector", "participant")
SYSTEM = "system"
# The links (docs/protocol.md, "Roles and secrets"): a co-facilitator sees and does what the facilitator does,
# except what only the owner of the workshop may do (``owner_only`` commands).
LINKS = ("facilitator", "cofacilitator", "projector", "participant")
# Result keys that start with this are for the transport only (e.g. "_rebind") and never reach a client.
PRIVATE_PREFIX = "_"


@dataclass(frozen=True)
class Actor:
    workshop_id: str
    role: str  # what it sees and which rooms it joins: facilitator, projector, participant (or system)
    participant_id: str | None = None
    table_id: str | None = None
    link: str | None = None  # the link it authenticated with, when not the role itself ("cofacilitator")
    # The hash of its token: checked on every command, so a revoked token stops working at once.
    credential_hash: str | None = None
    connection: str | None = None  # the socket.io sid it speaks through, if any

    @property
    def principal(self) -> str:
        """Who it is for authorisation: the role, or the narrower link (``cofacilitator``)."""
        return self.link or self.role

    @property
    def key(self) -> str:
        """Whose command ids these are: one participant, or one link."""
        if self.participant_id is not None:
            return f"participant:{self.participant_id}"
        return self.principal


class Payload(CleanedModel):
    """Base of every command payload: strict, bounded, unknown fields refused, text cleaned (server/text.py)."""

    # strict: "yes" is not a boolean and "3" is not a number; JSON's own types only.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    command_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


@dataclass
class Context:
    """What a command handler works with, inside the transaction."""

    # An ORM session; for a ``statements_only`` command, a bare connection (``statements`` take either).
    session: AsyncSession
    # The locked workshop: an ORM object, or, for a command registered ``statements_only``, a read-only row of
    # the same columns. Either way ``update_workshop`` changes it.
    workshop: Workshop
    version: int
    now: float
    events: list[Event] = field(default_factory=list)
    changed: bool = False  # a change with nothing to publish still commits
    # The row the command's ``ReadAhead`` read with the checks after the lock (PostgreSQL), or None: the handler
    # reads it from here instead of running the statement again.
    ahead: Any = None
    last_write: tuple[Any, dict[str, Any]] | None = None  # see ``write_last``

    def emit(self, data: dict[str, Any], to: Iterable[str]) -> None:
        self.events.append(Event("update", data, tuple(to)))

    def emit_to_everyone(self, data: dict[str, Any]) -> None:
        self.emit(data, [rooms.everyone(self.workshop.id)])

    def mark_changed(self) -> None:
        self.changed = True

    def write_last(self, statement, params: dict[str, Any]) -> None:
        """Run this write (an INSERT, UPDATE or DELETE returning nothing) once the handler is done, as the
        command's last: on PostgreSQL in one statement with the command's record (a round trip fewer while the
        workshop's lock is held). For a handler's final write, whose row count it does not need."""
        if self.last_write is not None:
            raise RuntimeError("write_last: one last write per command")
        self.last_write = (statement, params)
        self.mark_changed()

    async def update_workshop(self, **values: Any) -> None:
        """Change columns of the locked workshop: on its ORM object, or, when it is a row, with an UPDATE."""
        if isinstance(self.workshop, Workshop):
            for name, value in values.items():
                setattr(self.workshop, name, value)
            return
        await statements.execute(
            self.session,
            _update_workshop(tuple(sorted(values))),
            {"workshop_id": self.workshop.id, **{f"new_{k}": v for k, v in values.items()}},
        )
        self.workshop = self.workshop._replace(**values)

    def close_connections(
        self,
        notice: dict[str, Any],
        *,
        credentials: Iterable[str] = (),
        sids: Iterable[str] = (),
        keep: str | None = None,
        to: Iterable[str] = (),
    ) -> None:
        """After the commit: tell and disconnect the connections made with these tokens (found then, in the
        presence table, so a connection that registers meanwhile is caught by its own check), these sids, and
        the local members of rooms ``to``; never ``keep`` (the connection that asked)."""
        self.events.append(
            Event(
                CLOSE_CONNECTIONS,
                {
                    "notice": notice,
                    "credentials": sorted(set(credentials)),
                    "sids": sorted(set(sids)),
                    "keep": [keep] if keep else [],
                },
                tuple(to),
            )
        )


Handler = Callable[[Context, Actor, Any], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class ReadAhead:
    """The one row a command's handler reads first, read on PostgreSQL by the statement that checks the token
    and the command's record after the lock: one round trip fewer while the workshop's row lock is held.
    ``statement`` is the handler's own (a SELECT of one row); ``params`` gives its parameters for this actor and
    payload, or None where it cannot say (the handler then reads as usual)."""

    statement: Any
    params: Callable[[Actor, Any], dict[str, Any] | None]

    @functools.cached_property
    def with_checks(self):
        """``_TOKEN_AND_RECORD`` and the statement's row (its columns NULL where there is none), in one."""
        row = self.statement.subquery("ahead")
        checks = _TOKEN_AND_RECORD.subquery("checks")
        return select(*checks.c, *row.c).select_from(checks.outerjoin(row, true()))


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[str]
    payload: type[Payload]
    handler: Handler
    secret: tuple[str, ...] = ()  # result keys never stored for a resend (new tokens)
    keep_record: bool = True  # False when the command deletes the workshop the record would belong to
    statements_only: bool = False  # see ``command``
    read_ahead: ReadAhead | None = None  # see ``ReadAhead``


REGISTRY: dict[str, CommandSpec] = {}


def command(
    name: str,
    *,
    roles: Iterable[str],
    payload: type[Payload],
    owner_only: bool = False,
    secret: Iterable[str] = (),
    keep_record: bool = True,
    statements_only: bool = False,
    read_ahead: ReadAhead | None = None,
):
    """Register a command. ``roles`` are principals (``Actor.principal``); ``"facilitator"`` includes the
    co-facilitator unless ``owner_only``.

    ``statements_only``: every statement the handler runs goes through ``server.statements`` (no ORM), so on
    SQLite the whole command runs as one call in SQLite's thread; its ``ctx.workshop`` is a read-only row, changed
    with ``ctx.update_workshop``. For the commands a room sends most (ranking edits, agreeing)."""
    allowed = set(roles) | {SYSTEM}
    if "facilitator" in allowed and not owner_only:
        allowed.add("cofacilitator")

    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise RuntimeError(f"command {name!r} registered twice")
        REGISTRY[name] = CommandSpec(
            name, frozenset(allowed), payload, handler, tuple(secret), keep_record, statements_only, read_ahead
        )
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
        # Field names come from the client: never echo more than a little of them.
        raise invalid_payload(f"{where[:80]}: {str(first.get('msg', 'invalid value'))[:200]}") from None


class _WorkshopLocks:
    """One asyncio.Lock per workshop, dropped when nobody holds or waits for it.

    With ``one_writer`` (SQLite) every workshop shares one lock: SQLite has a single write lock anyway, and
    writers of different workshops racing for it sleep in busy_timeout (a convoy measured at seconds of p99).
    """

    def __init__(self, one_writer: bool = False) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._one_writer = one_writer

    def get(self, workshop_id: str) -> asyncio.Lock:
        if self._one_writer:
            workshop_id = "*"
        lock = self._locks.get(workshop_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[workshop_id] = lock
        return lock


def is_database_outage(exc: BaseException) -> bool:
    # Look at the driver's message only: the SQL text may mention columns such as rankings_locked.
    if isinstance(exc, OperationalError) and "database is locked" not in str(exc.orig).lower():
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
        self,
        sessions: SessionFactory,
        broadcaster: Broadcaster,
        clock: Callable[[], float] = time.time,
    ):
        self.sessions = sessions
        self._engine = sessions.kw["bind"]
        self.broadcaster = broadcaster
        self.clock = clock
        sqlite = self._engine.dialect.name == "sqlite"
        self._locks = _WorkshopLocks(one_writer=sqlite)
        # SQLite: the statements_only commands waiting for the one writer's turn run together (statements).
        self._turns = statements.TakingTurns(self._engine, self._locks.get("*")) if sqlite else None

    async def write(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``await function(connection, *args)``: a transaction of ``statements`` (no ORM) that ends with
        ``statements.commit`` or ``rollback``, in the writer's turn. On SQLite it goes with the commands waiting
        for the turn, on the event loop (``statements.TakingTurns``); elsewhere it runs on a
        connection of its own (its row locks order it). For the writes every connection makes (the HTTP join,
        the presence rows), which would otherwise queue for SQLite's write lock outside the turns."""
        if self._turns is not None:
            return await self._turns.run(function, *args)
        async with statements.connect(self._engine) as connection:
            return await function(connection, *args)

    async def read(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``await function(connection, *args)``, reads of ``statements`` only, with no ORM session: on SQLite
        one call on the event loop's reading connection, no thread hop (``statements.read``)."""
        return await statements.read(self._engine, function, *args)

    async def execute(self, name: str, actor: Actor, raw: Any) -> dict[str, Any]:
        """Run one command and answer with an ack (docs/protocol.md). Never raises for bad input."""
        try:
            spec = REGISTRY.get(name)
            if spec is None:
                raise CommandError("unknown_event", f"There is no event called {name[:60]!r}.")
            if actor.principal not in spec.roles:
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
        if not spec.statements_only:
            async with self._locks.get(actor.workshop_id), self.sessions() as session:
                return await self._transaction(session, spec, actor, payload)
        # No ORM session (opening one costs more than such a command's statements). On SQLite the transaction
        # runs in SQLite's thread, with the others waiting for the writer's turn: one trip there and back for
        # all of them, not one per statement, each waiting for the busy event loop while the turn is held.
        if self._turns is not None:
            answer = await self._turns.run(self._refusal_as_answer, spec, actor, payload)
            if isinstance(answer, CommandError):
                return refusal(answer), []  # not raised again: that would make the cycle again
            return answer
        async with self._locks.get(actor.workshop_id), statements.connect(self._engine) as connection:
            return await self._transaction(connection, spec, actor, payload)

    async def _refusal_as_answer(self, session: statements.Executor, spec: CommandSpec, actor: Actor, payload):
        """``_transaction``, with a refusal handed back as a value without its traceback. An exception crossing
        from SQLite's thread in a future keeps its frames, which hold the future, which holds the exception: a
        cycle only a full garbage collection frees (rare, by design: process_tuning). Refusals are common (a
        stale edit under load is one) and the memory grew with them, ~4 MB/s at 1,250 commands/s."""
        try:
            return await self._transaction(session, spec, actor, payload)
        except CommandError as exc:
            exc.__context__ = None  # e.g. the domain's Conflict, with its own frames
            return exc.with_traceback(None)

    async def _transaction(self, session: statements.Executor, spec: CommandSpec, actor: Actor, payload: Payload):
        try:
            ahead = spec.read_ahead
            ahead_params = ahead.params(actor, payload) if ahead is not None else None
            workshop, record, ahead_row = await _lock_workshop(
                session, actor, payload.command_id, ahead if ahead_params is not None else None, ahead_params
            )
            if not spec.statements_only:
                # The ORM object the handler may change (flushed at the commit), read after the lock.
                workshop = await session.get(Workshop, actor.workshop_id)
            if record is not None:
                if (record.actor and record.actor != actor.key) or (record.event and record.event != spec.name):
                    # Never answer someone else's command (it may hold another table's ranking).
                    raise invalid_payload("command_id: already used for another command; make a new one.")
                await statements.rollback(session)
                return record.response, []
            ctx = Context(session, workshop, workshop.version, self.clock(), ahead=ahead_row)
            try:
                result = ok(await spec.handler(ctx, actor, payload))
            except Conflict as exc:
                raise CommandError(
                    "conflict", exc.message, status=409, extra=getattr(exc, "extra", {})
                ) from None
            except DomainError as exc:
                raise CommandError(exc.code, exc.message, status=409) from None
            if (ctx.events or ctx.changed) and report_status.changes_report(spec.name):
                await _report_content_changed(ctx, actor, spec.name)
            if not ctx.events and not ctx.changed:
                # Nothing changed: keep the version as it was.
                await statements.rollback(session)
                return result, []
            record = None
            if payload.command_id and spec.keep_record:
                record = {
                    "workshop_id": actor.workshop_id,
                    "command_id": payload.command_id,
                    "response": _storable(spec, result),
                    "created_at": ctx.now,
                    "actor": actor.key[:48],
                    "event": spec.name,
                }
            await _write_last(session, ctx.last_write, record)
            await statements.commit(session)
            return result, ctx.events
        except BaseException:
            await statements.rollback(session)
            raise

    async def _publish(self, events: list[Event]) -> None:
        # The change is committed: a failed broadcast must not turn it into an error; clients resync.
        try:
            await self.broadcaster.publish(await self._find_connections(events))
        except Exception:
            log.exception("broadcast failed; clients will resync")

    async def _find_connections(self, events: list[Event]) -> list[Event]:
        """Turn the tokens of a CLOSE_CONNECTIONS event into the sids using them, now that the revocation is
        committed (a connection registering after this read checks its token itself: handlers._welcome)."""
        resolved = []
        for event in events:
            if event.name != CLOSE_CONNECTIONS:
                resolved.append(event)
                continue
            sids = set(event.data.get("sids", ()))
            credentials = event.data.get("credentials") or []
            if credentials:
                async with self.sessions() as session:
                    rows = await session.exec(
                        select(Presence.sid).where(Presence.credential_hash.in_(credentials))
                    )
                    sids.update(rows)
            sids.difference_update(event.data.get("keep", ()))
            data = {
                "notice": event.data.get("notice", {}),
                "sids": sorted(sids),
                "keep": event.data.get("keep", []),
            }
            resolved.append(Event(CLOSE_CONNECTIONS, data, event.rooms))
        return resolved


def _storable(spec: CommandSpec, result: dict[str, Any]) -> dict[str, Any]:
    """The answer kept for a resend: without new secrets (only their hashes are ever stored)."""
    kept = {k: v for k, v in result.items() if k not in spec.secret and not k.startswith(PRIVATE_PREFIX)}
    if any(k in result for k in spec.secret):
        kept["redacted"] = True
    return kept


async def _write_last(session: statements.Executor, last: tuple | None, record: dict[str, Any] | None) -> None:
    """The handler's last write (``Context.write_last``) and the command's record: on PostgreSQL in one statement
    (data-modifying CTEs: they write different tables, so seeing the same snapshot changes nothing)."""
    if last is not None and record is not None and statements.dialect_name(session) == "postgresql":
        await statements.first(session, _with_the_record(last[0]), {**last[1], **record})
        return
    if last is not None:
        await statements.execute(session, *last)
    if record is not None:
        await statements.execute(session, _KEEP_RECORD, record)


@functools.cache
def _with_the_record(write):
    done = write.returning(literal(1).label("done")).cte("last_write")
    kept = _KEEP_RECORD.returning(literal(1).label("done")).cte("kept")
    clash = set(write.compile().params) & set(_RECORDS.c.keys())
    if clash:
        raise ValueError(f"write_last: parameters {sorted(clash)} are also the record's")
    return select(
        select(func.count()).select_from(done).scalar_subquery().label("written"),
        select(func.count()).select_from(kept).scalar_subquery().label("kept"),
    )


async def _report_content_changed(ctx: Context, actor: Actor, event: str) -> None:
    """What the report says changed: a final report goes back to draft, with a note of what changed (in the same
    transaction as the change; domain.report_status)."""
    ws = ctx.workshop
    if ws.report_final_at is None:
        return
    status = report_status.changed(report_status_of(ws), at=ctx.now, by=actor.principal, event=event)
    await ctx.update_workshop(
        report_final_at=None, report_final_by=None, report_history=list(status.history), report_version=ctx.version
    )
    ctx.emit(
        {"type": "report", "version": ctx.version, "report": report_section(ctx.workshop)},
        [rooms.role(ws.id, "facilitator")],
    )


async def check_credential(session: statements.Executor, actor: Actor) -> None:
    """The actor's token is still valid (not rotated, revoked, removed, or its workshop deleted)."""
    if actor.credential_hash is None:  # the system, or a test driving the bus directly
        return
    credential = await statements.first(session, _READ_CREDENTIAL, {"token_hash": actor.credential_hash})
    if credential is None or credential.revoked or credential.workshop_id != actor.workshop_id:
        raise unauthenticated()


# Built once: building a statement costs more CPU than SQLite takes to run it, and every command runs these.
_RECORDS = CommandRecord.__table__
_FIND_RECORD = select(_RECORDS.c.response, _RECORDS.c.actor, _RECORDS.c.event).where(
    _RECORDS.c.workshop_id == bindparam("workshop_id"), _RECORDS.c.command_id == bindparam("command_id")
)
_KEEP_RECORD = _RECORDS.insert().values({c.name: bindparam(c.name) for c in _RECORDS.columns})
_WORKSHOPS = Workshop.__table__
_BUMP_VERSION = (
    _WORKSHOPS.update()
    .where(_WORKSHOPS.c.id == bindparam("workshop_id"))
    .values(version=_WORKSHOPS.c.version + 1)
    .returning(*_WORKSHOPS.columns)
)
_BUMP_VERSION_IF_TOKEN_VALID = _BUMP_VERSION.where(
    exists().where(
        Credential.token_hash == bindparam("token_hash"),
        Credential.workshop_id == bindparam("workshop_id"),
        Credential.revoked == false(),
    )
)
_WORKSHOP_EXISTS = select(_WORKSHOPS.c.id).where(_WORKSHOPS.c.id == bindparam("workshop_id"))
_CREDENTIALS = Credential.__table__
_READ_CREDENTIAL = select(_CREDENTIALS.c.workshop_id, _CREDENTIALS.c.revoked).where(
    _CREDENTIALS.c.token_hash == bindparam("token_hash")
)


def _one_of(column, where):
    return select(column).where(where).scalar_subquery()


_THE_TOKEN = _CREDENTIALS.c.token_hash == bindparam("token_hash")
_THE_RECORD = (_RECORDS.c.workshop_id == bindparam("workshop_id")) & (_RECORDS.c.command_id == bindparam("command_id"))
_TOKEN_AND_RECORD = select(
    _one_of(_CREDENTIALS.c.workshop_id, _THE_TOKEN).label("credential_workshop_id"),
    _one_of(_CREDENTIALS.c.revoked, _THE_TOKEN).label("revoked"),
    _one_of(_RECORDS.c.response, _THE_RECORD).label("response"),
    _one_of(_RECORDS.c.actor, _THE_RECORD).label("actor"),
    _one_of(_RECORDS.c.event, _THE_RECORD).label("event"),
)


@functools.cache
def _update_workshop(names: tuple[str, ...]):
    return (
        _WORKSHOPS.update()
        .where(_WORKSHOPS.c.id == bindparam("workshop_id"))
        .values({name: bindparam(f"new_{name}") for name in names})
    )


async def _lock_workshop(
    session: statements.Executor,
    actor: Actor,
    command_id: str | None,
    ahead: ReadAhead | None = None,
    ahead_params: dict[str, Any] | None = None,
):
    """Bump the workshop's version (the row lock that orders writers) and check that the actor's token still
    works as seen after the lock (a command that waited for a revocation is refused). The answer: the locked row,
    read-only; the record of this command if it was applied before (its ``response``, ``actor``, ``event``), else
    None; and the row ``ahead`` read (on PostgreSQL, with the checks), else None."""
    record_key = {"workshop_id": actor.workshop_id, "command_id": command_id}
    if actor.credential_hash is not None and statements.dialect_name(session) == "sqlite":
        # Writers take turns before their first statement, so one statement sees every commit: one round trip.
        workshop = await statements.first(
            session,
            _BUMP_VERSION_IF_TOKEN_VALID,
            {"workshop_id": actor.workshop_id, "token_hash": actor.credential_hash},
        )
        if workshop is None:
            # Say why. A deleted workshop's tokens went with it, so look for the workshop first.
            if await statements.first(session, _WORKSHOP_EXISTS, {"workshop_id": actor.workshop_id}) is None:
                raise not_found("The workshop")
            raise unauthenticated()
    else:
        # PostgreSQL: an UPDATE that waited for the row lock re-checks the workshop row only and sees other
        # tables as they were when it started, so the token is read by a later statement, which sees the
        # revocation.
        workshop = await statements.first(session, _BUMP_VERSION, {"workshop_id": actor.workshop_id})
        if workshop is None:
            raise not_found("The workshop")
        if actor.credential_hash is not None and command_id is not None:  # nearly every command
            return await _checks_after_the_lock(session, actor, workshop, record_key, ahead, ahead_params)
        await check_credential(session, actor)
    return workshop, await statements.first(session, _FIND_RECORD, record_key) if command_id else None, None


async def _checks_after_the_lock(session, actor: Actor, workshop, record_key, ahead, ahead_params):
    """PostgreSQL, after the lock: ``_lock_workshop``'s checks and its answer, in one statement."""
    # The token, the command's record and the row read ahead in one statement (one or two round trips fewer
    # for nearly every command, while the lock is held).
    params = {**record_key, "token_hash": actor.credential_hash}
    if ahead is not None:
        if any(params.get(name, value) != value for name, value in ahead_params.items()):
            raise ValueError(f"read_ahead: a parameter of {ahead.statement!r} clashes with the checks'")
        params |= ahead_params
    found = await statements.first(session, ahead.with_checks if ahead is not None else _TOKEN_AND_RECORD, params)
    if found.credential_workshop_id != actor.workshop_id or found.revoked:  # no such token: both None
        raise unauthenticated()
    ahead_row = None
    if ahead is not None:
        columns = found[len(_TOKEN_AND_RECORD.selected_columns) :]
        if any(value is not None for value in columns):
            ahead_row = statements.row_type(ahead.statement)(*columns)
    return workshop, found if found.response is not None else None, ahead_row
