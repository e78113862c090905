"""The second half through the command bus on SQLite and PostgreSQL: the gap block appears when the consensus is
confirmed, worksheets merge concurrent edits, refusals change nothing, the plan's commands and permissions, and
snapshot + events equals a fresh snapshot."""

from __future__ import annotations

import asyncio

import pytest

from server.broadcast import rooms
from server.client import apply_update
from server.domain import worksheet as w
from tests.live_js import assert_live_js_agrees, case

pytestmark = pytest.mark.asyncio

FIVE = ["needs-led", "accessibility", "common-language", "partnership-working", "outcome-informed"]


async def _confirm(world, items=FIVE) -> dict:
    phone = await world.participant(0)
    await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE})
    await world.run(phone, "ranking.agree", {"base_revision": 1})
    ack = await world.run(world.facilitator, "consensus.confirm", {"items": items})
    assert ack["ok"], ack
    return ack


def _sheet(snapshot: dict, priority: str, table_id: str | None) -> dict:
    [found] = [s for s in snapshot["worksheets"].values() if s["priority_id"] == priority and s["table_id"] == table_id]
    return found


def _edit(sheet: dict, cell: str, value: str) -> str:
    return w.b64encode(w.text_update(w.b64decode(sheet["state"], limit=1 << 30), cell, value))


async def test_confirming_adds_the_gap_block_and_the_worksheets(world):
    await _confirm(world)
    snap = await world.snapshot(world.facilitator)
    segments = snap["agenda"]["segments"]
    assert [s["kind"] for s in segments] == ["rank", "share", "consensus"] + ["gap"] * 5 + ["next_steps"]
    assert [s["subject"] for s in segments[3:8]] == FIVE
    assert segments[3]["title"] == "Gap analysis: Needs-Led" and segments[3]["planned_seconds"] == 1200
    assert [s["position"] for s in segments] == list(range(9))
    assert len(snap["worksheets"]) == 5 * (3 + 1)
    summary = next(p["summary"] for p in snap["principles"] if p["id"] == "needs-led")
    consolidated = _sheet(snap, "needs-led", None)
    assert consolidated["text"]["ideal"] == summary and consolidated["state"]
    assert set(consolidated["text"]) == set(w.CELLS)

    phone = await world.participant(1)
    mine = (await world.snapshot(phone))["worksheets"]
    assert len(mine) == 10
    assert {s["table_id"] for s in mine.values()} == {world.table_ids[1], None}
    assert all((s["state"] is None) == (s["table_id"] is None) for s in mine.values())
    projected = (await world.snapshot(world.projector))["worksheets"]
    assert len(projected) == 20 and all(s["state"] is None for s in projected.values())


async def test_two_phones_typing_in_one_cell_at_once_both_keep_their_text(world):
    await _confirm(world)
    a, b = await world.participant(2), await world.participant(2)
    snap = await world.snapshot(a)
    sheet = _sheet(snap, "accessibility", world.table_ids[2])
    world.broadcaster.take()
    first = _edit(sheet, "gaps", "No buses after six.")
    acks = await asyncio.gather(
        world.run(a, "worksheet.update", {"worksheet_id": sheet["id"], "update": first}),
        world.run(b, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(sheet, "gaps", "Forms are hard to read.")}),
    )
    assert all(ack["ok"] and ack["changed"] for ack in acks)
    text = _sheet(await world.snapshot(world.facilitator), "accessibility", world.table_ids[2])["text"]["gaps"]
    assert "No buses after six." in text and "Forms are hard to read." in text
    events = world.broadcaster.take()
    assert len(events) == 4  # per edit: with the Yjs update, and the projector's text-only copy
    with_bytes = [e for e in events if "update" in e.data]
    assert {frozenset(e.rooms) for e in with_bytes} == {
        frozenset({rooms.table(world.workshop_id, world.table_ids[2]), rooms.role(world.workshop_id, "facilitator")})
    }
    assert all(set(e.rooms) == {rooms.role(world.workshop_id, "projector")} for e in events if "update" not in e.data)
    # A resend (same update again) is merged to nothing: no event, the version stays.
    version = (await world.snapshot(world.facilitator))["version"]
    again = await world.run(a, "worksheet.update", {"worksheet_id": sheet["id"], "update": first})
    assert again["ok"] and again["changed"] is False and world.broadcaster.take() == []
    assert (await world.snapshot(world.facilitator))["version"] == version


