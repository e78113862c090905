"""Scheduled work and presence with several workers, in process: each "worker" is a command bus or a presence
tracker with its own engine (its own connection pool) on the same database. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import pytest_asyncio
from sqlmodel import select

from server.broadcast import MemoryBroadcaster
from server.db import create_schema, make_engine, make_session_factory
from server.models import Presence, Worker, Workshop
from server.services import agenda, consensus, display, presence, rankings  # noqa: F401  (register commands)
from server.services.commands import SYSTEM, Actor, CommandBus
from server.services.presence import STALE_BEATS, PresenceTracker
from server.services.scheduler import TIMEOUT_LOCK, due_rank_locks, fire_due
from server.services.workshops import CreateWorkshop, create_workshop, join_table
from server.settings import Settings
from tests.live import eventually
from tests.services.conftest import Clock

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def engines(database_url):
    """Two connection pools on one database: two workers, as far as the database can tell."""
    made = [make_engine(Settings(database_url=database_url)) for _ in range(2)]
    await create_schema(made[0])
    try:
        yield [make_session_factory(e) for e in made]
    finally:
        for engine in made:
            await engine.dispose()


async def new_workshop(sessions, clock, tables: int = 2) -> str:
    async with sessions() as session:
        created = await create_workshop(session, CreateWorkshop(title="T", table_count=tables), now=clock())
    return created.workshop.id


async def versions(sessions, ids) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.exec(select(Workshop.id, Workshop.version).where(Workshop.id.in_(ids)))
        return dict(rows.all())


# --- Scheduled work ---------------------------------------------------------------------------------------------


async def test_two_workers_polling_at_once_lock_each_workshop_once(engines):
    clock = Clock()
    broadcasters = [MemoryBroadcaster(), MemoryBroadcaster()]
    buses = [CommandBus(s, b, clock=clock) for s, b in zip(engines, broadcasters, strict=True)]
    ids = [await new_workshop(engines[0], clock) for _ in range(5)]
    for workshop_id in ids:
        f = Actor(workshop_id, "facilitator")
        assert (await buses[0].execute("agenda.set_lock_on_timeout", f, {"enabled": True}))["ok"]
        assert (await buses[1].execute("agenda.start", f, {}))["ok"]
    before = await versions(engines[0], ids)
    for b in broadcasters:
        b.take()
    clock.now += 1801
    # Both find all five due, and race to lock them (on PostgreSQL the row lock makes one wait for the other).
    fired = await asyncio.gather(
        fire_due(buses[0]), fire_due(buses[1]), fire_due(buses[0]), fire_due(buses[1])
    )
    assert sum(fired) == 5
    events = [e for b in broadcasters for e in b.take()]
    assert sorted(e.rooms[0] for e in events) == sorted(f"w:{i}" for i in ids)  # one event per workshop
    assert all(e.data["workshop"]["rankings_locked"] for e in events)
    after = await versions(engines[0], ids)
    assert all(after[i] == before[i] + 1 for i in ids)  # one committed change each
    assert await fire_due(buses[0]) == 0 and await fire_due(buses[1]) == 0


async def test_a_stale_poll_locks_nothing(engines):
    """A worker found the timer due, then the facilitator extended it on another worker: no lock."""
    clock = Clock()
    buses = [CommandBus(s, MemoryBroadcaster(), clock=clock) for s in engines]
    workshop_id = await new_workshop(engines[0], clock)
    f = Actor(workshop_id, "facilitator")
    assert (await buses[0].execute("agenda.set_lock_on_timeout", f, {"enabled": True}))["ok"]
    assert (await buses[0].execute("agenda.start", f, {}))["ok"]
    clock.now += 1801
    assert await due_rank_locks(buses[0], clock()) == [workshop_id]
    assert (await buses[1].execute("agenda.extend", f, {"seconds": 300}))["ok"]
    before = await versions(engines[0], [workshop_id])
    ack = await buses[0].execute(TIMEOUT_LOCK, Actor(workshop_id, SYSTEM), {})
    assert ack == {"ok": True}  # checked again under the row lock: not due any more
    assert await versions(engines[0], [workshop_id]) == before  # nothing committed
    async with engines[0]() as session:
        assert (await session.get(Workshop, workshop_id)).rankings_locked is False


async def test_the_timeout_locks_once_per_deadline(engines):
    clock = Clock()
    bus = CommandBus(engines[0], MemoryBroadcaster(), clock=clock)
    workshop_id = await new_workshop(engines[0], clock)
    f = Actor(workshop_id, "facilitator")
    assert (await bus.execute("agenda.set_lock_on_timeout", f, {"enabled": True}))["ok"]
    assert (await bus.execute("agenda.start", f, {}))["ok"]
    clock.now += 1801
    assert await fire_due(bus) == 1
    # The facilitator unlocks in overtime to let a table finish: the scheduler does not overrule it.
    assert (await bus.execute("rankings.lock", f, {"locked": False}))["ok"]
    clock.now += 10
    assert await fire_due(bus) == 0
    # Extending gives a new deadline: when that one runs out, it locks again.
    assert (await bus.execute("agenda.extend", f, {"seconds": 60}))["ok"]
    assert await fire_due(bus) == 0
    clock.now += 61
    assert await fire_due(bus) == 1
    # Locked by hand before time ran out, then unlocked in overtime: not relocked either.
    assert (await bus.execute("agenda.extend", f, {"seconds": 60}))["ok"]
    assert (await bus.execute("rankings.lock", f, {"locked": False}))["ok"]
    assert (await bus.execute("rankings.lock", f, {"locked": True}))["ok"]
    clock.now += 61
    assert await fire_due(bus) == 0  # already locked: the deadline is recorded as handled
    assert (await bus.execute("rankings.lock", f, {"locked": False}))["ok"]
    assert await fire_due(bus) == 0


async def test_clients_cannot_send_the_system_command(engines):
    clock = Clock()
    bus = CommandBus(engines[0], MemoryBroadcaster(), clock=clock)
    workshop_id = await new_workshop(engines[0], clock)
    ack = await bus.execute(TIMEOUT_LOCK, Actor(workshop_id, "facilitator"), {})
    assert ack["error"]["code"] == "forbidden"


# --- Presence across workers -------------------------------------------------------------------------------------


async def connections(sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        return sorted((await session.exec(select(Presence.sid, Presence.worker_id))).all())


async def phones(sessions, clock, workshop_id: str, n: int) -> list[Actor]:
    async with sessions() as session:
        from server.services.state import load_tables

        table = (await load_tables(session, workshop_id))[0]
        code = (await session.get(Workshop, workshop_id)).join_code
    actors = []
    for _ in range(n):
        async with sessions() as session:
            joined = await join_table(session, code, {"table_id": table.id})
        actors.append(Actor(workshop_id, "participant", joined.participant_id, joined.table_id))
    return actors


def trackers(engines, clock, interval: float = 5.0):
    return [
        PresenceTracker(s, MemoryBroadcaster(), f"worker-{i}", heartbeat_interval=interval, clock=clock)
        for i, s in enumerate(engines)
    ]


def last_counts(tracker: PresenceTracker) -> dict:
    return [e.data["presence"] for e in tracker.broadcaster.events][-1]


async def test_a_worker_that_stops_beating_is_swept_and_the_counts_are_published(engines):
    clock = Clock()
    one, two = trackers(engines, clock)
    workshop_id = await new_workshop(engines[0], clock)
    actors = await phones(engines[0], clock, workshop_id, 3)
    table_id = actors[0].table_id
    for tracker in (one, two):
        await tracker.beat()
    await one.connected("sid-1", actors[0], clock())
    await one.connected("sid-2", actors[1], clock())
    await two.connected("sid-3", actors[2], clock())
    assert last_counts(two)["tables"] == {table_id: 3}
    # worker-0 is killed: it never beats again. worker-1 goes on beating.
    for _ in range(STALE_BEATS + 1):
        clock.now += 5
        await two.beat()
    assert await connections(engines[1]) == [("sid-3", "worker-1")]
    assert last_counts(two)["tables"] == {table_id: 1}
    async with engines[1]() as session:
        assert (await session.exec(select(Worker.id))).all() == ["worker-1"]


async def test_after_its_own_silence_a_worker_does_not_sweep_the_others(engines):
    """After a database outage nobody could beat: the first to come back must not take the others for dead."""
    clock = Clock()
    one, two = trackers(engines, clock)
    workshop_id = await new_workshop(engines[0], clock)
    (actor,) = await phones(engines[0], clock, workshop_id, 1)
    await one.beat()
    await two.beat()
    await two.connected("sid-9", actor, clock())
    clock.now += 60  # both silent for a minute
    await one.beat()
    assert await connections(engines[0]) == [("sid-9", "worker-1")]
    clock.now += 5  # worker-1 still silent, worker-0 now beating steadily: now it is stale
    await one.beat()
    assert await connections(engines[0]) == []


async def test_a_live_worker_puts_back_rows_swept_while_it_was_silent_and_drops_rows_of_gone_sockets(engines):
    clock = Clock()
    (one,) = trackers(engines[:1], clock)
    workshop_id = await new_workshop(engines[0], clock)
    a, b = await phones(engines[0], clock, workshop_id, 2)
    await one.beat()
    await one.connected("sid-a", a, clock())
    await one.connected("sid-b", b, clock())
    async with engines[0]() as session:
        # Another worker swept us (we could not beat for a while), and a stray row of a socket long gone.
        await session.exec(Presence.__table__.delete())
        session.add(
            Presence(
                sid="sid-gone",
                workshop_id=workshop_id,
                role="participant",
                table_id=a.table_id,
                worker_id="worker-0",
                seen_at=clock(),
            )
        )
        await session.commit()
    await one.beat()
    assert await connections(engines[0]) == [("sid-a", "worker-0"), ("sid-b", "worker-0")]
    assert last_counts(one)["tables"] == {a.table_id: 2}


async def test_a_disconnect_racing_the_connect_leaves_no_row(engines):
    clock = Clock()
    (one,) = trackers(engines[:1], clock)
    workshop_id = await new_workshop(engines[0], clock)
    actors = await phones(engines[0], clock, workshop_id, 5)
    await one.beat()
    for i, actor in enumerate(actors):
        connecting = asyncio.ensure_future(one.connected(f"sid-{i}", actor, clock()))
        for _ in range(i):  # let the connect get a little further each time
            await asyncio.sleep(0)
        await one.disconnected(f"sid-{i}")
        await connecting
    assert await connections(engines[0]) == []
    assert last_counts(one)["tables"] == {}


async def test_a_connect_finishing_while_the_beat_reads_the_rows_is_not_added_twice(engines):
    # The beat reads this worker's stored rows; before it goes on, a connect (its row just too late for that
    # read) finishes. The beat must neither add that row again (a duplicate key) nor take it for gone.
    clock = Clock()
    (one,) = trackers(engines[:1], clock)
    workshop_id = await new_workshop(engines[0], clock)
    first, late = await phones(engines[0], clock, workshop_id, 2)
    await one.beat()
    await one.connected("sid-first", first, clock())
    real_sessions = one.sessions

    @contextlib.asynccontextmanager
    async def sessions_where_a_connect_finishes_after_the_read():
        async with real_sessions() as session:
            real_exec = session.exec

            async def exec_then_connect(statement, *args, **kwargs):
                result = await real_exec(statement, *args, **kwargs)
                if "presence" in str(statement) and one.sessions is not real_sessions:
                    one.sessions = real_sessions  # once
                    await one.connected("sid-late", late, clock())
                return result

            session.exec = exec_then_connect
            yield session

    one.sessions = sessions_where_a_connect_finishes_after_the_read
    clock.now += 5
    await one.beat()
    assert one.sessions is real_sessions  # the connect did run during the beat's read
    assert await connections(engines[0]) == [("sid-first", "worker-0"), ("sid-late", "worker-0")]
    assert last_counts(one)["tables"] == {first.table_id: 2}


async def test_a_stopping_worker_removes_its_rows_and_publishes(engines):
    clock = Clock()
    one, two = trackers(engines, clock)
    workshop_id = await new_workshop(engines[0], clock)
    a, b = await phones(engines[0], clock, workshop_id, 2)
    await one.beat()
    await two.beat()
    await one.connected("sid-a", a, clock())
    await two.connected("sid-b", b, clock())
    await one.leave()
    assert await connections(engines[0]) == [("sid-b", "worker-1")]
    assert last_counts(one)["tables"] == {a.table_id: 1}
    async with engines[0]() as session:
        assert (await session.exec(select(Worker.id))).all() == ["worker-1"]


class HeldDelays:
    """Stands in for ``asyncio`` in the presence module: a publish delay ends when the test ends it, not when a
    clock says, so what one delay gathers does not depend on how busy the machine is."""

    def __init__(self):
        self.held: list[asyncio.Event] = []

    def __getattr__(self, name):
        return getattr(asyncio, name)

    async def sleep(self, _seconds):
        done = asyncio.Event()
        self.held.append(done)
        await done.wait()

    def end_one(self) -> None:
        self.held.pop(0).set()


async def test_a_join_storm_is_one_presence_update_per_publish_delay(engines, monkeypatch):
    delays = HeldDelays()
    monkeypatch.setattr(presence, "asyncio", delays)
    clock = Clock()
    tracker = PresenceTracker(engines[0], MemoryBroadcaster(), "worker-0", publish_delay=0.05, clock=clock)
    workshop_id = await new_workshop(engines[0], clock)
    actors = await phones(engines[0], clock, workshop_id, 6)
    await tracker.beat()
    await asyncio.gather(*(tracker.connected(f"sid-{i}", a, clock()) for i, a in enumerate(actors)))
    await eventually(lambda: delays.held)
    assert len(delays.held) == 1  # one publication waits for all six
    assert tracker.broadcaster.events == []  # gathered, not yet sent
    delays.end_one()
    await eventually(lambda: tracker.broadcaster.events)
    assert [e.data["presence"]["tables"] for e in tracker.broadcaster.events] == [{actors[0].table_id: 6}]
    await tracker.disconnected("sid-0")
    await eventually(lambda: delays.held)
    assert len(tracker.broadcaster.events) == 1
    delays.end_one()
    await eventually(lambda: len(tracker.broadcaster.events) == 2)
    assert last_counts(tracker)["tables"] == {actors[0].table_id: 5}


async def test_connections_made_at_once_on_two_workers_never_pass_the_caps(engines):
    """330 phones of one table connecting at the same moment, half on each worker, against a table cap of 40:
    40 rows are written, every other connection is refused (before, counting and writing apart let 60 in)."""
    from server.services.limits import check_connection_caps
    from server.settings import Limits

    clock = Clock()
    settings = Settings(limits=Limits(max_connections_per_table=40, max_connections_per_workshop=500))
    workers = trackers(engines, clock)
    workshop_id = await new_workshop(engines[0], clock)
    [phone] = await phones(engines[0], clock, workshop_id, 1)

    async def connect(i: int):
        actor = Actor(workshop_id, "participant", phone.participant_id, phone.table_id, connection=f"sid-{i}")
        caps = lambda session: check_connection_caps(session, actor, settings)  # noqa: E731
        return await workers[i % 2].connected(f"sid-{i}", actor, clock(), caps=caps)

    answers = await asyncio.gather(*(connect(i) for i in range(330)))
    refused = [a.code for a in answers if a is not None]
    assert refused == ["too_many_connections"] * 290
    async with engines[1]() as session:
        rows = (await session.exec(select(Presence.sid).where(Presence.table_id == phone.table_id))).all()
    assert len(rows) == 40
    # A refused connection is not this worker's to keep: the heartbeat writes no row back for it.
    for tracker in workers:
        await tracker.beat()
    async with engines[1]() as session:
        assert len((await session.exec(select(Presence.sid))).all()) == 40
