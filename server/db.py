"""The async engine and sessions, and schema creation or migration.

On SQLite the hot transactions also run in SQLite's own threads on a synchronous engine (``sqlite_driver``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
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
    if not url.startswith("postgresql+asyncpg://"):  # another driver: SQLAlchemy's own ping at every checkout
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)
    engine = create_async_engine(url, pool_size=10, max_overflow=20, hide_parameters=True)
    event.listen(engine.sync_engine.pool, "checkout", replace_if_closed_by_the_server)
    return engine


def replace_if_closed_by_the_server(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection the server closed (a restart, an idle timeout, ``pg_terminate_backend``) is replaced
    before anyone uses it: the pool retries the checkout with a fresh one (SQLAlchemy's documented "pessimistic"
    disconnect handling with a ``checkout`` event). asyncpg learns of a close as it happens (its protocol is on
    the event loop), so the check is local: ``pool_pre_ping`` would send BEGIN, a statement and ROLLBACK at every
    checkout, three of a ranking edit's ~11 round trips (docs/performance.md). A connection that dies after the
    check fails as in any outage: the command is answered ``unavailable`` and the client sends it again."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


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
