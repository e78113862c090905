"""Who was in the room, and a plan that can be governed (issue 17), through the command bus."""

from __future__ import annotations

import asyncio

import pytest

from tests.services.test_gap_analysis import _confirm, _edit, _sheet


async def test_a_table_says_its_sectors_and_people_and_the_room_adds_up(world):
    f = world.facilitator
    red, blue = await world.participant(0), await world.participant(1)
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "health", "present": True}))["ok"]
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "parent_carers", "present": True}))["ok"]
    again = await world.run(red, "makeup.set_sector", {"sector_id": "health", "present": True})
    assert again["ok"] and again["sectors"] == ["health", "parent_carers"]  # the list's order, each once
    assert (await world.run(red, "makeup.set_people", {"people": 6}))["ok"]
    assert (await world.run(f, "makeup.set_people", {"table_id": world.table_ids[1], "people": 5}))["ok"]
    assert (await world.run(f, "makeup.set_sector",
                            {"table_id": world.table_ids[1], "sector_id": "young_people", "present": True}))["ok"]
    makeup = (await world.snapshot(blue))["makeup"]
    assert makeup["tables"][world.table_ids[0]] == {"sectors": ["health", "parent_carers"], "people": 6}
    assert makeup["tables"][world.table_ids[2]] == {"sectors": [], "people": None}
    room = makeup["room"]
    assert room["people"] == 11 and room["tables_counted"] == 2
    assert room["young_people"] is True and room["parent_carers"] is True
    assert room["sectors_covered"] == ["health", "young_people", "parent_carers"]
    # Unticking, and clearing the number.
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "health", "present": False}))["ok"]
    assert (await world.run(red, "makeup.set_people", {"people": None}))["ok"]
    makeup = (await world.snapshot(f))["makeup"]
    assert makeup["tables"][world.table_ids[0]] == {"sectors": ["parent_carers"], "people": None}
    assert makeup["room"]["people"] == 5


async def test_makeup_refusals_lose_nothing(world):
    f = world.facilitator
    red = await world.participant(0)
    assert (await world.run(red, "makeup.set_people", {"people": 4}))["ok"]
    before = (await world.snapshot(f))["makeup"]
    cases = [
        (red, "makeup.set_people", {"table_id": world.table_ids[1], "people": 3}, "forbidden"),
        (red, "makeup.set_sector", {"table_id": world.table_ids[1], "sector_id": "health", "present": True},
         "forbidden"),
        (red, "makeup.set_sector_list", {"sectors": [{"label": "Police"}]}, "forbidden"),
        (world.projector, "makeup.set_people", {"table_id": world.table_ids[0], "people": 3}, "forbidden"),
        (f, "makeup.set_people", {"people": 3}, "invalid_payload"),  # the facilitator names a table
        (f, "makeup.set_people", {"table_id": "nope", "people": 3}, "not_found"),
        (red, "makeup.set_people", {"people": -1}, "invalid_payload"),
        (red, "makeup.set_people", {"people": 31}, "invalid_payload"),
        (red, "makeup.set_people", {"people": "6"}, "invalid_payload"),
        (red, "makeup.set_people", {"people": 6.5}, "invalid_payload"),
        (red, "makeup.set_people", {}, "invalid_payload"),
        (red, "makeup.set_sector", {"sector_id": "police", "present": True}, "not_found"),
        (red, "makeup.set_sector", {"sector_id": "Health!", "present": True}, "invalid_payload"),
        (red, "makeup.set_sector", {"sector_id": "health", "present": "yes"}, "invalid_payload"),
        (f, "makeup.set_sector_list", {"sectors": []}, "invalid_payload"),
        (f, "makeup.set_sector_list", {"sectors": [{"label": "A"}, {"label": "a"}]}, "invalid_payload"),
        (f, "makeup.set_sector_list", {"sectors": [{"id": "police", "label": "Police"}]}, "not_found"),
        (f, "makeup.set_sector_list", {"sectors": [{"label": "x" * 41}]}, "invalid_payload"),
        (f, "makeup.set_sector_list", {"sectors": [{"label": f"S{i}"} for i in range(21)]}, "invalid_payload"),
    ]
    for actor, event, payload, code in cases:
        ack = await world.run(actor, event, payload)
        assert not ack["ok"] and ack["error"]["code"] == code, (event, payload, ack)
    assert (await world.snapshot(f))["makeup"] == before


async def test_the_facilitator_edits_the_sector_list_but_never_drops_a_ticked_sector(world):
    f = world.facilitator
    red = await world.participant(0)
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "education", "present": True}))["ok"]
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "health", "present": True}))["ok"]
    # Education is ticked at a table: it stays until untick.
    refused = await world.run(f, "makeup.set_sector_list", {"sectors": [{"id": "health", "label": "Health"}]})
    assert refused["error"]["code"] == "invalid_state" and "Education" in refused["error"]["message"]
    listed = await world.run(f, "makeup.set_sector_list", {"sectors": [
        {"id": "education", "label": "Schools and colleges"}, {"id": "health", "label": "Health"},
        {"label": "Police & justice"}, {"id": "young_people", "label": "Young people"}]})
    assert listed["ok"]
    makeup = (await world.snapshot(red))["makeup"]
    assert [s["id"] for s in makeup["sectors"]] == ["education", "health", "police_justice", "young_people"]
    assert makeup["sectors"][0]["label"] == "Schools and colleges"
    assert makeup["tables"][world.table_ids[0]]["sectors"] == ["education", "health"]  # the new order
    assert makeup["room"]["parent_carers"] is None  # no longer in the list: nobody could say
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "police_justice", "present": True}))["ok"]


