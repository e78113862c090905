"""Migration 0006 on a database that already has saved catalogues (SQLite and the real PostgreSQL): the old rows
are kept, listed as saved before provenance was recorded, and new saves record their workshop, which the database
forgets (keeping its title) when the workshop is deleted."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlmodel import delete

from server.db import make_engine, make_session_factory
from server.models import Workshop
from server.services import catalogues
from server.settings import Settings
from tests.catalogue import synthetic as syn
from tests.live import ROOT

pytestmark = pytest.mark.asyncio

OLD_WORKSHOP = (
    "INSERT INTO workshop (id, title, locality, join_code, created_at, version, workshop_version, agenda_version, "
    "consensus_version, display_version, rankings_locked, lock_on_timeout, tally_method, results_revealed, "
    "display_mode) VALUES ('w-old', 'Old workshop', 'Northshire', 'ABCDEF', 1.0, 0, 0, 0, 0, 0, false, false, "
    "'borda', false, 'auto')"
)
OLD_CATALOGUE = (
    "INSERT INTO saved_catalogue (id, locality, locality_key, title, principles, principle_count, created_at) "
    "VALUES ('c-old', 'Northshire', 'northshire', 'Saved long ago', '[]', 0, 86400.0)"
)


def alembic(database_url: str, code: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c",
         f"from alembic import command; from server.db import alembic_config; config = alembic_config({database_url!r}); "
         f"{code}"],
        cwd=ROOT, env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


async def execute(url: str, statement: str) -> list[tuple]:
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [tuple(r) for r in await conn.fetch(statement)]
        finally:
            await conn.close()
    import aiosqlite

    async with aiosqlite.connect(url.split(":///", 1)[1]) as db:
        rows = await (await db.execute(statement)).fetchall()
        await db.commit()
        return [tuple(r) for r in rows]


async def test_old_saved_catalogues_are_kept_and_new_ones_say_where_they_came_from(database_url):
    await asyncio.to_thread(alembic, database_url, "command.upgrade(config, '0005')")
    await execute(database_url, OLD_WORKSHOP)
    await execute(database_url, OLD_CATALOGUE)
    await asyncio.to_thread(alembic, database_url, "command.upgrade(config, 'head')")
    await asyncio.to_thread(alembic, database_url, "command.check(config)")

    engine = make_engine(Settings(database_url=database_url))
    try:
        sessions = make_session_factory(engine)
        async with sessions() as session:
            [old] = await catalogues.list_for(session, "northshire")
            assert (old["id"], old["title"], old["saved_from"], old["workshop_id"]) == (
                "c-old", "Saved long ago", None, None)
            assert old["saved_at"] == "1970-01-02T00:00:00Z"
            new = await catalogues.save(session, "w-old", {"title": "Saved now", "principles": syn.principles(2)})
            assert new["saved_from"] == "Old workshop" and new["workshop_id"] == "w-old"
            await session.exec(delete(Workshop).where(Workshop.id == "w-old"))
            await session.commit()
        async with sessions() as session:
            listed = {c["id"]: c for c in await catalogues.list_for(session, "Northshire")}
            assert (listed[new["id"]]["saved_from"], listed[new["id"]]["workshop_id"]) == ("Old workshop", None)
            assert listed["c-old"] == old
    finally:
        await engine.dispose()

    await asyncio.to_thread(alembic, database_url, "command.downgrade(config, '0005')")
    assert dict(await execute(database_url, "SELECT id, title FROM saved_catalogue")) == {
        "c-old": "Saved long ago", new["id"]: "Saved now"}
