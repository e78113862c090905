"""A phone's snapshot kept per table and workshop version (services.state): the same as a fresh one, a dozen
statements fewer, and gone as soon as anything the table shows changes."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from server import statements
from server.models import Ranking
from server.services import state
from tests.services.conftest import World


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch):
    monkeypatch.setattr(state, "_PHONE_SNAPSHOTS", type(state._PHONE_SNAPSHOTS)())


class Statements:
    """Counts the statements a snapshot runs (through ``statements``, on either database)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = statements._run

        async def counted(*args, **kwargs):
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(statements, "_run", counted)


async def test_the_second_phone_at_a_table_reads_two_rows_and_gets_the_same_snapshot(world: World, monkeypatch):
    first, second = await world.participant(0), await world.participant(0)
    monkeypatch.setattr(state, "CHECK_KEPT_SNAPSHOTS", False)  # the check reads afresh too
    counted = Statements(monkeypatch)
    mine = await world.snapshot(first)
    read_afresh = counted.count
    counted.count = 0
    theirs = await world.snapshot(second)
    assert counted.count == 2 < read_afresh  # the workshop's version and the phone's own name
    assert theirs["me"]["participant_id"] == second.participant_id != first.participant_id
    assert {**theirs, "me": None} == {**mine, "me": None}
    assert (await world.snapshot(first)) == mine  # the first phone again: the kept copy, equal


async def test_a_change_at_the_table_is_in_the_next_snapshot(world: World):
    phone = await world.participant(1)
    before = await world.snapshot(phone)
    table = world.table_ids[1]
    principle = before["principles"][0]["id"]
    ack = await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": principle})
    assert ack["ok"], ack
    after = await world.snapshot(await world.participant(1))
    assert after["version"] > before["version"]
    assert after["rankings"][table]["items"] == [principle]


async def test_each_table_keeps_its_own(world: World):
    at_0, at_1 = await world.participant(0), await world.participant(1)
    assert list((await world.snapshot(at_0))["rankings"]) == [world.table_ids[0]]
    assert list((await world.snapshot(at_1))["rankings"]) == [world.table_ids[1]]
    assert list((await world.snapshot(await world.participant(1)))["rankings"]) == [world.table_ids[1]]


async def test_the_check_catches_a_write_that_leaves_the_version_alone(world: World):
    phone = await world.participant(2)
    before = await world.snapshot(phone)
    async with world.sessions() as session:  # what no command does: a change without a new version
        await session.exec(
            update(Ranking).where(Ranking.table_id == world.table_ids[2]).values(items=[before["principles"][0]["id"]])
        )
        await session.commit()
    with pytest.raises(state.KeptSnapshotDiffers, match="rankings"):
        await world.snapshot(phone)


def test_the_suite_runs_with_the_check_on():
    assert state.CHECK_KEPT_SNAPSHOTS
