"""A workshop with an imported catalogue, and in-app baseline scoring through the command bus (SQLite and the
real PostgreSQL): who may score, the room's spread, each table's own view, the agreed scores, and that a
snapshot plus the updates after it equals a fresh snapshot for every role."""

from __future__ import annotations

import pytest_asyncio

from server.broadcast import MemoryBroadcaster, rooms
from server.services import scores  # noqa: F401  (registers the scoring commands)
from server.services.commands import Actor, CommandBus
from server.services.workshops import create_workshop, join_table, parse_create
from tests.catalogue import synthetic as syn
from tests.services.conftest import Clock, World

ITEMS = syn.principles(12)
P1, P2, P3 = "syn-1", "syn-2", "syn-3"


@pytest_asyncio.fixture
async def room(sessions):
    clock = Clock()
    broadcaster = MemoryBroadcaster()
    bus = CommandBus(sessions, broadcaster, clock=clock)
    spec = parse_create({"title": "Synthetic", "tables": ["Red", "Blue"], "principles": ITEMS})
    async with sessions() as session:
        created = await create_workshop(session, spec, now=clock())
    w = World(sessions, bus, broadcaster, clock, created)
    snap = await w.snapshot(w.facilitator)
    w.table_ids = [t["id"] for t in snap["tables"]]
    return w


async def phone(world: World, table: int) -> Actor:
    async with world.sessions() as session:
        joined = await join_table(session, world.join_code, {"table_id": world.table_ids[table]})
    return Actor(world.workshop_id, "participant", joined.participant_id, joined.table_id)


async def test_imported_principles_carry_their_texts_in_the_snapshot(room):
    snap = await room.snapshot(room.facilitator)
    first = snap["principles"][0]
    assert first == {
        "id": "syn-1", "name": "Synthetic principle 1", "summary": "", "level": "macro", "baseline_score": 2,
        "thrive_like": False, "statement": ITEMS[0]["statement"], "descriptors": ITEMS[0]["descriptors"],
        "notes": "", "key_principles": ["partnership-working"], "agreed_score": None,
    }
    assert snap["capacity"] == 5 and len(snap["principles"]) == 12
    assert snap["scores"] == {
        "version": 0, "open": False, "by": "table", "agreed": {}, "scorers": 0, "tables": {},
        "principles": {p["id"]: {"counts": [0, 0, 0, 0], "n": 0, "mean": None} for p in ITEMS},
    }
    red = await phone(room, 0)
    assert (await room.snapshot(red))["scores"] == {
        "version": 0, "open": False, "by": "table", "agreed": {}, "table": {}, "people": {},
    }


async def test_tables_score_when_the_facilitator_opens_scoring(room):
    red, red2, blue = await phone(room, 0), await phone(room, 0), await phone(room, 1)
    closed = await room.run(red, "scores.set", {"principle_id": P1, "score": 2})
    assert closed["error"]["code"] == "invalid_state"
    assert (await room.run(room.facilitator, "scores.configure", {"open": True}))["ok"]
    room.broadcaster.take()
    assert await room.run(red, "scores.set", {"principle_id": P1, "score": 2}) == {"ok": True, "score": 2}
    events = room.broadcaster.take()
    assert [(e.data["type"], e.rooms) for e in events] == [
        ("scores", (rooms.role(room.workshop_id, "facilitator"), rooms.role(room.workshop_id, "projector"))),
        ("scores", (rooms.table(room.workshop_id, room.table_ids[0]),)),  # only Red's phones hear it
    ]
    # A second phone at the same table changes the table's one score; Blue scores too.
    assert (await room.run(red2, "scores.set", {"principle_id": P1, "score": 3}))["ok"]
    assert (await room.run(blue, "scores.set", {"principle_id": P1, "score": 1}))["ok"]
    assert (await room.run(blue, "scores.set", {"principle_id": P2, "score": 4}))["ok"]
    view = (await room.snapshot(room.facilitator))["scores"]
    assert view["principles"][P1] == {"counts": [1, 0, 1, 0], "n": 2, "mean": 2.0}
    assert view["principles"][P2] == {"counts": [0, 0, 0, 1], "n": 1, "mean": 4.0}
    assert view["scorers"] == 2
    assert view["tables"] == {room.table_ids[0]: {P1: 3}, room.table_ids[1]: {P1: 1, P2: 4}}
    assert (await room.snapshot(red))["scores"]["table"] == {P1: 3}
    assert (await room.snapshot(blue))["scores"]["table"] == {P1: 1, P2: 4}
    # Taking a score back, and setting what is already set, change nothing more than they say.
    assert (await room.run(blue, "scores.set", {"principle_id": P2, "score": None}))["ok"]
    assert (await room.snapshot(blue))["scores"]["table"] == {P1: 1}
    room.broadcaster.take()
    assert (await room.run(blue, "scores.set", {"principle_id": P1, "score": 1}))["ok"]
    assert room.broadcaster.take() == []


