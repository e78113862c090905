"""The whole access matrix on a live server: every socket.io event, sent by every kind of sender, and every HTTP
endpoint. An allowed sender's event is accepted (in a fresh workshop set up for it); a refused one gets an ack
with a clear error code and message, and the workshop is exactly as it was (state, participants, links, live
connections).

Adding an event: append a ``Row`` to ``ROWS`` (the test fails while a registered event has none). Adding an
endpoint: append it to ``ENDPOINTS``.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import socketio

import server.app  # noqa: F401  (registers every command)
from server.client import WorkshopClient
from server.domain import reasons as reason_rules
from server.domain import worksheet as doc_rules
from server.services.commands import REGISTRY
from server.web.routes import routes
from tests.live import LONGEST_WAIT, LiveServer
from tests.realtime.conftest import migrate

pytestmark = pytest.mark.asyncio

# Who sends. "participant" is a phone at table 0 and payloads name table 0; "other_table" is a phone at table 1
# sending the same payloads; "other_workshop" is the facilitator of another workshop sending them.
SENDERS = ("facilitator", "cofacilitator", "projector", "participant", "other_table", "other_workshop")
FACILITATORS = frozenset({"facilitator", "cofacilitator"})
OWNER = frozenset({"facilitator"})
PHONES_TOO = FACILITATORS | {"participant"}
EVERYONE = frozenset(SENDERS)
FIVE = ["needs-led", "accessibility", "common-language", "partnership-working", "reducing-stigma"]
REASON_UPDATE = doc_rules.b64encode(reason_rules.text_update(None, "needs-led", "Families wait too long", ["needs-led"]))


@dataclass
class Ctx:
    """A workshop and the people in it."""

    created: dict
    tables: list[str]
    segments: list[str]
    clients: dict[str, WorkshopClient] = field(default_factory=dict)
    victim: str = ""  # a participant at table 1 who may be removed
    action: str = ""  # an action of the next-steps plan
    revision: int = 0

    @property
    def code(self) -> str:
        return self.created["workshop"]["join_code"]


async def _fill(ctx: Ctx) -> None:
    ack = await ctx.clients["facilitator"].call(
        "ranking.edit", {"table_id": ctx.tables[0], "base_revision": 0, "op": "replace", "items": FIVE}
    )
    assert ack["ok"], ack
    ctx.revision = ack["ranking"]["revision"]


async def _agree(ctx: Ctx) -> None:
    await _fill(ctx)
    ack = await ctx.clients["facilitator"].call(
        "ranking.agree", {"table_id": ctx.tables[0], "base_revision": ctx.revision}
    )
    assert ack["ok"], ack


async def _confirm(ctx: Ctx) -> None:
    await _agree(ctx)
    assert (await ctx.clients["facilitator"].call("consensus.confirm", {"items": FIVE}))["ok"]


async def _finalised(ctx: Ctx) -> None:
    await _confirm(ctx)
    assert (await ctx.clients["facilitator"].call("report.finalise"))["ok"]


def _run(*steps: tuple[str, Any]) -> Callable[[Ctx], Awaitable[None]]:
    async def setup(ctx: Ctx) -> None:
        for event, payload in steps:
            body = payload(ctx) if callable(payload) else payload
            ack = await ctx.clients["facilitator"].call(event, body)
            assert ack["ok"], (event, ack)

    return setup


@dataclass(frozen=True)
class Row:
    event: str
    allowed: frozenset[str]
    payload: Callable[[Ctx], dict] = lambda ctx: {}
    setup: Callable[[Ctx], Awaitable[None]] | None = (
        None  # what an allowed sender needs first (a fresh workshop)
    )
    scoped: bool = False  # the payload names a table, segment or participant of this workshop
    table: bool = False  # a table-scoped event: a phone may send it for its own table only
    outsider_code: str = "not_found"
    label: str = ""
    check_allowed: bool = True  # False: only the refusals are walked here (say where the rest is tested)

    @property
    def id(self) -> str:
        return self.event + (f"[{self.label}]" if self.label else "")


ROWS = [
    Row("sync", EVERYONE),
    Row("clock", EVERYONE),
    Row(
        "ranking.edit",
        PHONES_TOO,
        lambda c: {"table_id": c.tables[0], "base_revision": 0, "op": "add", "principle_id": "needs-led"},
        scoped=True,
        table=True,
    ),
    Row(
        "ranking.agree",
        PHONES_TOO,
        lambda c: {"table_id": c.tables[0], "base_revision": c.revision},
        setup=_fill,
        scoped=True,
        table=True,
    ),
    Row(
        "ranking.reopen",
        PHONES_TOO,
        lambda c: {"table_id": c.tables[0], "base_revision": c.revision},
        setup=_agree,
        scoped=True,
        table=True,
    ),
    Row("rankings.lock", FACILITATORS, lambda c: {"locked": True}),
    Row("agenda.start", FACILITATORS),
    Row("agenda.pause", FACILITATORS, setup=_run(("agenda.start", {}))),
    Row("agenda.resume", FACILITATORS, setup=_run(("agenda.start", {}), ("agenda.pause", {}))),
    Row("agenda.extend", FACILITATORS, lambda c: {"seconds": 60}, setup=_run(("agenda.start", {}))),
    Row("agenda.finish", FACILITATORS, setup=_run(("agenda.start", {}))),
    Row("agenda.go_to", FACILITATORS, lambda c: {"segment_id": c.segments[1]}, scoped=True),
    Row("agenda.next", FACILITATORS, setup=_run(("agenda.start", {}))),
    Row(
        "agenda.set_planned",
        FACILITATORS,
        lambda c: {"segment_id": c.segments[0], "planned_seconds": 1200},
        scoped=True,
    ),
    Row("agenda.set_lock_on_timeout", FACILITATORS, lambda c: {"enabled": True}),
    Row("display.set", FACILITATORS, lambda c: {"mode": "table", "table_id": c.tables[0]}, scoped=True),
    Row("display.page", FACILITATORS, lambda c: {"page": 1}),
    Row("consensus.set_method", FACILITATORS, lambda c: {"method": "schulze"}),
    Row("consensus.reveal", FACILITATORS, lambda c: {"revealed": True}),
    Row("consensus.confirm", FACILITATORS, lambda c: {"items": FIVE, "note": "agreed", "reason": "local_plans"},
        setup=_agree),
    Row("consensus.unconfirm", FACILITATORS, setup=_confirm),
    Row("participants.list", FACILITATORS),
    Row("participants.remove", FACILITATORS, lambda c: {"participant_id": c.victim}, scoped=True),
    Row("links.rotate", FACILITATORS, lambda c: {"link": "projector"}, label="projector"),
    Row("links.rotate", FACILITATORS, lambda c: {"link": "join"}, label="join"),
    Row("links.rotate", OWNER, lambda c: {"link": "facilitator"}, label="facilitator"),
    Row("cofacilitator.issue", OWNER),
    Row("cofacilitator.revoke", OWNER),
    Row("facilitator.set_password", OWNER, lambda c: {"password": "correct horse"}),
    Row(
        "workshop.delete",
        OWNER,
        lambda c: {"join_code": c.code},
        scoped=True,
        outsider_code="invalid_payload",
    ),
    Row("agenda.skip", FACILITATORS, lambda c: {"segment_id": c.segments[-1]}, scoped=True),
    # The second half (docs/protocol.md). Phones may edit the plan only once the facilitator allows it.
    Row("plan.add_action", FACILITATORS, lambda c: {"action": "Tell the board"}),
    Row("plan.update_action", FACILITATORS, lambda c: {"action_id": c.action, "status": "done"}, scoped=True),
    Row("plan.remove_action", FACILITATORS, lambda c: {"action_id": c.action}, scoped=True),
    Row(
        "plan.restore_action",
        FACILITATORS,
        lambda c: {"action_id": c.action},
        scoped=True,
        setup=_run(("plan.remove_action", lambda c: {"action_id": c.action})),
    ),
    Row("plan.set_notes", FACILITATORS, lambda c: {"engagement_notes": "Share it"}),
    Row("plan.set_redesign_date", FACILITATORS, lambda c: {"redesign_date": "2027-05-12"}),
    Row("plan.set_tables_may_edit", FACILITATORS, lambda c: {"enabled": True}),
    Row("report.links", FACILITATORS),
    Row("report.finalise", FACILITATORS, setup=_confirm),
    Row("report.reopen", FACILITATORS, setup=_finalised),
    # Who was in the room (issue 17): a phone speaks for its own table, the console for any.
    Row(
        "makeup.set_sector",
        PHONES_TOO,
        lambda c: {"table_id": c.tables[0], "sector_id": "health", "present": True},
        scoped=True,
        table=True,
    ),
    Row("makeup.set_people", PHONES_TOO, lambda c: {"table_id": c.tables[0], "people": 6}, scoped=True, table=True),
    Row("makeup.set_sector_list", FACILITATORS, lambda c: {"sectors": [{"id": "health", "label": "NHS"}]}),
    Row("scores.configure", FACILITATORS, lambda c: {"open": True, "by": "table"}),
    Row(
        "scores.set",
        frozenset({"participant"}),
        lambda c: {"principle_id": "needs-led", "score": 3},
        setup=_run(("scores.configure", {"open": True, "by": "table"})),
    ),
    Row("scores.agree", FACILITATORS, lambda c: {"principle_id": "needs-led", "score": 3}),
    # The method as it happens (issue 17): a scribe with the co-facilitator link writes notes too.
    Row("agenda.add_discussion", FACILITATORS, lambda c: {"minutes": 10}),
    Row("notes.set_review", FACILITATORS, lambda c: {"text": "Pathway maps: long waits"}),
    Row("notes.set_table", FACILITATORS, lambda c: {"table_id": c.tables[0], "text": "Red: early help"}, scoped=True),
    # A real update needs a Yjs document: accepted updates are tested in the worksheet tests.
    Row(
        "worksheet.update",
        PHONES_TOO,
        lambda c: {"worksheet_id": "0" * 32, "update": "AAA="},
        scoped=True,
        check_allowed=False,
    ),
    # A table's reasons (Exercise 1): a real Yjs update writing one reason, so the allowed senders are walked too.
    Row(
        "reasons.update",
        PHONES_TOO,
        lambda c: {"table_id": c.tables[0], "update": REASON_UPDATE},
        scoped=True,
        table=True,
    ),
    Row("scheduler.lock_on_timeout", frozenset()),  # the server's own scheduler only
    Row("no.such.event", frozenset()),
]

# Every HTTP endpoint and who may use it. Only the report and saving a catalogue need a role (a facilitator's bearer
# token, or for the report a signed link from ``report.links``; saving is tested in tests/web/test_catalogue_routes.py);
# the rest is public by design (creating a workshop, the join flow, the catalogue tools, pages, static files) and
# everything else that needs a role is on socket.io.
ENDPOINTS = {
    ("GET", "/api/workshops/{workshop_id}/report.{fmt}"): "facilitator or co-facilitator of that workshop",
    ("POST", "/api/workshops/import"): "anyone (counts as creating a workshop)",
    ("POST", "/api/catalogue/preview"): "anyone",
    ("POST", "/api/catalogue/import"): "anyone",
    ("GET", "/api/catalogue/templates/{format}"): "anyone",
    ("POST", "/api/catalogue/export"): "anyone",
    ("POST", "/api/catalogues"): "facilitator or co-facilitator of a workshop, for that workshop's locality",
    ("GET", "/api/catalogues"): "anyone (a locality's saved catalogues, readable on purpose)",
    ("GET", "/api/catalogues/{catalogue_id}"): "anyone",
    ("GET", "/api/catalogues/{catalogue_id}/export/{format}"): "anyone",
    ("GET", "/"): "anyone",
    ("GET", "/new"): "anyone",
    ("POST", "/new"): "anyone (CSRF token)",
    ("GET", "/join"): "anyone",
    ("GET", "/j/{code}"): "anyone with the code",
    ("GET", "/console"): "anyone (the page; the token stays in the URL fragment)",
    ("GET", "/projector"): "anyone (the page; the token stays in the URL fragment)",
    ("GET", "/qr/{code}.svg"): "anyone with the code",
    ("GET", "/healthz"): "anyone",
    ("GET", "/readyz"): "anyone",
    ("GET", "/api/config"): "anyone",
    ("GET", "/api/catalogue/default"): "anyone",
    ("POST", "/api/workshops"): "anyone (rate limited per address)",
    ("GET", "/api/join/{code}"): "anyone with the code",
    ("POST", "/api/join/{code}"): "anyone with the code, for a table of that workshop",
    ("GET", "/static/{path:path}"): "anyone (the front ends' static files)",
}


ALLOWED = "https://thrive.example, https://other.example"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    url = f"sqlite+aiosqlite:///{folder}/thrive.db"
    migrate(url)
    # This test sends hundreds of events from a few connections: rates off, everything else as deployed.
    server = LiveServer(url, env={"EVENTS_PER_SECOND": "0", "ALLOWED_ORIGINS": ALLOWED}).start(folder)
    yield server
    server.stop()


async def _workshop(server: LiveServer, http: httpx.AsyncClient) -> Ctx:
    created = (await http.post("/api/workshops", json={"title": "Matrix", "table_count": 2})).json()
    code = created["workshop"]["join_code"]
    tables = [t["id"] for t in (await http.get(f"/api/join/{code}")).json()["tables"]]
    ctx = Ctx(created, tables, [])
    ctx.clients["facilitator"] = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    ctx.segments = [s["id"] for s in ctx.clients["facilitator"].state["agenda"]["segments"]]
    joined = (
        await http.post(f"/api/join/{code}", json={"table_id": tables[1], "display_name": "Victim"})
    ).json()
    ctx.victim = joined["participant_id"]
    added = await ctx.clients["facilitator"].call("plan.add_action", {"action": "Agree the next meeting"})
    assert added["ok"], added
    ctx.action = added["action"]["id"]
    return ctx


async def _sender(
    server: LiveServer, http: httpx.AsyncClient, ctx: Ctx, who: str, outsider: Ctx | None
) -> WorkshopClient:
    if who == "facilitator":
        return ctx.clients["facilitator"]
    if who == "cofacilitator":
        token = (await ctx.clients["facilitator"].call("cofacilitator.issue"))["token"]
    elif who == "projector":
        token = ctx.created["projector_token"]
    elif who in ("participant", "other_table"):
        table = ctx.tables[0 if who == "participant" else 1]
        token = (await http.post(f"/api/join/{ctx.code}", json={"table_id": table})).json()[
            "participant_token"
        ]
    else:
        return outsider.clients["facilitator"]
    client = await WorkshopClient(server.url, token).connect()
    ctx.clients[who] = client
    return client


async def _close(ctx: Ctx) -> None:
    for client in ctx.clients.values():
        if client.sio.connected:
            await client.close()


async def _fingerprint(ctx: Ctx) -> dict:
    """Everything a refused event must leave as it was."""
    checker = ctx.clients["facilitator"]
    snapshot = (await checker.call("sync"))["snapshot"]
    participants = (await checker.call("participants.list"))["participants"]
    return {
        "snapshot": {k: v for k, v in snapshot.items() if k not in ("server_now", "presence")},
        "participants": [(p["id"], p["table_id"], p["display_name"]) for p in participants],
        "connected": sorted(who for who, c in ctx.clients.items() if c.sio.connected),
        "revoked": sorted(who for who, c in ctx.clients.items() if c.revoked),
    }


def _expected_refusal(row: Row, who: str) -> str | None:
    """The error code this sender gets, or None when it is accepted (or acts only on its own workshop)."""
    if not row.allowed and row.event not in REGISTRY and row.event not in ("sync", "clock"):
        return "unknown_event"
    principal = "facilitator" if who == "other_workshop" else who
    if principal == "other_table":
        principal = "participant"
    if principal not in row.allowed:
        return "forbidden"
    if who == "other_table" and row.table:
        return "forbidden"
    if who == "other_workshop" and row.scoped:
        return row.outsider_code
    return None


async def test_every_event_has_a_row_and_every_endpoint_an_entry():
    covered = {row.event for row in ROWS}
    assert set(REGISTRY) <= covered, f"add rows for {sorted(set(REGISTRY) - covered)}"
    assert len({row.id for row in ROWS}) == len(ROWS)
    served = set()
    for route in routes():
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                served.add((method, route.path))
    assert served <= set(ENDPOINTS), f"classify {sorted(served - set(ENDPOINTS))} in ENDPOINTS"


async def test_refused_senders_get_a_clear_error_and_change_nothing(live):
    async with httpx.AsyncClient(base_url=live.url) as http:
        ctx, outsider = await _workshop(live, http), await _workshop(live, http)
        try:
            senders = {who: await _sender(live, http, ctx, who, outsider) for who in SENDERS}
            baseline = await _fingerprint(ctx)
            checked = 0
            for row in ROWS:
                for who in SENDERS:
                    expected = _expected_refusal(row, who)
                    if expected is None and who != "other_workshop":
                        continue
                    ack = await senders[who].call(row.event, row.payload(ctx))
                    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (row.id, who, ack)
                    if expected is not None:
                        assert ack["ok"] is False, (row.id, who, ack)
                        assert ack["error"]["code"] == expected, (row.id, who, ack)
                        assert ack["error"]["message"], (row.id, who)
                    if row.event == "sync" and who == "other_workshop":
                        assert ack["snapshot"]["workshop"]["id"] == outsider.created["workshop"]["id"]
                    after = await _fingerprint(ctx)
                    assert after == baseline, (row.id, who)
                    checked += 1
            assert checked >= 100
        finally:
            await _close(ctx)
            await _close(outsider)


@pytest.mark.parametrize("row", [r for r in ROWS if r.allowed and r.check_allowed], ids=lambda r: r.id)
async def test_allowed_senders_are_accepted(live, row):
    async with httpx.AsyncClient(base_url=live.url) as http:

        async def one(who: str) -> tuple[str, dict]:
            ctx = await _workshop(live, http)
            try:
                sender = await _sender(live, http, ctx, who, None)
                if row.setup:
                    await row.setup(ctx)
                return who, await sender.call(row.event, row.payload(ctx))
            finally:
                await _close(ctx)

        results = await asyncio.gather(
            *(one(who) for who in sorted(row.allowed - {"other_table", "other_workshop"}))
        )
    for who, ack in results:
        assert ack["ok"] is True, (row.id, who, ack)


async def test_nobody_cannot_connect(live):
    for auth_token in ("", "x" * 43, "short", "k" * 300):
        client = WorkshopClient(live.url, auth_token, reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(timeout=LONGEST_WAIT)
        assert client.connect_error["data"]["code"] == "unauthenticated", auth_token
    raw = socketio.AsyncClient(reconnection=False)
    errors = []
    raw.on("connect_error", errors.append)
    for auth in (None, {"token": None}, {"token": ["a", "b"]}, {"nope": 1}, "text"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await raw.connect(live.url, auth=auth, transports=["websocket"], wait_timeout=LONGEST_WAIT)
    assert [e["data"]["code"] for e in errors] == ["unauthenticated"] * 5


async def test_the_report_is_for_its_facilitators_only_and_holds_no_secret(live):
    async with httpx.AsyncClient(base_url=live.url) as http:
        a, b = await _workshop(live, http), await _workshop(live, http)
        try:
            co = (await a.clients["facilitator"].call("cofacilitator.issue"))["token"]
            phone = (
                await http.post(
                    f"/api/join/{a.code}", json={"table_id": a.tables[0], "display_name": "Zebedee Q"}
                )
            ).json()
            url = f"/api/workshops/{a.created['workshop']['id']}/report.json"
            bearer = {
                "nobody": None,
                "participant": phone["participant_token"],
                "projector": a.created["projector_token"],
                "other_workshop": b.created["facilitator_token"],
                "garbage": "x" * 43,
                "facilitator": a.created["facilitator_token"],
                "cofacilitator": co,
            }
            for who, token in bearer.items():
                headers = {"authorization": f"Bearer {token}"} if token else {}
                response = await http.get(url, headers=headers)
                expected = 200 if who in FACILITATORS else 401
                assert response.status_code == expected, (who, response.text[:200])
                if expected == 401:
                    assert response.json()["error"]["code"] == "unauthenticated"
            unsigned = await http.get(url + "?exp=99999999999&sig=forged")
            assert unsigned.status_code == 401
            links = (await a.clients["facilitator"].call("report.links"))["links"]
            secrets = [
                a.created["facilitator_token"],
                a.created["projector_token"],
                co,
                phone["participant_token"],
                "127.0.0.1",
                "Zebedee Q",
            ]
            assert set(links) >= {"json", "html"}
            for fmt, link in links.items():
                body = (await http.get(link)).content
                if body[:2] == b"PK":  # docx, xlsx and the CSV zip: look inside
                    with zipfile.ZipFile(io.BytesIO(body)) as archive:
                        body = b"".join(archive.read(name) for name in archive.namelist())
                assert all(s.encode() not in body for s in secrets), (
                    fmt
                )  # no token, address or name, in any export
        finally:
            await _close(a)
            await _close(b)


async def test_http_endpoints_take_no_token_and_stay_inside_a_workshop(live):
    async with httpx.AsyncClient(base_url=live.url) as http:
        a, b = await _workshop(live, http), await _workshop(live, http)
        try:
            with_token = {
                "authorization": f"Bearer {a.created['facilitator_token']}",
                "cookie": f"k={a.created['facilitator_token']}",
            }
            for path in (
                "/",
                "/new",
                "/join",
                f"/j/{a.code}",
                "/console",
                "/projector",
                f"/qr/{a.code}.svg",
                "/healthz",
                "/api/config",
                "/api/catalogue/default",
                f"/api/join/{a.code}",
            ):
                anonymous, holding = await http.get(path), await http.get(path, headers=with_token)
                assert anonymous.status_code == holding.status_code == 200, path
                assert a.created["facilitator_token"] not in holding.text
                assert a.created["projector_token"] not in anonymous.text
            # A join names a table of the code's workshop: another workshop's table is not found there.
            before = (await a.clients["facilitator"].call("participants.list"))["participants"]
            response = await http.post(f"/api/join/{a.code}", json={"table_id": b.tables[0]})
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
            assert (await a.clients["facilitator"].call("participants.list"))["participants"] == before
            assert len((await b.clients["facilitator"].call("participants.list"))["participants"]) == 1
            # JSON endpoints want JSON: a cross-site form post is refused.
            form = await http.post("/api/workshops", data={"title": "x", "table_count": "2"})
            assert form.status_code == 415 and form.json()["error"]["code"] == "unsupported_media_type"
        finally:
            await _close(a)
            await _close(b)


async def _origin_accepted(url: str, token: str, origin: str) -> bool:
    client = WorkshopClient(url, token, reconnection=False, headers={"origin": origin})
    try:
        await client.connect(timeout=LONGEST_WAIT)
    except socketio.exceptions.ConnectionError:
        return False
    await client.close()
    return True


async def test_only_allowed_origins_may_connect(live, shared_server):
    """A page on another site cannot open a connection, even with a valid token (same origin by default;
    ALLOWED_ORIGINS when configured)."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        ctx = await _workshop(live, http)
    try:
        token = ctx.created["projector_token"]
        assert await _origin_accepted(live.url, token, "https://thrive.example")
        assert await _origin_accepted(live.url, token, "https://other.example")
        for origin in ("http://evil.example", "https://thrive.example.evil.example", "null", live.url):
            assert not await _origin_accepted(live.url, token, origin), origin
    finally:
        await _close(ctx)
    async with httpx.AsyncClient(base_url=shared_server.url) as http:
        created = (await http.post("/api/workshops", json={"title": "T", "table_count": 1})).json()
    token = created["projector_token"]
    assert await _origin_accepted(shared_server.url, token, shared_server.url)  # the default: same origin
    for origin in ("http://evil.example", "http://localhost:1", "null"):
        assert not await _origin_accepted(shared_server.url, token, origin), origin
