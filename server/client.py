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

VERSIONED_SECTIONS = ("workshop", "agenda", "consensus", "display")


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
    elif kind in VERSIONED_SECTIONS:
        section = update[kind]
        current = state.get(kind)
        if current is None or update["version"] > current["version"]:
            state[kind] = section
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
    for table_id, mine in (state.get("rankings") or {}).items():
        theirs = merged["rankings"].get(table_id)
        if theirs is not None and mine["version"] > theirs["version"]:
            merged["rankings"][table_id] = mine
    merged["version"] = max(snapshot["version"], state.get("version", 0))
    return merged


_command_ids = (f"py-{uuid.uuid4().hex[:12]}-{n}" for n in itertools.count())


def new_command_id() -> str:
    return next(_command_ids)


class WorkshopClient:
    """One connection: keeps ``state`` from the snapshot and updates, and sends commands with acks."""

    def __init__(
        self, url: str, token: str, *, transports: list[str] | None = None, reconnection: bool = True
    ):
        self.url = url
        self.token = token
        self.transports = transports or ["websocket"]
        self.state: dict[str, Any] | None = None
        self.updates: list[dict[str, Any]] = []
        self.snapshots = 0
        self.connect_error: Any = None
        self._changed = asyncio.Event()
        self.sio = socketio.AsyncClient(
            reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("update", self._on_update)
        self.sio.on("connect_error", self._on_connect_error)

    async def _on_snapshot(self, snapshot):
        self.snapshots += 1
        self.state = merge_snapshot(self.state, snapshot)
        self._changed.set()

    async def _on_update(self, update):
        self.updates.append(update)
        if self.state is not None:
            self.state = apply_update(self.state, update)
        self._changed.set()

    async def _on_connect_error(self, data):
        self.connect_error = data

    async def connect(self, wait_snapshot: bool = True, timeout: float = 10) -> WorkshopClient:
        before = self.snapshots
        await self.sio.connect(
            self.url, auth={"token": self.token}, transports=self.transports, wait_timeout=timeout
        )
        if wait_snapshot:
            await self.wait_for(lambda: self.snapshots > before, timeout)
        return self

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
