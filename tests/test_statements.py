"""server.statements: prebuilt statements on a session's connection; whole transactions in SQLite's threads.

Runs on SQLite (the short road) and PostgreSQL (SQLAlchemy's own road for an ORM session; asyncpg's own,
server.pg_driver, for ``statements.connect`` and ``read``), which must answer alike.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from server import pg_driver, prepared, sqlite_driver, statements
from server.db import make_engine, make_session_factory
from server.settings import Settings
from tests.live import eventually
from tests.test_sqlite_driver import Trips

metadata = sa.MetaData()
things = sa.Table(
    "statements_thing",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("note", sa.JSON, nullable=True),
    sa.Column("done", sa.Boolean, nullable=False),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
ID = sa.bindparam("thing_id")
INSERT = things.insert().values({c.name: sa.bindparam(c.name) for c in things.columns})
READ = sa.select(things).where(things.c.id == ID)
READ_ALL = sa.select(things.c.id, things.c.done).order_by(things.c.id)
BUMP = things.update().where(things.c.id == ID).values(version=things.c.version + 1).returning(*things.columns)
MARK = things.update().where(things.c.id == ID).values(done=sa.bindparam("new_done"))


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(Settings(database_url=database_url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield make_session_factory(engine)
    await engine.dispose()


def row(i: str, **changes):
    values = {"id": i, "items": ["a", "b"], "note": None, "done": False, "score": 2.5, "version": 1}
    return values | changes


async def test_rows_come_back_with_their_types_as_sqlalchemy_reads_them(sessions):
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one", note={"k": [1, 2]}, done=True))
        await statements.execute(session, INSERT, row("two", score=None))
        await statements.commit(session)
    async with sessions() as session:
        one = await statements.first(session, READ, {"thing_id": "one"})
        expected = (await session.exec(READ, params={"thing_id": "one"})).one()
        assert tuple(one) == tuple(expected) == ("one", ["a", "b"], {"k": [1, 2]}, True, 2.5, 1)
        assert one.items == ["a", "b"] and one.done is True and one._asdict()["note"] == {"k": [1, 2]}
        two = await statements.first(session, READ, {"thing_id": "two"})
        assert (two.note, two.done, two.score) == (None, False, None)
        assert await statements.first(session, READ, {"thing_id": "none"}) is None
        assert [tuple(r) for r in await statements.all_rows(session, READ_ALL, {})] == [("one", True), ("two", False)]


async def test_values_the_statement_holds_and_returning_and_rowcounts(sessions):
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        bumped = await statements.first(session, BUMP, {"thing_id": "one"})  # version + 1: a value in the statement
        assert bumped.version == 2 and bumped.items == ["a", "b"]
        assert bumped._replace(version=9).version == 9  # the same kind of row on every database
        assert await statements.execute(session, MARK, {"thing_id": "one", "new_done": True}) == 1
        assert await statements.execute(session, MARK, {"thing_id": "none", "new_done": True}) == 0
        await statements.rollback(session)
    async with sessions() as session:
        assert await statements.first(session, READ, {"thing_id": "one"}) is None  # rolled back


async def test_cursor_listeners_see_each_statement(sessions, monkeypatch):
    seen = []
    event.listen(sessions.kw["bind"].sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    monkeypatch.setattr(prepared, "statement_listeners", [seen.append])  # what runs on the drivers themselves
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        await statements.first(session, READ, {"thing_id": "one"})
        await statements.commit(session)
    async with sessions() as session:
        await statements.in_database_thread(session, statements.first, session, READ, {"thing_id": "one"})
    assert [s.split()[0] for s in seen if "statements_thing" in s] == ["INSERT", "SELECT", "SELECT"]


async def test_database_errors_are_sqlalchemys_as_on_every_other_road(sessions):
    # Callers tell a broken rule from an outage by SQLAlchemy's classes (commands.is_database_outage).
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        with pytest.raises(sa.exc.IntegrityError) as on_the_loop:
            await statements.execute(session, INSERT, row("one"))
    async with sessions() as session:
        with pytest.raises(sa.exc.IntegrityError) as in_thread:
            await statements.in_database_thread(session, twice, session)
    # Their messages (logged) never carry the statement's values (db.py: hide_parameters).
    assert "'one'" not in str(on_the_loop.value) and "'two'" not in str(in_thread.value)


async def twice(session):
    await statements.execute(session, INSERT, row("two"))
    await statements.execute(session, INSERT, row("two"))


SET_NOTE = things.update().where(things.c.id == ID).values(note=sa.literal({"set": [1, "a"]}, sa.JSON))
BUMPED_BY_ONE = things.update().where(things.c.id == ID).values(version=things.c.version + 1).returning(things.c.version)


async def _set_note_and_bump(connection) -> tuple[int, int]:
    noted = await statements.execute(connection, SET_NOTE, {"thing_id": "one"})
    bumped = await statements.first(connection, BUMPED_BY_ONE, {"thing_id": "one"})
    await statements.commit(connection)
    return noted, bumped.version


async def test_values_written_in_the_statement_itself_on_the_drivers_own_roads(sessions):
    # A JSON value in the statement (an anonymous parameter whose name in the SQL is not its key) is serialised
    # by its type, and an anonymous number goes in its place, on sqlite3 and on asyncpg alike.
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        await statements.commit(session)
    engine = sessions.kw["bind"]
    if sqlite_driver.threads_for(engine) is not None:
        async with sessions() as session:
            answer = await statements.in_database_thread(session, _set_note_and_bump, session)
    else:
        async with statements.connect(engine) as connection:
            assert isinstance(connection, pg_driver.Connection)
            answer = await _set_note_and_bump(connection)
    assert answer == (1, 2)
    async with sessions() as session:
        stored = await statements.first(session, READ, {"thing_id": "one"})
    assert stored.note == {"set": [1, "a"]} and stored.version == 2


async def test_a_missing_parameter_is_an_error_not_a_null(sessions):
    async with sessions() as session:
        with pytest.raises(Exception, match="thing_id"):
            await statements.first(session, READ, {})


async def test_expanding_parameters_work_on_the_event_loop_and_are_refused_in_sqlites_threads(sessions):
    expanding = sa.select(things.c.id).where(things.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(things.c.id)
    async with sessions() as session:
        for name in ("a", "b", "c"):
            await statements.execute(session, INSERT, row(name))
        await statements.commit(session)
    async with sessions() as session:
        assert [r.id for r in await statements.all_rows(session, expanding, {"ids": ["a", "c"]})] == ["a", "c"]
    async with sessions() as session:
        if sqlite_driver.threads_for(session.bind) is None:  # PostgreSQL: simply awaited
            assert len(await statements.in_database_thread(session, statements.all_rows, session, expanding, {"ids": ["b"]})) == 1
        else:
            with pytest.raises(ValueError, match="expanding"):
                await statements.in_database_thread(session, statements.all_rows, session, expanding, {"ids": ["b"]})


async def transaction(session, *, then: str = "commit"):
    before = await statements.first(session, BUMP, {"thing_id": "one"})
    await statements.execute(session, MARK, {"thing_id": "one", "new_done": True})
    if then == "fail":
        raise LookupError("refused")
    if then == "commit":
        await statements.commit(session)
    elif then == "rollback":
        await statements.rollback(session)
    elif then == "wait":
        await asyncio.sleep(0)  # not a statement: it needs the event loop
    return before.version


async def stored(sessions) -> tuple[int, bool]:
    async with sessions() as session:
        found = await statements.first(session, READ, {"thing_id": "one"})
    return found.version, found.done


@pytest.fixture
async def one_thing(sessions):
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        await statements.commit(session)
    return sessions


async def test_a_transaction_runs_whole_and_commits(one_thing, monkeypatch, database_url):
    sessions = one_thing
    trips = Trips(monkeypatch)
    async with sessions() as session:
        assert await statements.in_database_thread(session, transaction, session) == 2
    if database_url.startswith("sqlite"):
        assert trips.count == 1  # the bump, the mark and the commit in one trip to SQLite's thread
    assert await stored(sessions) == (2, True)


@pytest.mark.parametrize("then", ["rollback", "leave open"])
async def test_a_transaction_rolled_back_or_left_open_changes_nothing(one_thing, then):
    async with one_thing() as session:
        await statements.in_database_thread(session, functools.partial(transaction, session, then=then))
    assert await stored(one_thing) == (1, False)


async def test_an_error_rolls_back_and_reaches_the_caller(one_thing):
    async with one_thing() as session:
        with pytest.raises(LookupError, match="refused"):
            await statements.in_database_thread(session, functools.partial(transaction, session, then="fail"))
    assert await stored(one_thing) == (1, False)
    async with one_thing() as session:  # the connection is fine afterwards
        assert await statements.in_database_thread(session, transaction, session) == 2


async def test_waiting_for_the_event_loop_in_sqlites_thread_is_refused_and_rolled_back(one_thing, database_url):
    async with one_thing() as session:
        if not database_url.startswith("sqlite"):
            # Elsewhere the function is simply awaited: waiting is fine (and nothing committed it).
            await statements.in_database_thread(session, functools.partial(transaction, session, then="wait"))
            return
        assert sqlite_driver.threads_for(session.bind) is not None
        with pytest.raises(statements.WaitedInDatabaseThread):
            await statements.in_database_thread(session, functools.partial(transaction, session, then="wait"))
    assert await stored(one_thing) == (1, False)


# --- TakingTurns ------------------------------------------------------------------------------------------------


async def add_and_maybe_fail(connection, name: str, order: list[str]) -> str:
    order.append(name)
    await statements.execute(connection, INSERT, row(name))
    if name.startswith("fail"):
        raise LookupError(name)
    await statements.commit(connection)
    return name.upper()


async def names_stored(sessions) -> list[str]:
    async with sessions() as session:
        return [r.id for r in await statements.all_rows(session, READ_ALL, {})]


async def until_all_wait(tasks) -> None:
    """Let the event loop run until each task has started and waits (for the lock): no clock involved."""
    for _ in range(10):
        await asyncio.sleep(0)  # one turn of the loop
    assert not any(t.done() for t in tasks)


async def test_turns_waiting_together_run_in_one_trip_each_its_own_transaction(
    sessions, monkeypatch, database_url
):
    lock = asyncio.Lock()
    turns = statements.TakingTurns(sessions.kw["bind"], lock)
    names = ["a", "b", "fail-c", "d", "e"]
    order: list[str] = []
    async with lock:  # someone else's turn: these wait, together
        waiting = [asyncio.ensure_future(turns.run(add_and_maybe_fail, n, order)) for n in names]
        await until_all_wait(waiting)
        assert order == []  # nothing runs while the lock is held elsewhere
        trips = Trips(monkeypatch)
    answers = await asyncio.gather(*waiting, return_exceptions=True)
    assert answers[:2] == ["A", "B"] and answers[3:] == ["D", "E"]
    assert isinstance(answers[2], LookupError)  # its own failure, and only its own
    assert order == names  # in order of arrival
    if database_url.startswith("sqlite"):
        assert trips.functions == []  # all on the loop: SQLite's write lock was free
        assert sqlite_driver.threads_for(sessions.kw["bind"]).writes_given_way == 0
    assert await names_stored(sessions) == ["a", "b", "d", "e"]


async def test_turns_in_batches_of_at_most_the_batch_size(tmp_path, monkeypatch):
    # SQLite's alone: elsewhere each runs by itself (the test above).
    engine = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'batches.db'}"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    lock = asyncio.Lock()
    turns = statements.TakingTurns(engine, lock, batch=2)
    order: list[str] = []
    threads = sqlite_driver.threads_for(engine)
    batches: list[int] = []
    monkeypatch.setattr(
        threads,
        "write_each_on_loop",
        lambda write_one, items, real=threads.write_each_on_loop: batches.append(len(items)) or real(write_one, items),
    )
    async with lock:
        waiting = [asyncio.ensure_future(turns.run(add_and_maybe_fail, f"n{i}", order)) for i in range(5)]
        await until_all_wait(waiting)
        trips = Trips(monkeypatch)
    assert await asyncio.gather(*waiting) == [f"N{i}" for i in range(5)]
    assert batches == [2, 2, 1]
    assert trips.functions == []
    await engine.dispose()


async def test_turns_left_by_a_batch_that_cannot_take_the_write_lock_wait_in_the_writer_thread(tmp_path):
    engine = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'held.db'}"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    turns = statements.TakingTurns(engine, asyncio.Lock())
    threads = sqlite_driver.threads_for(engine)

    async def add_where(connection, name: str) -> str:
        await statements.execute(connection, INSERT, row(name))
        await statements.commit(connection)
        return threading.current_thread().name

    holder = sqlite3.connect(tmp_path / "held.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another connection's write: SQLite's one write lock, held
    try:
        waiting = [asyncio.ensure_future(turns.run(add_where, n)) for n in ("a", "b")]
        # The loop goes on turning (``eventually`` runs on it) while they wait for the lock in the writer thread.
        await eventually(lambda: threads.writes_given_way == 1)
        assert not any(w.done() for w in waiting)
    finally:
        holder.rollback()
        holder.close()
    assert all(name.startswith("sqlite-writer") for name in await asyncio.gather(*waiting))
    # The lock free again: the next turn runs on the loop.
    assert await turns.run(add_where, "c") == threading.main_thread().name
    async with engine.connect() as conn:
        assert [r.id for r in await statements.all_rows(conn, READ_ALL, {})] == ["a", "b", "c"]
    await engine.dispose()


async def test_when_no_connection_can_be_had_every_waiting_turn_is_told(sessions, monkeypatch):
    lock = asyncio.Lock()
    engine = sessions.kw["bind"]
    turns = statements.TakingTurns(engine, lock)

    def refuse(*_args, **_kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(sa.engine.Engine, "connect", refuse)  # the async engine's and SQLite's threads' engine
    outcomes = await asyncio.gather(
        *(turns.run(add_and_maybe_fail, n, []) for n in ("a", "b")), return_exceptions=True
    )
    assert all(isinstance(o, ConnectionError) for o in outcomes)


async def test_a_read_sees_one_moment_though_a_write_commits_between_its_statements(sessions, database_url):
    """A snapshot's statements must agree with each other: its version with its rankings, say."""
    async with sessions() as session:
        await statements.execute(session, INSERT, row("one"))
        await statements.commit(session)
    engine = sessions.kw["bind"]

    async def commit_elsewhere():
        if database_url.startswith("sqlite"):  # synchronous: a read on SQLite may await nothing else
            with sqlite3.connect(engine.url.database) as other:
                other.execute("UPDATE statements_thing SET version = version + 1 WHERE id = 'one'")
        else:
            async with engine.begin() as other:
                await other.execute(BUMP, {"thing_id": "one"})

    async def read_twice(connection):
        before = await statements.first(connection, READ, {"thing_id": "one"})
        await commit_elsewhere()
        after = await statements.first(connection, READ, {"thing_id": "one"})
        return before.version, after.version

    assert await statements.read(engine, read_twice) == (1, 1)
    assert await statements.read(engine, read_twice) == (2, 2)  # and the next read sees the commit