async def test_each_person_scores_when_scoring_is_by_person(room):
    a, b, c = await phone(room, 0), await phone(room, 0), await phone(room, 1)
    assert (await room.run(room.facilitator, "scores.configure", {"open": True, "by": "person"}))["ok"]
    for actor, score in ((a, 1), (b, 2), (c, 2)):
        assert (await room.run(actor, "scores.set", {"principle_id": P3, "score": score}))["ok"]
    view = (await room.snapshot(room.facilitator))["scores"]
    assert view["by"] == "person" and view["principles"][P3]["counts"] == [1, 2, 0, 0] and view["scorers"] == 3
    assert view["tables"] == {}
    red = (await room.snapshot(a))["scores"]
    assert red["people"] == {a.participant_id: {P3: 1}, b.participant_id: {P3: 2}} and red["table"] == {}
    # Switching back to tables shows the tables' scores (none yet); the people's stay stored.
    assert (await room.run(room.facilitator, "scores.configure", {"open": True, "by": "table"}))["ok"]
    assert (await room.snapshot(room.facilitator))["scores"]["principles"][P3]["n"] == 0


async def test_the_facilitator_records_the_agreed_score_beside_the_imported_one(room):
    red = await phone(room, 0)
    assert (await room.run(room.facilitator, "scores.agree", {"principle_id": P1, "score": 3}))["ok"]
    snap = await room.snapshot(red)
    assert snap["scores"]["agreed"] == {P1: 3}
    assert snap["principles"][0]["agreed_score"] == 3 and snap["principles"][0]["baseline_score"] == 2
    assert (await room.run(room.facilitator, "scores.agree", {"principle_id": P1, "score": None}))["ok"]
    assert (await room.snapshot(room.facilitator))["scores"]["agreed"] == {}


async def test_who_may_score_and_what_is_refused(room):
    red = await phone(room, 0)
    f = room.facilitator
    assert (await room.run(f, "scores.configure", {"open": True}))["ok"]
    cases = [
        (f, "scores.set", {"principle_id": P1, "score": 2}, "forbidden"),
        (room.projector, "scores.configure", {"open": False}, "forbidden"),
        (red, "scores.agree", {"principle_id": P1, "score": 2}, "forbidden"),
        (red, "scores.configure", {"open": False}, "forbidden"),
        (red, "scores.set", {"principle_id": "nope", "score": 2}, "not_found"),
        (red, "scores.set", {"principle_id": P1, "score": 5}, "invalid_payload"),
        (red, "scores.set", {"principle_id": P1, "score": "3"}, "invalid_payload"),
        (red, "scores.set", {"principle_id": P1}, "invalid_payload"),
        (f, "scores.agree", {"principle_id": P1, "score": 0}, "invalid_payload"),
        (f, "scores.agree", {"principle_id": "nope", "score": 2}, "not_found"),
        (f, "scores.configure", {"open": True, "by": "room"}, "invalid_payload"),
    ]
    before = await room.snapshot(f)
    for actor, event, payload, code in cases:
        ack = await room.run(actor, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, payload, ack)
    assert await room.snapshot(f) == before


async def test_snapshot_plus_events_equals_a_fresh_snapshot_for_every_role(room):
    red, blue = await phone(room, 0), await phone(room, 1)
    viewers = {"facilitator": room.facilitator, "projector": room.projector, "red": red, "blue": blue}
    start = {name: await room.snapshot(actor) for name, actor in viewers.items()}
    room.broadcaster.take()
    steps = [
        (room.facilitator, "scores.configure", {"open": True}),
        (red, "scores.set", {"principle_id": P1, "score": 2}),
        (blue, "scores.set", {"principle_id": P2, "score": 3}),
        (room.facilitator, "scores.agree", {"principle_id": P1, "score": 2}),
        (red, "scores.set", {"principle_id": P1, "score": 4}),
        (room.facilitator, "scores.configure", {"open": True, "by": "person"}),
        (blue, "scores.set", {"principle_id": P3, "score": 1}),
        (red, "scores.set", {"principle_id": P2, "score": 1}),  # red's last: blue's view moves on without it
        (room.facilitator, "scores.agree", {"principle_id": P3, "score": 1}),
        (blue, "scores.set", {"principle_id": P3, "score": None}),
        (room.facilitator, "scores.configure", {"open": False}),
    ]
    for actor, event, payload in steps:
        room.clock.now += 3
        assert (await room.run(actor, event, payload))["ok"], event
    await room.assert_updates_rebuild_snapshots(viewers, start, room.broadcaster.take())
