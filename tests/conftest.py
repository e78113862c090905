"""Shared fixtures: databases (SQLite and the real PostgreSQL), a live server in a thread, socket.io clients.

In CI (CI=true) a test that needs Redis, PostgreSQL or Chromium fails when the service is missing instead of
skipping, so nothing passes by not running.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest
import pytest_asyncio

from server.db import create_schema, make_engine, make_session_factory
from server.services import state
from server.settings import Settings

# Every phone snapshot served from what a worker kept is checked against a fresh read, in this process and in
# the servers the tests start (they inherit the environment): a write that leaves the version alone fails the
# test that makes it (services.state, "A phone's snapshot").
os.environ["THRIVE_CHECK_KEPT_SNAPSHOTS"] = "1"
state.CHECK_KEPT_SNAPSHOTS = True

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def require_service(name: str, available: bool) -> None:
    """Skip when a service is missing on a developer machine; fail in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is needed by this test and is not available in CI")
    pytest.skip(f"{name} is not available")


def require_postgres() -> None:
    require_service("PostgreSQL on 127.0.0.1:5432", port_open("127.0.0.1", 5432))


def require_redis() -> None:
    require_service("Redis on 127.0.0.1:6379", port_open("127.0.0.1", 6379))


async def _fresh_postgres_database() -> str:
    """A throwaway database on the real server, so tests never share state."""
    import asyncpg

    name = f"thrive_test_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path):
    """Each test using it runs twice: on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    require_postgres()
    url = await _fresh_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest_asyncio.fixture
async def sessions(database_url):
    engine = make_engine(Settings(database_url=database_url))
    await create_schema(engine)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()
