"""Prebuilt Core statements, run in a session's or a connection's transaction; on SQLite whole transactions as one
synchronous call, on the event loop (or in one trip to one of SQLite's threads when SQLite would make it wait).

SQLAlchemy's async execution costs a greenlet switch and, on SQLite, several trips to aiosqlite's thread per
statement; a ranking edit runs five, and edits are most of what a room sends. Here every function takes an
``Executor``: an ORM session, a bare async connection (cheaper to open where no ORM object is needed), on SQLite
a synchronous ``Connection``, or on PostgreSQL a ``pg_driver.Connection`` (``connect``, ``read``). Statements are
built once by the callers. For a session or an async connection SQLAlchemy runs them
(``AsyncConnection.execute``); on SQLite's synchronous connections and on asyncpg's own they are compiled once
and run on the driver's connection (``server.prepared``: no expanding ``IN`` parameters there). Either way
parameters and rows are converted by the columns' own types, rows come back as namedtuples of the
statement's columns (``_replace`` works on them), and the same tests (on SQLite and PostgreSQL) cover every
road.

``in_database_thread`` runs a whole transaction whose every statement goes through this module (and whose
``commit``/``rollback`` do too) as one call on a synchronous connection of its own (``sqlite_driver``: on the
event loop's reading connection, or in a reader thread when SQLite would make it wait). The function is an
ordinary ``async`` one: there, this module's calls complete without waiting, so it is run to its end without an
event loop; anywhere else it is simply awaited. ``TakingTurns`` does the same for the writers waiting for their
turn, several at a time: on the event loop's writing connection, or in one trip to SQLite's writer thread while
another connection holds the write lock.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections import namedtuple
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

from . import pg_driver, sqlite_driver
from .prepared import prepare

T = TypeVar("T")

_row_types: dict[int, tuple[Executable, type | None]] = {}


def row_type(statement: Executable) -> type | None:
    """A namedtuple of the columns the statement returns (selected, or RETURNING), or None for other DML."""
    found = _row_types.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    columns = list(statement.exported_columns)
    made = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
    _row_types[id(statement)] = (statement, made)
    return made


_CONNECTION = "statements.connection"


Executor = AsyncSession | AsyncConnection | Connection | pg_driver.Connection


def dialect_name(executor: Executor) -> str:
    if isinstance(executor, (AsyncConnection, Connection, pg_driver.Connection)):
        return executor.dialect.name
    return executor.bind.dialect.name


def _engine(executor: AsyncSession | AsyncConnection) -> AsyncEngine:
    return executor.engine if isinstance(executor, AsyncConnection) else executor.bind


async def _connection(session: Executor) -> AsyncConnection:
    """The session's connection, kept for the rest of its transaction (asking the session for it each time
    costs as much as running a statement)."""
    if isinstance(session, AsyncConnection):
        return session
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_CONNECTION)
    if kept is not None and transaction is not None and kept[0] is transaction and transaction.is_active:
        return kept[1]
    connection = await session.connection()
    session.info[_CONNECTION] = (session.sync_session.get_transaction(), connection)
    return connection


# In the executor's ``info`` while ``in_database_thread`` runs its function in SQLite's thread: the synchronous
# connection the function's statements run on there.
_IN_THREAD = "statements.in_thread"


def _in_thread(session: Executor) -> Connection | None:
    if isinstance(session, Connection):
        return session
    return session.info.get(_IN_THREAD)


def _rows(statement: Executable, result) -> tuple[list | None, int]:
    row = row_type(statement)
    if not result.returns_rows or row is None:
        return None, result.rowcount
    rows = [row(*r) for r in result]
    return rows, result.rowcount


async def _run(session: Executor, statement: Executable, params: Mapping[str, Any]):
    """The rows (or None) and the row count."""
    if isinstance(session, pg_driver.Connection):  # on asyncpg itself
        return await session.run(statement, params)
    in_thread = _in_thread(session)
    if in_thread is not None:  # in SQLite's thread: a synchronous call on its sqlite3 connection
        return sqlite_driver.run(in_thread.connection.driver_connection, prepare(statement, in_thread.dialect), params)
    connection = await _connection(session)
    return _rows(statement, await connection.execute(statement, dict(params)))


async def first(session: Executor, statement: Executable, params: Mapping[str, Any]):
    """The first row the statement returns, or None."""
    rows, _count = await _run(session, statement, params)
    return rows[0] if rows else None


async def all_rows(session: Executor, statement: Executable, params: Mapping[str, Any]) -> list:
    rows, _count = await _run(session, statement, params)
    return rows or []


async def execute(session: Executor, statement: Executable, params: Mapping[str, Any]) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    _none, count = await _run(session, statement, params)
    return count


async def commit(session: Executor) -> None:
    """Commit the session's transaction (in SQLite's thread, when the transaction runs there)."""
    if isinstance(session, pg_driver.Connection):
        await session.end("commit")
        return
    in_thread = _in_thread(session)
    if in_thread is None:
        await session.commit()  # the session's, or the connection's
    else:
        sqlite_driver.end(in_thread.connection.driver_connection, "commit")


async def rollback(session: Executor) -> None:
    if isinstance(session, pg_driver.Connection):
        await session.end("rollback")
        return
    in_thread = _in_thread(session)
    if in_thread is None:
        await session.rollback()
    else:
        sqlite_driver.end(in_thread.connection.driver_connection, "rollback")


class WaitedInDatabaseThread(RuntimeError):
    """A function run by ``in_database_thread`` waited for something other than this module's calls."""


