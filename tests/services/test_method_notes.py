"""The method as it happens (issue 17) through the command bus: the opening review of the top-line priorities and
its notes, the optional discussion of potential priorities, and what each table said in Exercise 2. Roles,
limits, stale saves, and snapshot plus updates equals a fresh snapshot for every role (also through live.js)."""

from __future__ import annotations

import pytest_asyncio

from server.broadcast import MemoryBroadcaster
from server.services import notes  # noqa: F401  (registers the notes commands)
from server.services.commands import Actor, CommandBus
from server.services.workshops import create_workshop, parse_create
from tests.services.conftest import Clock, World


@pytest_asyncio.fixture
async def room(sessions):
    clock = Clock()
    bus = CommandBus(sessions, MemoryBroadcaster(), clock=clock)
    spec = parse_create({"title": "Review", "tables": ["Red", "Blue"], "durations_minutes": {"review": 15}})
    async with sessions() as session:
        created = await create_workshop(session, spec, now=clock())
    w = World(sessions, bus, bus.broadcaster, clock, created)
    w.table_ids = [t["id"] for t in (await w.snapshot(w.facilitator))["tables"]]
    return w


def kinds(snapshot: dict) -> list[str]:
    return [s["kind"] for s in snapshot["agenda"]["segments"]]


async def test_the_agenda_opens_with_the_review_and_old_style_workshops_have_none(room, sessions):
    snap = await room.snapshot(room.facilitator)
    assert kinds(snap) == ["review", "rank", "share", "consensus"]
    review = snap["agenda"]["segments"][0]
    assert (review["title"], review["planned_seconds"]) == ("Review of the top-line priorities", 900)
    assert snap["notes"] == {"version": 0, "review": None, "tables": {}}
    async with sessions() as session:
        plain = await create_workshop(session, parse_create({"title": "Plain", "table_count": 2}), now=room.clock())
    assert kinds(await World(sessions, room.bus, room.broadcaster, room.clock, plain).snapshot(
        Actor(plain.workshop.id, "facilitator"))) == ["rank", "share", "consensus"]


async def test_the_review_can_be_timed_edited_and_skipped_like_any_part(room):
    f = room.facilitator
    review = (await room.snapshot(f))["agenda"]["segments"][0]["id"]
    assert (await room.run(f, "agenda.set_planned", {"segment_id": review, "planned_seconds": 600}))["ok"]
    assert (await room.run(f, "agenda.skip", {"segment_id": review}))["ok"]
    assert (await room.run(f, "agenda.next", {}))["ok"]
    snap = await room.snapshot(f)
    assert [s["status"] for s in snap["agenda"]["segments"]][:2] == ["skipped", "pending"]
    assert snap["agenda"]["current_id"] == snap["agenda"]["segments"][1]["id"]


async def test_the_discussion_goes_after_the_review_once(room):
    f = room.facilitator
    ack = await room.run(f, "agenda.add_discussion", {"minutes": 12})
    assert ack["ok"], ack
    snap = await room.snapshot(f)
    assert kinds(snap) == ["review", "discuss", "rank", "share", "consensus"]
    added = snap["agenda"]["segments"][1]
    assert (added["id"], added["title"], added["planned_seconds"]) == (ack["segment_id"], "Discuss potential priorities", 720)
    assert [s["position"] for s in snap["agenda"]["segments"]] == [0, 1, 2, 3, 4]
    again = await room.run(f, "agenda.add_discussion", {})
    assert again["error"]["code"] == "invalid_state"
    assert (await room.run(f, "agenda.skip", {"segment_id": added["id"]}))["ok"]
    assert (await room.run(f, "agenda.add_discussion", {}))["ok"]  # skipped: another may be added
    assert kinds(await room.snapshot(f)).count("discuss") == 2


