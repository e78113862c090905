"""The limits on a live server, each set low through its environment variable: going over one is answered with a
clear error (an ack, a connect_error or an HTTP 429 with Retry-After), never with a disconnect.

One server for all of them; each test comes from an address of its own (uvicorn trusts X-Forwarded-For from
127.0.0.1, as behind a local proxy), so the per-address limits of one test do not touch the others.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
import socketio

from server.client import WorkshopClient
from tests.live import LONGEST_WAIT, LiveServer, eventually
from tests.realtime.conftest import migrate

pytestmark = pytest.mark.asyncio

LIMITS = {
    "EVENTS_PER_SECOND": 2,
    "EVENTS_BURST": 5,
    "EVENTS_PER_SECOND_PER_IP": 0.5,
    "EVENTS_BURST_PER_IP": 16,
    "MAX_MESSAGE_BYTES": 2000,
    "MAX_CONNECTIONS_PER_TABLE": 2,
    "MAX_CONNECTIONS_PER_WORKSHOP": 4,
    "CONNECTS_PER_SECOND_PER_IP": 0.2,
    "CONNECTS_BURST_PER_IP": 8,
    "JOINS_PER_SECOND_PER_IP": 0.2,
    "JOINS_BURST_PER_IP": 12,
    "WORKSHOPS_PER_IP_PER_HOUR": 2,
    # Password guesses: the default bursts, with a refill too slow to matter while a test runs.
    "PASSWORD_GUESSES_PER_MINUTE_PER_IP": 0.001,
    "PASSWORD_GUESSES_PER_MINUTE_PER_WORKSHOP": 0.001,
}
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    url = f"sqlite+aiosqlite:///{folder}/thrive.db"
    migrate(url)
    live = LiveServer(url, env={k: str(v) for k, v in LIMITS.items()}).start(folder)
    yield live
    live.stop()


class Visitor:
    """Everything one client address does: HTTP and socket.io, all with its X-Forwarded-For."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.headers = {"x-forwarded-for": next(_addresses)}
        self.http = httpx.AsyncClient(base_url=server.url, headers=self.headers)
        self.clients: list[WorkshopClient] = []

    async def workshop(self, tables: int = 2) -> dict:
        response = await self.http.post("/api/workshops", json={"title": "T", "table_count": tables})
        assert response.status_code == 201, response.text
        created = response.json()
        code = created["workshop"]["join_code"]
        created["tables"] = [t["id"] for t in (await self.http.get(f"/api/join/{code}")).json()["tables"]]
        return created

    async def join(self, created: dict, table: int) -> str:
        response = await self.http.post(
            f"/api/join/{created['workshop']['join_code']}", json={"table_id": created["tables"][table]}
        )
        assert response.status_code == 201, response.text
        return response.json()["participant_token"]

    async def connect(self, token: str) -> WorkshopClient:
        client = WorkshopClient(self.server.url, token, reconnection=False, headers=self.headers)
        self.clients.append(client)
        return await client.connect()

    async def refused(self, token: str) -> dict:
        answer = await self.try_connect(token)
        assert not answer["ok"], "connected"
        return answer["error"]

    async def attempt(self, token: str, password: str | None = None) -> str:
        """``connected``, or the code of the refusal."""
        answer = await self.try_connect(token, password)
        return "connected" if answer["ok"] else answer["error"]["code"]

    async def try_connect(self, token: str, password: str | None = None) -> dict:
        """A connection, answered as an ack is: ``{"ok": True}`` or ``{"ok": False, "error": <connect_error>}``."""
        client = WorkshopClient(self.server.url, token, reconnection=False, password=password, headers=self.headers)
        self.clients.append(client)
        try:
            await client.connect(timeout=LONGEST_WAIT)
        except socketio.exceptions.ConnectionError:
            assert client.connect_error is not None, "no answer in time"
            return {"ok": False, "error": client.connect_error["data"]}
        return {"ok": True}

    async def close(self) -> None:
        for client in self.clients:
            if client.sio.connected:
                await client.close()
        await self.http.aclose()


