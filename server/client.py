"""A Python client of the protocol in docs/protocol.md: the simulated phones of ``make demo``, the benchmark
and the integration tests all use it, so it is the reference for how a client keeps its state.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from typing import Any

import httpx
import socketio

VERSIONED_SECTIONS = ("workshop", "agenda", "consensus", "display", "plan", "scores", "report", "notes")


def _merge_yjs(mine: str | None, theirs: str | None) -> str | None:
    """Two base64 Yjs states/updates as one (Yjs merges idempotently, in any order)."""
    from .domain import worksheet as doc_rules

    if not mine or not theirs:
        return mine or theirs
    return doc_rules.b64encode(doc_rules.combine(doc_rules.b64decode(mine, limit=1 << 30),
                                                 doc_rules.b64decode(theirs, limit=1 << 30)))


# The co-edited documents (Yjs): update type -> (state key, the update's section key, the field naming one).
YJS_SECTIONS = {"worksheet": ("worksheets", "worksheet", "id"), "reasons": ("reasons", "reasons", "table_id")}


def _apply_yjs(state: dict[str, Any], update: dict[str, Any]) -> None:
    """A worksheet's or a table's reasons: the Yjs update (when sent to us) is merged whatever its version; the
    texts follow the version."""
    key, field, id_field = YJS_SECTIONS[update["type"]]
    sheet = update[field]
    sheets = dict(state.get(key) or {})
    current = sheets.get(sheet[id_field])
    held = current.get("state") if current else None
    merged = _merge_yjs(held, update["update"]) if "update" in update else held
    if current is None or update["version"] > current["version"]:
        sheets[sheet[id_field]] = {**sheet, "state": merged}
    elif merged != held:
        sheets[sheet[id_field]] = {**current, "state": merged}
    state[key] = sheets


def _apply_agreed_scores(state: dict[str, Any]) -> None:
    """The scores section is the live source of each principle's ``agreed_score`` (docs/protocol.md)."""
    agreed = (state.get("scores") or {}).get("agreed")
    if agreed is None or not state.get("principles"):
        return
    state["principles"] = [{**p, "agreed_score": agreed.get(p["id"])} for p in state["principles"]]


