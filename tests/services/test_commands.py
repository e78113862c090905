"""The command path against a real database (SQLite and PostgreSQL): refusals change nothing, events go out
only after a commit, resends apply once, and snapshot + events equals a fresh snapshot."""

from __future__ import annotations

import asyncio
import gc

import pytest
import sqlalchemy as sa

from server import prepared, sqlite_driver
from server.broadcast import rooms
from server.client import apply_update
from server.domain.errors import DomainError
from server.services.commands import Actor
from server.services.errors import CommandError
from server.services.tokens import hash_token
from server.services.workshops import join_table
from tests.live import eventually
from tests.live_js import assert_live_js_agrees, case

pytestmark = pytest.mark.asyncio

A, B, C, D, E, F = (
    "common-language",
    "needs-led",
    "shared-decision-making",
    "partnership-working",
    "accessibility",
    "outcome-informed",
)


async def test_an_edit_is_committed_then_published_to_the_right_rooms(world):
    phone = await world.participant(0)
    ack = await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A})
    assert ack["ok"] and ack["ranking"]["items"] == [A] and ack["ranking"]["revision"] == 1
    [event] = world.broadcaster.take()
    assert event.data["type"] == "ranking"
    assert set(event.rooms) == {
        rooms.table(world.workshop_id, world.table_ids[0]),
        rooms.role(world.workshop_id, "facilitator"),
        rooms.role(world.workshop_id, "projector"),
    }
    # What was published is what a fresh read gives.
    snap = await world.snapshot(world.facilitator)
    assert snap["rankings"][world.table_ids[0]] == event.data["ranking"]


