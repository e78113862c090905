"""Fixtures for running the app as several real processes: PostgreSQL databases, Redis, workers, rooms."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid

import asyncpg
import pytest
import pytest_asyncio

from server.client import WorkshopClient, create_workshop, join, tables
from tests.conftest import (
    REDIS_URL,
    _fresh_postgres_database,
    drop_postgres_database,
    require_postgres,
    require_redis,
    require_service,
)
from tests.live import migrate
from tests.scaleout.cluster import (
    PostgresCluster,
    RedisProcess,
    Worker,
    postgres_tools_available,
    start_workers,
)


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def sql(url: str, query: str, *args):
    """One statement straight on the database (test set-up and checks, never the app's path)."""
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        if query.lstrip().upper().startswith("SELECT"):
            return await conn.fetch(query, *args)
        return await conn.execute(query, *args)
    finally:
        await conn.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


# --- Services -------------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def pg_database():
    """A fresh, migrated database on the machine's PostgreSQL."""
    require_postgres()
    url = await _fresh_postgres_database()
    await asyncio.to_thread(migrate, url)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
def shared_redis() -> str:
    """The machine's Redis (tests that stop Redis use ``private_redis``)."""
    require_redis()
    return REDIS_URL


@pytest.fixture
def private_redis(tmp_path):
    require_service("redis-server", shutil.which("redis-server") is not None)
    redis = RedisProcess(tmp_path).start()
    try:
        yield redis
    finally:
        redis.kill()


@pytest_asyncio.fixture
async def private_postgres():
    """A throwaway PostgreSQL cluster (initdb, pg_ctl) that the test may stop and start."""
    require_service("PostgreSQL's initdb and pg_ctl", postgres_tools_available())
    cluster = PostgresCluster()
    try:
        await asyncio.to_thread(cluster.init)
        await asyncio.to_thread(cluster.start)
        yield cluster
    finally:
        await asyncio.to_thread(cluster.destroy)


# --- Workers --------------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def spawn(request, tmp_path):
    """``await spawn(database_url, redis_url=..., n=2, env=...)`` starts workers (stopped at the end).

    Each call gets its own Redis channel, so other users of the machine's Redis never reach these workers.
    """
    started: list[Worker] = []

    async def start(
        database_url: str,
        *,
        redis_url: str | None = None,
        n: int = 1,
        env: dict | None = None,
        uvicorn_args: tuple[str, ...] = (),
    ) -> list[Worker]:
        channel = f"thrive-test-{uuid.uuid4().hex[:8]}"
        workers = [
            Worker(
                database_url,
                redis_url=redis_url,
                env={"REDIS_CHANNEL": channel, **(env or {})},
                uvicorn_args=uvicorn_args,
                name=f"worker{len(started) + i}",
            )
            for i in range(n)
        ]
        started.extend(workers)
        await start_workers(*workers, log_dir=tmp_path)
        return workers

    yield start
    for worker in started:
        await asyncio.to_thread(worker.stop)
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for worker in started:
            print(f"\n----- {worker.name} log ({worker.log_path}) -----\n{worker.log()[-6000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two workers on one fresh PostgreSQL database and the machine's Redis, shared by the tests of a module that
    kill nothing (each test makes its own workshops)."""
    require_postgres()
    require_redis()
    url = asyncio.run(_fresh_postgres_database())
    migrate(url)
    folder = tmp_path_factory.mktemp("cluster")
    channel = f"thrive-test-{uuid.uuid4().hex[:8]}"
    workers = [
        Worker(url, redis_url=REDIS_URL, env={"REDIS_CHANNEL": channel}, name=f"worker{i}") for i in range(2)
    ]
    try:
        asyncio.run(start_workers(*workers, log_dir=folder))
        yield Cluster(url, workers)
    finally:
        for worker in workers:
            worker.stop()
        asyncio.run(drop_postgres_database(url))


class Cluster:
    def __init__(self, database_url: str, workers: list[Worker]):
        self.database_url = database_url
        self.workers = workers


# --- Rooms and people -----------------------------------------------------------------------------------------


class Room:
    """A workshop, and the people in it, each connected to the worker (or balancer) the test chooses."""

    def __init__(self, created: dict, table_ids: list[str]):
        self.created = created
        self.code = created["workshop"]["join_code"]
        self.workshop_id = created["workshop"]["id"]
        self.table_ids = table_ids
        self.clients: list[WorkshopClient] = []

    async def connect(self, url: str, token: str, **kwargs) -> WorkshopClient:
        client = WorkshopClient(url, token, **kwargs)
        self.clients.append(client)
        return await client.connect(timeout=30)

    async def facilitator(self, url: str) -> WorkshopClient:
        return await self.connect(url, self.created["facilitator_token"])

    async def projector(self, url: str) -> WorkshopClient:
        return await self.connect(url, self.created["projector_token"])

    async def join(self, url: str, table_index: int, name: str = "") -> str:
        return (await join(url, self.code, self.table_ids[table_index], name))["participant_token"]

    async def phone(self, url: str, table_index: int, name: str = "") -> WorkshopClient:
        return await self.connect(url, await self.join(url, table_index, name))

    async def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.sio.shutdown(), 5)  # also stops a client still reconnecting


async def open_room(url: str, **spec) -> Room:
    created = await create_workshop(url, **spec)
    return Room(created, [t["id"] for t in await tables(url, created["workshop"]["join_code"])])


@contextlib.asynccontextmanager
async def room_at(url: str, **spec):
    room = await open_room(url, **spec)
    try:
        yield room
    finally:
        await room.close()