async def test_notes_are_kept_per_subject_and_a_stale_save_loses_nothing(room):
    f, red = room.facilitator, room.table_ids[0]
    scribe = Actor(room.workshop_id, "facilitator", link="cofacilitator")
    first = await room.run(f, "notes.set_review", {"text": "Pathway maps: long waits at the front door.", "expected_version": 0})
    assert first["ok"], first
    version = first["note"]["version"]
    assert (await room.run(scribe, "notes.set_table", {"table_id": red, "text": "Red chose early help first."}))["ok"]
    stale = await room.run(scribe, "notes.set_review", {"text": "Data: referrals doubled.", "expected_version": 0})
    assert stale["error"]["code"] == "conflict"
    assert stale["error"]["note"]["text"] == "Pathway maps: long waits at the front door."
    merged = await room.run(scribe, "notes.set_review", {
        "text": "Pathway maps: long waits at the front door.\nData: referrals doubled.", "expected_version": version})
    assert merged["ok"], merged
    section = (await room.snapshot(f))["notes"]
    assert section["review"]["text"].endswith("referrals doubled.")
    assert section["tables"] == {red: {"text": "Red chose early help first.", "version": section["tables"][red]["version"],
                                       "updated_at": room.clock()}}
    assert section["version"] == max(section["review"]["version"], section["tables"][red]["version"])


async def test_who_may_write_notes_and_what_is_refused(room):
    f = room.facilitator
    async with room.sessions() as session:
        from server.services.workshops import join_table

        joined = await join_table(session, room.join_code, {"table_id": room.table_ids[0]})
    phone = Actor(room.workshop_id, "participant", joined.participant_id, joined.table_id)
    cases = [
        (phone, "notes.set_review", {"text": "x"}, "forbidden"),
        (room.projector, "notes.set_table", {"table_id": room.table_ids[0], "text": "x"}, "forbidden"),
        (phone, "agenda.add_discussion", {}, "forbidden"),
        (f, "notes.set_table", {"table_id": "nope", "text": "x"}, "not_found"),
        (f, "notes.set_table", {"text": "x"}, "invalid_payload"),
        (f, "notes.set_review", {"text": "x" * 4001}, "invalid_payload"),
        (f, "notes.set_table", {"table_id": room.table_ids[0], "text": "x" * 2001}, "invalid_payload"),
        (f, "notes.set_review", {"text": 3}, "invalid_payload"),
        (f, "notes.set_review", {"text": "x", "expected_version": -1}, "invalid_payload"),
        (f, "notes.set_review", {"text": "x", "extra": 1}, "invalid_payload"),
        (f, "agenda.add_discussion", {"minutes": 0}, "invalid_payload"),
    ]
    before = await room.snapshot(f)
    for actor, event, payload, code in cases:
        ack = await room.run(actor, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, payload, ack)
    assert await room.snapshot(f) == before
    assert (await room.snapshot(phone))["notes"] is None  # working notes: the facilitators' only
    assert (await room.snapshot(room.projector))["notes"] is None


async def test_snapshot_plus_events_equals_a_fresh_snapshot_for_every_role(room):
    async with room.sessions() as session:
        from server.services.workshops import join_table

        joined = await join_table(session, room.join_code, {"table_id": room.table_ids[1]})
    blue = Actor(room.workshop_id, "participant", joined.participant_id, joined.table_id)
    viewers = {"facilitator": room.facilitator, "projector": room.projector, "blue": blue}
    start = {name: await room.snapshot(actor) for name, actor in viewers.items()}
    room.broadcaster.take()
    f = room.facilitator
    steps = [
        (f, "agenda.start", {}),
        (f, "notes.set_review", {"text": "Findings from pathway mapping."}),
        (f, "agenda.add_discussion", {}),
        (f, "notes.set_table", {"table_id": room.table_ids[0], "text": "Red: transitions matter."}),
        (f, "notes.set_table", {"table_id": room.table_ids[1], "text": "Blue: shared care records."}),
        (f, "notes.set_review", {"text": "Findings from pathway mapping and data."}),
        (f, "notes.set_table", {"table_id": room.table_ids[0], "text": ""}),
        (f, "agenda.next", {"start": True}),
    ]
    for actor, event, payload in steps:
        room.clock.now += 2
        assert (await room.run(actor, event, payload))["ok"], event
    await room.assert_updates_rebuild_snapshots(viewers, start, room.broadcaster.take())
