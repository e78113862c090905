"""Real socket.io clients against a real server process: the live half of Exercise 1–3."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import socketio

from server.client import WorkshopClient, join
from tests.live import LONGEST_WAIT, eventually
from tests.realtime.conftest import open_room

pytestmark = pytest.mark.asyncio

PRINCIPLES = [
    "common-language",
    "needs-led",
    "shared-decision-making",
    "proactive-prevention-promotion",
    "partnership-working",
    "outcome-informed",
    "reducing-stigma",
    "accessibility",
]


def ranking(client: WorkshopClient, table_id: str) -> dict:
    return client.state["rankings"][table_id]


def without_clock(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k != "server_now"}


async def test_connect_gives_a_snapshot_for_the_role(shared_server):
    room = await open_room(shared_server, table_count=3)
    try:
        phone = await room.phone(1, "Sam")
        facilitator = await room.facilitator()
        assert phone.state["role"] == "participant"
        assert phone.state["me"]["table_id"] == room.table_ids[1]
        assert phone.state["me"]["display_name"] == "Sam"
        assert list(phone.state["rankings"]) == [room.table_ids[1]]  # a phone sees its own table only
        assert phone.state["presence"] is None
        assert set(facilitator.state["rankings"]) == set(room.table_ids)
        assert [p["id"] for p in facilitator.state["principles"]] == PRINCIPLES
        assert [s["kind"] for s in facilitator.state["agenda"]["segments"]] == ["rank", "share", "consensus"]
        await eventually(lambda: facilitator.state["presence"]["tables"].get(room.table_ids[1]) == 1)
    finally:
        await room.close()


async def test_one_process_serves_the_polling_fallback(shared_server):
    """Without Redis the long-polling fallback works (a venue whose network blocks websockets): a phone on
    polling and a console on a websocket see each other's changes."""
    async with httpx.AsyncClient() as http:
        config = (await http.get(f"{shared_server.url}/api/config", timeout=30)).json()
    assert "polling" in config["transports"]
    room = await open_room(shared_server, table_count=1)
    try:
        t0 = room.table_ids[0]
        joined = await join(shared_server.url, room.code, t0)
        phone = await room.connect(joined["participant_token"], transports=["polling"])
        assert phone.sio.transport() == "polling"
        facilitator = await room.facilitator()
        ack = await phone.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": PRINCIPLES[0]})
        assert ack["ok"], ack
        await eventually(lambda: ranking(facilitator, t0)["items"] == [PRINCIPLES[0]])
        assert (await facilitator.call("display.set", {"mode": "rankings"}))["ok"]
        await eventually(lambda: phone.state["display"]["mode"] == "rankings")
        assert phone.sio.transport() == "polling"
    finally:
        await room.close()