def apply_update(state: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return the state with one ``update`` applied: a section is replaced only by a newer version."""
    state = dict(state)
    kind = update.get("type")
    if kind == "presence":
        state["presence"] = update["presence"]
        return state
    if kind == "ranking":
        ranking = update["ranking"]
        rankings = dict(state.get("rankings") or {})
        current = rankings.get(ranking["table_id"])
        if current is None or update["version"] > current["version"]:
            rankings[ranking["table_id"]] = ranking
        state["rankings"] = rankings
    elif kind in YJS_SECTIONS:
        _apply_yjs(state, update)
    elif kind in VERSIONED_SECTIONS:
        section = update[kind]
        current = state.get(kind)
        if current is None or update["version"] > current["version"]:
            state[kind] = section
            if kind == "scores":
                _apply_agreed_scores(state)
    else:
        return state
    state["version"] = max(state.get("version", 0), update["version"])
    return state


def merge_snapshot(state: dict[str, Any] | None, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Take a snapshot, keeping any section the client already holds at a newer version.

    An update committed after the snapshot was read can arrive before the snapshot itself.
    """
    if not state:
        return copy.deepcopy(snapshot)
    merged = copy.deepcopy(snapshot)
    for name in VERSIONED_SECTIONS:
        mine = state.get(name)
        if mine and merged.get(name) and mine["version"] > merged[name]["version"]:
            merged[name] = mine
    if (state.get("scores") or {}).get("version", -1) > (snapshot.get("scores") or {}).get("version", -1):
        _apply_agreed_scores(merged)
    for table_id, mine in (state.get("rankings") or {}).items():
        theirs = merged["rankings"].get(table_id)
        if theirs is not None and mine["version"] > theirs["version"]:
            merged["rankings"][table_id] = mine
    for key, _field, _id in YJS_SECTIONS.values():
        sheets = dict(merged.get(key) or {})
        for sheet_id, mine in (state.get(key) or {}).items():
            theirs = sheets.get(sheet_id)
            if theirs is None:
                continue
            kept = mine if mine["version"] > theirs["version"] else theirs
            sheets[sheet_id] = {**kept, "state": _merge_yjs(mine.get("state"), theirs.get("state"))
                                if theirs.get("state") is not None else None}
        if key in merged:
            merged[key] = sheets
    merged["version"] = max(snapshot["version"], state.get("version", 0))
    return merged


_command_ids = (f"py-{uuid.uuid4().hex[:12]}-{n}" for n in itertools.count())


def new_command_id() -> str:
    return next(_command_ids)


class WorkshopClient:
    """One connection: keeps ``state`` from the snapshot and updates, and sends commands with acks."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transports: list[str] | None = None,
        reconnection: bool = True,
        password: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.url = url
        self.token = token
        self.password = password
        self.headers = headers or {}
        self.revoked: dict[str, Any] | None = None  # the `revoked` notice, when the server closed us
        self.transports = transports or ["websocket"]
        self.state: dict[str, Any] | None = None
        self.updates: list[dict[str, Any]] = []
        self.snapshots = 0
        # Worksheets this client edited that the server may not have yet, and what the server had of each
        # (its state vector) when last heard: an edit sends only what lies beyond it.
        self.unsaved: set[str] = set()
        self.server_vectors: dict[str, bytes] = {}
        self.flush_on_reconnect = True
        self.connect_error: Any = None
        self._changed = asyncio.Event()
        self.sio = socketio.AsyncClient(
            reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("update", self._on_update)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("revoked", self._on_revoked)

    async def _on_snapshot(self, snapshot):
        self.snapshots += 1
        self.state = merge_snapshot(self.state, snapshot)
        self._remember_server_vectors(snapshot)
        if self.unsaved and self.flush_on_reconnect:
            # Edits made while offline: the merge on the server makes sending them again harmless.
            asyncio.get_running_loop().create_task(self.save_worksheets())
        self._changed.set()

    async def _on_update(self, update):
        self.updates.append(update)
        if self.state is not None:
            self.state = apply_update(self.state, update)
        self._changed.set()

    async def _on_connect_error(self, data):
        self.connect_error = data

    async def _on_revoked(self, notice):
        self.revoked = notice
        self._changed.set()

    async def connect(self, wait_snapshot: bool = True, timeout: float = 10) -> WorkshopClient:
        before = self.snapshots
        auth = {"token": self.token}
        if self.password is not None:
            auth["password"] = self.password
        await self.sio.connect(
            self.url, auth=auth, transports=self.transports, wait_timeout=timeout, headers=self.headers
        )
        if wait_snapshot:
            await self.wait_for(lambda: self.snapshots > before, timeout)
        return self

    # --- worksheets (Yjs documents; see server.domain.worksheet) -----------------------------------------

    def _remember_server_vectors(self, snapshot: dict[str, Any]) -> None:
        from .domain import worksheet as doc_rules

        for sheet_id, sheet in (snapshot.get("worksheets") or {}).items():
            if sheet.get("state"):
                raw = doc_rules.b64decode(sheet["state"], limit=1 << 30)
                self.server_vectors[sheet_id] = doc_rules.state_vector(raw)
        for table_id, held in (snapshot.get("reasons") or {}).items():
            if held.get("state"):
                raw = doc_rules.b64decode(held["state"], limit=1 << 30)
                self.server_vectors[f"reasons:{table_id}"] = doc_rules.state_vector(raw)

    def worksheet_texts(self, worksheet_id: str) -> dict[str, str]:
        """The cells as this client's own document has them (its unsaved edits included)."""
        from .domain import worksheet as doc_rules

        sheet = self.state["worksheets"][worksheet_id]
        if sheet.get("state"):
            return doc_rules.texts_of(doc_rules.b64decode(sheet["state"], limit=1 << 30))
        return dict(sheet["text"])

    async def edit_cell(self, worksheet_id: str, cell: str, value: str, *, save: bool = True):
        """Make ``cell`` read ``value`` in the local document (as a text box would), then send it."""
        from .domain import worksheet as doc_rules

        sheet = self.state["worksheets"][worksheet_id]
        local = doc_rules.b64decode(sheet["state"], limit=1 << 30)
        update = doc_rules.text_update(local, cell, value)
        sheets = dict(self.state["worksheets"])
        sheets[worksheet_id] = {**sheet, "state": doc_rules.b64encode(doc_rules.combine(local, update))}
        self.state = {**self.state, "worksheets": sheets}
        self.unsaved.add(worksheet_id)
        if save and self.sio.connected:
            return await self.save_worksheet(worksheet_id)
        return None

    async def save_worksheet(self, worksheet_id: str):
        """Send what the server lacks of this worksheet; on success the server's state vector is remembered."""
        from .domain import worksheet as doc_rules

        local = doc_rules.b64decode(self.state["worksheets"][worksheet_id]["state"], limit=1 << 30)
        self.unsaved.discard(worksheet_id)
        update = doc_rules.missing_from(local, self.server_vectors.get(worksheet_id))
        try:
            ack = await self.call(
                "worksheet.update", {"worksheet_id": worksheet_id, "update": doc_rules.b64encode(update)}
            )
        except Exception:
            self.unsaved.add(worksheet_id)
            raise
        if ack.get("ok"):
            self.server_vectors[worksheet_id] = doc_rules.b64decode(ack["state_vector"], limit=1 << 30)
        else:
            self.unsaved.add(worksheet_id)
        return ack

    async def save_worksheets(self) -> list[dict[str, Any]]:
        acks = []
        for worksheet_id in sorted(self.unsaved):
            try:
                acks.append(await self.save_worksheet(worksheet_id))
            except Exception:  # offline again: kept in ``unsaved`` for the next connect
                break
        return acks

    # --- a table's reasons (one Yjs text per principle; see server.domain.reasons) ----------------------------

    def reasons_texts(self, table_id: str) -> dict[str, str]:
        """The reasons written, as this client's own document has them (or as the server last said)."""
        from .domain import reasons as reason_rules
        from .domain import worksheet as doc_rules

        held = self.state["reasons"][table_id]
        if held.get("state"):
            ids = [p["id"] for p in self.state["principles"]]
            return reason_rules.texts_of(doc_rules.b64decode(held["state"], limit=1 << 30), ids)
        return dict(held["text"])

    async def write_reason(self, table_id: str, principle_id: str, value: str, *, as_facilitator: bool = False):
        """Make one reason read ``value`` in the local document (as a text box would), then send what the server
        lacks. A facilitator names the table (``as_facilitator``); a phone writes its own table's."""
        from .domain import reasons as reason_rules
        from .domain import worksheet as doc_rules

        held = self.state["reasons"][table_id]
        ids = [p["id"] for p in self.state["principles"]]
        local = doc_rules.b64decode(held["state"], limit=1 << 30)
        update = reason_rules.text_update(local, principle_id, value, ids)
        local = doc_rules.combine(local, update)
        self.state = {**self.state, "reasons": {**self.state["reasons"],
                                                table_id: {**held, "state": doc_rules.b64encode(local)}}}
        key = f"reasons:{table_id}"
        payload = {"update": doc_rules.b64encode(doc_rules.missing_from(local, self.server_vectors.get(key)))}
        if as_facilitator:
            payload["table_id"] = table_id
        ack = await self.call("reasons.update", payload)
        if ack.get("ok"):
            self.server_vectors[key] = doc_rules.b64decode(ack["state_vector"], limit=1 << 30)
        elif ack.get("error", {}).get("state"):  # refused: start again from the server's document
            self.state["reasons"][table_id] = {**held, "state": ack["error"]["state"]}
            self.server_vectors.pop(key, None)
        return ack

    async def close(self) -> None:
        await self.sio.disconnect()

    async def call(
        self,
        event: str,
        payload: dict[str, Any] | None = None,
        *,
        command_id: bool = True,
        timeout: float = 10,
    ):
        payload = dict(payload or {})
        if command_id and "command_id" not in payload and event not in ("sync", "clock"):
            payload["command_id"] = new_command_id()
        return await self.sio.call(event, payload, timeout=timeout)

    async def sync(self) -> dict[str, Any]:
        ack = await self.call("sync")
        self.state = merge_snapshot(self.state, ack["snapshot"])
        return self.state

    async def wait_for(self, predicate, timeout: float = 10) -> None:
        async def loop():
            while not (self.state is not None and predicate()):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)


async def create_workshop(base_url: str, **spec) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/workshops", json={"title": "Workshop", "table_count": 2, **spec})
        response.raise_for_status()
        return response.json()


async def join(base_url: str, join_code: str, table_id: str, display_name: str = "") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            f"/api/join/{join_code}", json={"table_id": table_id, "display_name": display_name}
        )
        response.raise_for_status()
        return response.json()


async def tables(base_url: str, join_code: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get(f"/api/join/{join_code}")
        response.raise_for_status()
        return response.json()["tables"]
