"""Prebuilt Core statements, run in a session's or a connection's transaction by the shortest road the driver has.

SQLAlchemy's execution machinery (a compiled-cache lookup, an execution context, a result object, a greenlet
switch) costs ~165 µs of CPU per statement on this project's machine, where SQLite takes ~17 µs to run a small
one; a ranking edit runs five, and edits are most of what a room sends, so on the embedded default that machinery
was most of a command's cost. Here a statement is compiled once per dialect. On SQLite through ``sqlite_driver``
it then runs as one call in SQLite's thread, its parameters and rows converted by the statement's own column
types. On any other database SQLAlchemy runs it. Both roads run the same statements in the session's (or the
connection's) transaction, and the same tests (on SQLite and PostgreSQL) cover both. Every function takes an
``Executor``: an ORM session, or a bare connection, which costs less to open where no ORM object is needed.

Only plain statements: no expanding ``IN`` parameters, no ORM entities (use the table's columns).

``in_database_thread`` goes further: it runs a whole transaction whose every statement goes through this module
(and whose ``commit``/``rollback`` do too) as one call in SQLite's thread. On SQLite writers take turns, and a
transaction that crosses to SQLite's thread and back once per statement holds the turn while each of its trips
waits for the busy event loop; one trip makes a turn short. The function is an ordinary ``async`` one: there,
this module's calls complete without waiting, so it is run to its end without an event loop; anywhere else it
is simply awaited.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections import namedtuple
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

from . import sqlite_driver

T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL takes them
    defaults: Mapping[str, Any]  # parameters with a value in the statement itself (``version + 1``)
    bind: tuple[Callable[[Any], Any] | None, ...]
    row: type | None  # a namedtuple of the returned columns, or None when nothing is returned
    result: tuple[Callable[[Any], Any] | None, ...]


_compiled: dict[tuple[int, str], tuple[Executable, _Compiled]] = {}


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("statements: expanding parameters are not supported")
    columns = list(statement.exported_columns)  # selected, or RETURNING; none for other DML
    row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
    if dialect.driver != sqlite_driver.DRIVER:  # run by SQLAlchemy, which converts values itself
        made = _Compiled(compiled.string, (), {}, (), row, ())
    else:
        names = tuple(compiled.positiontup or ())
        defaults = {  # parameters whose value the statement holds; the others must be given
            n: v for n, v in compiled.construct_params(_check=False).items() if not compiled.binds[n].required
        }
        bind = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
        result = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        made = _Compiled(compiled.string, names, defaults, bind, row, result)
    _compiled[key] = (statement, made)
    return made


def _in_sqlite_thread(connection, sql: str, parameters: tuple) -> tuple[list | None, int]:
    # Runs in aiosqlite's thread, as sqlite_driver's own calls do.
    try:
        cursor = connection._conn.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else None
    except sqlite3.Error as exc:
        raise _as_sqlalchemy_error(exc, sql, parameters) from exc
    return rows, cursor.rowcount


def _as_sqlalchemy_error(exc: sqlite3.Error, sql: str, parameters: Any) -> DBAPIError:
    """The error SQLAlchemy would raise (IntegrityError, OperationalError...), which callers already handle."""
    return DBAPIError.instance(sql, parameters, exc, sqlite3.Error)


def _end_in_thread(aiosqlite_connection, how: str) -> None:
    try:
        getattr(aiosqlite_connection._conn, how)()
    except sqlite3.Error as exc:
        raise _as_sqlalchemy_error(exc, how.upper(), ()) from exc


_CONNECTION = "statements.connection"


Executor = AsyncSession | AsyncConnection


def dialect_name(executor: Executor) -> str:
    return (executor if isinstance(executor, AsyncConnection) else executor.bind).dialect.name


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


# In the executor's ``info`` while a transaction runs in SQLite's thread: the aiosqlite connection it runs on.
_IN_THREAD = "statements.in_thread"


async def _run(session: Executor, statement: Executable, params: Mapping[str, Any]):
    """The rows (or None) and the row count."""
    in_thread = session.info.get(_IN_THREAD)
    if in_thread is None:
        connection = await _connection(session)
    elif isinstance(session, AsyncConnection):
        connection = session
    else:
        connection = session.info[_CONNECTION][1]
    dialect = connection.dialect
    compiled = _compile(statement, dialect)
    if dialect.driver != sqlite_driver.DRIVER:
        result = await connection.execute(statement, dict(params))
        if not result.returns_rows or compiled.row is None:
            return None, result.rowcount
        # The same rows on every database: namedtuples (``_replace`` works on them).
        return [compiled.row._make(r) for r in result], result.rowcount
    values = []
    for name, process in zip(compiled.names, compiled.bind, strict=True):
        if name in params:
            value = params[name]
        elif name in compiled.defaults:
            value = compiled.defaults[name]
        else:
            raise ValueError(f"statements: a value is required for the parameter {name!r}")
        values.append(value if process is None else process(value))
    values = tuple(values)
    sync_connection = connection.sync_connection
    # Listeners of the engine's cursor events (statement counts, tracing) see these statements too.
    sync_connection.dispatch.before_cursor_execute(sync_connection, None, compiled.sql, values, None, False)
    if in_thread is not None:
        rows, count = _in_sqlite_thread(in_thread, compiled.sql, values)
    else:
        adapted = sync_connection.connection.dbapi_connection
        async with adapted._execute_mutex:
            rows, count = await adapted._connection._execute(
                _in_sqlite_thread, adapted._connection, compiled.sql, values
            )
    if rows is None or compiled.row is None:
        return None, count
    make, processors = compiled.row._make, compiled.result
    if not any(processors):
        return [make(r) for r in rows], count
    return [
        make([v if p is None else p(v) for p, v in zip(processors, r, strict=True)]) for r in rows
    ], count


async def first(session: Executor, statement: Executable, params: Mapping[str, Any]):
    """The first row the statement returns, or None."""
    rows, _count = await _run(session, statement, params)
    return rows[0] if rows else None


async def all_rows(session: Executor, statement: Executable, params: Mapping[str, Any]) -> list:
    rows, _count = await _run(session, statement, params)
    return rows or []


async def execute(session: Executor, statement: Executable, params: Mapping[str, Any]) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    _rows, count = await _run(session, statement, params)
    return count


async def commit(session: Executor) -> None:
    """Commit the session's transaction (in SQLite's thread, when the transaction runs there)."""
    in_thread = session.info.get(_IN_THREAD)
    if in_thread is None:
        await session.commit()  # the session's, or the connection's
    else:
        _end_in_thread(in_thread, "commit")


async def rollback(session: Executor) -> None:
    in_thread = session.info.get(_IN_THREAD)
    if in_thread is None:
        await session.rollback()
    elif in_thread._conn.in_transaction:
        _end_in_thread(in_thread, "rollback")


class WaitedInDatabaseThread(RuntimeError):
    """A function run by ``in_database_thread`` waited for something other than this module's calls."""