async def test_only_the_table_and_the_facilitator_write_a_worksheet(world):
    await _confirm(world)
    phone = await world.participant(0)
    snap = await world.snapshot(world.facilitator)
    theirs = _sheet(snap, "needs-led", world.table_ids[1])
    consolidated = _sheet(snap, "needs-led", None)
    for actor, sheet, code in [
        (phone, theirs, "forbidden"),
        (phone, consolidated, "forbidden"),
        (world.projector, theirs, "forbidden"),
        (world.facilitator, {**theirs, "id": "missing"}, "not_found"),
    ]:
        ack = await world.run(actor, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(theirs, "gaps", "x")})
        assert ack["error"]["code"] == code
    ok = await world.run(world.facilitator, "worksheet.update", {"worksheet_id": consolidated["id"], "update": _edit(consolidated, "gaps", "All tables: transport")})
    assert ok["ok"] and ok["changed"]
    assert w.b64decode(ok["state_vector"])


async def test_bad_and_too_long_updates_are_refused_and_change_nothing(world):
    await _confirm(world)
    phone = await world.participant(0)
    sheet = _sheet(await world.snapshot(phone), "needs-led", world.table_ids[0])
    world.broadcaster.take()
    before = await world.snapshot(world.facilitator)
    for update, code in [
        ("not base64!", "invalid_update"),
        (w.b64encode(b"\x01\x02junk"), "invalid_update"),
        (_edit(sheet, "gaps", "x" * (w.MAX_CELL_CHARS + 1)), "cell_too_long"),
        ("A" * (w.MAX_UPDATE_BASE64 + 8), "invalid_payload"),
    ]:
        ack = await world.run(phone, "worksheet.update", {"worksheet_id": sheet["id"], "update": update})
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
        if code == "cell_too_long":
            assert w.texts_of(w.b64decode(ack["error"]["state"], limit=1 << 30)) == sheet["text"]
    assert world.broadcaster.take() == []
    assert await world.snapshot(world.facilitator) == before


async def test_undoing_and_confirming_other_priorities_keeps_every_worksheet(world):
    await _confirm(world)
    sheet = _sheet(await world.snapshot(world.facilitator), "needs-led", world.table_ids[0])
    await world.run(world.facilitator, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(sheet, "in_place", "Single point of access")})
    assert (await world.run(world.facilitator, "consensus.unconfirm"))["ok"]
    other = FIVE[:4] + ["reducing-stigma"]
    assert (await world.run(world.facilitator, "consensus.confirm", {"items": other}))["ok"]
    snap = await world.snapshot(world.facilitator)
    subjects = [s["subject"] for s in snap["agenda"]["segments"] if s["kind"] == "gap"]
    assert subjects == FIVE + ["reducing-stigma"]
    assert [s["kind"] for s in snap["agenda"]["segments"]].count("next_steps") == 1
    assert snap["agenda"]["segments"][-1]["kind"] == "next_steps"
    assert len(snap["worksheets"]) == 6 * 4
    assert snap["worksheets"][sheet["id"]]["text"]["in_place"] == "Single point of access"


async def test_a_gap_segment_can_be_skipped(world):
    await _confirm(world)
    segments = (await world.snapshot(world.facilitator))["agenda"]["segments"]
    ack = await world.run(world.facilitator, "agenda.skip", {"segment_id": segments[4]["id"]})
    assert ack["ok"]
    after = (await world.snapshot(world.facilitator))["agenda"]["segments"]
    assert after[4]["status"] == "skipped"
    again = await world.run(world.facilitator, "agenda.skip", {"segment_id": segments[4]["id"]})
    assert again["error"]["code"] == "invalid_state"
    phone = await world.participant(0)
    assert (await world.run(phone, "agenda.skip", {"segment_id": segments[5]["id"]}))["error"]["code"] == "forbidden"


