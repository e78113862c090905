"""Property-based: generated and mutated payloads at every event, from every kind of sender, through a real
server process and real socket.io clients.

For every event, hypothesis sends generated payloads (shaped like the event's, mutated, or any JSON at all)
into one workshop, A. Each one is answered with an ack (``{"ok": bool, ...}``), never a ``server_error``, and
the server stays up (its log holds no traceback). At the end the accepted commands alone, replayed in order
into a fresh workshop B, must give the same workshop as A — ids and clock times aside, versions included (every
committed change bumps the version): so the refused payloads changed nothing.

Payloads name this workshop's ids through placeholders ("@table0", "@seg1", "@victim0", "@rev0") that each
workshop resolves to its own, so one log replays anywhere. ``FUZZ_EXAMPLES`` sets the examples per event: 30 in
``make test`` (about a minute for 40 events); ``FUZZ_EXAMPLES=300`` for a long run.
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import threading
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import server.app  # noqa: F401  (registers every command)
from server.client import WorkshopClient
from server.domain import worksheet as doc_rules
from server.services.commands import REGISTRY
from tests.live import LiveServer
from tests.realtime.conftest import migrate

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
PRINCIPLES = [
    "needs-led",
    "accessibility",
    "common-language",
    "partnership-working",
    "reducing-stigma",
    "outcome-informed",
    "shared-decision-making",
    "proactive-prevention-promotion",
]
SENDERS = ("facilitator", "cofacilitator", "projector", "participant0", "participant1")
PLACEHOLDERS = ["@table0", "@table1", "@seg0", "@seg1", "@seg2", "@victim0", "@victim1", "@victim2"]
# Random by nature: a new join code, the live presence, a worksheet's Yjs encoding (its client ids are random;
# the worksheet's text is compared).
IGNORED = {"join_code", "join_path", "presence", "state"}
TIME_FIELDS = {
    "server_now",
    "deadline",
    "remaining_seconds",
    "actual_seconds",
    "run_started_at",
    "started_at",
    "ended_at",
    "agreed_at",
    "updated_at",
    "confirmed_at",
    "joined_at",
    "created_at",
}


# --- a loop in a thread, so hypothesis (synchronous) can drive asyncio clients ----------------------------------


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# --- a workshop driven by one logical script ---------------------------------------------------------------


class Workshop:
    """A workshop on the live server with a connection per sender; resolves placeholders to its own ids."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.clients: dict[str, WorkshopClient] = {}
        self.stale = True  # the snapshot (for "@rev") must be read again before use

    async def open(self) -> Workshop:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            self.created = (
                await http.post("/api/workshops", json={"title": "Fuzz", "table_count": 2})
            ).json()
            code = self.created["workshop"]["join_code"]
            self.tables = [t["id"] for t in (await http.get(f"/api/join/{code}")).json()["tables"]]
            joins = []
            for table in (0, 1, 1, 1, 1):  # the two phones that send, then three who may be removed
                response = await http.post(f"/api/join/{code}", json={"table_id": self.tables[table]})
                joins.append(response.json())
        self.ids = {"@table0": self.tables[0], "@table1": self.tables[1]}
        self.clients["facilitator"] = await self._connect(self.created["facilitator_token"])
        segments = self.clients["facilitator"].state["agenda"]["segments"]
        self.ids.update({f"@seg{i}": s["id"] for i, s in enumerate(segments)})
        self.ids.update({f"@victim{i}": joins[2 + i]["participant_id"] for i in range(3)})
        self.clients["participant0"] = await self._connect(joins[0]["participant_token"])
        self.clients["participant1"] = await self._connect(joins[1]["participant_token"])
        self.clients["projector"] = await self._connect(self.created["projector_token"])
        issued = await self.clients["facilitator"].call("cofacilitator.issue")
        self.clients["cofacilitator"] = await self._connect(issued["token"])
        return self

    async def _connect(self, token: str) -> WorkshopClient:
        return await WorkshopClient(self.server.url, token, reconnection=False).connect()

    async def refresh(self) -> None:
        if self.stale:
            self.snapshot = await self.fingerprint()
            self.stale = False

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            if value in self.ids:
                return self.ids[value]
            if value in ("@rev0", "@rev1"):
                table = self.ids["@table" + value[-1]]
                return self.snapshot["snapshot"]["rankings"][table]["revision"]
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def sender(self, wanted: str) -> str:
        """The sender, or the facilitator when its link was withdrawn meanwhile."""
        client = self.clients.get(wanted)
        return wanted if client is not None and client.sio.connected else "facilitator"

    async def send(self, who: str, event: str, payload: Any) -> dict:
        if "@rev" in repr(payload):
            await self.refresh()
        data = self.resolve(payload)
        if event == "workshop.delete" and isinstance(data, dict):
            data = {**data, "join_code": "NOT-IT"}  # never the real code: the workshop must live on
        if event == "agenda.set_planned" and isinstance(data, dict):
            seconds = data.get("planned_seconds")
            if isinstance(seconds, int) and 60 <= seconds < 900:
                data = {**data, "planned_seconds": 900}  # no timer may run out while the test runs
        ack = await self.clients[who].sio.call(event, data, timeout=20)
        await self._follow(event, ack)
        return ack

    async def _follow(self, event: str, ack: Any) -> None:
        """Keep a connection per link when links change, as the consoles would."""
        if not (isinstance(ack, dict) and ack.get("ok")):
            return
        if "token" not in ack:  # a resent command_id: answered without the token (it is never stored)
            return
        if event == "cofacilitator.issue":
            self.clients["cofacilitator"] = await self._connect(ack["token"])
        if event == "links.rotate" and ack.get("link") == "projector":
            self.clients["projector"] = await self._connect(ack["token"])

    async def fingerprint(self) -> dict:
        facilitator = self.clients["facilitator"]
        snapshot = (await facilitator.sio.call("sync", {}, timeout=20))["snapshot"]
        return {"snapshot": snapshot}

    async def full_state(self) -> dict:
        """What must match between A and B: the facilitator's snapshot and the participants, ids and times out."""
        facilitator = self.clients["facilitator"]
        snapshot = (await facilitator.sio.call("sync", {}, timeout=20))["snapshot"]
        participants = (await facilitator.sio.call("participants.list", {}, timeout=20))["participants"]
        return self.normalise({"snapshot": snapshot, "participants": participants})

    def normalise(self, value: Any) -> Any:
        """Ids this test knows become their placeholders; other ids made by the server (participants, plan
        actions, worksheets) become "@id", and a dict keyed by them a sorted list; clock times are dropped."""
        back = {v: k for k, v in self.ids.items()}
        back[self.created["workshop"]["id"]] = "@workshop"

        def made_id(v: Any) -> bool:
            return isinstance(v, str) and v not in back and re.fullmatch(r"[0-9a-f]{32}", v) is not None

        def walk(v: Any) -> Any:
            if isinstance(v, dict):
                if v and all(made_id(k) for k in v):
                    return sorted((walk(x) for x in v.values()), key=repr)
                return {
                    back.get(k, k): walk(x)
                    for k, x in v.items()
                    if k not in TIME_FIELDS and k not in IGNORED
                }
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, str):
                return back.get(v, "@id" if made_id(v) else v)
            return v

        return walk(value)

    async def close(self) -> None:
        for client in self.clients.values():
            if client.sio.connected:
                await client.close()