async def in_database_thread(session: Executor, function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await function(*args)``; on SQLite through ``sqlite_driver``, as one call in SQLite's thread.

    There ``function`` may only await this module's calls (``first``, ``all_rows``, ``execute``, ``commit``,
    ``rollback``) and coroutines that do the same; it must end its transaction with ``commit`` or ``rollback``.
    Whatever it leaves open is rolled back. Afterwards the session knows nothing of what ran; close it.
    """
    connection = await _connection(session)
    if connection.dialect.driver != sqlite_driver.DRIVER:
        return await function(*args)
    adapted = connection.sync_connection.connection.dbapi_connection
    async with adapted._execute_mutex:
        return await adapted._connection._execute(_drive, session, adapted._connection, function, args)


def _drive(session: Executor, aiosqlite_connection, function, args):
    # In SQLite's thread: run the coroutine to its end. Every await in it completes at once, so one send does.
    session.info[_IN_THREAD] = aiosqlite_connection
    try:
        coroutine = function(*args)
        try:
            waited_for = coroutine.send(None)
        except StopIteration as done:
            return done.value
        coroutine.close()  # still marked: its own clean-up runs here too
        raise WaitedInDatabaseThread(f"{function!r} waited for {waited_for!r} in SQLite's thread")
    finally:
        session.info.pop(_IN_THREAD, None)
        if aiosqlite_connection._conn.in_transaction:
            aiosqlite_connection._conn.rollback()


class TakingTurns:
    """Transactions that take turns: on SQLite, as many per trip to SQLite's thread as are waiting.

    ``run(function, *args)`` runs ``await function(connection, *args)`` on a fresh connection while holding
    ``lock``. On SQLite through ``sqlite_driver`` the functions waiting meanwhile are run together: one holder of
    the lock takes up to ``batch`` of them, in order of arrival, to SQLite's thread in one trip, where each runs
    as in ``in_database_thread``, as its own transaction (one failing rolls back only itself); each caller gets
    its answer as soon as its own transaction is done. Under load the lock then changes hands once per batch,
    not once per transaction, and each change waits for the event loop. Elsewhere each runs by itself.
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
        if self._engine.dialect.driver != sqlite_driver.DRIVER:
            async with self._lock, self._engine.connect() as connection:
                return await function(connection, *args)
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((function, args, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run_waiting())
        return await future

    def _take_batch(self) -> list:
        return [self._waiting.popleft() for _ in range(min(self._batch, len(self._waiting)))]

    async def _run_waiting(self) -> None:
        while self._waiting:
            batch: list = []
            try:
                async with self._lock, self._engine.connect() as connection:
                    # Taken once the turn is ours: those that arrived while it was someone else's come too.
                    batch = self._take_batch()
                    adapted = connection.sync_connection.connection.dbapi_connection
                    loop = asyncio.get_running_loop()
                    async with adapted._execute_mutex:
                        await adapted._connection._execute(
                            _drive_each, connection, adapted._connection, batch, loop
                        )
            except BaseException as exc:  # no connection, or SQLite's thread gone: each one not answered is told
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


def _drive_each(connection: AsyncConnection, aiosqlite_connection, batch, loop) -> None:
    # In SQLite's thread: one transaction after another, each answered the moment it is done.
    for function, args, future in batch:
        try:
            outcome = (_settle_result, _drive(connection, aiosqlite_connection, function, (connection, *args)))
        except BaseException as exc:
            outcome = (_settle_exception, exc)
        loop.call_soon_threadsafe(outcome[0], future, outcome[1])


def _settle_result(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _settle_exception(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
