"""server.sqlite_driver: a synchronous engine on the same SQLite file, run in a writer thread; reads on the event loop,
or in reader threads when SQLite would make them wait."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from server import prepared, sqlite_driver
from server.db import make_engine
from server.settings import Settings
from tests.live import eventually

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
    assert sqlite_driver.engines(engine) == [
        engine.sync_engine,
        threads.engine,
        threads.loop_engine,
        threads.loop_writer,
    ]
    assert threads.loop_engine.url == threads.engine.url == threads.loop_writer.url


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
            return threading.current_thread(), conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()

    thread, count = await threads.read(read)
    assert thread is threading.current_thread() and count == 2  # on the event loop, no trip
    assert threads.given_way == 0


async def test_the_threads_connections_have_the_apps_pragmas_and_the_loops_never_waits_or_writes(engine):
    threads = sqlite_driver.threads_for(engine)

    def pragmas(sync_engine, names):
        with sync_engine.connect() as conn:
            return [conn.exec_driver_sql(f"PRAGMA {p}").scalar_one() for p in names]

    names = ("journal_mode", "foreign_keys", "busy_timeout", "query_only", "wal_autocheckpoint")
    assert await threads.write(pragmas, threads.engine, names) == ["wal", 1, 30000, 0, 1000]
    assert await threads.read(pragmas, names[2:4]) == [0, 1]
    # The loop's writer: the app's pragmas, but it never waits and leaves checkpoints to the writer thread.
    assert pragmas(threads.loop_writer, names) == ["wal", 1, 0, 0, 0]
    assert threads.given_way == 0


async def test_a_read_sqlite_would_make_wait_goes_to_a_reader_thread_and_the_loop_turns_meanwhile(engine, tmp_path):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        await conn.execute(sa.text("INSERT INTO t (id) VALUES (1)"))
    await engine.dispose()  # no connection open: another may take the file for itself
    # A connection that holds the file in exclusive locking mode: every other connection, readers too, must wait.
    holder = sqlite3.connect(tmp_path / "driver.db", check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("INSERT INTO t (id) VALUES (2)")
    holder.commit()  # the exclusive lock stays until the connection closes
    threads = sqlite_driver.threads_for(engine)

    def read(sync_engine):
        with sync_engine.connect() as conn:
            return threading.current_thread().name, conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()

    reading = asyncio.ensure_future(threads.read(read))
    # The loop goes on turning (``eventually`` runs on it) while the read waits in a reader thread.
    await eventually(lambda: threads.given_way == 1)
    assert not reading.done()
    holder.close()
    name, count = await reading
    assert name.startswith("sqlite-reader") and count == 2
    assert threads.given_way == 1


async def test_a_write_asked_of_a_read_is_refused_on_the_loop_and_made_once_in_a_reader_thread(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT)"))
    threads = sqlite_driver.threads_for(engine)

    def insert(sync_engine):
        with sync_engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t (at) VALUES (:at)"), {"at": threading.current_thread().name})

    await threads.read(insert)
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT at FROM t"))).scalars().all()
    assert len(rows) == 1 and rows[0].startswith("sqlite-reader")
    assert threads.given_way == 1


async def test_a_read_that_fails_for_its_own_reasons_fails_on_the_loop_without_a_second_try(engine):
    threads = sqlite_driver.threads_for(engine)

    def broken(sync_engine):
        with sync_engine.connect() as conn:
            conn.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.OperationalError, match="no such table"):
        await threads.read(broken)
    assert threads.given_way == 0


def insert_on(connection, at: str) -> None:
    """A ``write_each_on_loop`` item: one row, committed."""
    connection.exec_driver_sql("INSERT INTO t (at) VALUES (?)", (at,))
    connection.connection.driver_connection.commit()


async def test_writes_run_on_the_loop_each_holding_the_write_lock_from_its_start(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT)"))
    threads = sqlite_driver.threads_for(engine)
    seen = []

    def write_one(connection, name):
        raw = connection.connection.driver_connection
        seen.append((raw.in_transaction, threading.current_thread() is threading.main_thread()))
        insert_on(connection, name)

    assert threads.write_each_on_loop(write_one, ["a", "b"]) == []
    assert seen == [(True, True), (True, True)]  # begun before its first statement, on the loop
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT at FROM t ORDER BY id"))).scalars().all() == ["a", "b"]
    assert threads.writes_given_way == 0


async def test_while_another_connection_holds_the_write_lock_the_writes_left_are_handed_back(engine, tmp_path):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT)"))
    threads = sqlite_driver.threads_for(engine)
    holder = sqlite3.connect(tmp_path / "driver.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # SQLite's one write lock, held
    try:
        started = asyncio.get_running_loop().time()
        assert threads.write_each_on_loop(insert_on, ["a", "b"]) == ["a", "b"]
        assert asyncio.get_running_loop().time() - started < 5  # refused at once, not after busy_timeout
        assert threads.writes_given_way == 1
    finally:
        holder.rollback()
        holder.close()
    assert threads.write_each_on_loop(insert_on, ["a", "b"]) == []
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT at FROM t ORDER BY id"))).scalars().all() == ["a", "b"]


async def test_the_writer_thread_checkpoints_the_log_after_so_many_writes_on_the_loop(engine, monkeypatch):
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT)"))
    monkeypatch.setattr(sqlite_driver, "CHECKPOINT_AFTER", 3)
    threads = sqlite_driver.threads_for(engine)
    checkpointed_in = []
    monkeypatch.setattr(
        sqlite_driver,
        "_checkpoint",
        lambda sync_engine, real=sqlite_driver._checkpoint: (
            checkpointed_in.append(threading.current_thread().name),
            real(sync_engine),
        ),
    )
    threads.write_each_on_loop(insert_on, ["a", "b"])
    assert checkpointed_in == [] and threads.checkpoints == 0
    threads.write_each_on_loop(insert_on, ["c"])
    await eventually(lambda: threads.checkpoints == 1)
    assert len(checkpointed_in) == 1 and checkpointed_in[0].startswith("sqlite-writer")
    threads.write_each_on_loop(insert_on, ["d", "e"])  # counted afresh from the checkpoint
    assert threads.checkpoints == 1 and len(checkpointed_in) == 1


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
    for name in ("sqlite_driver.py", "prepared.py", "pg_driver.py", "statements.py", "db.py"):
        text = (SERVER / name).read_text()
        # No private names imported from the libraries, and no private attributes of their objects.
        assert not re.search(r"from (sqlalchemy|aiosqlite)\S* import [^\n]*\b_\w", text), name
        assert not re.search(r"\b(aiosqlite|sqlalchemy|dispatch|compiled|dbapi_connection)\._\w", text), name


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_sqlalchemy_is_a_release_the_compiled_statements_were_tested_with():
    # prepared.Prepared reads one compiler attribute (SQLCompiler.binds). Another release may change it:
    # run the suite with it, then widen SQLALCHEMY_TESTED and pyproject.toml's pin together.
    low, high = prepared.SQLALCHEMY_TESTED
    assert low <= _version(sa.__version__) < high, (
        f"SQLAlchemy {sa.__version__} is outside the releases server/prepared.py was tested with "
        f"({'.'.join(map(str, low))} up to {'.'.join(map(str, high))}, not included)"
    )


def test_pyproject_pins_sqlalchemy_to_the_tested_releases():
    text = (SERVER.parent / "pyproject.toml").read_text()
    pin = re.search(r'"sqlalchemy\[asyncio\]>=([\d.]+),<([\d.]+)"', text)
    assert pin is not None, "pyproject.toml must pin sqlalchemy to a range: sqlalchemy[asyncio]>=A,<B"
    assert (_version(pin[1]), _version(pin[2])) == prepared.SQLALCHEMY_TESTED