# --- payload strategies --------------------------------------------------------------------------------------

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
any_json = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
ids = st.sampled_from(PLACEHOLDERS) | st.text(max_size=40) | any_json
principle_ids = st.sampled_from(PRINCIPLES) | st.text(max_size=70) | json_leaf
small_ints = (
    st.integers(-3, 12) | st.sampled_from(["@rev0", "@rev1"]) | st.integers(-(10**12), 10**12) | json_leaf
)
revisions = st.sampled_from(["@rev0", "@rev1"]) | small_ints
command_ids = st.sampled_from(["cmd-aaaaaaaa", "cmd-bbbbbbbb", "cmd-cccccccc", "short", "bad id!"]) | st.text(
    max_size=70
)
# Real Yjs updates writing one reason (some too long, some two lines, some naming what is not a principle).
reason_updates = st.builds(
    lambda pid, value: doc_rules.b64encode(doc_rules.text_update(None, pid, value, [pid])),
    st.sampled_from([*PRINCIPLES[:3], "ideal", "nope"]),
    st.text(max_size=30) | st.sampled_from(["x" * 201, "two\nlines", "Families wait"]),
)
huge_text = st.sampled_from([70_000, 3000, 1001, 201, 65]).map(lambda n: "x" * n)
text = st.text(max_size=40) | huge_text | json_leaf


dates = st.sampled_from(["2027-03-31", "", "2027-02-30", "31/03/2027", "2026-01-01"]) | text
sectors = st.sampled_from(["health", "young_people", "parent_carers", "other", "police", "Health!"]) | text


def shaped(required: dict, optional: dict | None = None) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(required, optional={**(optional or {}), "command_id": command_ids})


