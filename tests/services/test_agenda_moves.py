"""Moving on through the agenda records what really happened (issue 14): a segment whose clock was never started
still gets its real start and end, "move on and start" starts the next clock, and the report's planned against
actual is true."""

from __future__ import annotations

import pytest

from server.models import Workshop
from server.reports.data import assemble, load_report_rows

pytestmark = pytest.mark.asyncio


async def _agenda(world) -> list[dict]:
    return (await world.snapshot(world.facilitator))["agenda"]["segments"]


async def _report_agenda(world) -> list[dict]:
    async with world.sessions() as session:
        workshop = await session.get(Workshop, world.workshop_id)
        return assemble(await load_report_rows(session, workshop, world.clock.now)).agenda


async def test_moving_on_records_untimed_segments_and_can_start_the_next_clock(world):
    f = world.facilitator
    t0 = world.clock.now
    assert (await world.run(f, "agenda.start"))["ok"]  # Exercise 1, timed
    world.clock.now += 1500
    assert (await world.run(f, "agenda.next", {"start": True}))["ok"]  # Exercise 2 starts its own clock
    ex2 = (await _agenda(world))[1]
    assert ex2["status"] == "running" and ex2["started_at"] == t0 + 1500
    world.clock.now += 540
    assert (await world.run(f, "agenda.next"))["ok"]  # Exercise 3, the facilitator keeps its clock stopped
    ex3 = (await _agenda(world))[2]
    assert ex3["status"] == "pending" and ex3["started_at"] == t0 + 2040
    world.clock.now += 1320
    assert (await world.run(f, "agenda.finish"))["ok"]  # ended without its clock ever running

    rows = await _report_agenda(world)
    assert [r["status"] for r in rows[:3]] == ["Done", "Done", "Done"]
    assert [r["actual_seconds"] for r in rows[:3]] == [1500, 540, 1320]
    assert [r["over_by_seconds"] for r in rows[:3]] == [-300, -60, 120]
    assert all(r["started_at"] and r["ended_at"] for r in rows[:3])


async def test_going_to_a_segment_with_start_starts_its_clock(world):
    f = world.facilitator
    segments = await _agenda(world)
    assert (await world.run(f, "agenda.go_to", {"segment_id": segments[1]["id"], "start": True}))["ok"]
    assert (await _agenda(world))[1]["status"] == "running"
    refused = await world.run(f, "agenda.skip", {"segment_id": segments[2]["id"], "start": True})
    assert refused["error"]["code"] == "invalid_payload"
