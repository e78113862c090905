"""server.sqlite_driver: a synchronous engine on the same SQLite file, run in a writer thread and reader threads."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from server import sqlite_driver
from server.db import make_engine
from server.settings import Settings

SERVER = Path(__file__).resolve().parent.parent / "server"


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"))
    yield engine
    await engine.dispose()


class Trips:
    """Counts the functions sent to SQLite's threads (each is one trip there and back)."""

    def __init__(self, monkeypatch):
        self.count = 0
        self.functions: list[str] = []
        for name in ("write", "read"):
            original = getattr(sqlite_driver.Threads, name)
            monkeypatch.setattr(sqlite_driver.Threads, name, self._counted(original))

    def _counted(self, original):
        async def counted(threads, function, *args):
            self.count += 1
            self.functions.append(getattr(function, "__name__", repr(function)))
            return await original(threads, function, *args)

        return counted


async def test_the_app_engine_is_sqlalchemys_own_and_its_threads_share_the_file(engine, tmp_path):
    assert engine.url.drivername == "sqlite+aiosqlite"
    threads = sqlite_driver.threads_for(engine)
    assert threads is sqlite_driver.threads_for(engine)  # made once
    assert threads.engine.url.drivername == "sqlite+pysqlite"
    assert threads.engine.url.database == str(tmp_path / "driver.db")
    assert sqlite_driver.engines(engine) == [engine.sync_engine, threads.engine]


async def test_writes_in_the_writer_thread_are_seen_by_the_async_engine_and_back(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
    threads = sqlite_driver.threads_for(engine)

    def insert(sync_engine):
        with sync_engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t (id, name) VALUES (1, 'one')"))
        return threading.current_thread().name

    assert (await threads.write(insert, threads.engine)).startswith("sqlite-writer")
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT name FROM t"))).all() == [("one",)]
        await conn.execute(sa.text("INSERT INTO t (id, name) VALUES (2, 'two')"))
        await conn.commit()

    def read(sync_engine):
        with sync_engine.connect() as conn:
            return threading.current_thread().name, conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()

    name, count = await threads.read(read, threads.engine)
    assert name.startswith("sqlite-reader") and count == 2


async def test_the_threads_connections_have_the_apps_pragmas(engine):
    threads = sqlite_driver.threads_for(engine)

    def pragmas(sync_engine):
        with sync_engine.connect() as conn:
            return [conn.exec_driver_sql(f"PRAGMA {p}").scalar_one() for p in ("journal_mode", "foreign_keys")]

    assert await threads.read(pragmas, threads.engine) == ["wal", 1]


async def test_disposing_the_engine_closes_its_threads(engine):
    threads = sqlite_driver.threads_for(engine)
    await engine.dispose()
    with pytest.raises(RuntimeError):  # the executors are shut down
        await threads.write(lambda: None)
    assert sqlite_driver.threads_for(engine) is not threads  # the engine works on: new threads


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "postgresql+asyncpg://127.0.0.1/test"]
)
async def test_no_threads_without_a_database_file(url):
    engine = create_async_engine(url)
    try:
        assert sqlite_driver.threads_for(engine) is None
        assert sqlite_driver.engines(engine) == [engine.sync_engine]
    finally:
        await engine.dispose()


# What the project's hook flags as private library internals (issue 18). server/realtime/transport.py's
# socket.io overrides are the transport's to replace (issue 18); everything else in server/ must stay clear.
PRIVATE = re.compile(
    r"_execute_mutex|_soft_closed_memoized|_cursor_cls|_execute_async|_async_soft_close|positiontup"
    r"|construct_params\([^)]*_check|import await_|\bawait_\(|_connection\._execute|\._thread\b|\._conn\b"
    r"|_redis_connect|def _listen\b|super\(\)\._listen|super\(\)\._publish"
)
NOT_OURS = {SERVER / "realtime" / "transport.py"}


def test_the_storage_modules_use_no_private_internals_of_sqlalchemy_or_aiosqlite():
    found = [
        f"{path.relative_to(SERVER)}:{n}: {line.strip()}"
        for path in sorted(SERVER.rglob("*.py"))
        if path not in NOT_OURS
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == []
    for name in ("sqlite_driver.py", "statements.py", "db.py"):
        text = (SERVER / name).read_text()
        # No private names imported from the libraries, and no private attributes of their objects.
        assert not re.search(r"from (sqlalchemy|aiosqlite)\S* import [^\n]*\b_\w", text), name
        assert not re.search(r"\b(aiosqlite|sqlalchemy|dispatch|compiled|dbapi_connection)\._\w", text), name


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_sqlalchemy_is_a_release_the_compiled_statements_were_tested_with():
    # sqlite_driver.Prepared reads one compiler attribute (SQLCompiler.binds). Another release may change it:
    # run the suite with it, then widen SQLALCHEMY_TESTED and pyproject.toml's pin together.
    low, high = sqlite_driver.SQLALCHEMY_TESTED
    assert low <= _version(sa.__version__) < high, (
        f"SQLAlchemy {sa.__version__} is outside the releases server/sqlite_driver.py was tested with "
        f"({'.'.join(map(str, low))} up to {'.'.join(map(str, high))}, not included)"
    )


def test_pyproject_pins_sqlalchemy_to_the_tested_releases():
    text = (SERVER.parent / "pyproject.toml").read_text()
    pin = re.search(r'"sqlalchemy\[asyncio\]>=([\d.]+),<([\d.]+)"', text)
    assert pin is not None, "pyproject.toml must pin sqlalchemy to a range: sqlalchemy[asyncio]>=A,<B"
    assert (_version(pin[1]), _version(pin[2])) == sqlite_driver.SQLALCHEMY_TESTED
