"""Faults, against real processes: a killed server, a restarted Redis, a restarted PostgreSQL, a dead phone.

Tests that stop Redis or PostgreSQL use private instances (``private_redis``, ``private_postgres``): the machine's
shared services, which the rest of the suite uses, are never disturbed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time

import httpx
import pytest
import socketio

from server.client import WorkshopClient, join, new_command_id
from tests.live import eventually
from tests.scaleout.conftest import migrate, open_room, room_at

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
RETRYABLE = (TimeoutError, socketio.exceptions.SocketIOError)


def items(client: WorkshopClient, table_id: str) -> list[str]:
    return client.state["rankings"][table_id]["items"]


async def add(phone: WorkshopClient, table_id: str, principle: str, **kwargs) -> dict:
    revision = phone.state["rankings"][table_id]["revision"]
    return await phone.call(
        "ranking.edit", {"base_revision": revision, "op": "add", "principle_id": principle}, **kwargs
    )


async def send_until_answered(phone: WorkshopClient, event: str, payload: dict, within: float = 90) -> dict:
    """What the web client does: a command whose answer was lost is sent again, with the same command_id, once
    the connection is back (the server applies it once). Retryable refusals are retried too. ``within`` seconds
    (not a count of tries: a restart on a busy machine can take tens of seconds)."""
    payload = {"command_id": new_command_id(), **payload}
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if phone.sio.connected:
            try:
                ack = await phone.call(event, payload, timeout=2)
            except RETRYABLE:
                ack = None
            if ack is not None and (ack["ok"] or ack["error"]["code"] not in ("unavailable", "server_error")):
                return ack
        await asyncio.sleep(0.1)
    raise AssertionError(f"{event} was never answered")


# --- kill -9 of the only server ---------------------------------------------------------------------------------


async def test_kill_9_of_the_only_server_mid_exercise_loses_nothing_acknowledged(tmp_path, spawn):
    """The venue laptop: one process on SQLite, killed while three tables edit, then started again."""
    url = f"sqlite+aiosqlite:///{tmp_path}/thrive.db"
    await asyncio.to_thread(migrate, url)
    (server,) = await spawn(url)
    room = await open_room(server.url, table_count=3)
    paused_room = await open_room(server.url, table_count=1)
    try:
        facilitator = await room.facilitator(server.url)
        phones = [await room.phone(server.url, t) for t in range(3)]
        assert (await facilitator.call("agenda.start"))["ok"]
        other = await paused_room.facilitator(server.url)
        assert (await other.call("agenda.start"))["ok"]
        assert (await other.call("agenda.pause"))["ok"]
        deadline = (await facilitator.sync())["agenda"]["segments"][0]["deadline"]
        remaining = (await other.sync())["agenda"]["segments"][0]["remaining_seconds"]

        acked: dict[int, list[str]] = {t: [] for t in range(3)}

        async def edit(t: int) -> None:
            phone, table_id = phones[t], room.table_ids[t]
            for principle in PRINCIPLES[t : t + 5]:
                base = phone.state["rankings"][table_id]["revision"]
                ack = await send_until_answered(
                    phone, "ranking.edit", {"base_revision": base, "op": "add", "principle_id": principle}
                )
                assert ack["ok"], ack
                acked[t].append(principle)
                await asyncio.sleep(0.05)

        editing = asyncio.ensure_future(asyncio.gather(*(edit(t) for t in range(3))))
        await eventually(lambda: all(len(a) >= 2 for a in acked.values()), timeout=30)
        seen = {t: list(a) for t, a in acked.items()}  # what the phones saw acknowledged before the kill
        server.kill()
        await asyncio.to_thread(server.start)
        await asyncio.wait_for(editing, 60)

        # The phones reconnected and resynced by themselves; every acknowledged change is there, once.
        # The console reconnects on its own schedule: ask it only once it is back.
        await eventually(lambda: facilitator.sio.connected, timeout=30)
        fresh = (await facilitator.call("sync"))["snapshot"]
        for t in range(3):
            table_id = room.table_ids[t]
            assert acked[t] == PRINCIPLES[t : t + 5]
            assert fresh["rankings"][table_id]["items"] == PRINCIPLES[t : t + 5]
            assert fresh["rankings"][table_id]["revision"] == 5  # no edit applied twice
            assert all(p in fresh["rankings"][table_id]["items"] for p in seen[t])
            await eventually(
                lambda t=t, table_id=table_id: (
                    phones[t].snapshots >= 2 and items(phones[t], table_id) == PRINCIPLES[t : t + 5]
                )
            )
        # The timers: the running one keeps its deadline, the paused one its remaining time.
        segment = fresh["agenda"]["segments"][0]
        assert segment["status"] == "running" and segment["deadline"] == deadline
        assert 0 < segment["deadline"] - fresh["server_now"] <= 30 * 60
        await eventually(lambda: facilitator.snapshots >= 2 and other.snapshots >= 2, timeout=30)
        assert facilitator.state["agenda"]["segments"][0]["deadline"] == deadline
        paused = other.state["agenda"]["segments"][0]
        assert paused["status"] == "paused" and paused["remaining_seconds"] == remaining
    finally:
        await room.close()
        await paused_room.close()


# --- Redis restarted --------------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_a_redis_restart_mid_workshop_recovers_by_itself_and_resyncs(pg_database, private_redis, spawn):
    a, b = await spawn(pg_database, redis_url=private_redis.url, n=2)
    async with room_at(a.url, table_count=1) as room:
        t0 = room.table_ids[0]
        phone = await room.phone(a.url, 0)
        facilitator, projector = await room.facilitator(b.url), await room.projector(b.url)
        leaving = await join(a.url, room.code, t0)
        removed = await room.connect(a.url, leaving["participant_token"], reconnection=False)
        notices = []
        removed.sio.on("revoked", notices.append)
        assert (await add(phone, t0, PRINCIPLES[0]))["ok"]
        await eventually(lambda: items(projector, t0) == [PRINCIPLES[0]])

        private_redis.kill()
        async with httpx.AsyncClient() as http:
            for worker in (a, b):
                await eventually(lambda w=worker: _status(http, f"{w.url}/readyz", 503), timeout=30)
            # Meanwhile the workshop goes on: every change is committed and acknowledged.
            assert (await add(phone, t0, PRINCIPLES[1]))["ok"]
            assert (await facilitator.call("agenda.start"))["ok"]
            assert (await facilitator.call("display.set", {"mode": "rankings"}))["ok"]
            # Removed on B; the order to close the phone's socket (on A) goes through Redis, and is lost.
            gone = await facilitator.call(
                "participants.remove", {"participant_id": leaving["participant_id"]}
            )
            assert gone["ok"], gone
            # Each worker still delivers to its own clients.
            await eventually(lambda: items(phone, t0) == PRINCIPLES[:2])
            await eventually(lambda: facilitator.state["display"]["mode"] == "rankings")
            snapshots = (phone.snapshots, projector.snapshots)

            private_redis.start()  # same port
            for worker in (a, b):
                await eventually(lambda w=worker: _status(http, f"{w.url}/readyz", 200), timeout=30)
        # What the clients missed arrives by resync (a snapshot pushed to each), without reconnecting.
        await eventually(lambda: items(projector, t0) == PRINCIPLES[:2], timeout=30)
        await eventually(lambda: phone.state["display"]["mode"] == "rankings", timeout=30)
        assert phone.state["agenda"]["segments"][0]["status"] == "running"
        assert phone.snapshots > snapshots[0] and projector.snapshots > snapshots[1]
        # The resync checks every token again: the removed phone is told and closed, not sent a snapshot.
        await eventually(lambda: notices and not removed.sio.connected, timeout=30)
        # And broadcasting carries on as before: a new edit reaches the other worker as an update.
        assert (await add(phone, t0, PRINCIPLES[2]))["ok"]
        await eventually(lambda: items(projector, t0) == PRINCIPLES[:3])
        assert any(u.get("type") == "ranking" and u["ranking"]["revision"] == 3 for u in projector.updates)
        fresh = (await projector.call("sync"))["snapshot"]
        assert fresh["rankings"][t0]["items"] == PRINCIPLES[:3]  # nothing acknowledged was lost


async def _status(http: httpx.AsyncClient, url: str, status: int) -> bool:
    try:
        return (await http.get(url, timeout=30)).status_code == status
    except httpx.HTTPError:
        return False


# --- PostgreSQL restarted ---------------------------------------------------------------------------------------


async def test_a_postgresql_restart_answers_unavailable_then_recovers_by_itself(private_postgres, spawn):
    url = await private_postgres.create_database("thrive")
    await asyncio.to_thread(migrate, url)
    (server,) = await spawn(url)
    async with room_at(server.url, table_count=1) as room, httpx.AsyncClient(base_url=server.url) as http:
        t0 = room.table_ids[0]
        phone, facilitator = await room.phone(server.url, 0), await room.facilitator(server.url)
        assert (await add(phone, t0, PRINCIPLES[0]))["ok"]

        await asyncio.to_thread(private_postgres.stop, "immediate")  # a crash: no checkpoint
        # Socket commands: a clear, retryable refusal.
        refused = await add(phone, t0, PRINCIPLES[1])
        assert refused["ok"] is False and refused["error"]["code"] == "unavailable", refused
        assert (await facilitator.call("agenda.start"))["error"]["code"] == "unavailable"
        assert (await phone.call("sync"))["error"]["code"] == "unavailable"
        # HTTP: 503 with the same error, and Retry-After.
        for method, path, body in [
            ("GET", f"/api/join/{room.code}", None),
            ("POST", f"/api/join/{room.code}", {"table_id": t0}),
            ("POST", "/api/workshops", {"title": "T", "table_count": 1}),
        ]:
            response = await http.request(method, path, json=body)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["error"]["code"] == "unavailable" and response.headers["retry-after"]
        page = await http.get(f"/j/{room.code}")
        assert page.status_code == 503 and "try again" in page.text.lower()
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("unavailable")
        assert (await http.get("/healthz")).status_code == 200  # alive: do not restart it
        # A phone connecting now is refused clearly at once (not left hanging), and may retry.
        newcomer = WorkshopClient(server.url, room.created["projector_token"], reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await newcomer.connect(timeout=30)
        assert newcomer.connect_error["data"]["code"] == "unavailable"
        assert phone.sio.connected  # the sockets that were there stay

        await asyncio.to_thread(private_postgres.start)
        # The app recovers by itself: the same phone retries and goes on.
        ack = await send_until_answered(
            phone, "ranking.edit", {"base_revision": 1, "op": "add", "principle_id": PRINCIPLES[1]}
        )
        assert ack["ok"] and ack["ranking"]["items"] == PRINCIPLES[:2]  # the refused attempts changed nothing
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.post(f"/api/join/{room.code}", json={"table_id": t0})).status_code == 201
        await room.projector(server.url)
        await eventually(lambda: items(facilitator, t0) == PRINCIPLES[:2])
        assert (await facilitator.sync())["rankings"][t0]["revision"] == 2


# --- A dead phone -----------------------------------------------------------------------------------------------


async def dead_phone(port: int, token: str):
    """A phone that stops reading: a tiny receive buffer, and nothing read after the handshake. The server's
    sends to it back up (its TCP window closes), as with a phone that froze or walked out of Wi-Fi range."""
    from websockets.asyncio.client import connect

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    ws = await connect(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
        sock=sock,
        max_queue=1,
        compression=None,
    )
    assert (await ws.recv()).startswith("0")  # engine.io open
    await ws.send("40" + json.dumps({"token": token}))
    while not (await ws.recv()).startswith("40"):  # socket.io connected; after this, it never reads again
        pass
    return ws, sock.getsockname()[1]


def send_queue(server_port: int, client_port: int) -> int:
    """Bytes the server has written to the phone's connection that the phone has not taken (/proc/net/tcp)."""
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":")[1], fields[2].split(":")[1]
        if int(local, 16) == server_port and int(remote, 16) == client_port:
            return int(fields[4].split(":")[0], 16)
    return 0