@pytest.fixture
async def visitor(server):
    v = Visitor(server)
    yield v
    await v.close()


EDIT = {"base_revision": 0, "op": "add", "principle_id": "needs-led"}


async def until_refused(call, most: int = 200) -> tuple[list[dict], float]:
    """Call until the first refusal: every ack, and the seconds it took (the buckets refill meanwhile, so how
    many get through depends on how fast the machine is; the tests bound it by the time taken)."""
    started = time.monotonic()
    acks = [await call()]
    while acks[-1]["ok"]:
        assert len(acks) < most, "never refused"
        acks.append(await call())
    return acks, time.monotonic() - started


async def test_events_per_connection_are_rate_limited_with_a_retry_after(visitor):
    created = await visitor.workshop(1)
    phone = await visitor.connect(await visitor.join(created, 0))
    other = await visitor.connect(await visitor.join(created, 0))
    acks, seconds = await until_refused(lambda: phone.call("clock"))
    # The burst of 5 at once, then no more than 2 a second (on a quiet machine: exactly 5, then refused).
    assert 5 <= len(acks) - 1 <= 5 + 2 * seconds + 1
    refused = acks[-1]["error"]
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1 and refused["message"]
    # Not disconnected; the other phone is not slowed down; after the wait it works again.
    assert phone.sio.connected
    assert (await other.call("clock"))["ok"]
    await asyncio.sleep(refused["retry_after"])
    assert (await phone.call("ranking.edit", EDIT))["ok"]


async def test_events_per_address_are_shared_by_its_connections(visitor):
    created = await visitor.workshop(1)
    phones = [await visitor.connect(await visitor.join(created, 0)) for _ in range(2)]
    clients = [
        *phones,
        await visitor.connect(created["facilitator_token"]),
        await visitor.connect(created["projector_token"]),
    ]
    calls = itertools.count()
    acks, seconds = await until_refused(lambda: clients[next(calls) % 4].call("clock"))
    # Each connection stayed within its own 5 (and 2 a second), but together they used the address's 16 (and
    # 0.5 a second; on a quiet machine: exactly 16, then refused).
    assert 16 <= len(acks) - 1 <= 16 + 0.5 * seconds + 1
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert all(c.sio.connected for c in clients)


async def test_a_message_over_the_size_limit_is_refused_not_disconnected(visitor):
    created = await visitor.workshop(1)
    phone = await visitor.connect(await visitor.join(created, 0))
    ack = await phone.call("ranking.edit", {**EDIT, "note": "x" * 3000})
    assert ack["error"]["code"] == "too_large" and "2000" in ack["error"]["message"]
    assert phone.sio.connected
    # Far over it, but under the transport's own cap (1 MiB): still an answer, not a dropped connection.
    ack = await phone.call("ranking.edit", {**EDIT, "items": ["x" * 100_000] * 3})
    assert ack["error"]["code"] == "too_large"
    assert phone.sio.connected
    assert (await phone.call("ranking.edit", EDIT))["ok"]


async def test_connections_per_table_and_per_workshop_are_capped(visitor):
    created = await visitor.workshop(2)
    console = await visitor.connect(created["facilitator_token"])
    for _ in range(2):
        await visitor.connect(await visitor.join(created, 0))
    table = created["tables"][0]
    await eventually(lambda: console.state["presence"]["tables"].get(table) == 2)
    error = await visitor.refused(await visitor.join(created, 0))
    assert error["code"] == "too_many_connections" and error["retry_after"] > 0 and error["message"]
    await visitor.connect(await visitor.join(created, 1))  # another table still has room
    await eventually(lambda: sum(console.state["presence"]["tables"].values()) == 3)
    # Four connections with the console: full for everyone but the workshop's own facilitator.
    assert (await visitor.refused(created["projector_token"]))["code"] == "too_many_connections"
    assert (await visitor.connect(created["facilitator_token"])).state["role"] == "facilitator"