@pytest.mark.parametrize(
    ("role", "event", "payload", "code"),
    [
        ("participant", "agenda.start", {}, "forbidden"),
        ("participant", "consensus.reveal", {"revealed": True}, "forbidden"),
        ("projector", "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A}, "forbidden"),
        (
            "participant",
            "ranking.edit",
            {"base_revision": 0, "op": "add", "principle_id": "nope"},
            "unknown_principle",
        ),
        (
            "participant",
            "ranking.edit",
            {"base_revision": 5, "op": "add", "principle_id": A},
            "invalid_revision",
        ),
        ("participant", "ranking.edit", {"base_revision": 0, "op": "jump"}, "invalid_payload"),
        (
            "participant",
            "ranking.edit",
            {"base_revision": 0, "op": "add", "principle_id": A, "extra": 1},
            "invalid_payload",
        ),
        ("participant", "ranking.agree", {"base_revision": 0}, "ranking_incomplete"),
        (
            "facilitator",
            "ranking.edit",
            {"base_revision": 0, "op": "add", "principle_id": A},
            "invalid_payload",
        ),
        (
            "facilitator",
            "ranking.edit",
            {"table_id": "missing", "base_revision": 0, "op": "add", "principle_id": A},
            "not_found",
        ),
        ("facilitator", "agenda.pause", {}, "no_current_segment"),
        ("facilitator", "agenda.extend", {"seconds": 0}, "invalid_payload"),
        ("facilitator", "agenda.go_to", {"segment_id": "missing"}, "not_found"),
        ("facilitator", "display.set", {"mode": "table"}, "invalid_payload"),
        ("facilitator", "consensus.set_method", {"method": "coin"}, "invalid_payload"),
        ("facilitator", "consensus.confirm", {"items": [A, B, C, D, E]}, "invalid_state"),
        ("facilitator", "no.such.event", {}, "unknown_event"),
        (
            "facilitator",
            "rankings.lock",
            {"locked": "yes"},
            "invalid_payload",
        ),  # JSON types only, no coercion
        ("facilitator", "agenda.extend", {"seconds": "60"}, "invalid_payload"),
    ],
)
async def test_a_refusal_has_a_code_and_changes_nothing(world, role, event, payload, code):
    actor = await world.participant(0) if role == "participant" else getattr(world, role)
    before = await world.snapshot(world.facilitator)
    ack = await world.run(actor, event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"]
    assert world.broadcaster.take() == []
    after = await world.snapshot(world.facilitator)
    assert after == before


async def test_a_payload_that_is_not_an_object_is_refused(world):
    phone = await world.participant(0)
    for raw in ([1, 2], "text", 3):
        ack = await world.bus.execute("ranking.edit", phone, raw)
        assert ack["error"]["code"] == "invalid_payload"


async def test_a_resent_command_is_applied_once_and_answered_the_same(world):
    phone = await world.participant(0)
    payload = {"command_id": "abcdefgh-1", "base_revision": 0, "op": "add", "principle_id": A}
    first = await world.run(phone, "ranking.edit", payload)
    world.broadcaster.take()
    second = await world.run(phone, "ranking.edit", payload)
    assert second == first
    assert world.broadcaster.take() == []
    assert (await world.snapshot(phone))["rankings"][world.table_ids[0]]["revision"] == 1


async def test_racing_edits_are_serialised_and_none_is_lost(world):
    phones = [await world.participant(0) for _ in range(5)]
    acks = await asyncio.gather(
        *(
            world.run(p, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": pid})
            for p, pid in zip(phones, [A, B, C, D, E], strict=True)
        )
    )
    assert all(a["ok"] for a in acks)
    ranking = (await world.snapshot(world.facilitator))["rankings"][world.table_ids[0]]
    assert sorted(ranking["items"]) == sorted([A, B, C, D, E]) and ranking["revision"] == 5
    versions = [e.data["version"] for e in world.broadcaster.take()]
    assert len(set(versions)) == 5  # every change has its own version


async def test_no_op_commands_publish_nothing_and_keep_the_version(world):
    before = (await world.snapshot(world.facilitator))["version"]
    assert (await world.run(world.facilitator, "consensus.set_method", {"method": "borda"}))["ok"]
    assert (await world.run(world.facilitator, "rankings.lock", {"locked": False}))["ok"]
    assert world.broadcaster.take() == []
    assert (await world.snapshot(world.facilitator))["version"] == before


async def _agree(world, actor, items):
    revision = 0
    for pid in items:
        ack = await world.run(
            actor, "ranking.edit", {"base_revision": revision, "op": "add", "principle_id": pid}
        )
        assert ack["ok"], ack
        revision = ack["ranking"]["revision"]
    ack = await world.run(actor, "ranking.agree", {"base_revision": revision})
    assert ack["ok"], ack


async def test_hidden_results_reach_only_the_facilitator(world):
    phone = await world.participant(0)
    world.broadcaster.take()
    await _agree(world, phone, [A, B, C, D, E])
    consensus_events = [e for e in world.broadcaster.take() if e.data["type"] == "consensus"]
    by_room = {e.rooms: e.data["consensus"] for e in consensus_events}
    facilitator_view = by_room[(rooms.role(world.workshop_id, "facilitator"),)]
    others = by_room[
        (rooms.role(world.workshop_id, "projector"), rooms.role(world.workshop_id, "participant"))
    ]
    assert facilitator_view["tally"]["top"] == [A, B, C, D, E]
    assert others["tally"] is None and others["agreed_tables"] == 1
    assert (await world.snapshot(phone))["consensus"] == others
    assert (await world.snapshot(world.projector))["consensus"] == others


async def test_the_rankings_lock_stops_edits_and_agreeing(world):
    phone = await world.participant(1)
    assert (await world.run(world.facilitator, "rankings.lock", {"locked": True}))["ok"]
    ack = await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A})
    assert ack["error"]["code"] == "rankings_locked"
    assert (await world.run(world.facilitator, "rankings.lock", {"locked": False}))["ok"]
    assert (await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A}))[
        "ok"
    ]


async def test_an_agreed_ranking_must_be_reopened_before_editing(world):
    phone = await world.participant(2)
    await _agree(world, phone, [A, B, C, D, E])
    ack = await world.run(phone, "ranking.edit", {"base_revision": 6, "op": "remove", "principle_id": A})
    assert ack["error"]["code"] == "ranking_agreed"
    again = await world.run(phone, "ranking.agree", {"base_revision": 6})
    assert again["ok"] and again["ranking"]["revision"] == 6  # a second tap changes nothing
    assert (await world.run(phone, "ranking.reopen", {"base_revision": 6}))["ranking"]["agreed"] is False