async def test_the_plan_is_the_facilitators_unless_tables_may_edit(world):
    f = world.facilitator
    phone = await world.participant(1)
    added = await world.run(f, "plan.add_action", {"action": "Map evening provision", "priority_id": "accessibility",
                                                   "owner": "Commissioning lead", "due": "2027-03-31"})
    assert added["ok"] and added["action"]["status"] == "not_started"
    action_id = added["action"]["id"]
    assert (await world.run(phone, "plan.add_action", {"action": "x"}))["error"]["code"] == "forbidden"
    assert (await world.run(f, "plan.set_tables_may_edit", {"enabled": True}))["ok"]
    assert (await world.run(phone, "plan.update_action", {"action_id": action_id, "status": "in_progress"}))["ok"]
    assert (await world.run(phone, "plan.set_tables_may_edit", {"enabled": False}))["error"]["code"] == "forbidden"
    cleared = await world.run(f, "plan.update_action", {"action_id": action_id, "priority_id": None, "due": ""})
    assert cleared["action"]["priority_id"] is None and cleared["action"]["due"] == ""
    for payload, code in [
        ({"action_id": action_id, "status": "finished"}, "invalid_payload"),
        ({"action_id": action_id, "due": "spring"}, "invalid_payload"),  # a date, or nothing (issue 17)
        ({"action_id": action_id, "priority_id": "nope"}, "not_found"),
        ({"action_id": action_id, "action": None}, "invalid_payload"),
        ({"action_id": "missing", "owner": "x"}, "not_found"),
    ]:
        assert (await world.run(f, "plan.update_action", payload))["error"]["code"] == code
    assert (await world.run(f, "plan.remove_action", {"action_id": action_id}))["ok"]
    assert (await world.snapshot(phone))["plan"]["actions"] == []
    assert (await world.run(f, "plan.restore_action", {"action_id": action_id}))["ok"]
    assert [a["id"] for a in (await world.snapshot(phone))["plan"]["actions"]] == [action_id]
    assert (await world.run(f, "plan.set_notes", {"engagement_notes": "Share at the partnership board"}))["ok"]
    assert (await world.run(f, "plan.set_redesign_date", {"redesign_date": "2027-05-12"}))["ok"]
    for bad in ("12/05/2027", "2027-02-30", "tomorrow"):
        assert (await world.run(f, "plan.set_redesign_date", {"redesign_date": bad}))["error"]["code"] == "invalid_payload"
    plan = (await world.snapshot(world.projector))["plan"]
    assert plan["engagement_notes"] == "Share at the partnership board" and plan["redesign_date"] == "2027-05-12"
    assert plan["tables_may_edit"] is True and plan["version"] > 0


async def test_display_shows_worksheets_answers_and_the_plan(world):
    f = world.facilitator
    assert (await world.run(f, "display.set", {"mode": "answers", "cell": "training"}))["ok"]
    assert (await world.snapshot(f))["display"]["cell"] == "training"
    assert (await world.run(f, "display.set", {"mode": "worksheet", "table_id": world.table_ids[1]}))["ok"]
    display = (await world.snapshot(f))["display"]
    assert display["mode"] == "worksheet" and display["table_id"] == world.table_ids[1] and display["cell"] is None
    assert (await world.run(f, "display.set", {"mode": "worksheet"}))["ok"]  # the consolidated worksheet
    assert (await world.run(f, "display.set", {"mode": "answers", "cell": "nope"}))["error"]["code"] == "invalid_payload"


