"""A phone's snapshot kept per table and workshop version (services.state): the same as a fresh one, ten
statements fewer, and replaced as soon as anything the table shows changes."""

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


async def phone_snapshot(world: World, actor):
    """As a connection's welcome and ``sync`` read it: ``CommandBus.read``, one read transaction."""
    return await world.bus.read(state.read_snapshot, actor, world.clock())


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
    mine = await phone_snapshot(world, first)
    read_afresh = counted.count
    counted.count = 0
    theirs = await phone_snapshot(world, second)
    assert counted.count == 2 < read_afresh  # the workshop's version and the phone's own name
    assert theirs["me"]["participant_id"] == second.participant_id != first.participant_id
    assert {**theirs, "me": None} == {**mine, "me": None}
    assert (await phone_snapshot(world, first)) == mine  # the first phone again: the kept copy, equal


async def test_a_change_at_the_table_is_in_the_next_snapshot(world: World):
    phone = await world.participant(1)
    before = await phone_snapshot(world, phone)
    table = world.table_ids[1]
    principle = before["principles"][0]["id"]
    ack = await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": principle})
    assert ack["ok"], ack
    after = await phone_snapshot(world, await world.participant(1))
    assert after["version"] > before["version"]
    assert after["rankings"][table]["items"] == [principle]


async def test_each_table_keeps_its_own(world: World):
    at_0, at_1 = await world.participant(0), await world.participant(1)
    assert list((await phone_snapshot(world, at_0))["rankings"]) == [world.table_ids[0]]
    assert list((await phone_snapshot(world, at_1))["rankings"]) == [world.table_ids[1]]
    assert list((await phone_snapshot(world, await world.participant(1)))["rankings"]) == [world.table_ids[1]]


async def test_the_check_catches_a_write_that_leaves_the_version_alone(world: World):
    phone = await world.participant(2)
    before = await phone_snapshot(world, phone)
    async with world.sessions() as session:  # what no command does: a change without a new version
        await session.exec(
            update(Ranking).where(Ranking.table_id == world.table_ids[2]).values(items=[before["principles"][0]["id"]])
        )
        await session.commit()
    with pytest.raises(state.KeptSnapshotDiffers, match="rankings"):
        await phone_snapshot(world, phone)


def test_the_suite_runs_with_the_check_on():
    assert state.CHECK_KEPT_SNAPSHOTS


async def test_a_snapshot_read_in_a_session_is_never_kept(world: World):
    """``build_snapshot`` runs in a caller's session, which on PostgreSQL reads under READ COMMITTED: what it reads
    is not one moment, so it is not kept for others."""
    phone = await world.participant(0)
    assert (await world.snapshot(phone))["me"]["participant_id"] == phone.participant_id
    assert not state._PHONE_SNAPSHOTS
    await phone_snapshot(world, phone)
    assert list(state._PHONE_SNAPSHOTS) == [(world.workshop_id, world.table_ids[0])]