@pytest.mark.redis
@pytest.mark.postgres
async def test_a_dead_phone_never_delays_the_others(pg_database, shared_redis, spawn):
    a, b = await spawn(pg_database, redis_url=shared_redis, n=2)
    # A long agenda makes every agenda update large (~45 kB): the dead phone's backlog grows fast.
    agenda = [
        {"kind": "rank", "title": f"Part {i}", "instructions": "x" * 1000, "planned_seconds": 600}
        for i in range(40)
    ]
    async with room_at(a.url, table_count=1, agenda=agenda) as room:
        t0 = room.table_ids[0]
        writer = await room.phone(a.url, 0)
        same_worker, other_worker = await room.phone(a.url, 0), await room.phone(b.url, 0)
        facilitator = await room.facilitator(b.url)
        ws, dead_port = await dead_phone(a.port, await room.join(a.url, 0))

        async def lag(n: int) -> list[float]:
            """Edit n times; how long each takes to reach the three live viewers."""
            lags = []
            for i in range(n):
                op = (
                    {"op": "add", "principle_id": PRINCIPLES[0]}
                    if i % 2 == 0
                    else {"op": "remove", "principle_id": PRINCIPLES[0]}
                )
                started = time.monotonic()
                revision = writer.state["rankings"][t0]["revision"]
                ack = await writer.call("ranking.edit", {"base_revision": revision, **op})
                assert ack["ok"], ack
                for viewer in (same_worker, other_worker, facilitator):
                    await eventually(
                        lambda v=viewer, r=ack["ranking"]["revision"]: (
                            v.state["rankings"][t0]["revision"] >= r
                        ),
                        timeout=30,
                        interval=0.005,
                    )
                lags.append(time.monotonic() - started)
            return lags

        before = await lag(10)
        # Flood the room until the dead phone's connection is backed up on the server.
        segment = facilitator.state["agenda"]["segments"][0]["id"]
        for i in range(200):
            ack = await facilitator.call(
                "agenda.set_planned", {"segment_id": segment, "planned_seconds": 600 + 60 * (i % 2 + 1)}
            )
            assert ack["ok"], ack
            if send_queue(a.port, dead_port) > 500_000:
                break
        backlog = send_queue(a.port, dead_port)
        assert backlog > 500_000, f"the dead phone's connection did not back up ({backlog} bytes)"
        during = await lag(10)
        assert send_queue(a.port, dead_port) >= backlog * 0.9  # it was stuck the whole time
        print(
            f"\nedit -> three viewers, median: {statistics.median(before) * 1000:.0f} ms before, "
            f"{statistics.median(during) * 1000:.0f} ms with a dead phone holding {backlog // 1000} kB; "
            f"max {max(during) * 1000:.0f} ms"
        )
        ws.transport.abort()  # the phone is gone for good (a reset, not a polite close through the backlog)