async def test_the_facilitator_steps_the_projectors_pages_and_every_projector_follows(world):
    f = world.facilitator
    assert (await world.run(f, "display.set", {"mode": "answers", "cell": "gaps"}))["ok"]
    assert (await world.snapshot(world.projector))["display"]["page"] is None  # turning by itself
    world.broadcaster.take()
    assert (await world.run(f, "display.page", {"page": 2}))["ok"]
    sent = [e for e in world.broadcaster.take() if e.data.get("type") == "display"]
    assert len(sent) == 1 and sent[0].data["display"]["page"] == 2 and sent[0].data["display"]["mode"] == "answers"
    snap = await world.snapshot(world.projector)
    assert snap["display"]["page"] == 2 and snap["display"]["version"] == sent[0].data["version"]
    # The same page again changes nothing; back to turning by itself; bad pages are refused and change nothing.
    assert (await world.run(f, "display.page", {"page": 2}))["ok"]
    assert world.broadcaster.take() == []
    for bad in ({"page": -1}, {"page": 1000}, {"page": "2"}, {"page": 1.5}, {}, {"page": 1, "extra": 1}):
        assert (await world.run(f, "display.page", bad))["error"]["code"] == "invalid_payload", bad
    assert (await world.snapshot(f))["display"]["page"] == 2
    phone = await world.participant(0)
    assert (await world.run(phone, "display.page", {"page": 0}))["error"]["code"] == "forbidden"
    assert (await world.run(f, "display.page", {"page": None}))["ok"]
    assert (await world.snapshot(f))["display"]["page"] is None
    # Another view, or moving on in the agenda, starts again at the first page, turning by itself.
    assert (await world.run(f, "display.page", {"page": 1}))["ok"]
    assert (await world.run(f, "display.set", {"mode": "plan"}))["ok"]
    assert (await world.snapshot(f))["display"]["page"] is None
    assert (await world.run(f, "display.set", {"mode": "auto"}))["ok"]
    assert (await world.run(f, "display.page", {"page": 3}))["ok"]
    assert (await world.run(f, "agenda.next"))["ok"]
    assert (await world.snapshot(f))["display"]["page"] is None


async def test_snapshot_plus_events_equals_a_fresh_snapshot_in_the_second_half(world):
    phone = await world.participant(0)
    viewers = {"facilitator": world.facilitator, "projector": world.projector, "participant": phone,
               "other-table": await world.participant(1)}
    await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE})
    await world.run(phone, "ranking.agree", {"base_revision": 1})
    start = {name: await world.snapshot(actor) for name, actor in viewers.items()}
    world.broadcaster.take()
    assert (await world.run(world.facilitator, "consensus.confirm", {"items": FIVE}))["ok"]
    snap = await world.snapshot(world.facilitator)
    mine = _sheet(snap, "needs-led", world.table_ids[0])
    consolidated = _sheet(snap, "needs-led", None)
    await world.run(phone, "worksheet.update", {"worksheet_id": mine["id"], "update": _edit(mine, "gaps", "Long waits")})
    await world.run(world.facilitator, "worksheet.update",
                    {"worksheet_id": consolidated["id"], "update": _edit(consolidated, "recommendations", "One front door")})
    await world.run(world.facilitator, "plan.add_action", {"action": "Write to schools"})
    # A plan that can be governed and who was in the room (issue 17): its sections follow the same rule.
    linked = await world.run(world.facilitator, "plan.add_action", {
        "action": "Open one front door", "priority_id": "needs-led", "recommendation": "One front door",
        "due": "2027-03-31", "review": "2027-06-30", "measure": "Fewer refused referrals"})
    assert linked["ok"], linked
    assert (await world.run(phone, "makeup.set_sector", {"sector_id": "health", "present": True}))["ok"]
    assert (await world.run(phone, "makeup.set_people", {"people": 6}))["ok"]
    assert (await world.run(world.facilitator, "makeup.set_sector",
                            {"table_id": world.table_ids[1], "sector_id": "young_people", "present": True}))["ok"]
    await world.run(world.facilitator, "display.set", {"mode": "answers", "cell": "gaps"})
    await world.run(world.facilitator, "display.page", {"page": 1})  # the facilitator steps the answers' pages
    events = world.broadcaster.take()
    recorded = []
    for name, actor in viewers.items():
        my_rooms = set(rooms.for_client(world.workshop_id, actor.role, actor.table_id))
        mine = [event.data for event in events if my_rooms & set(event.rooms)]
        state = start[name]
        for update in mine:
            state = apply_update(state, update)
        fresh = await world.snapshot(actor)
        recorded.append(case(name, start[name], mine, fresh))
        # The Yjs states are equal as documents (not byte for byte: merged updates are encoded differently).
        for sheet_id, sheet in fresh["worksheets"].items():
            held = state["worksheets"][sheet_id]
            assert (held["state"] is None) == (sheet["state"] is None), name
            if sheet["state"]:
                assert w.texts_of(w.b64decode(held["state"], limit=1 << 30)) == sheet["text"], name
            state["worksheets"][sheet_id] = {**held, "state": sheet["state"]}
        assert {**state, "version": 0, "server_now": 0} == {**fresh, "version": 0, "server_now": 0}, name
    assert_live_js_agrees(recorded)  # the same sequences through the browsers' applyUpdate