async def test_two_phones_ticking_at_once_both_keep_theirs(world):
    a, b = await world.participant(0), await world.participant(0)
    acks = await asyncio.gather(
        world.run(a, "makeup.set_sector", {"sector_id": "health", "present": True}),
        world.run(b, "makeup.set_sector", {"sector_id": "education", "present": True}),
    )
    assert all(ack["ok"] for ack in acks)
    assert (await world.snapshot(a))["makeup"]["tables"][world.table_ids[0]]["sectors"] == ["health", "education"]


async def _recommendation(world, priority: str, text: str) -> None:
    snap = await world.snapshot(world.facilitator)
    sheet = _sheet(snap, priority, None)
    ack = await world.run(world.facilitator, "worksheet.update",
                          {"worksheet_id": sheet["id"], "update": _edit(sheet, "recommendations", text)})
    assert ack["ok"], ack


async def test_an_action_with_dates_a_measure_and_a_recommendation(world):
    f = world.facilitator
    await _confirm(world)
    await _recommendation(world, "needs-led", "- One front door\n- Shared needs conversation")
    added = await world.run(f, "plan.add_action", {
        "action": "Open one front door", "priority_id": "needs-led", "recommendation": "One front door",
        "owner": "Commissioning lead, ICB", "due": "2027-03-31", "review": "2027-06-30",
        "measure": "Half as many refused referrals by June", "status": "in_progress"})
    assert added["ok"], added
    item = added["action"]
    assert item | {"id": None, "position": None} == {
        "id": None, "position": None, "action": "Open one front door", "priority_id": "needs-led",
        "recommendation": "One front door", "owner": "Commissioning lead, ICB", "due": "2027-03-31",
        "due_note": "", "review": "2027-06-30", "measure": "Half as many refused referrals by June",
        "status": "in_progress"}
    plan = (await world.snapshot(await world.participant(0)))["plan"]
    assert plan["actions"] == [item]
    assert plan["workshop_date"] == "2027-01-15" and plan["time_zone"] == "Europe/London"
    # Changing the priority drops a recommendation that was the other priority's.
    moved = await world.run(f, "plan.update_action", {"action_id": item["id"], "priority_id": "accessibility"})
    assert moved["action"]["recommendation"] == "" and moved["action"]["priority_id"] == "accessibility"
    back = await world.run(f, "plan.update_action", {"action_id": item["id"], "priority_id": "needs-led",
                                                     "recommendation": "Shared needs conversation"})
    assert back["ok"] and back["action"]["recommendation"] == "Shared needs conversation"
    # Moving to another priority with one of its recommendations, in one message, keeps that recommendation.
    await _recommendation(world, "accessibility", "Evening drop-in")
    both = await world.run(f, "plan.update_action", {"action_id": item["id"], "priority_id": "accessibility",
                                                     "recommendation": "Evening drop-in"})
    assert both["action"]["priority_id"] == "accessibility" and both["action"]["recommendation"] == "Evening drop-in"
    stale = await world.run(f, "plan.update_action", {"action_id": item["id"], "priority_id": "needs-led",
                                                      "recommendation": "Evening drop-in"})
    assert stale["error"]["code"] == "not_found"  # not one of Needs-Led's: nothing changed
    await world.run(f, "plan.update_action", {"action_id": item["id"], "priority_id": "needs-led",
                                              "recommendation": "Shared needs conversation"})
    updated = await world.run(f, "plan.update_action", {"action_id": item["id"], "review": "", "due_note": "",
                                                        "measure": "Fewer refusals"})
    assert updated["action"]["review"] == "" and updated["action"]["measure"] == "Fewer refusals"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"due": "31/03/2027"}, "invalid_payload"),  # ISO dates in the protocol
        ({"due": "2027-02-30"}, "invalid_payload"),
        ({"review": "soon"}, "invalid_payload"),
        ({"due": 20270331}, "invalid_payload"),
        ({"measure": "m" * 501}, "invalid_payload"),
        ({"due_note": "n" * 121}, "invalid_payload"),
        ({"recommendation": "One front door"}, "invalid_payload"),  # no priority to take it from
        ({"priority_id": "needs-led", "recommendation": "Not in the worksheet"}, "not_found"),
        ({"priority_id": "needs-led", "recommendation": "r" * 501}, "invalid_payload"),
    ],
)
async def test_bad_plan_input_is_refused_and_changes_nothing(world, payload, code):
    f = world.facilitator
    await _confirm(world)
    await _recommendation(world, "needs-led", "One front door")
    before = (await world.snapshot(f))["plan"]
    ack = await world.run(f, "plan.add_action", {"action": "Something", **payload})
    assert not ack["ok"] and ack["error"]["code"] == code, ack
    assert (await world.snapshot(f))["plan"] == before
    added = await world.run(f, "plan.add_action", {"action": "Something"})
    ack = await world.run(f, "plan.update_action", {"action_id": added["action"]["id"], **payload})
    assert not ack["ok"] and ack["error"]["code"] == code, ack
    assert (await world.snapshot(f))["plan"]["actions"] == [added["action"]]
