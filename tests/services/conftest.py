from __future__ import annotations

import pytest_asyncio

from server.broadcast import MemoryBroadcaster, rooms
from server.client import apply_update
from server.services import every_command  # noqa: F401  (registers every command)
from server.services.commands import Actor, CommandBus
from server.services.state import build_snapshot
from server.services.workshops import CreateWorkshop, create_workshop, join_table
from tests.live_js import case


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class World:
    """A workshop in a real database, driven through the command bus, with a recording broadcaster."""

    def __init__(self, sessions, bus, broadcaster, clock, created):
        self.sessions = sessions
        self.bus = bus
        self.broadcaster = broadcaster
        self.clock = clock
        self.workshop_id = created.workshop.id
        self.join_code = created.workshop.join_code
        self.facilitator = Actor(self.workshop_id, "facilitator")
        self.projector = Actor(self.workshop_id, "projector")
        self.table_ids: list[str] = []

    async def participant(self, table_index: int) -> Actor:
        async with self.sessions() as session:
            joined = await join_table(session, self.join_code, {"table_id": self.table_ids[table_index]})
        return Actor(self.workshop_id, "participant", joined.participant_id, joined.table_id)

    async def run(self, actor: Actor, event: str, payload: dict | None = None) -> dict:
        return await self.bus.execute(event, actor, payload or {})

    async def snapshot(self, actor: Actor) -> dict:
        async with self.sessions() as session:
            return await build_snapshot(session, actor, self.clock())

    async def replayed(self, viewers: dict[str, Actor], start: dict[str, dict], events: list) -> list[tuple]:
        """For each viewer: (name, its start snapshot + the events sent to its rooms, a fresh snapshot, the case
        for live.js's replay)."""
        out = []
        for name, actor in viewers.items():
            my_rooms = set(rooms.for_client(self.workshop_id, actor.role, actor.table_id))
            mine = [event.data for event in events if my_rooms & set(event.rooms)]
            state = start[name]
            for update in mine:
                state = apply_update(state, update)
            fresh = await self.snapshot(actor)
            out.append((name, state, fresh, case(name, start[name], mine, fresh)))
        return out

    async def assert_updates_rebuild_snapshots(self, viewers: dict[str, Actor], start: dict[str, dict], events) -> None:
        """Each viewer's first snapshot plus the updates sent to its rooms equals its fresh snapshot, here and
        through the browsers' applyUpdate (live.js)."""
        from tests.live_js import assert_live_js_agrees

        replayed = await self.replayed(viewers, start, events)
        for name, state, fresh, _ in replayed:
            assert {**state, "version": 0, "server_now": 0} == {**fresh, "version": 0, "server_now": 0}, name
        assert_live_js_agrees([recorded for *_, recorded in replayed])


@pytest_asyncio.fixture
async def world(sessions):
    clock = Clock()
    broadcaster = MemoryBroadcaster()
    bus = CommandBus(sessions, broadcaster, clock=clock)
    async with sessions() as session:
        created = await create_workshop(session, CreateWorkshop(title="Test", table_count=3), now=clock())
    w = World(sessions, bus, broadcaster, clock, created)
    snap = await w.snapshot(w.facilitator)
    w.table_ids = [t["id"] for t in snap["tables"]]
    return w
