"""SQLite's threads: a synchronous SQLAlchemy engine on Python's own ``sqlite3``, one writer thread, a few readers.

The app's engine on SQLite is SQLAlchemy's stock ``sqlite+aiosqlite`` (the ORM, migrations, everything that is not
hot). aiosqlite runs SQLite in a thread of its own and every call to it is a trip there and back (a queue put, a
thread wake-up, a future resolved on the event loop): several per statement, and a command runs several
statements. On SQLite writers take turns, and a transaction that crosses to SQLite's thread and back once per
statement holds the turn while each trip waits for the busy event loop.

So the hot transactions (``server.statements``: the room's commands and the snapshots) run whole as one call on
a *synchronous* engine (``create_engine``, ``sqlite+pysqlite``) on the same database file, with the same
settings.

Writes (``write_each_on_loop``: the room's commands, joins, presence rows, which already take turns in
``statements.TakingTurns``) run on the event loop too, on a connection of their own that never waits: each
transaction begins with ``BEGIN IMMEDIATE`` (SQLite's write lock taken at once) and ``busy_timeout`` 0. In WAL
mode a commit appends to the log and, with ``synchronous=NORMAL``, does not sync. In the writer thread they
cost what reads did there: the thread let go of the GIL around each of a transaction's statements and took it
back from a busy loop each time, waiting up to the switch interval; at 1,000 commands a second the p99 to the
projector was 164-977 ms in six runs with the thread, 208-353 ms in four on the loop (docs/performance.md).
When another connection holds the write lock (an ORM write of the heartbeat, another process), the
transactions left go to the writer thread (``write``), which waits for it as before. The loop's connection does not checkpoint the log itself (a
checkpoint syncs the file): every ``CHECKPOINT_AFTER`` transactions the writer thread does, ``PASSIVE`` (it
never blocks a writer or a reader).

Reads (``read``: token checks, snapshots) run on the event loop itself, on a connection of their own that never
waits: ``query_only``, ``busy_timeout`` 0. In WAL mode a reader is not blocked by the writer, and a snapshot is
~12 small reads from pages in memory: on the loop it costs the CPU it costs anywhere (its Python holds the GIL
wherever it runs). In a thread it cost far more when the loop was busy: sqlite3 lets go of the GIL around every
statement, and each time the thread took it back from the loop: a storm of 1,000 phones joining made 113,000
context switches in reader threads, against 28,000 with reads on the loop and its CPU fell by a third
(docs/performance.md). A read SQLite would make wait (SQLITE_BUSY: a connection holding the database in
exclusive locking mode, a recovery) or that writes (refused by ``query_only`` before anything is written) is run
again in a reader thread, which waits as before; nothing a read sees or does differs.

There a statement runs on the connection's ``sqlite3`` connection (``driver_connection``), compiled once
(``server.prepared``): SQLAlchemy's per-execution machinery (a cache key, an execution context, a result object)
costs 20-50 µs of CPU per statement where SQLite takes 2-13 µs, and a command runs about five. Everything here is
public API of SQLAlchemy, Python's ``sqlite3`` and ``concurrent.futures``; nothing of aiosqlite's. A database
in memory has no file the threads could share: ``threads_for`` is None and everything stays on the async engine.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from . import prepared as prepared_statements
from .prepared import Prepared

T = TypeVar("T")
log = logging.getLogger(__name__)

READERS = 2  # for the reads SQLite makes wait (``Threads.read``); more threads would only wait for the GIL
# Transactions written on the loop between two checkpoints in the writer thread: a command writes ~5 pages, so
# about the 1,000 pages at which SQLite's own automatic checkpoint would run.
CHECKPOINT_AFTER = 200
# What the loop's connection gives way on: SQLite would make it wait, or it was asked to write (``query_only``).
GIVE_WAY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY}


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """Every SQLite connection, on either engine: WAL lets readers run beside the one writer; busy_timeout makes a
    second writer wait, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def loop_pragmas(dbapi_connection, _record) -> None:
    """The event loop's connection: reads only, and never a wait for a lock (``Threads.read``). The database is in
    WAL mode already (``sqlite_pragmas``, on the connections that write)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def loop_writer_pragmas(dbapi_connection, _record) -> None:
    """The event loop's writing connection (after ``sqlite_pragmas``): never a wait for the write lock, and no
    checkpoint of its own (``Threads.write_each_on_loop``)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def gives_way(exc: BaseException) -> bool:
    """A read on the loop's connection that SQLite would have made wait, or that tried to write."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(orig, sqlite3.Error) and code is not None and (code & 0xFF) in GIVE_WAY


class Threads:
    """A synchronous engine on the async engine's SQLite file, a writer thread and a pool of readers; and two
    more engines on the same file for reads and writes on the event loop."""

    def __init__(self, engine: Engine, loop_engine: Engine, loop_writer: Engine) -> None:
        self.engine = engine
        self.loop_engine = loop_engine
        self.loop_writer = loop_writer
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="sqlite-reader")
        # What the tests read: reads that went to a reader thread, writes left to the writer thread, checkpoints.
        self.given_way = 0
        self.writes_given_way = 0
        self.checkpoints = 0
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Future | None = None

    async def write(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the writer thread: one trip there and back."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    def write_each_on_loop(self, write_one: Callable[[Connection, T], None], items: list[T]) -> list[T]:
        """``write_one(connection, item)`` for each item in turn, on the event loop, each in a transaction of its
        own that holds SQLite's write lock from its start (``write_one`` must end it). The items left, from the
        first whose transaction could not take the lock at once (another connection holds it), are returned for
        the writer thread (``write``), which waits for the lock."""
        done = 0
        try:
            with self.loop_writer.connect() as connection:
                raw = connection.connection.driver_connection
                for item in items:
                    if not _begin_writing(raw):
                        self.writes_given_way += 1
                        break
                    write_one(connection, item)
                    done += 1
        finally:
            self._since_checkpoint += done
            if self._since_checkpoint >= CHECKPOINT_AFTER:
                self._checkpoint_soon()
        return items[done:]

    def _checkpoint_soon(self) -> None:
        if self._checkpointing is not None and not self._checkpointing.done():
            return  # the one running will do
        self._since_checkpoint = 0
        self._checkpointing = asyncio.ensure_future(self.write(_checkpoint, self.engine))
        self._checkpointing.add_done_callback(self._checkpointed)

    def _checkpointed(self, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            # The log keeps growing until the next one succeeds (or the last connection closes): nothing is lost.
            log.warning("SQLite: checkpoint failed (%s)", future.exception().__class__.__name__)
            return
        self.checkpoints += 1

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """``function(engine, *args)``: on the event loop with ``loop_engine``, or, when SQLite would make it wait
        or it writes, again from the start in a reader thread with ``engine``. ``function`` must leave nothing
        behind when it fails (a read; a write is refused before it is made)."""
        try:
            return function(self.loop_engine, *args)
        except Exception as exc:
            if not gives_way(exc):
                raise
        self.given_way += 1
        return await asyncio.get_running_loop().run_in_executor(self._readers, function, self.engine, *args)

    def close(self) -> None:
        self._writer.shutdown(wait=False)
        self._readers.shutdown(wait=False)
        self.engine.dispose()
        self.loop_engine.dispose()
        self.loop_writer.dispose()


def _begin_writing(connection: sqlite3.Connection) -> bool:
    """Begin a transaction holding SQLite's write lock; False when another connection holds it (on a connection
    with ``busy_timeout`` 0, SQLite says so at once)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        if gives_way(exc):
            return False
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error, hide_parameters=True) from exc
    return True


