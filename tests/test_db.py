"""server.db: the engines. On PostgreSQL a pooled connection the server closed is replaced at checkout, with no
round trip to find out (issue 19)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from server.db import make_engine
from server.settings import Settings
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    _fresh_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.live import eventually

pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine():
    require_postgres()
    url = await _fresh_postgres_database()
    engine = make_engine(Settings(database_url=url))
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_postgres_database(url)


async def backend(engine) -> tuple[int, object]:
    """The server process behind the connection the pool hands out, and that connection's asyncpg object."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one(), raw.driver_connection


async def test_a_healthy_pooled_connection_is_handed_out_again_as_it_is(engine):
    first, _ = await backend(engine)
    assert (await backend(engine))[0] == first


async def test_a_connection_the_server_closed_is_replaced_before_anyone_uses_it(engine):
    pid, driver = await backend(engine)  # back in the pool now
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await eventually(driver.is_closed)  # asyncpg notices the close
    # Without the check the next statement would fail ("connection is closed"): one command lost to a restart.
    again, _ = await backend(engine)
    assert again != pid
