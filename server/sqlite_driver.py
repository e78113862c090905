"""SQLite's threads: a synchronous SQLAlchemy engine on Python's own ``sqlite3``, one writer thread, a few readers.

The app's engine on SQLite is SQLAlchemy's stock ``sqlite+aiosqlite`` (the ORM, migrations, everything that is not
hot). aiosqlite runs SQLite in a thread of its own and every call to it is a trip there and back (a queue put, a
thread wake-up, a future resolved on the event loop): several per statement, and a command runs several
statements. On SQLite writers take turns, and a transaction that crosses to SQLite's thread and back once per
statement holds the turn while each trip waits for the busy event loop.

So the hot transactions (``server.statements``: the room's commands and the snapshots) run whole in a thread, as
one trip: there they use a *synchronous* engine (``create_engine``, ``sqlite+pysqlite``) on the same database
file, with the same settings, through SQLAlchemy's public Core API (``Connection.execute``, ``commit``,
``rollback``), and hand their answers back to the event loop with ``call_soon_threadsafe`` or
``run_in_executor``. Writes go to one thread (``write``): SQLite has one writer at a time anyway, and the
process's writers already take turns (``commands.CommandBus``). Reads go to a small pool (``read``): in WAL mode
they run beside the writer.

Only public APIs of SQLAlchemy, Python's ``sqlite3`` and ``concurrent.futures``; nothing of aiosqlite's. A
database in memory has no file the threads could share: ``threads_for`` is None and everything stays on the
async engine.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

READERS = 4  # snapshots read beside the writer; more threads would only wait for the GIL


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """Every SQLite connection, on either engine: WAL lets readers run beside the one writer; busy_timeout makes a
    second writer wait, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Threads:
    """A synchronous engine on the async engine's SQLite file, a writer thread and a pool of readers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="sqlite-reader")

    async def write(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the writer thread: one trip there and back."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in one of the reader threads."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, function, *args)

    def close(self) -> None:
        self._writer.shutdown(wait=False)
        self._readers.shutdown(wait=False)
        self.engine.dispose()


_threads: weakref.WeakKeyDictionary[Engine, Threads] = weakref.WeakKeyDictionary()


def threads_for(engine: AsyncEngine) -> Threads | None:
    """The threads of an async SQLite engine with a database file (made on first use, closed with the engine's
    ``dispose``); None for any other database."""
    key = engine.sync_engine
    found = _threads.get(key)
    if found is not None:
        return found
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
        return None
    sync = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": 30},
        pool_size=READERS + 1,
    )
    event.listen(sync, "connect", sqlite_pragmas)
    threads = Threads(sync)
    _threads[key] = threads
    weakref.finalize(key, threads.close)
    if not event.contains(key, "engine_disposed", _forget):
        event.listen(key, "engine_disposed", _forget)
    return threads


def _forget(engine: Engine) -> None:
    # The async engine's pool was disposed (tests do it at the end, the app at shutdown): so are its threads.
    threads = _threads.pop(engine, None)
    if threads is not None:
        threads.close()


def engines(engine: AsyncEngine) -> list[Engine]:
    """Every synchronous engine that runs the async engine's statements (for listeners such as statement counts)."""
    threads = threads_for(engine)
    return [engine.sync_engine] + ([threads.engine] if threads is not None else [])
