"""Alembic migrations on PostgreSQL too (tests/web/test_migrations.py checks SQLite): the schema they build is
the models', several hosts may migrate at once, and a database in use is upgraded in place."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import pytest_asyncio

from tests.conftest import _fresh_postgres_database, drop_postgres_database, require_postgres
from tests.live import ROOT
from tests.scaleout.conftest import sql

pytestmark = [pytest.mark.asyncio]


def cli(database_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def alembic(database_url: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from alembic import command; from server.db import alembic_config; "
            f"config = alembic_config({database_url!r}); {code}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest_asyncio.fixture
async def empty_postgres():
    require_postgres()
    url = await _fresh_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.mark.postgres
async def test_migrations_build_the_same_schema_as_the_models_on_postgresql(empty_postgres):
    # Three hosts start at once and each migrates first (``thrive-workshop serve``): all succeed.
    runs = [cli(empty_postgres, "migrate") for _ in range(3)]
    outputs = await asyncio.gather(*(asyncio.to_thread(run.communicate, timeout=120) for run in runs))
    assert [run.returncode for run in runs] == [0, 0, 0], [out for out, _ in outputs]
    check = await asyncio.to_thread(alembic, empty_postgres, "command.check(config)")
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_database_in_use_is_upgraded_in_place_and_can_go_back(engine, tmp_path):
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    else:
        require_postgres()
        url = await _fresh_postgres_database()
    try:
        assert (await asyncio.to_thread(alembic, url, "command.upgrade(config, '0001')")).returncode == 0
        insert = (
            "INSERT INTO workshop (id, title, locality, join_code, created_at, version, workshop_version, "
            "agenda_version, consensus_version, display_version, rankings_locked, lock_on_timeout, tally_method, "
            "results_revealed, display_mode) VALUES ('w1', 'Old', '', 'ABCDEF', 1.0, 7, 0, 0, 0, 0, false, true, "
            "'borda', false, 'auto')"
        )
        await _execute(url, insert)
        upgraded = await asyncio.to_thread(lambda: cli(url, "migrate").communicate(timeout=120))
        assert "up to date" in upgraded[0], upgraded
        assert await _execute(url, "SELECT version, timeout_lock_deadline FROM workshop") == [(7, None)]
        check = await asyncio.to_thread(alembic, url, "command.check(config)")
        assert check.returncode == 0, check.stdout + check.stderr
        down = await asyncio.to_thread(alembic, url, "command.downgrade(config, '0001')")
        assert down.returncode == 0, down.stderr
        assert await _execute(url, "SELECT version FROM workshop") == [(7,)]
    finally:
        if engine == "postgres":
            await drop_postgres_database(url)


async def _execute(url: str, statement: str) -> list[tuple]:
    if url.startswith("postgresql"):
        rows = await sql(url, statement)
        return [tuple(r) for r in rows] if isinstance(rows, list) else []
    import aiosqlite

    async with aiosqlite.connect(url.split(":///", 1)[1]) as db:
        cursor = await db.execute(statement)
        rows = await cursor.fetchall()
        await db.commit()
        return [tuple(r) for r in rows]
