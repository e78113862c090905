"""Several workers against the machine's Redis and PostgreSQL: real processes, real socket.io clients.

Two workers on different ports stand for two hosts (or two of ``uvicorn --workers N``); where clients must find
another worker by themselves they connect through ``Balancer``, the stand-in for the proxy.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import asyncpg
import httpx
import pytest
import socketio

from server.client import WorkshopClient, new_command_id
from tests.live import eventually
from tests.scaleout.cluster import Balancer
from tests.scaleout.conftest import Room, open_room, pg_dsn, room_at, sql

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

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


def items(client: WorkshopClient, table_id: str) -> list[str]:
    return client.state["rankings"][table_id]["items"]


async def add(phone: WorkshopClient, table_id: str, principle: str, **extra) -> dict:
    revision = phone.state["rankings"][table_id]["revision"]
    return await phone.call(
        "ranking.edit", {"base_revision": revision, "op": "add", "principle_id": principle, **extra}
    )


async def test_a_phone_and_a_projector_on_different_workers_see_each_others_changes(cluster):
    a, b = cluster.workers
    async with httpx.AsyncClient() as http:
        # Several workers and no sticky routing: websocket only, and the client is told so.
        assert (await http.get(f"{a.url}/api/config")).json()["transports"] == ["websocket"]
        ready = (await http.get(f"{b.url}/readyz")).json()
        assert ready["ok"] and ready["checks"] == {"worker": "ok", "database": "ok", "redis": "ok"}
        # A polling handshake is refused. (Asked over plain HTTP: python-engineio's client closes its HTTP
        # session before it reads a refusal's body, so on a busy machine it raises aiohttp's "Connection
        # closed" instead of ConnectionError.)
        refused = await http.get(f"{a.url}/socket.io/?EIO=4&transport=polling", timeout=30)
        assert refused.status_code == 400 and "transport" in refused.text.lower()

    async with room_at(a.url, table_count=2) as room:
        t0 = room.table_ids[0]
        phone = await room.phone(a.url, 0)
        facilitator, projector = await room.facilitator(b.url), await room.projector(b.url)
        assert (await add(phone, t0, PRINCIPLES[0]))["ok"]
        for viewer in (facilitator, projector):
            await eventually(lambda v=viewer: items(v, t0) == [PRINCIPLES[0]])
        # And the other way: the console on B moves the room, the phone on A follows.
        assert (await facilitator.call("agenda.start"))["ok"]
        await eventually(lambda: phone.state["agenda"]["segments"][0]["status"] == "running")
        assert (await facilitator.call("display.set", {"mode": "rankings"}))["ok"]
        await eventually(lambda: projector.state["display"]["mode"] == "rankings")
        # A second phone at the same table, on B: each sees the other's edits.
        other = await room.phone(b.url, 0)
        assert items(other, t0) == [PRINCIPLES[0]]
        assert (await add(other, t0, PRINCIPLES[1]))["ok"]
        await eventually(lambda: items(phone, t0) == PRINCIPLES[:2])
        # Every client's state equals what a fresh connection gets.
        fresh = (await facilitator.call("sync"))["snapshot"]
        await eventually(lambda: facilitator.state["rankings"] == fresh["rankings"])
        assert facilitator.state["agenda"] == fresh["agenda"]


async def test_concurrent_edits_through_two_workers_are_serialised_and_none_is_lost(cluster):
    """Two processes write the same workshop at once: every edit lands once, in one order everyone sees."""
    a, b = cluster.workers
    async with room_at(a.url, table_count=2) as room:
        workers = [a.url, b.url]
        phones = {t: [await room.phone(workers[i % 2], t) for i in range(4)] for t in (0, 1)}
        facilitators = [await room.facilitator(a.url), await room.facilitator(b.url)]
        # Eight phones, half on each worker, each add a different principle at once, all on revision 0.
        acks = await asyncio.gather(
            *(
                phone.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": PRINCIPLES[i]})
                for t in (0, 1)
                for i, phone in enumerate(phones[t])
            )
        )
        assert all(ack["ok"] for ack in acks), acks
        for t in (0, 1):
            revisions = sorted(ack["ranking"]["revision"] for ack in acks[4 * t : 4 * t + 4])
            assert revisions == [1, 2, 3, 4]  # applied one at a time: no two edits saw the same revision
        versions = [ack["ranking"]["version"] for ack in acks]
        assert len(set(versions)) == len(versions)  # one workshop-wide order across both workers
        # The same row written from both workers: 20 extensions of one timer, none lost.
        assert (await facilitators[0].call("agenda.start"))["ok"]
        await eventually(lambda: facilitators[1].state["agenda"]["current_id"] is not None)
        started = (await facilitators[0].sync())["agenda"]["segments"][0]["deadline"]
        extends = await asyncio.gather(
            *(facilitators[i % 2].call("agenda.extend", {"seconds": 1}) for i in range(20))
        )
        assert all(ack["ok"] for ack in extends), extends
        rows = await sql(
            cluster.database_url,
            "SELECT deadline FROM segment WHERE workshop_id = $1 AND position = 0",
            room.workshop_id,
        )
        assert rows[0]["deadline"] == started + 20
        # Every client converges on the database's state.
        expected = sorted(PRINCIPLES[:4])
        for t in (0, 1):
            for client in [*phones[t], *facilitators]:
                await eventually(lambda c=client, t=t: sorted(items(c, room.table_ids[t])) == expected)
        fresh = (await facilitators[1].call("sync"))["snapshot"]
        for client in facilitators:
            await eventually(lambda c=client: c.state["agenda"] == fresh["agenda"])
            assert client.state["rankings"] == fresh["rankings"]


async def lock_updates(client: WorkshopClient) -> int:
    return sum(1 for u in client.updates if u.get("type") == "workshop" and u["workshop"]["rankings_locked"])


async def timed_room(url: str) -> Room:
    """A workshop that locks its rankings when its running timer (30 minutes) runs out."""
    room = await open_room(url, table_count=1)
    facilitator = await room.facilitator(url)
    assert (await facilitator.call("agenda.set_lock_on_timeout", {"enabled": True}))["ok"]
    assert (await facilitator.call("agenda.start"))["ok"]
    return room


async def every_worker_polls_again(db: str, canary: Room, workers: int) -> None:
    """Return once each of the ``workers`` live workers has run a scheduler pass that began after this call.

    ``canary`` (a ``timed_room``) is made due while the test holds its workshop row: the next pass of each
    worker nominates it and its lock waits for the row. A worker's passes run one after another, so once
    ``workers`` locks wait, every pass that began before this call has finished. Then the row is let go and the
    canary locks, once."""
    holder = await asyncpg.connect(pg_dsn(db))
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM workshop WHERE id = $1 FOR UPDATE", canary.workshop_id)
            await sql(
                db,
                "UPDATE segment SET deadline = $1 WHERE status = 'running' AND workshop_id = $2",
                time.time(),
                canary.workshop_id,
            )
            await eventually(lambda: _waiting_passes(db, workers), timeout=30)
    finally:
        await holder.close()
    locked = "SELECT rankings_locked FROM workshop WHERE id = $1"
    await eventually(lambda: _first(db, locked, canary.workshop_id, "rankings_locked"), timeout=30)


async def _waiting_passes(db: str, expected: int) -> bool:
    # Behind the test's hold, or behind a lock that waits for it: what waits in this database waits for the row.
    query = (
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    waiting = (await sql(db, query))[0]["n"]
    assert waiting <= expected  # one waiting pass per worker, never more
    return waiting == expected


async def _first(db: str, query: str, arg, column: str):
    return (await sql(db, query, arg))[0][column]


async def test_a_timeout_locks_each_workshop_exactly_once_across_workers(cluster):
    """Both workers poll for due timers every 0.2 s; six workshops run out at the same instant."""
    a, b = cluster.workers
    db = cluster.database_url
    rooms = [await timed_room(a.url) for _ in range(6)]
    canary = await timed_room(b.url)
    try:
        watchers = [(room.clients[0], await room.projector(b.url)) for room in rooms]
        ids = [room.workshop_id for room in rooms]
        versions = "SELECT id, version FROM workshop WHERE id = ANY($1)"
        before = {r["id"]: r["version"] for r in await sql(db, versions, ids)}
        # Fast-forward: the timers (30 minutes) run out in one second, all at once.
        await sql(
            db,
            "UPDATE segment SET deadline = $1 WHERE status = 'running' AND workshop_id = ANY($2)",
            time.time() + 1,
            ids,
        )
        for facilitator, projector in watchers:
            for client in (facilitator, projector):
                await eventually(lambda c=client: c.state["workshop"]["rankings_locked"], timeout=30)
        # Both workers poll on: every pass that could have nominated a workshop before it locked has finished.
        await every_worker_polls_again(db, canary, workers=2)
        after = {r["id"]: r["version"] for r in await sql(db, versions, ids)}
        for room, (facilitator, projector) in zip(rooms, watchers, strict=True):
            assert after[room.workshop_id] == before[room.workshop_id] + 1  # one committed change
            assert await lock_updates(facilitator) == 1 and await lock_updates(projector) == 1
    finally:
        for room in (*rooms, canary):
            await room.close()


async def test_a_timer_still_fires_after_the_worker_that_started_it_is_killed(
    pg_database, shared_redis, spawn
):
    a, b = await spawn(pg_database, redis_url=shared_redis, n=2)
    balancer = await Balancer([a.port, b.port]).start()
    try:
        async with room_at(a.url, table_count=1) as room:
            facilitator = await room.facilitator(balancer.url)  # the balancer's first pick: worker A
            assert balancer.routed == [a.port]
            projector = await room.projector(b.url)
            phone = await room.phone(b.url, 0)
            assert (await facilitator.call("agenda.set_lock_on_timeout", {"enabled": True}))["ok"]
            assert (await facilitator.call("agenda.start"))["ok"]  # started on A
            await eventually(lambda: projector.state["agenda"]["segments"][0]["status"] == "running")

            a.kill()  # kill -9: no shutdown hooks
            await sql(pg_database, "UPDATE segment SET deadline = $1 WHERE status = 'running'", time.time())
            await eventually(lambda: projector.state["workshop"]["rankings_locked"], timeout=30)
            locked_at = (await sql(pg_database, "SELECT version FROM workshop WHERE id = $1", room.workshop_id))
            assert (await add(phone, room.table_ids[0], PRINCIPLES[0]))["error"]["code"] == "rankings_locked"
            # The console reconnects by itself, through the balancer, to B, and sees the lock.
            await eventually(
                lambda: facilitator.snapshots >= 2 and facilitator.state["workshop"]["rankings_locked"],
                timeout=30,
            )
            assert balancer.routed[-1] == b.port
            canary = await timed_room(b.url)
            await every_worker_polls_again(pg_database, canary, workers=1)  # B polls on; nothing locks twice
            await canary.close()
            versions = await sql(pg_database, "SELECT version FROM workshop WHERE id = $1", room.workshop_id)
            assert versions == locked_at
            assert await lock_updates(projector) == 1
    finally:
        await balancer.close()


def presence_tables(client: WorkshopClient) -> dict:
    presence = client.state["presence"]
    return {
        "tables": presence["tables"],
        "facilitators": presence["facilitators"],
        "projectors": presence["projectors"],
    }


async def test_presence_counts_are_right_across_workers_and_after_one_dies(pg_database, shared_redis, spawn):
    a, b = await spawn(pg_database, redis_url=shared_redis, n=2)
    async with room_at(a.url, table_count=2) as room:
        t0, t1 = room.table_ids
        facilitator, projector = await room.facilitator(b.url), await room.projector(a.url)
        # Seven phones connect at the same moment, spread over both workers.
        tokens = [
            await room.join(url, t) for url, t in [(a.url, 0)] * 3 + [(b.url, 0)] * 2 + [(b.url, 1)] * 2
        ]
        urls = [a.url] * 3 + [b.url] * 4
        await asyncio.gather(*(room.connect(url, token) for url, token in zip(urls, tokens, strict=True)))
        expected = {"tables": {t0: 5, t1: 2}, "facilitators": 1, "projectors": 1}
        for viewer in (facilitator, projector):
            await eventually(lambda v=viewer: presence_tables(v) == expected, timeout=30)

        a.kill()  # its three phones and the projector are gone with it; nobody told the database
        after = {"tables": {t0: 2, t1: 2}, "facilitators": 1, "projectors": 0}
        await eventually(
            lambda: presence_tables(facilitator) == after, timeout=30
        )  # swept after 3 missed beats
        workers = await sql(pg_database, "SELECT pid FROM worker")
        assert [w["pid"] for w in workers] != [] and a.process.pid not in [w["pid"] for w in workers]
        # A fresh connection counts the same.
        assert (await facilitator.sync())["presence"] == facilitator.state["presence"]


async def test_clients_of_a_killed_worker_reconnect_to_the_other_and_carry_on(
    pg_database, shared_redis, spawn
):
    a, b = await spawn(pg_database, redis_url=shared_redis, n=2)
    balancer = await Balancer([a.port, b.port]).start()
    try:
        async with room_at(a.url, table_count=2) as room:
            t0, t1 = room.table_ids
            phones = [await room.connect(balancer.url, await room.join(b.url, t)) for t in (0, 0, 1, 1)]
            assert balancer.routed == [a.port, b.port, a.port, b.port]
            facilitator = await room.facilitator(b.url)
            assert (await add(phones[0], t0, PRINCIPLES[0]))["ok"]
            # An edit in flight when the worker dies: its answer is lost, so the phone sends it again (same
            # command_id) once it is back, as the web client does. It must apply exactly once.
            in_flight = {
                "command_id": new_command_id(),
                "base_revision": 0,
                "op": "add",
                "principle_id": PRINCIPLES[1],
            }
            sending = asyncio.ensure_future(phones[2].call("ranking.edit", in_flight, timeout=1.5))
            await asyncio.sleep(0.01)
            a.kill()
            try:
                await sending  # usually lost with the worker; either way the resend below applies it once
            except (TimeoutError, socketio.exceptions.SocketIOError):
                pass
            for phone in (phones[0], phones[2]):
                await eventually(lambda p=phone: p.snapshots >= 2 and p.sio.connected, timeout=30)
            assert balancer.routed[-2:] == [b.port, b.port]
            resent = await phones[2].call("ranking.edit", in_flight)
            assert resent["ok"] and resent["ranking"]["items"] == [PRINCIPLES[1]]
            # They carry on: edits from phones that moved and from phones that stayed reach everyone.
            assert (await add(phones[0], t0, PRINCIPLES[2]))["ok"]
            assert (await add(phones[3], t1, PRINCIPLES[3]))["ok"]
            for client in (*phones[:2], facilitator):
                await eventually(lambda c=client: items(c, t0) == [PRINCIPLES[0], PRINCIPLES[2]])
            for client in (*phones[2:], facilitator):
                await eventually(lambda c=client: items(c, t1) == [PRINCIPLES[1], PRINCIPLES[3]])
            assert facilitator.state["rankings"][t1]["revision"] == 2  # the resent edit applied once
    finally:
        await balancer.close()


async def test_a_graceful_shutdown_drains_its_clients_to_the_other_worker(pg_database, shared_redis, spawn):
    """SIGTERM (a deploy): the worker closes its sockets (clients move at once) and removes its presence itself;
    heartbeats are 30 s apart here, so no sweep could have done it within this test."""
    a, b = await spawn(pg_database, redis_url=shared_redis, n=2, env={"HEARTBEAT_INTERVAL": "30"})
    balancer = await Balancer([a.port, b.port]).start()
    try:
        async with room_at(a.url, table_count=1) as room:
            t0 = room.table_ids[0]
            phones = [await room.connect(balancer.url, await room.join(b.url, 0)) for _ in range(4)]
            facilitator = await room.facilitator(b.url)
            await eventually(lambda: presence_tables(facilitator)["tables"] == {t0: 4}, timeout=30)

            # uvicorn re-raises the SIGTERM it handled once it has shut down: -15 is a graceful exit.
            assert await asyncio.to_thread(a.terminate) in (0, -15)
            for phone in phones:
                await eventually(lambda p=phone: p.sio.connected and p.snapshots >= 1, timeout=30)
            await eventually(lambda: phones[0].snapshots >= 2 and phones[2].snapshots >= 2, timeout=30)
            await eventually(lambda: presence_tables(facilitator)["tables"] == {t0: 4}, timeout=30)
            rows = await sql(pg_database, "SELECT worker_id FROM presence")
            assert len(rows) == 5  # four phones and the console, all on B: none left behind by A
            assert [w["pid"] for w in await sql(pg_database, "SELECT pid FROM worker")] == [b.process.pid]
            assert (await add(phones[0], t0, PRINCIPLES[0]))["ok"]
            await eventually(lambda: items(phones[3], t0) == [PRINCIPLES[0]])
    finally:
        await balancer.close()


async def test_uvicorn_workers_on_one_port_share_the_room_and_replace_a_killed_worker(
    pg_database, shared_redis, spawn
):
    """The one-host deployment: ``uvicorn --workers 2``, websocket only, one port; the kernel spreads the
    connections over the workers."""
    (server,) = await spawn(pg_database, redis_url=shared_redis, uvicorn_args=("--workers", "2"))

    async def beating() -> list:
        return await sql(pg_database, "SELECT id, pid FROM worker WHERE last_seen > $1", time.time() - 2)

    await eventually(lambda: _count(beating, 2), timeout=30)
    async with room_at(server.url, table_count=1) as room:
        t0 = room.table_ids[0]
        facilitator = await room.facilitator(server.url)
        phones = [await room.phone(server.url, 0) for _ in range(6)]
        for i, phone in enumerate(phones[:5]):
            assert (await add(phone, t0, PRINCIPLES[i]))["ok"]
            for client in (facilitator, *phones):
                await eventually(lambda c=client, n=i + 1: len(items(c, t0)) == n)
        holders = await sql(pg_database, "SELECT worker_id, count(*) AS n FROM presence GROUP BY worker_id")
        print("connections per worker:", sorted(r["n"] for r in holders))

        victim = max(holders, key=lambda r: r["n"])["worker_id"]
        on_victim = {
            r["sid"] for r in await sql(pg_database, "SELECT sid FROM presence WHERE worker_id = $1", victim)
        }
        # Its pid whether or not its last beat is under 2 s old (a busy machine can delay one).
        [[pid]] = await sql(pg_database, "SELECT pid FROM worker WHERE id = $1", victim)
        assert pid in server.children()
        os.kill(pid, signal.SIGKILL)
        clients = (facilitator, *phones)
        moved = [c for c in clients if c.sio.get_sid("/") in on_victim]
        assert moved  # the busiest worker held at least one
        await eventually(lambda: all(c.sio.connected and c.snapshots >= 2 for c in moved), timeout=30)
        assert (
            await phones[5].call(
                "ranking.edit", {"base_revision": 5, "op": "remove", "principle_id": PRINCIPLES[0]}
            )
        )["ok"]
        for client in (facilitator, *phones):
            await eventually(lambda c=client: items(c, t0) == PRINCIPLES[1:5], timeout=30)

        async def replaced() -> bool:  # uvicorn started a new worker, and the dead one's rows were swept
            alive = [r["id"] for r in await beating()]
            rows = await sql(pg_database, "SELECT worker_id FROM presence")
            return (
                len(alive) == 2
                and victim not in alive
                and len(rows) == 7
                and {r["worker_id"] for r in rows} <= set(alive)
            )

        await eventually(replaced, timeout=30)
        await eventually(lambda: presence_tables(facilitator)["tables"] == {t0: 6}, timeout=30)


async def _count(query, n: int) -> bool:
    return len(await query()) == n