async def test_connects_per_address_are_rate_limited(visitor):
    created = await visitor.workshop(1)
    answers, seconds = await until_refused(lambda: visitor.try_connect(created["facilitator_token"]))
    # The burst of 8, then no more than 0.2 a second (on a quiet machine: exactly 8, then refused).
    assert 8 <= len(answers) - 1 <= 8 + 0.2 * seconds + 1
    error = answers[-1]["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1


async def test_workshops_per_address_per_hour(visitor):
    for _ in range(2):
        created = await visitor.http.post("/api/workshops", json={"title": "T", "table_count": 1})
        assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    refused = await visitor.http.post("/api/workshops", json={"title": "T", "table_count": 1})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    form = await visitor.http.get("/new")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    page = await visitor.http.post("/new", data={"csrf": csrf, "title": "T", "table_count": "2"})
    assert page.status_code == 429 and "workshops in the last hour" in page.text
    # Another address is not affected.
    other = httpx.AsyncClient(base_url=visitor.server.url, headers={"x-forwarded-for": next(_addresses)})
    async with other:
        assert (await other.post("/api/workshops", json={"title": "T", "table_count": 1})).status_code == 201


async def test_join_lookups_per_address(visitor):
    async def look_up() -> dict:
        status = (await visitor.http.get("/api/join/ABCDEF")).status_code
        assert status in (404, 429), status
        return {"ok": status == 404}

    answers, seconds = await until_refused(look_up)
    # The burst of 12 (each a 404: no such workshop), then no more than 0.2 a second, then 429.
    assert 12 <= len(answers) - 1 <= 12 + 0.2 * seconds + 1
    refused = await visitor.http.get("/j/ABCDEF")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


async def _report_with(visitor, created: dict, password: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {created['facilitator_token']}", "x-facilitator-password": password}
    return await visitor.http.get(f"/api/workshops/{created['workshop']['id']}/report.json", headers=headers)


async def _connect_with(visitor, created: dict, password: str) -> str:
    return await visitor.attempt(created["facilitator_token"], password=password)


async def test_password_guesses_count_the_same_over_http_and_the_socket(server):
    """One limiter for every path that takes the password: 10 wrong from an address, however sent, then a
    refusal (even of the right one) before any scrypt runs; right passwords cost nothing."""
    visitors = [Visitor(server) for _ in range(4)]
    try:
        owner = visitors[0]
        created = await owner.workshop(1)
        console = await owner.connect(created["facilitator_token"])
        assert (await console.call("facilitator.set_password", {"password": "correct horse"}))["ok"]

        guesser = visitors[1]
        codes = [await _connect_with(guesser, created, "guess-guess") for _ in range(5)]
        for _ in range(5):
            response = await _report_with(guesser, created, "guess-guess")
            codes.append(response.json()["error"]["code"])
        assert codes == ["wrong_password"] * 10
        refused = await _report_with(guesser, created, "correct horse")
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert await _connect_with(guesser, created, "correct horse") == "rate_limited"

        # The facilitator, elsewhere, still gets in, as often as they like.
        for _ in range(12):
            assert (await _report_with(owner, created, "correct horse")).status_code == 200
        assert await _connect_with(owner, created, "correct horse") == "connected"

        # Spread over addresses, the workshop's own count stops the 21st wrong guess.
        spread = [await _connect_with(v, created, "guess-guess") for v in visitors[2:] for _ in range(6)]
        assert spread == ["wrong_password"] * 10 + ["rate_limited"] * 2
    finally:
        for v in visitors:
            await v.close()


async def test_connections_made_at_once_never_pass_the_table_cap(server):
    """30 sockets of one table connecting at the same moment (from five addresses, under the connect rate):
    exactly the cap of 2 get in, the rest are told the table is full."""
    visitors = [Visitor(server) for _ in range(6)]
    try:
        created = await visitors[0].workshop(1)
        token = await visitors[0].join(created, 0)
        answers = await asyncio.gather(*(v.attempt(token) for v in visitors[1:] for _ in range(6)))
        assert sorted(answers) == ["connected"] * 2 + ["too_many_connections"] * 28
    finally:
        for v in visitors:
            await v.close()