async def test_confirming_records_whether_the_room_changed_the_tally(world):
    await _agree(world, await world.participant(0), [A, B, C, D, E])
    same = await world.run(world.facilitator, "consensus.confirm", {"items": [A, B, C, D, E]})
    assert same["confirmed"]["changed_by_room"] is False and same["confirmed"]["tally_items"] == [
        A,
        B,
        C,
        D,
        E,
    ]
    changed = await world.run(
        world.facilitator, "consensus.confirm", {"items": [F, B, C, D, E], "note": "F matters"}
    )
    assert changed["confirmed"]["changed_by_room"] is True and changed["confirmed"]["note"] == "F matters"
    for bad in ([A, A, B, C, D], [A, B, C, D]):
        assert (await world.run(world.facilitator, "consensus.confirm", {"items": bad}))["error"][
            "code"
        ] == "invalid_payload"
    assert (await world.run(world.facilitator, "consensus.unconfirm"))["ok"]
    assert (await world.snapshot(world.facilitator))["consensus"]["confirmed"] is None


async def test_timers_are_deadlines_on_the_server_clock(world):
    f = world.facilitator
    assert (await world.run(f, "agenda.start"))["ok"]
    seg = (await world.snapshot(f))["agenda"]["segments"][0]
    assert seg["status"] == "running" and seg["deadline"] == world.clock.now + 1800
    world.clock.now += 600
    assert (await world.run(f, "agenda.pause"))["ok"]
    seg = (await world.snapshot(f))["agenda"]["segments"][0]
    assert seg["status"] == "paused" and seg["remaining_seconds"] == 1200 and seg["actual_seconds"] == 600
    world.clock.now += 100
    assert (await world.run(f, "agenda.resume"))["ok"]
    assert (await world.run(f, "agenda.extend", {"seconds": 300}))["ok"]
    seg = (await world.snapshot(f))["agenda"]["segments"][0]
    assert seg["deadline"] == world.clock.now + 1500


async def test_lock_on_timeout_fires_once_when_the_deadline_passes(world):
    from server.services.scheduler import fire_due

    f = world.facilitator
    assert (await world.run(f, "agenda.set_lock_on_timeout", {"enabled": True}))["ok"]
    assert (await world.run(f, "agenda.start"))["ok"]
    assert await fire_due(world.bus) == 0
    world.clock.now += 1801
    world.broadcaster.take()
    assert await fire_due(world.bus) == 1
    assert await fire_due(world.bus) == 0
    assert (await world.snapshot(f))["workshop"]["rankings_locked"] is True
    assert [e.data["type"] for e in world.broadcaster.take()] == ["workshop"]


