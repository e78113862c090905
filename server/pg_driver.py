"""PostgreSQL's hot transactions on asyncpg itself: the room's commands, the joins and presence rows, the reads of a
connection's token and snapshot (``server.statements``).

The app's engine on PostgreSQL is SQLAlchemy's stock ``postgresql+asyncpg`` (the ORM, migrations, the pool). Each
statement SQLAlchemy runs there costs a greenlet switch, an execution context and asyncpg's cursor adapter: in the
scale-out bench's main phase a sixth of the workers' time (py-spy, docs/performance.md), more than asyncpg itself
spends. Here a transaction checks a connection out of the engine's pool as usual (``AsyncEngine.connect``,
``get_raw_connection``: the documented road to the driver's connection) and runs its statements on the asyncpg
connection (``Connection.fetch``/``execute``, asyncpg's own cache of prepared statements), compiled once
(``server.prepared``), in a transaction of asyncpg's (``Connection.transaction``) begun at the first statement.

Errors are raised as SQLAlchemy's (IntegrityError, OperationalError...), as the engine would raise them; a
connection the server closed, or one whose transaction could not be ended, is invalidated (the pool replaces
it), never handed to the next caller mid-transaction. Everything here is public API of SQLAlchemy and asyncpg.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import prepared as compiled


def usable_with(engine: AsyncEngine) -> bool:
    """The engine is PostgreSQL on asyncpg (another driver keeps SQLAlchemy's own road)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"


class Connection:
    """A transaction's connection: ``server.statements`` runs its statements here. The transaction begins with
    the first statement, and another after a commit or rollback, as SQLAlchemy's connections do."""

    __slots__ = ("driver", "dialect", "_pooled", "_isolation", "_readonly", "_transaction")

    def __init__(self, pooled: AsyncConnection, driver, *, isolation: str | None, readonly: bool) -> None:
        self.driver = driver  # asyncpg's connection
        self.dialect = pooled.dialect
        self._pooled = pooled
        self._isolation = isolation
        self._readonly = readonly
        self._transaction = None

    async def run(self, statement, params: Mapping[str, Any]) -> tuple[list | None, int]:
        """The statement's rows as namedtuples (None when it returns none) and its row count."""
        prepared = compiled.prepare(statement, self.dialect)
        args = prepared.values(params)
        for listener in compiled.statement_listeners:
            listener(prepared.sql)
        try:
            if self._transaction is None:
                await self._begin()
            if prepared.row is None:
                status = await self.driver.execute(prepared.sql, *args)
                return None, _count(status)
            if prepared.results is None:  # the first time in this process: the columns' types, once
                statement = await self.driver.prepare(prepared.sql)
                prepared.set_column_types([a.type.oid for a in statement.get_attributes()])
            rows = await self.driver.fetch(prepared.sql, *args)
        except Exception as exc:
            raise await self._as_sqlalchemys(exc, prepared.sql) from None
        return prepared.rows(rows), len(rows)

    async def _begin(self) -> None:
        transaction = self.driver.transaction(isolation=self._isolation, readonly=self._readonly)
        await transaction.start()
        self._transaction = transaction

    async def end(self, how: str) -> None:
        """``commit`` or ``rollback`` the transaction, if one is open."""
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        try:
            await (transaction.commit() if how == "commit" else transaction.rollback())
        except Exception as exc:
            raise await self._as_sqlalchemys(exc, how.upper()) from None

    async def close(self) -> None:
        """Roll back what is left open; a connection that cannot be trusted is invalidated, not pooled again."""
        try:
            await self.end("rollback")
        except BaseException:
            await self._invalidate()
            raise
        if self.driver.is_closed() or self.driver.is_in_transaction():
            await self._invalidate()

    async def _invalidate(self) -> None:
        self._transaction = None
        if not self._pooled.invalidated:
            await self._pooled.invalidate()

    async def _as_sqlalchemys(self, exc: Exception, sql: str) -> Exception:
        """The error as SQLAlchemy's engine raises it, so callers tell a broken rule from an outage by its class
        (``commands.is_database_outage``). Raised without asyncpg's own as its cause, and with PostgreSQL's
        message alone: its DETAIL may quote a row's values (a duplicate key), which must never reach a log
        (db.py: ``hide_parameters``)."""
        closed = self.driver.is_closed()
        if closed:
            self._transaction = None
            await self._invalidate()
        if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
            kind = sa_exc.IntegrityError
        elif isinstance(exc, asyncpg.SyntaxOrAccessError):
            kind = sa_exc.ProgrammingError
        elif closed or isinstance(exc, (asyncpg.PostgresConnectionError, OSError)):
            kind = sa_exc.OperationalError
        elif isinstance(exc, asyncpg.InterfaceError):  # e.g. a value of the wrong type: a bug, not an outage
            kind = sa_exc.InterfaceError
        else:
            kind = sa_exc.DBAPIError
        return kind(sql, None, DriverError(exc), hide_parameters=True, connection_invalidated=closed)


class DriverError(Exception):
    """asyncpg's error by its class and message alone (``Connection._as_sqlalchemys``)."""

    def __init__(self, exc: Exception) -> None:
        message = str(exc.args[0]) if exc.args else ""
        super().__init__(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
        self.sqlstate = getattr(exc, "sqlstate", None)


def _count(status: str) -> int:
    # asyncpg's status of a statement that returns no rows: "UPDATE 3", "DELETE 0", "INSERT 0 1".
    last = status.rsplit(" ", 1)[-1] if status else ""
    return int(last) if last.isdigit() else -1


@contextlib.asynccontextmanager
async def connect(
    engine: AsyncEngine, *, isolation: str | None = None, readonly: bool = False
) -> AsyncIterator[Connection]:
    """A connection from the engine's pool for one caller's transactions (``isolation``: asyncpg's name of the
    level, e.g. ``"repeatable_read"``; None: the server's default). Whatever is left open is rolled back."""
    async with engine.connect() as pooled:
        raw = await pooled.get_raw_connection()
        connection = Connection(pooled, raw.driver_connection, isolation=isolation, readonly=readonly)
        try:
            yield connection
        finally:
            await connection.close()
