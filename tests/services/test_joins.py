"""A phone's join and connect on the roads the server takes (issue 19): the HTTP join in the writer's turn
(``CommandBus.write``), the token check through a reader (``CommandBus.read``), the caps and the presence row in
the writer's turn; on SQLite (SQLite's threads) and PostgreSQL. Every check a join must make is still made."""

from __future__ import annotations

import asyncio

import pytest

from server.broadcast import MemoryBroadcaster
from server.realtime.handlers import checked_snapshot
from server.services import workshops
from server.services.errors import CommandError
from server.services.guesses import Guesses
from server.services.limits import check_connection_caps
from server.services.presence import PresenceTracker
from server.settings import Limits, Settings

ADDRESS = "192.0.2.1"


async def join(world, table_index: int, code: str | None = None) -> workshops.Joined:
    request = workshops.join_request({"table_id": world.table_ids[table_index], "display_name": "Ana"})
    return await world.bus.write(workshops.join_in_turn, code or world.join_code, request, world.clock())


async def token_check(world, token: str):
    return await workshops.authenticate(
        None, token, guesses=Guesses.from_settings(Settings()), address=ADDRESS, read=world.bus.read
    )


async def test_a_join_in_the_writers_turn_gives_a_working_token_for_its_table(world):
    joined = await join(world, 1, code=world.join_code.lower())  # codes are typed in any case
    actor = await token_check(world, joined.participant_token)
    assert (actor.role, actor.table_id, actor.participant_id) == ("participant", world.table_ids[1], joined.participant_id)
    snapshot = await world.bus.read(checked_snapshot, actor, world.clock())
    assert snapshot["me"] == {"participant_id": joined.participant_id, "table_id": world.table_ids[1], "display_name": "Ana"}
    assert list(snapshot["rankings"]) == [world.table_ids[1]]


async def test_a_join_with_a_wrong_code_or_another_workshops_table_is_refused_and_writes_nothing(world):
    with pytest.raises(CommandError) as wrong_code:
        await join(world, 0, code="ZZZZZZ")
    assert wrong_code.value.code == "not_found" and "code" in wrong_code.value.message
    request = workshops.join_request({"table_id": "f" * 32})
    with pytest.raises(CommandError) as wrong_table:
        await world.bus.write(workshops.join_in_turn, world.join_code, request, world.clock())
    assert wrong_table.value.code == "not_found" and "table" in wrong_table.value.message
    async with world.sessions() as session:
        listed = await workshops.public_join_info(session, world.join_code)
    assert len(listed["tables"]) == 3
    assert (await world.run(world.facilitator, "participants.list"))["participants"] == []


async def test_joins_at_the_same_moment_never_pass_the_table_cap(world, monkeypatch):
    monkeypatch.setattr(workshops, "MAX_PARTICIPANTS_PER_TABLE", 2)
    results = await asyncio.gather(*(join(world, 0) for _ in range(5)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, CommandError)]
    assert len(refused) == 3 and {r.code for r in refused} == {"table_full"}
    assert sum(isinstance(r, workshops.Joined) for r in results) == 2
    assert len((await world.run(world.facilitator, "participants.list"))["participants"]) == 2


async def test_a_removed_phones_token_stops_working_on_connect_and_on_the_recheck(world):
    joined = await join(world, 2)
    actor = await token_check(world, joined.participant_token)
    ack = await world.run(world.facilitator, "participants.remove", {"participant_id": joined.participant_id})
    assert ack["ok"], ack
    assert await world.bus.read(checked_snapshot, actor, world.clock()) is None
    with pytest.raises(CommandError) as refused:
        await token_check(world, joined.participant_token)
    assert refused.value.code == "unauthenticated"


async def test_connections_made_at_once_in_the_writers_turn_never_pass_the_caps(world):
    settings = Settings(limits=Limits(max_connections_per_table=2, max_connections_per_workshop=3))
    tracker = PresenceTracker(world.sessions, MemoryBroadcaster(), "worker-0", writer=world.bus.write)
    actors = [await token_check(world, (await join(world, i % 2)).participant_token) for i in range(6)]

    async def connect(i: int):
        actor = actors[i]
        return await tracker.connected(
            f"sid-{i}", actor, world.clock(), caps=lambda c: check_connection_caps(c, actor, settings)
        )

    refusals = await asyncio.gather(*(connect(i) for i in range(6)))
    admitted = [actors[i] for i, r in enumerate(refusals) if r is None]
    assert len(admitted) == 3  # the workshop's cap
    assert all(r.code == "too_many_connections" for r in refusals if r is not None)
    per_table = {t: sum(a.table_id == t for a in admitted) for t in world.table_ids[:2]}
    assert max(per_table.values()) <= 2
    snapshot = await world.snapshot(world.facilitator)
    assert sum(snapshot["presence"]["tables"].values()) == 3
    # A disconnect gives its place back (one DELETE ... RETURNING in the writer's turn).
    first = next(i for i, r in enumerate(refusals) if r is None)
    await tracker.disconnected(f"sid-{first}")
    assert sum((await world.snapshot(world.facilitator))["presence"]["tables"].values()) == 2
