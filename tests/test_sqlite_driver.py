"""server.sqlite_driver: SQLAlchemy's aiosqlite dialect with one trip to SQLite's thread per statement."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server import sqlite_driver
from server.db import make_engine
from server.settings import Settings


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"))
    yield engine
    await engine.dispose()


class Trips:
    """Counts the functions queued to aiosqlite's thread (each is one trip there and back)."""

    def __init__(self, monkeypatch):
        import aiosqlite

        self.count = 0
        self.functions: list[str] = []
        original = aiosqlite.Connection._execute

        async def counted(connection, fn, *args, **kwargs):
            self.count += 1
            self.functions.append(getattr(fn, "__name__", repr(fn)))
            return await original(connection, fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)


async def test_the_app_engine_uses_it_for_sqlite_urls(engine):
    assert engine.dialect.driver == sqlite_driver.DRIVER
    assert engine.url.drivername == f"sqlite+{sqlite_driver.DRIVER}"


async def test_reads_writes_and_rowcounts_behave_as_with_aiosqlite(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
        await conn.execute(sa.text("INSERT INTO t (id, name) VALUES (:id, :name)"), [{"id": i, "name": f"n{i}"} for i in range(5)])
        updated = await conn.execute(sa.text("UPDATE t SET name = 'x' WHERE id < 3"))
        assert updated.rowcount == 3
        returned = await conn.execute(sa.text("UPDATE t SET name = 'y' WHERE id = 4 RETURNING id, name"))
        assert returned.all() == [(4, "y")]
        rows = await conn.execute(sa.text("SELECT id, name FROM t ORDER BY id"))
        assert list(rows.keys()) == ["id", "name"]
        assert rows.all() == [(0, "x"), (1, "x"), (2, "x"), (3, "n3"), (4, "y")]
        assert (await conn.execute(sa.text("SELECT name FROM t WHERE id = 99"))).first() is None
    async with engine.connect() as conn:
        await conn.execute(sa.text("DELETE FROM t"))
        await conn.rollback()  # a real rollback still rolls back
        assert (await conn.execute(sa.text("SELECT count(*) FROM t"))).scalar_one() == 5


async def test_errors_surface_as_sqlalchemy_errors(engine):
    async with engine.connect() as conn:
        with pytest.raises(sa.exc.OperationalError):
            await conn.execute(sa.text("SELECT * FROM no_such_table"))


async def test_a_statement_is_one_trip_and_returning_a_connection_after_commit_is_none(engine, monkeypatch):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    trips = Trips(monkeypatch)
    async with engine.connect() as conn:
        await conn.execute(sa.text("INSERT INTO t (id) VALUES (1)"))
        assert trips.count == 1
        assert (await conn.execute(sa.text("SELECT id FROM t"))).all() == [(1,)]
        assert trips.count == 2
        await conn.commit()
        assert trips.count == 3
    # Given back to the pool after the commit: the pool's rollback has nothing to do and makes no trip.
    assert trips.count == 3