async def in_database_thread(session: Executor, function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await function(*args)``; on SQLite (a database file), as one call on a synchronous connection of its own,
    in one transaction (``sqlite_driver.Threads.read``: on the event loop, or in a reader thread).

    There ``function`` may only await this module's calls (``first``, ``all_rows``, ``execute``, ``commit``,
    ``rollback``) on ``session`` and coroutines that do the same; it must end its transaction with ``commit`` or
    ``rollback``. Whatever it leaves open is rolled back. It runs on a connection of its own, not the session's:
    it sees what is committed, not what the session holds unflushed or uncommitted. Meant for reads (snapshots):
    a write there waits for SQLite's write lock as any other connection's does.
    """
    on_a_driver = isinstance(session, (Connection, pg_driver.Connection))
    threads = None if on_a_driver else sqlite_driver.threads_for(_engine(session))
    if threads is None:
        return await function(*args)
    return await threads.read(_drive_connected, session, function, args)


async def read(engine: AsyncEngine, function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await function(connection, *args)`` on a connection of its own, with no ORM session, in one read-only
    transaction that sees one moment: on SQLite (a database file) as one call (``in_database_thread``'s rules),
    elsewhere on a connection of the async engine (REPEATABLE READ). For reads that need no session at all (a
    connection's token check and its snapshot)."""
    threads = sqlite_driver.threads_for(engine)
    if threads is None and pg_driver.usable_with(engine):
        # One moment for all its statements (under READ COMMITTED each would see the latest commit), set by the
        # transaction's BEGIN: no round trip of its own.
        async with pg_driver.connect(engine, isolation="repeatable_read", readonly=True) as connection:
            return await function(connection, *args)
    if threads is None:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # One moment for all its statements (under READ COMMITTED each would see the latest commit): on
                # asyncpg both options go with the transaction's BEGIN, no round trip of their own.
                await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            return await function(connection, *args)
    return await threads.read(_drive_connected, None, function, args, True)


