"""server.pg_driver: the hot transactions on asyncpg itself answer as SQLAlchemy's engine would, and never hand the
next caller a connection left mid-transaction or broken (issue 19)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa

from server import pg_driver, statements
from server.db import make_engine
from server.services.commands import is_database_outage
from server.settings import Settings
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    _fresh_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.live import eventually
from tests.test_statements import INSERT, MARK, READ, READ_ALL, metadata, row, things

pytestmark = pytest.mark.postgres

BUMP_RETURNING_SCORE = (
    things.update()
    .where(things.c.id == sa.bindparam("thing_id"))
    .values(score=things.c.score * 2)
    .returning(things.c.score)
)
SLEEP = sa.select(sa.func.pg_sleep(sa.bindparam("seconds")).label("slept"))
BACKEND = sa.select(sa.func.pg_backend_pid().label("pid"))


@pytest.fixture
async def engine():
    require_postgres()
    url = await _fresh_postgres_database()
    engine = make_engine(Settings(database_url=url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_postgres_database(url)


async def terminate(pid: int) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_the_statements_take_asyncpgs_own_road_there(engine):
    assert pg_driver.usable_with(engine)
    async with statements.connect(engine) as connection:
        assert isinstance(connection, pg_driver.Connection)
        assert statements.dialect_name(connection) == "postgresql"


async def test_values_rows_and_counts_are_what_sqlalchemy_reads(engine):
    async with statements.connect(engine) as connection:
        assert await statements.execute(connection, INSERT, row("one", note={"k": [1, 2]}, done=True)) == 1
        await statements.execute(connection, INSERT, row("two", score=None))
        assert [
            tuple(r) for r in await statements.all_rows(connection, BUMP_RETURNING_SCORE, {"thing_id": "one"})
        ] == [(5.0,)]
        assert await statements.execute(connection, MARK, {"thing_id": "two", "new_done": True}) == 1
        assert await statements.execute(connection, MARK, {"thing_id": "none", "new_done": True}) == 0
        await statements.commit(connection)
    async with engine.connect() as connection:
        expected = (await connection.execute(READ, {"thing_id": "one"})).one()
    async with statements.connect(engine) as connection:
        one = await statements.first(connection, READ, {"thing_id": "one"})
        assert tuple(one) == tuple(expected) == ("one", ["a", "b"], {"k": [1, 2]}, True, 5.0, 1)
        assert one._replace(version=9).version == 9
        assert [tuple(r) for r in await statements.all_rows(connection, READ_ALL, {})] == [
            ("one", True),
            ("two", True),
        ]
        assert await statements.first(connection, READ, {"thing_id": "none"}) is None


async def test_errors_are_sqlalchemys_and_never_carry_the_values(engine):
    async with statements.connect(engine) as connection:
        await statements.execute(connection, INSERT, row("secret-one"))
        with pytest.raises(sa.exc.IntegrityError) as duplicate:
            await statements.execute(connection, INSERT, row("secret-one"))
        assert "secret-one" not in str(duplicate.value)
        assert not is_database_outage(duplicate.value)  # a broken rule, not an outage
        await statements.rollback(connection)
        with pytest.raises(sa.exc.InvalidRequestError, match="new_done"):  # a missing value is an error, not a NULL
            await statements.execute(connection, MARK, {"thing_id": "one"})
        with pytest.raises(sa.exc.DBAPIError) as wrong_type:  # asyncpg refuses it before sending anything
            await statements.execute(connection, INSERT, row("two", version="not a number"))
        assert not is_database_outage(wrong_type.value)  # a bug to report, not an outage to resend through
        await statements.rollback(connection)
        # Two statements at once on one connection: asyncpg refuses the second (a bug in the caller, not an outage).
        busy = await asyncio.gather(
            statements.first(connection, SLEEP, {"seconds": 0.2}),
            statements.first(connection, READ, {"thing_id": "one"}),
            return_exceptions=True,
        )
        refused = [answer for answer in busy if isinstance(answer, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], sa.exc.InterfaceError), busy
        assert not is_database_outage(refused[0])
        await statements.rollback(connection)
        with pytest.raises(ValueError, match="expanding"):
            await statements.all_rows(
                connection, sa.select(things.c.id).where(things.c.id.in_(["a", "b"])), {}
            )


async def test_what_is_left_open_is_rolled_back_and_the_pooled_connection_is_clean(engine):
    async with statements.connect(engine) as connection:
        await statements.execute(connection, INSERT, row("one"))
        driver = connection.driver
    assert not driver.is_in_transaction()
    async with statements.connect(engine) as connection:
        assert connection.driver is driver  # the same connection, pooled again
        assert await statements.first(connection, READ, {"thing_id": "one"}) is None


async def test_after_a_commit_the_next_statement_begins_another_transaction(engine):
    async with statements.connect(engine) as connection:
        await statements.execute(connection, INSERT, row("one"))
        await statements.commit(connection)
        await statements.execute(connection, INSERT, row("two"))
        assert connection.driver.is_in_transaction()
    async with statements.connect(engine) as connection:
        assert [r.id for r in await statements.all_rows(connection, READ_ALL, {})] == ["one"]


async def test_a_read_runs_read_only_and_repeatable(engine):
    async def write_in_a_read(connection):
        return await statements.execute(connection, INSERT, row("one"))

    with pytest.raises(sa.exc.DBAPIError, match="read-only"):
        await statements.read(engine, write_in_a_read)


async def test_a_backend_ended_mid_transaction_is_an_outage_and_never_pooled_again(engine):
    async with statements.connect(engine) as connection:
        pid = (await statements.first(connection, BACKEND, {})).pid
        driver = connection.driver
        await terminate(pid)
        await eventually(driver.is_closed)
        with pytest.raises(sa.exc.DBAPIError) as ended:
            await statements.execute(connection, INSERT, row("one"))
        assert ended.value.connection_invalidated and is_database_outage(ended.value)
    async with statements.connect(engine) as connection:  # a fresh connection, and it works
        assert (await statements.first(connection, BACKEND, {})).pid != pid
        assert await statements.execute(connection, INSERT, row("one")) == 1


async def test_a_transaction_cancelled_mid_statement_leaves_the_pool_healthy(engine):
    started = asyncio.Event()

    async def sleep_long():
        async with statements.connect(engine) as connection:
            await statements.execute(connection, INSERT, row("one"))
            started.set()
            await statements.first(connection, SLEEP, {"seconds": 30})

    task = asyncio.ensure_future(sleep_long())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(3):  # whichever connection the pool hands out: none is mid-transaction or busy
        async with statements.connect(engine) as connection:
            assert not connection.driver.is_in_transaction()
            assert await statements.first(connection, READ, {"thing_id": "one"}) is None
