"""Each table's reasons through the command bus on SQLite and PostgreSQL: two phones writing at once both keep
their words, a reason follows its principle through reorders and comes back with it, limits and permissions
refuse without changing anything, and snapshot + events equals a fresh snapshot (Python client and live.js)."""

from __future__ import annotations

import asyncio

import pytest

from server.broadcast import rooms
from server.domain import reasons as r
from server.domain import worksheet as w
from tests.live_js import assert_live_js_agrees

pytestmark = pytest.mark.asyncio

FIVE = ["needs-led", "accessibility", "common-language", "partnership-working", "outcome-informed"]


def _ids(snapshot: dict) -> list[str]:
    return [p["id"] for p in snapshot["principles"]]


def _write(snapshot: dict, table_id: str, principle_id: str, value: str) -> str:
    """The update a phone's text box sends, made on the document the snapshot holds."""
    held = w.b64decode(snapshot["reasons"][table_id]["state"], limit=1 << 30)
    return w.b64encode(r.text_update(held, principle_id, value, _ids(snapshot)))


async def test_every_table_has_its_reasons_and_each_viewer_sees_what_it_should(world):
    snap = await world.snapshot(world.facilitator)
    assert set(snap["reasons"]) == set(world.table_ids)
    assert all(x["version"] == 0 and x["text"] == {} and x["state"] for x in snap["reasons"].values())
    phone = await world.participant(1)
    mine = (await world.snapshot(phone))["reasons"]
    assert list(mine) == [world.table_ids[1]] and mine[world.table_ids[1]]["state"]
    projected = (await world.snapshot(world.projector))["reasons"]
    assert set(projected) == set(world.table_ids) and all(x["state"] is None for x in projected.values())


async def test_two_phones_writing_reasons_at_once_both_keep_their_words(world):
    a, b = await world.participant(2), await world.participant(2)
    table = world.table_ids[2]
    await world.run(a, "ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE})
    snap = await world.snapshot(a)
    world.broadcaster.take()
    first = _write(snap, table, "needs-led", "Waiting lists are long here.")
    acks = await asyncio.gather(
        world.run(a, "reasons.update", {"update": first}),
        world.run(b, "reasons.update", {"update": _write(snap, table, "needs-led", "Families told us so.")}),
        world.run(b, "reasons.update", {"update": _write(snap, table, "accessibility", "No evening clinics.")}),
    )
    assert all(ack["ok"] and ack["changed"] for ack in acks), acks
    text = (await world.snapshot(world.facilitator))["reasons"][table]["text"]
    assert "Waiting lists are long here." in text["needs-led"] and "Families told us so." in text["needs-led"]
    assert text["accessibility"] == "No evening clinics."
    events = world.broadcaster.take()
    with_bytes = [e for e in events if "update" in e.data]
    assert len(with_bytes) == 3 and {frozenset(e.rooms) for e in with_bytes} == {
        frozenset({rooms.table(world.workshop_id, table), rooms.role(world.workshop_id, "facilitator")})
    }
    assert all(set(e.rooms) == {rooms.role(world.workshop_id, "projector")} for e in events if "update" not in e.data)
    # A resend is merged to nothing: no event, the version stays.
    version = (await world.snapshot(world.facilitator))["version"]
    again = await world.run(a, "reasons.update", {"update": first})
    assert again["ok"] and again["changed"] is False and world.broadcaster.take() == []
    assert (await world.snapshot(world.facilitator))["version"] == version


async def test_a_reason_follows_its_principle_and_comes_back_with_it(world):
    phone = await world.participant(0)
    table = world.table_ids[0]
    await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE})
    snap = await world.snapshot(phone)
    assert (await world.run(phone, "reasons.update", {"update": _write(snap, table, "common-language", "Jargon")}))["ok"]
    # Reordered: the reason is the principle's, wherever it stands.
    await world.run(phone, "ranking.edit", {"base_revision": 1, "op": "move", "principle_id": "common-language",
                                            "to_index": 0})
    snap = await world.snapshot(phone)
    assert snap["rankings"][table]["items"][0] == "common-language"
    assert snap["reasons"][table]["text"] == {"common-language": "Jargon"}
    assert r.shown(snap["rankings"][table]["items"], snap["reasons"][table]["text"])[0] == ("common-language", "Jargon")
    # Taken out of the five: kept, not shown; put back: there again.
    await world.run(phone, "ranking.edit", {"base_revision": 2, "op": "remove", "principle_id": "common-language"})
    snap = await world.snapshot(phone)
    assert "common-language" not in [pid for pid, _ in r.shown(snap["rankings"][table]["items"],
                                                                 snap["reasons"][table]["text"])]
    assert snap["reasons"][table]["text"] == {"common-language": "Jargon"}
    await world.run(phone, "ranking.edit", {"base_revision": 3, "op": "add", "principle_id": "common-language"})
    snap = await world.snapshot(phone)
    assert ("common-language", "Jargon") in r.shown(snap["rankings"][table]["items"], snap["reasons"][table]["text"])