def connect(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[Executor]:
    """A connection of its own for transactions of this module's statements (no ORM session): on PostgreSQL
    asyncpg's own (``pg_driver``), elsewhere one of the async engine's."""
    return pg_driver.connect(engine) if pg_driver.usable_with(engine) else engine.connect()


def _drive_connected(engine: Engine, session: Executor | None, function, args, pass_connection: bool = False):
    with engine.connect() as connection:
        # One moment for all its statements: Python's sqlite3 begins a transaction only before a write, so without
        # this each SELECT would read whatever was committed just before it (in WAL mode a transaction's first
        # read fixes what it sees). ``_drive`` ends it.
        sqlite_driver.begin(connection.connection.driver_connection)
        return _drive(session, connection, function, (connection, *args) if pass_connection else args)


def _drive(session: Executor | None, connection: Connection, function, args):
    # In SQLite's thread: run the coroutine to its end. Every await in it completes at once, so one send does.
    if session is not None:
        session.info[_IN_THREAD] = connection
    try:
        coroutine = function(*args)
        try:
            waited_for = coroutine.send(None)
        except StopIteration as done:
            return done.value
        coroutine.close()  # still marked: its own clean-up runs here too
        raise WaitedInDatabaseThread(f"{function!r} waited for {waited_for!r} in SQLite's thread")
    finally:
        if session is not None:
            session.info.pop(_IN_THREAD, None)
        sqlite_driver.end(connection.connection.driver_connection, "rollback")  # whatever was left open


class TakingTurns:
    """Transactions that take turns: on SQLite, as many at a time as are waiting.

    ``run(function, *args)`` runs ``await function(connection, *args)`` on a fresh connection while holding
    ``lock``. On SQLite (a database file) the functions waiting meanwhile are run together: one holder of the lock
    takes up to ``batch`` of them, in order of arrival, and runs each as in ``in_database_thread`` on a
    synchronous connection, as its own transaction (one failing rolls back only itself): on the event loop while
    SQLite's write lock is free, the rest in one trip to the writer thread when another connection holds it
    (``sqlite_driver.Threads.write_each_on_loop``). Each caller gets its answer as soon as its own transaction is
    done. Under load the lock then changes hands once per batch, not once per transaction. Elsewhere each runs by
    itself on a connection of the async engine.
    """

    def __init__(self, engine: AsyncEngine, lock: asyncio.Lock, *, batch: int = 32) -> None:
        self._engine = engine
        self._lock = lock
        self._batch = batch
        self._waiting: collections.deque[tuple[Callable[..., Awaitable[Any]], tuple, asyncio.Future]] = (
            collections.deque()
        )
        self._runner: asyncio.Task | None = None

    async def run(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        threads = sqlite_driver.threads_for(self._engine)
        if threads is None:
            async with self._lock, connect(self._engine) as connection:
                return await function(connection, *args)
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((function, args, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run_waiting(threads))
        return await future

    def _take_batch(self) -> list:
        return [self._waiting.popleft() for _ in range(min(self._batch, len(self._waiting)))]

    async def _run_waiting(self, threads: sqlite_driver.Threads) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch: list = []
            try:
                async with self._lock:
                    # Taken once the turn is ours: those that arrived while it was someone else's come too.
                    batch = self._take_batch()
                    left = threads.write_each_on_loop(_drive_one_on_loop, batch)
                    if left:  # another connection holds SQLite's write lock: the writer thread waits for it
                        await threads.write(_drive_each, threads.engine, left, loop)
            except BaseException as exc:  # no connection, or the thread gone: each one not answered is told
                cancelled = isinstance(exc, asyncio.CancelledError)
                for _function, _args, future in batch or self._take_batch():
                    if future.done():
                        continue
                    if cancelled:
                        future.cancel()
                    else:
                        future.set_exception(exc)
                if cancelled:
                    raise


def _drive_each(engine: Engine, batch, loop: asyncio.AbstractEventLoop) -> None:
    # In the writer thread: one transaction after another on one connection, each answered the moment it is done.
    with engine.connect() as connection:
        for function, args, future in batch:
            settle, value = _outcome(connection, function, args)
            loop.call_soon_threadsafe(settle, future, value)


def _drive_one_on_loop(connection: Connection, waiting) -> None:
    # On the event loop, in a transaction ``sqlite_driver`` began: answered at once.
    function, args, future = waiting
    settle, value = _outcome(connection, function, args)
    settle(future, value)


def _outcome(connection: Connection, function, args):
    try:
        return _settle_result, _drive(None, connection, function, (connection, *args))
    except BaseException as exc:
        return _settle_exception, exc


def _settle_result(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _settle_exception(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
