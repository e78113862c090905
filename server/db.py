"""The async engine and sessions, and schema creation or migration.

On SQLite the hot transactions also run in SQLite's own threads on a synchronous engine (``sqlite_driver``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from . import models
from .settings import Settings
from .sqlite_driver import sqlite_pragmas

SessionFactory = async_sessionmaker[AsyncSession]
# Every engine is made with hide_parameters: a database error's message (logged when the database is away)
# then never carries a statement's values (token hashes, people's text). SQLite's threads do the same.


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: attributes read after commit must not trigger implicit (sync) I/O.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    """Create the tables directly (tests); the app itself migrates with Alembic (``migrate``)."""
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)


async def drop_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.drop_all)


MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def migrate(settings: Settings) -> None:
    """Bring the database to the newest schema (creates it when missing). Synchronous: run before serving."""
    from alembic import command

    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), "head")
