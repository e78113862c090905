"""services.state: loading a workshop's rows; the principle ids every worker may keep."""

from __future__ import annotations

from sqlalchemy import event

from server.services import state


class Statements:
    def __init__(self, sessions):
        self.count = 0
        engine = sessions.kw["bind"].sync_engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        self.count += 1


async def test_principle_ids_are_read_once_per_workshop(world, sessions):
    async with sessions() as session:
        expected = {p.principle_id for p in await state.load_principles(session, world.workshop_id)}
    state._PRINCIPLE_IDS.pop(world.workshop_id, None)
    statements = Statements(sessions)
    async with sessions() as session:
        assert await state.principle_ids(session, world.workshop_id) == expected
        read = statements.count
        assert read >= 1
        assert await state.principle_ids(session, world.workshop_id) == expected
        assert statements.count == read


async def test_a_workshop_that_is_not_there_is_not_remembered(sessions):
    async with sessions() as session:
        assert await state.principle_ids(session, "no-such-workshop") == frozenset()
    assert "no-such-workshop" not in state._PRINCIPLE_IDS


async def test_the_ids_kept_are_bounded_oldest_out(world, sessions, monkeypatch):
    monkeypatch.setattr(state, "PRINCIPLE_IDS_KEPT", 2)
    monkeypatch.setattr(state, "_PRINCIPLE_IDS", type(state._PRINCIPLE_IDS)())
    state._PRINCIPLE_IDS["old-1"] = frozenset({"a"})
    state._PRINCIPLE_IDS["old-2"] = frozenset({"b"})
    async with sessions() as session:
        await state.principle_ids(session, world.workshop_id)
    assert list(state._PRINCIPLE_IDS) == ["old-2", world.workshop_id]


async def test_an_edit_with_an_unknown_principle_is_refused_with_the_ids_kept(world):
    phone = await world.participant(0)
    ok = await world.run(phone, "ranking.edit", {"op": "add", "principle_id": "needs-led", "base_revision": 0})
    assert ok["ok"], ok
    refused = await world.run(phone, "ranking.edit", {"op": "add", "principle_id": "nope", "base_revision": 1})
    assert refused["error"]["code"] == "unknown_principle"
