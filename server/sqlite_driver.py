"""SQLAlchemy's aiosqlite driver, with fewer trips to SQLite's thread per statement.

aiosqlite runs SQLite in a thread of its own and every call to it is a trip there and back (a queue put, a thread
wake-up, a future resolved on the event loop). SQLAlchemy's adapter makes four per statement: make a cursor,
execute, fetch, close. Each costs the event loop more than SQLite takes to run a small statement, and a command
runs several statements, so on the embedded default these trips were most of a command's CPU; and while the
event loop is busy each trip also waits its turn there, which lengthens every write transaction (and on SQLite
writes take turns). This cursor makes one trip per statement (make the cursor, execute, fetch every row) and
leaves closing to the garbage collector: a sqlite3 cursor that was run to the end holds nothing. A rollback
or commit with no transaction open (the pool's rollback, on every connection it takes back) makes no trip at all.

Only the default (non server-side) cursor changes; everything else is SQLAlchemy's ``sqlite+aiosqlite``.
``db.make_engine`` selects it for every ``sqlite+aiosqlite`` URL.
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import immutabledict
from sqlalchemy.util.concurrency import await_

DRIVER = "aiosqlite_fewer_trips"


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection):
        # No cursor made here (that was a trip): ``execute`` makes one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = immutabledict()
        self._rows = collections.deque()

    @property
    def description(self):
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            self._cursor, rows = await self._connection._execute(
                _execute_and_fetch, self._connection, operation, () if parameters is None else parameters
            )
            if rows is not None:
                self._rows = collections.deque(rows)
            return self._cursor

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            self._cursor = await self._connection._execute(
                _execute_many, self._connection, operation, seq_of_parameters
            )
            return self._cursor

    async def _async_soft_close(self) -> None:
        return None  # the rows are fetched already; nothing to release

    def close(self) -> None:
        self._rows.clear()
        self._cursor = None

    def nextset(self) -> None:
        return None  # SQLite has one result set per statement

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


# These run in aiosqlite's thread (``Connection._execute`` queues a function there: aiosqlite's own way of
# running every call, private but unchanged since its first releases; the whole test suite runs through it).
def _execute_and_fetch(connection, operation: Any, parameters: Any):
    cursor = connection._conn.execute(operation, parameters)
    return cursor, (cursor.fetchall() if cursor.description else None)


def _execute_many(connection, operation: Any, seq_of_parameters: Any):
    return connection._conn.executemany(operation, seq_of_parameters)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back; after a commit there is nothing to roll back.
        if self._connection.in_transaction:
            super().rollback()

    def commit(self) -> None:
        # Nothing to commit (e.g. ``statements.in_database_thread`` committed in SQLite's thread): no trip.
        if self._connection.in_transaction:
            super().commit()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the process alive
        return _Connection(self, await_(connection))


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "Dialect")