FIELDS: dict[str, st.SearchStrategy[dict]] = {
    "ranking.edit": shaped(
        {
            "base_revision": revisions,
            "op": st.sampled_from(["add", "remove", "move", "replace"]) | st.text(max_size=8) | json_leaf,
        },
        {
            "table_id": ids,
            "principle_id": principle_ids,
            "index": small_ints,
            "to_index": small_ints,
            "items": st.lists(principle_ids, max_size=8) | any_json,
        },
    ),
    "ranking.agree": shaped({"base_revision": revisions}, {"table_id": ids}),
    "ranking.reopen": shaped({"base_revision": revisions}, {"table_id": ids}),
    "rankings.lock": shaped({"locked": st.booleans() | json_leaf}),
    "agenda.extend": shaped({"seconds": st.integers(-10, 8000) | json_leaf}),
    "agenda.go_to": shaped({"segment_id": ids}),
    "agenda.set_planned": shaped({"segment_id": ids, "planned_seconds": st.integers(-10, 20000) | json_leaf}),
    "agenda.set_lock_on_timeout": shaped({"enabled": st.booleans() | json_leaf}),
    "display.set": shaped(
        {"mode": st.sampled_from(["auto", "join", "rankings", "table", "tally", "final"]) | text},
        {"table_id": ids},
    ),
    "display.page": shaped({"page": st.integers(-3, 1200) | st.none() | json_leaf}),
    "consensus.set_method": shaped(
        {"method": st.sampled_from(["borda", "dowdall", "count", "schulze"]) | text}
    ),
    "consensus.reveal": shaped({"revealed": st.booleans() | json_leaf}),
    "consensus.confirm": shaped(
        {
            "items": st.lists(principle_ids, max_size=7)
            | st.permutations(PRINCIPLES).map(lambda p: p[:5])
            | any_json
        },
        {
            "note": text,
            "reason": st.sampled_from(["room_voted", "local_evidence", "lowest_baseline", "local_plans", "other"])
            | text,
        },
    ),
    "participants.remove": shaped({"participant_id": ids}),
    "links.rotate": shaped(
        {"link": st.sampled_from(["facilitator", "projector", "join", "cofacilitator"]) | text}
    ),
    "facilitator.set_password": shaped({"password": st.none() | text | st.just("correct horse battery")}),
    "workshop.delete": shaped({"join_code": text}),
    "agenda.skip": shaped({"segment_id": ids}),
    "plan.add_action": shaped(
        {"action": text},
        {
            "priority_id": principle_ids,
            "recommendation": text,
            "owner": text,
            "due": dates,
            "due_note": text,
            "review": dates,
            "measure": text,
            "status": st.sampled_from(["not_started", "in_progress", "done"]) | text,
        },
    ),
    "plan.update_action": shaped(
        {"action_id": ids},
        {"action": text, "status": text, "owner": text, "priority_id": principle_ids | st.none(),
         "recommendation": text, "due": dates, "due_note": text, "review": dates, "measure": text},
    ),
    "plan.remove_action": shaped({"action_id": ids}),
    "plan.restore_action": shaped({"action_id": ids}),
    "plan.set_notes": shaped({"engagement_notes": text}),
    "plan.set_redesign_date": shaped(
        {"redesign_date": st.sampled_from(["2027-05-12", "", "2027-02-30"]) | text}
    ),
    "plan.set_tables_may_edit": shaped({"enabled": st.booleans() | json_leaf}),
    "scores.configure": shaped(
        {"open": st.booleans() | json_leaf}, {"by": st.sampled_from(["table", "person"]) | text}
    ),
    "scores.set": shaped({"principle_id": principle_ids, "score": st.integers(-1, 6) | json_leaf}),
    "scores.agree": shaped({"principle_id": principle_ids, "score": st.integers(-1, 6) | json_leaf}),
    "worksheet.update": shaped({"worksheet_id": ids, "update": text | st.binary(max_size=40).map(bytes.hex)}),
    "reasons.update": shaped(
        {"update": reason_updates | text | st.binary(max_size=40).map(bytes.hex)}, {"table_id": ids}
    ),
    "agenda.add_discussion": shaped({}, {"minutes": st.integers(-1, 300) | json_leaf}),
    "notes.set_review": shaped({"text": text}, {"expected_version": st.integers(-2, 10**6) | json_leaf}),
    "notes.set_table": shaped(
        {"table_id": ids, "text": text}, {"expected_version": st.integers(-2, 10**6) | json_leaf}
    ),
    # Who was in the room (issue 17).
    "makeup.set_sector": shaped(
        {"sector_id": sectors, "present": st.booleans() | json_leaf}, {"table_id": ids}
    ),
    "makeup.set_people": shaped({"people": st.integers(-2, 40) | st.none() | json_leaf}, {"table_id": ids}),
    "makeup.set_sector_list": shaped(
        {"sectors": st.lists(st.fixed_dictionaries({"label": text}, optional={"id": sectors}), max_size=22)
         | any_json}
    ),
}