async def test_snapshot_plus_events_equals_a_fresh_snapshot_for_every_role(world):
    phone = await world.participant(0)
    viewers = {"facilitator": world.facilitator, "projector": world.projector, "participant": phone}
    start = {name: await world.snapshot(actor) for name, actor in viewers.items()}
    world.broadcaster.take()
    await _agree(world, phone, [A, B, C, D, E])
    other = await world.participant(1)
    await world.run(other, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": F})
    for event, payload in [
        ("agenda.start", {}),
        ("agenda.extend", {"seconds": 60}),
        ("rankings.lock", {"locked": True}),
        ("agenda.next", {}),
        ("display.set", {"mode": "rankings"}),
        ("consensus.set_method", {"method": "schulze"}),
        ("consensus.reveal", {"revealed": True}),
        ("consensus.confirm", {"items": [A, B, C, D, E]}),
        ("consensus.reveal", {"revealed": False}),
        ("agenda.go_to", {"segment_id": start["facilitator"]["agenda"]["segments"][0]["id"]}),
    ]:
        world.clock.now += 7
        assert (await world.run(world.facilitator, event, payload))["ok"], event
    events = world.broadcaster.take()
    recorded = []
    for name, actor in viewers.items():
        my_rooms = set(rooms.for_client(world.workshop_id, actor.role, actor.table_id))
        mine = [event.data for event in events if my_rooms & set(event.rooms)]
        state = start[name]
        for update in mine:
            state = apply_update(state, update)
        fresh = await world.snapshot(actor)
        assert {**state, "version": 0, "server_now": 0} == {**fresh, "version": 0, "server_now": 0}, name
        recorded.append(case(name, start[name], mine, fresh))
    assert_live_js_agrees(recorded)  # the same sequences through the browsers' applyUpdate


async def test_moving_on_returns_the_projector_to_following_the_agenda(world):
    f = world.facilitator
    assert (await world.run(f, "display.set", {"mode": "table", "table_id": world.table_ids[1]}))["ok"]
    assert (await world.run(f, "agenda.next"))["ok"]  # onto Exercise 1
    assert (await world.snapshot(f))["display"]["mode"] == "auto"
    assert (await world.run(f, "display.set", {"mode": "rankings"}))["ok"]
    segments = (await world.snapshot(f))["agenda"]["segments"]
    assert (await world.run(f, "agenda.go_to", {"segment_id": segments[2]["id"]}))["ok"]
    snap = await world.snapshot(f)
    assert snap["display"] == {
        "version": snap["version"],
        "mode": "auto",
        "table_id": None,
        "cell": None,
        "page": None,
    }


async def test_refusals_leave_no_garbage_for_the_collector(world):
    # Refusals are common under load (a stale edit is one). On SQLite they cross from SQLite's thread; an
    # exception with its frames there made a cycle per refusal that only a full collection freed, and the
    # server's memory grew with them (docs/performance.md). Only the refusals' own leftovers are counted: other
    # threads of the test process (a live server of an earlier module, say) make cycles of their own meanwhile.
    phone = await world.participant(0)
    stale = {"op": "add", "principle_id": "nope", "base_revision": 0}
    assert (await world.run(phone, "ranking.edit", stale))["error"]["code"] == "unknown_principle"
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what a collection finds in gc.garbage, to look at it
    try:
        for i in range(40):
            ack = await world.run(phone, "ranking.edit", {**stale, "base_revision": 10 + i})
            assert ack["ok"] is False
        gc.collect()
        refusals_in_cycles = [o for o in gc.garbage if isinstance(o, CommandError | DomainError)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert refusals_in_cycles == []


async def _a_lock_waited_for(engine) -> bool:
    async with engine.connect() as connection:
        return (
            await connection.execute(sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        ).scalar_one() > 0


async def _phone_with_its_token(world, table_index: int = 0) -> Actor:
    """A participant as a connection knows it: with the hash of its token, checked at every command."""
    async with world.sessions() as session:
        joined = await join_table(session, world.join_code, {"table_id": world.table_ids[table_index]})
    return Actor(
        world.workshop_id,
        "participant",
        joined.participant_id,
        joined.table_id,
        credential_hash=hash_token(joined.participant_token),
    )


async def test_with_a_token_a_resent_command_is_applied_once_and_never_answers_another_sender(world):
    phone, other = await _phone_with_its_token(world), await _phone_with_its_token(world)
    payload = {"command_id": "abcdefgh-2", "base_revision": 0, "op": "add", "principle_id": A}
    first = await world.run(phone, "ranking.edit", payload)
    assert first["ok"], first
    assert await world.run(phone, "ranking.edit", payload) == first
    refused = await world.run(other, "ranking.edit", payload)
    assert refused["error"]["code"] == "invalid_payload" and "command_id" in refused["error"]["message"]
    assert (await world.snapshot(phone))["rankings"][world.table_ids[0]]["revision"] == 1


async def test_a_command_that_waited_for_a_revocation_is_refused(world):
    # On PostgreSQL the UPDATE that waited for the workshop's row lock sees other tables as they were when it
    # started: the token must be read after the lock, by a statement that sees the revocation.
    phone = await _phone_with_its_token(world)
    engine = world.sessions.kw["bind"]
    threads = sqlite_driver.threads_for(engine)
    async with engine.connect() as holder:
        await holder.execute(
            sa.text("UPDATE workshop SET version = version + 1 WHERE id = :id"), {"id": world.workshop_id}
        )
        await holder.execute(
            sa.text("UPDATE credential SET revoked = :yes WHERE token_hash = :hash"),
            {"yes": True, "hash": phone.credential_hash},
        )
        edit = asyncio.ensure_future(
            world.run(
                phone,
                "ranking.edit",
                {"command_id": "abcdefgh-3", "base_revision": 0, "op": "add", "principle_id": A},
            )
        )
        if threads is not None:  # SQLite: the turn went to the writer thread, which waits for the write lock
            await eventually(lambda: threads.writes_given_way >= 1)
        else:  # PostgreSQL: the edit waits for the workshop's row lock
            await eventually(lambda: _a_lock_waited_for(engine))
        assert not edit.done()
        await holder.commit()
    answer = await edit
    assert answer["ok"] is False and answer["error"]["code"] == "unauthenticated", answer
    assert (await world.snapshot(world.facilitator))["rankings"][world.table_ids[0]]["items"] == []


async def test_phones_with_tokens_edit_agree_and_reopen_and_updates_rebuild_the_snapshot(world):
    # On PostgreSQL a phone's ranking commands read their table's ranking with the checks after the lock
    # (commands.ReadAhead): what they change and send must be what a fresh read shows.
    phones = [await _phone_with_its_token(world, 0), await _phone_with_its_token(world, 0)]
    other_table = await _phone_with_its_token(world, 1)
    viewers = {"facilitator": world.facilitator, "phone": phones[0], "other table": other_table}
    start = {name: await world.snapshot(actor) for name, actor in viewers.items()}
    world.broadcaster.take()
    for n, pid in enumerate([A, B, C, D, E]):
        ack = await world.run(
            phones[n % 2],
            "ranking.edit",
            {"command_id": f"edit-{n:04d}", "base_revision": n, "op": "add", "principle_id": pid},
        )
        assert ack["ok"] and ack["ranking"]["revision"] == n + 1, ack
    # Sent against the list as it was at the start: applied to the list as stored.
    stale = await world.run(
        phones[0],
        "ranking.edit",
        {"command_id": "edit-stale", "base_revision": 0, "op": "move", "principle_id": E, "to_index": 0},
    )
    assert stale["ok"] and stale["rebased"] and stale["ranking"]["items"] == [E, A, B, C, D], stale
    agreed = await world.run(phones[1], "ranking.agree", {"command_id": "agree-0001", "base_revision": 6})
    assert agreed["ok"] and agreed["ranking"]["agreed"], agreed
    reopened = await world.run(phones[0], "ranking.reopen", {"command_id": "reopen-001", "base_revision": 6})
    assert reopened["ok"] and not reopened["ranking"]["agreed"], reopened
    assert (
        await world.run(
            other_table,
            "ranking.edit",
            {"command_id": "edit-other", "base_revision": 0, "op": "add", "principle_id": F},
        )
    )["ok"]
    ranking = (await world.snapshot(world.facilitator))["rankings"]
    assert ranking[world.table_ids[0]]["items"] == [E, A, B, C, D]
    assert ranking[world.table_ids[1]]["items"] == [F]
    await world.assert_updates_rebuild_snapshots(viewers, start, world.broadcaster.take())


async def test_a_phones_edit_on_postgresql_reads_with_the_checks_and_writes_with_the_record(
    world, monkeypatch
):
    # On PostgreSQL one statement after the lock reads the token, the record and the table's ranking
    # (commands.ReadAhead), and one writes the ranking and the command's record (Context.write_last): a bump,
    # a read, a write. SQLite checks the token in the version's bump and runs each by itself.
    phone = await _phone_with_its_token(world)
    seen: list[str] = []
    monkeypatch.setattr(prepared, "statement_listeners", [seen.append])
    payload = {"command_id": "edit-ahead", "base_revision": 0, "op": "add", "principle_id": A}
    assert (await world.run(phone, "ranking.edit", payload))["ok"]
    ranking_reads = [sql for sql in seen if sql.startswith("SELECT") and "FROM ranking" in sql]
    assert len(ranking_reads) == 1, seen
    postgresql = world.sessions.kw["bind"].dialect.name == "postgresql"
    assert ("credential" in ranking_reads[0]) == postgresql, ranking_reads
    writes = [sql for sql in seen if "UPDATE ranking" in sql or "INSERT INTO command_record" in sql]
    assert len(writes) == (1 if postgresql else 2), writes
    assert (await world.run(phone, "ranking.edit", payload))["ranking"]["items"] == [A]  # the record, kept
    assert (await world.snapshot(phone))["rankings"][world.table_ids[0]]["items"] == [
        A
    ]  # the ranking, written