async def test_only_the_table_and_the_facilitators_write_its_reasons(world):
    phone = await world.participant(0)
    snap = await world.snapshot(world.facilitator)
    theirs = world.table_ids[1]
    update = _write(snap, theirs, "needs-led", "x")
    for actor, payload, code in [
        (phone, {"table_id": theirs, "update": update}, "forbidden"),
        (world.projector, {"table_id": theirs, "update": update}, "forbidden"),
        (world.facilitator, {"table_id": "missing", "update": update}, "not_found"),
        (world.facilitator, {"update": update}, "invalid_payload"),
    ]:
        ack = await world.run(actor, "reasons.update", payload)
        assert ack["error"]["code"] == code, (payload, ack)
    # A facilitator (or a scribe on the co-facilitator link) may write a table's reasons.
    ack = await world.run(world.facilitator, "reasons.update", {"table_id": theirs, "update": update})
    assert ack["ok"] and ack["changed"]
    assert (await world.snapshot(world.projector))["reasons"][theirs]["text"] == {"needs-led": "x"}


async def test_too_long_multi_line_and_foreign_reasons_are_refused_and_change_nothing(world):
    phone, other = await world.participant(0), await world.participant(0)
    table = world.table_ids[0]
    snap = await world.snapshot(phone)
    assert (await world.run(phone, "reasons.update", {"update": _write(snap, table, "needs-led", "a" * 150)}))["ok"]
    before = await world.snapshot(world.facilitator)
    world.broadcaster.take()
    # Alone each fits; merged they would not: the second is refused, with the server's document to start again.
    late = _write(snap, table, "needs-led", "b" * 60)
    ack = await world.run(other, "reasons.update", {"update": late})
    assert ack["error"]["code"] == "reason_too_long" and "200 characters" in ack["error"]["message"]
    assert w.texts_of(w.b64decode(ack["error"]["state"]), ["needs-led"]) == {"needs-led": "a" * 150}
    two_lines = _write(snap, table, "accessibility", "one\ntwo")
    assert (await world.run(other, "reasons.update", {"update": two_lines}))["error"]["code"] == "invalid_update"
    foreign = w.b64encode(w.text_update(None, "ideal", "x"))  # a worksheet cell, not a principle
    assert (await world.run(other, "reasons.update", {"update": foreign}))["error"]["code"] == "invalid_update"
    for bad in ["not base64!", "AAAA" * 20000]:
        ack = await world.run(other, "reasons.update", {"update": bad})
        assert ack["error"]["code"] in ("invalid_update", "invalid_payload"), ack
    assert world.broadcaster.take() == []
    assert await world.snapshot(world.facilitator) == before


async def test_snapshot_plus_events_equals_a_fresh_snapshot_with_reasons(world):
    phone = await world.participant(0)
    viewers = {"facilitator": world.facilitator, "projector": world.projector, "participant": phone,
               "other-table": await world.participant(1)}
    start = {name: await world.snapshot(actor) for name, actor in viewers.items()}
    table = world.table_ids[0]
    world.broadcaster.take()
    await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE})
    snap = await world.snapshot(phone)
    await world.run(phone, "reasons.update", {"update": _write(snap, table, "needs-led", "Long waits")})
    snap = await world.snapshot(phone)
    await world.run(phone, "reasons.update", {"update": _write(snap, table, "accessibility", "Buses")})
    scribe = _write(await world.snapshot(world.facilitator), world.table_ids[1], "needs-led", "Scribe")
    await world.run(world.facilitator, "reasons.update", {"table_id": world.table_ids[1], "update": scribe})
    replayed = await world.replayed(viewers, start, world.broadcaster.take())
    for name, state, fresh, _case in replayed:
        for table_id, held in fresh["reasons"].items():
            kept = state["reasons"][table_id]
            assert (kept["state"] is None) == (held["state"] is None), name
            if held["state"]:  # equal as documents (merged updates are encoded differently)
                ids = _ids(fresh)
                assert r.texts_of(w.b64decode(kept["state"], limit=1 << 30), ids) == held["text"], name
            state["reasons"][table_id] = {**kept, "state": held["state"]}
        assert {**state, "version": 0, "server_now": 0} == {**fresh, "version": 0, "server_now": 0}, name
    assert_live_js_agrees([c for *_rest, c in replayed])