def _checkpoint(engine: Engine) -> None:
    # PASSIVE: copies what it can of the log into the file without waiting for, or blocking, anyone.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()


_threads: weakref.WeakKeyDictionary[Engine, Threads] = weakref.WeakKeyDictionary()


def threads_for(engine: AsyncEngine) -> Threads | None:
    """The threads of an async SQLite engine with a database file (made on first use, closed with the engine's
    ``dispose``); None for any other database."""
    key = engine.sync_engine
    found = _threads.get(key)
    if found is not None:
        return found
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
        return None
    settings = {
        "paramstyle": "named",  # ``prepare`` hands sqlite3 a dict
        "hide_parameters": True,  # as the app's engine (db.py): errors never carry a statement's values
    }

    def engine(timeout: float, pool_size: int, *on_connect) -> Engine:
        made = create_engine(
            url.set(drivername="sqlite+pysqlite"), connect_args={"timeout": timeout}, pool_size=pool_size, **settings
        )
        for pragmas in on_connect:  # in order: a later one's busy_timeout wins
            event.listen(made, "connect", pragmas)
        return made

    sync = engine(30, READERS + 1, sqlite_pragmas)
    # On the loop one connection does: a read, or a batch of writes, runs to its end before the next begins.
    loop = engine(0, 1, loop_pragmas)
    loop_writer = engine(0, 1, sqlite_pragmas, loop_writer_pragmas)
    threads = Threads(sync, loop, loop_writer)
    _threads[key] = threads
    weakref.finalize(key, threads.close)
    if not event.contains(key, "engine_disposed", _forget):
        event.listen(key, "engine_disposed", _forget)
    return threads


def _forget(engine: Engine) -> None:
    # The async engine's pool was disposed (tests do it at the end, the app at shutdown): so are its threads.
    threads = _threads.pop(engine, None)
    if threads is not None:
        threads.close()


def engines(engine: AsyncEngine) -> list[Engine]:
    """Every synchronous engine that runs the async engine's statements (for listeners such as statement counts)."""
    threads = threads_for(engine)
    return [engine.sync_engine] + (
        [threads.engine, threads.loop_engine, threads.loop_writer] if threads is not None else []
    )


# --- statements compiled once, run on the sqlite3 connection ------------------------------------------------------


def run(connection: sqlite3.Connection, prepared: Prepared, params) -> tuple[list | None, int]:
    """Run a prepared statement on a sqlite3 connection: its rows as namedtuples (None when it returns none) and
    its row count. A database error is raised as SQLAlchemy's (IntegrityError, OperationalError...)."""
    values = prepared.values(params)
    for listener in prepared_statements.statement_listeners:
        listener(prepared.sql)
    try:
        cursor = connection.execute(prepared.sql, values)
        rows = cursor.fetchall() if cursor.description else None
    except sqlite3.Error as exc:
        raise DBAPIError.instance(prepared.sql, values, exc, sqlite3.Error, hide_parameters=True) from exc
    if rows is None or prepared.row is None:
        return None, cursor.rowcount
    return prepared.rows(rows), cursor.rowcount


def begin(connection: sqlite3.Connection) -> None:
    """An explicit (deferred) transaction on the sqlite3 connection, errors as SQLAlchemy's."""
    try:
        connection.execute("BEGIN")
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN", (), exc, sqlite3.Error, hide_parameters=True) from exc


def end(connection: sqlite3.Connection, how: str) -> None:
    """``commit`` or ``rollback`` the sqlite3 connection's transaction, errors as SQLAlchemy's."""
    try:
        if how == "commit":
            connection.commit()
        elif connection.in_transaction:
            connection.rollback()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(how.upper(), (), exc, sqlite3.Error, hide_parameters=True) from exc