@st.composite
def mutated(draw, base: st.SearchStrategy[dict]) -> Any:
    payload = copy.deepcopy(draw(base))
    how = draw(st.sampled_from(["drop", "add", "retype", "huge", "wrap"]))
    keys = sorted(payload)
    if how == "drop" and keys:
        payload.pop(draw(st.sampled_from(keys)))
    elif how == "add":
        payload[draw(st.text(max_size=20))] = draw(any_json)
    elif how == "retype" and keys:
        payload[draw(st.sampled_from(keys))] = draw(any_json)
    elif how == "huge" and keys:
        payload[draw(st.sampled_from(keys))] = draw(huge_text)
    elif how == "wrap":
        return [payload]
    return payload


def payloads(event: str) -> st.SearchStrategy[Any]:
    base = FIELDS.get(event, shaped({}))
    return st.one_of(base, base, base, mutated(base), any_json, st.binary(max_size=64))


# Valid steps the facilitator may take first, to reach deeper states (full, agreed, running, revealed...).
HELPERS = [
    *[None] * 14,
    (
        "ranking.edit",
        {"table_id": "@table0", "base_revision": "@rev0", "op": "replace", "items": PRINCIPLES[:5]},
    ),
    ("ranking.agree", {"table_id": "@table0", "base_revision": "@rev0"}),
    ("ranking.reopen", {"table_id": "@table0", "base_revision": "@rev0"}),
    ("agenda.start", {}),
    ("consensus.reveal", {"revealed": True}),
    ("cofacilitator.issue", {}),
]
steps = st.tuples(st.sampled_from(HELPERS), st.sampled_from(SENDERS))

FUZZED = sorted({*REGISTRY, "sync", "clock"})


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite+aiosqlite:///{folder}/thrive.db"
    migrate(url)
    # Rates off: the payloads must reach validation, not the rate limiter (which has tests of its own).
    server = LiveServer(url, env={"EVENTS_PER_SECOND": "0"}).start(folder)
    loop = LoopThread()
    yield server, loop
    loop.stop()
    server.stop()
    log = server.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-5000:]


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two states differ, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _check_ack(ack: Any, event: str, data: Any) -> None:
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, data, ack)
    if not ack["ok"]:
        error = ack["error"]
        assert error["code"] != "server_error", (event, data, ack)
        assert isinstance(error["code"], str) and error["message"], (event, data, ack)


@pytest.mark.parametrize("event", [*FUZZED, "*unknown*"])
def test_any_payload_is_answered_and_only_valid_ones_change_anything(harness, event):
    server, loop = harness
    a = loop.run(Workshop(server).open())
    accepted: list[tuple[str, str, Any]] = []
    refused: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=False,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        step=steps,
        payload=payloads(event if event != "*unknown*" else "none"),
        name=st.sampled_from(["connect", "disconnect", "*", "", "x" * 300, "ranking", "snapshot"])
        | st.text(max_size=20),
    )
    def one(step, payload, name):
        (helper, wanted) = step
        target = event
        if event == "*unknown*":
            target = "no.such.event" if name in REGISTRY or name in ("sync", "clock") else name
        for who, sent, body in ([("facilitator", *helper)] if helper else []) + [
            (a.sender(wanted), target, payload)
        ]:
            ack = loop.run(a.send(who, sent, body))
            _check_ack(ack, sent, body)
            if not ack["ok"]:
                refused[ack["error"]["code"]] = refused.get(ack["error"]["code"], 0) + 1
            elif sent not in ("sync", "clock", "participants.list"):
                accepted.append((who, sent, body))
                a.stale = True

    try:
        one()
        b = loop.run(Workshop(server).open())
        try:
            for who, name, payload in accepted:
                ack = loop.run(b.send(b.sender(who), name, payload))
                assert ack.get("ok"), ("replay refused", who, name, payload, ack)
                b.stale = True
            # Refused payloads changed nothing: A is what its accepted commands alone make (versions included).
            state_a, state_b = loop.run(a.full_state()), loop.run(b.full_state())
            assert state_a == state_b, (_differences(state_a, state_b), accepted, refused)
        finally:
            loop.run(b.close())
    finally:
        loop.run(a.close())
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz").status_code == 200