async def test_an_unknown_token_is_refused_with_a_clear_error(shared_server):
    client = WorkshopClient(shared_server.url, "x" * 43, reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(timeout=LONGEST_WAIT)
    assert client.connect_error["data"]["code"] == "unauthenticated"


async def test_concurrent_adds_at_one_table_all_land(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        phones = [await room.phone(0) for _ in range(4)]
        facilitator = await room.facilitator()
        table = room.table_ids[0]
        # Four phones add four different principles at once, all made on revision 0.
        acks = await asyncio.gather(
            *(
                p.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": PRINCIPLES[i]})
                for i, p in enumerate(phones)
            )
        )
        assert all(a["ok"] for a in acks), acks
        assert sum(a["rebased"] for a in acks) == 3
        final = sorted(a["ranking"]["revision"] for a in acks)
        assert final == [1, 2, 3, 4]
        for client in [*phones, facilitator]:
            await eventually(lambda c=client: ranking(c, table)["revision"] == 4)
            assert sorted(ranking(client, table)["items"]) == sorted(PRINCIPLES[:4])
        # The other table saw none of it.
        assert ranking(facilitator, room.table_ids[1])["items"] == []
    finally:
        await room.close()


async def test_a_stale_reorder_is_a_conflict_and_loses_nothing(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        a, b = await room.phone(0), await room.phone(0)
        for i in range(3):
            ack = await a.call(
                "ranking.edit", {"base_revision": i, "op": "add", "principle_id": PRINCIPLES[i]}
            )
            assert ack["ok"]
        order = [PRINCIPLES[2], PRINCIPLES[1], PRINCIPLES[0]]
        first = await a.call("ranking.edit", {"base_revision": 3, "op": "replace", "items": order})
        stale = await b.call(
            "ranking.edit", {"base_revision": 3, "op": "replace", "items": PRINCIPLES[:3][::-1][::-1]}
        )
        assert first["ok"] and first["changed"]
        assert stale == {
            "ok": False,
            "error": {"code": "conflict", "message": stale["error"]["message"], "ranking": first["ranking"]},
        }
        synced = await b.sync()
        assert synced["rankings"][room.table_ids[0]]["items"] == order
    finally:
        await room.close()


async def test_a_resent_command_is_applied_once(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        phone = await room.phone(0)
        payload = {
            "command_id": "resend-0001",
            "base_revision": 0,
            "op": "add",
            "principle_id": PRINCIPLES[0],
        }
        first = await phone.call("ranking.edit", payload)
        again = await phone.call("ranking.edit", payload)
        assert first == again
        assert (await phone.sync())["rankings"][room.table_ids[0]]["revision"] == 1
    finally:
        await room.close()


async def test_roles_are_enforced(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        phone = await room.phone(0)
        projector = await room.projector()
        assert (await phone.call("agenda.start"))["error"]["code"] == "forbidden"
        other_table = {
            "table_id": room.table_ids[1],
            "base_revision": 0,
            "op": "add",
            "principle_id": PRINCIPLES[0],
        }
        assert (await phone.call("ranking.edit", other_table))["error"]["code"] == "forbidden"
        assert (await projector.call("ranking.edit", other_table))["error"]["code"] == "forbidden"
        assert (await phone.call("nonsense.event"))["error"]["code"] == "unknown_event"
        assert (await phone.call("ranking.edit", {"op": "add"}))["error"]["code"] == "invalid_payload"
        state = await projector.sync()
        assert all(r["items"] == [] for r in state["rankings"].values())
        assert state["agenda"]["current_id"] is None
    finally:
        await room.close()


async def test_a_phone_that_drops_comes_back_to_the_current_state(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        a, b = await room.phone(0), await room.phone(0)
        table = room.table_ids[0]
        await b.close()
        assert (
            await a.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": PRINCIPLES[3]})
        )["ok"]
        await b.connect()  # a new sid: rooms re-joined, snapshot sent
        assert ranking(b, table)["items"] == [PRINCIPLES[3]]
        assert (
            await a.call("ranking.edit", {"base_revision": 1, "op": "add", "principle_id": PRINCIPLES[4]})
        )["ok"]
        await eventually(lambda: ranking(b, table)["items"] == [PRINCIPLES[3], PRINCIPLES[4]])
    finally:
        await room.close()


async def test_every_screen_shows_the_same_timer(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        facilitator, phone, projector = await room.facilitator(), await room.phone(0), await room.projector()
        assert (await facilitator.call("agenda.start"))["ok"]
        await eventually(lambda: phone.state["agenda"]["current_id"] is not None)
        await eventually(lambda: projector.state["agenda"]["segments"][0]["status"] == "running")
        seg = phone.state["agenda"]["segments"][0]
        assert seg["status"] == "running"
        assert abs(seg["deadline"] - (time.time() + 30 * 60)) < 5
        assert projector.state["agenda"]["segments"][0]["deadline"] == seg["deadline"]
        assert (await facilitator.call("agenda.pause"))["ok"]
        assert (await facilitator.call("agenda.extend", {"seconds": 60}))["ok"]
        await eventually(lambda: phone.state["agenda"]["segments"][0]["status"] == "paused")
        await eventually(lambda: phone.state["agenda"]["segments"][0]["remaining_seconds"] > 30 * 60)
        paused = phone.state["agenda"]["segments"][0]
        assert 30 * 60 < paused["remaining_seconds"] <= 31 * 60
        assert (await facilitator.call("agenda.pause"))["error"]["code"] not in (None, "")
    finally:
        await room.close()


async def test_timer_and_work_survive_a_kill_and_restart(fresh_server):
    room = await open_room(fresh_server, table_count=1)
    facilitator, phone = await room.facilitator(), await room.phone(0)
    table = room.table_ids[0]
    assert (await facilitator.call("agenda.start"))["ok"]
    assert (
        await phone.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": PRINCIPLES[0]})
    )["ok"]
    await eventually(lambda: facilitator.state["agenda"]["segments"][0]["status"] == "running")
    deadline = facilitator.state["agenda"]["segments"][0]["deadline"]

    fresh_server.kill()
    fresh_server.start()
    # The clients reconnect by themselves and get a snapshot.
    await eventually(lambda: phone.snapshots >= 2 and facilitator.snapshots >= 2)
    assert ranking(phone, table)["items"] == [PRINCIPLES[0]]
    segment = facilitator.state["agenda"]["segments"][0]
    assert segment["status"] == "running" and segment["deadline"] == deadline
    assert (
        await phone.call("ranking.edit", {"base_revision": 1, "op": "add", "principle_id": PRINCIPLES[1]})
    )["ok"]
    await room.close()


async def agree(phone: WorkshopClient, table_id: str, items: list[str]) -> None:
    for item in items:
        r = phone.state["rankings"][table_id]
        ack = await phone.call(
            "ranking.edit", {"base_revision": r["revision"], "op": "add", "principle_id": item}
        )
        assert ack["ok"], ack
        await eventually(
            lambda rev=ack["ranking"]["revision"]: phone.state["rankings"][table_id]["revision"] >= rev
        )
    r = phone.state["rankings"][table_id]
    ack = await phone.call("ranking.agree", {"base_revision": r["revision"]})
    assert ack["ok"], ack


async def test_the_tally_with_a_tie_at_the_cut_hidden_until_revealed(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        facilitator = await room.facilitator()
        p0, p1 = await room.phone(0), await room.phone(1)
        a, b, c, d, e, f, g, h = PRINCIPLES
        await agree(p0, room.table_ids[0], [a, b, c, d, e])
        await agree(p1, room.table_ids[1], [a, b, c, d, f])
        await eventually(lambda: facilitator.state["consensus"]["agreed_tables"] == 2)
        tally = facilitator.state["consensus"]["tally"]
        assert tally["top"] == [
            a,
            b,
            c,
            d,
            e,
            f,
        ]  # e and f tie for fifth: 1 point each, nothing separates them
        assert tally["cut_tie"] == {"principle_ids": [e, f], "rank": 5}
        rows = {r["principle_id"]: r for r in tally["rows"]}
        assert rows[a]["points"] == 10 and rows[a]["first_places"] == 2
        assert rows[e]["settled_by"] == "shared" and rows[e]["rank"] == 5 and rows[f]["rank"] == 5
        assert p0.state["consensus"]["tally"] is None  # hidden from phones
        assert (await facilitator.call("consensus.reveal", {"revealed": True}))["ok"]
        await eventually(lambda: p0.state["consensus"]["tally"] is not None)
        assert p0.state["consensus"]["tally"]["top"] == tally["top"]
        # Settling the tie needs the room's reason from the short list (a note alone is refused, nothing stored)
        refused = await facilitator.call("consensus.confirm", {"items": [a, b, c, d, f], "note": "The room chose f"})
        assert refused["error"]["code"] == "invalid_payload" and refused["error"]["message"].startswith("reason:")
        ack = await facilitator.call(
            "consensus.confirm", {"items": [a, b, c, d, f], "note": "The room chose f", "reason": "room_voted"}
        )
        assert ack["ok"] and ack["confirmed"]["changed_by_room"] is True and ack["confirmed"]["settled_tie"] is True
        await eventually(lambda: p1.state["consensus"]["confirmed"] is not None)
        assert p1.state["consensus"]["confirmed"]["items"] == [a, b, c, d, f]
    finally:
        await room.close()


async def test_snapshot_plus_updates_equals_a_fresh_snapshot(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        facilitator, projector = await room.facilitator(), await room.projector()
        phone = await room.phone(0)
        t0 = room.table_ids[0]
        await agree(phone, t0, PRINCIPLES[:5])
        steps = [
            ("agenda.start", {}),
            ("agenda.extend", {"seconds": 300}),
            ("agenda.pause", {}),
            ("agenda.resume", {}),
            ("rankings.lock", {"locked": True}),
            ("agenda.next", {}),
            ("display.set", {"mode": "table", "table_id": t0}),
            ("agenda.next", {}),
            ("consensus.set_method", {"method": "dowdall"}),
            ("consensus.reveal", {"revealed": True}),
            ("consensus.confirm", {"items": PRINCIPLES[:5]}),
            ("display.set", {"mode": "final"}),
            (
                "agenda.set_planned",
                {"segment_id": facilitator.state["agenda"]["segments"][0]["id"], "planned_seconds": 900},
            ),
        ]
        for event, payload in steps:
            ack = await facilitator.call(event, payload)
            assert ack["ok"], (event, ack)
        for client in (facilitator, projector, phone):
            fresh = without_clock((await client.call("sync"))["snapshot"])

            def held_equals_fresh(client=client, fresh=fresh):
                held = {**client.state, "version": fresh["version"], "presence": fresh["presence"]}
                return without_clock(held) == fresh

            await eventually(held_equals_fresh)
            assert len(client.updates) > 5  # the state was built from updates, not from a later snapshot
            assert client.snapshots == 1
    finally:
        await room.close()
