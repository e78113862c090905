"""One load process: the phones, projectors and facilitator consoles of a share of the workshops.

Every client is a real ``socketio.AsyncClient`` on its own websocket (``transports=["websocket"]``,
``reconnection=False``), speaking docs/protocol.md exactly as the phone page does. The parent (bench/run.py)
drives the process through a pipe, one command at a time:

``setup``  connect the workshops' projectors and consoles; each console starts the timer (``agenda.start``).
``join``   at an agreed wall-clock instant every phone joins at once (``POST /api/join/{code}``, then the
           socket, then waits for its ``snapshot``): the join storm of a room where everyone scans the code.
``run``    for ``duration`` seconds, phones edit their table's ranking as a Poisson process of the given
           rate (one merged process per load process, so per phone it is Poisson too), a table's first phone
           agrees when the list is full and reopens it a moment later, and each console runs the timer
           (pause, resume, extend in turn). Then wait for every ack, and report.
``final``  each console asks for a fresh ``sync``: the server's final rankings, for the lost-edit check.
``close``  disconnect everything and exit.

Nothing is added to the protocol for measuring. The sender keeps, for every acknowledged change, the table,
the ``revision`` its ack names, the items and the wall-clock send time; every receiver keeps, for every ranking
update, the table, the ``revision`` and the wall-clock receive time. The parent joins them on
(table, revision): each change has a revision of its own, so the join is exact. All processes are on one
machine and use ``time.time()``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import time
from collections import Counter
from typing import Any

import aiohttp
import socketio

CAPACITY = 5
ACK_TIMEOUT = 10.0  # seconds to wait for any ack
JOIN_TIMEOUT = 60.0
MAX_OUTSTANDING = 2  # a phone with this many unanswered commands skips its turn (counted)
AGREE_P = 0.25  # a table's first phone agrees on this share of its turns when the list is full
AGREE_HOLD = 2.0  # mean seconds a table stays agreed before its first phone reopens it
TIMER_EVERY = 15.0  # seconds between a console's timer actions
TIMER_ACTIONS = (("agenda.pause", {}), ("agenda.resume", {}), ("agenda.extend", {"seconds": 60}))

PHONE, PROJECTOR, FACILITATOR = 0, 1, 2
KINDS = {"edit": 0, "agree": 1, "reopen": 2}


class Phone:
    __slots__ = (
        "idx",
        "tix",
        "table_id",
        "code",
        "lead",
        "sio",
        "ready",
        "rev",
        "ver",
        "items",
        "agreed",
        "outstanding",
    )

    def __init__(self, idx: int, tix: int, table_id: str, code: str, lead: bool):
        self.idx, self.tix, self.table_id, self.code, self.lead = idx, tix, table_id, code, lead
        self.sio: socketio.AsyncClient | None = None
        self.ready = asyncio.Event()
        self.rev = self.ver = 0
        self.items: list[str] = []
        self.agreed = False
        self.outstanding = 0

    def see(self, ranking: dict[str, Any]) -> None:
        """Take a ranking section when it is newer than the one held (docs/protocol.md)."""
        if ranking["version"] > self.ver or (
            ranking["version"] == self.ver and ranking["revision"] > self.rev
        ):
            self.ver, self.rev = ranking["version"], ranking["revision"]
            self.items, self.agreed = list(ranking["items"]), ranking["agreed"]


class Watcher:
    """A projector or a facilitator console: it only watches (the console also runs the timer)."""

    __slots__ = ("wi", "role", "token", "sio", "ready", "step")

    def __init__(self, wi: int, role: int, token: str):
        self.wi, self.role, self.token = wi, role, token
        self.sio: socketio.AsyncClient | None = None
        self.ready = asyncio.Event()
        self.step = 0


class Worker:
    def __init__(self, conn, spec: dict[str, Any]):
        self.conn = conn
        self.url: str = spec["url"]
        self.rng = random.Random(spec["seed"])
        self.principles: list[str] = spec["principles"]
        self.tix: dict[str, int] = {}
        self.phones: list[Phone] = []
        self.watchers: list[Watcher] = []
        for w in spec["workshops"]:
            for t in w["tables"]:
                self.tix[t["id"]] = t["tix"]
            self.watchers.append(Watcher(w["wi"], PROJECTOR, w["projector_token"]))
            self.watchers.append(Watcher(w["wi"], FACILITATOR, w["facilitator_token"]))
            for p in w["phones"]:
                self.phones.append(Phone(p["idx"], p["tix"], p["table_id"], w["code"], p["lead"]))
        self.http: aiohttp.ClientSession | None = None
        # What the parent collects: acknowledged changes and every ranking update received.
        self.sends: list[tuple] = []  # (phase, idx, tix, revision, t_send, t_ack, kind, items)
        self.receipts: list[tuple] = []  # (role, client, tix, revision, t_recv, items or None)
        self.counts: Counter = Counter()
        self.disconnects: Counter = Counter()
        self.lags: list[float] = []
        self.pending: set[asyncio.Task] = set()
        self.phase = ""
        self.active_until = 0.0  # loop time: no new commands after it
        self.ack_timeout = ACK_TIMEOUT
        self._ids = itertools.count()
        self._id_prefix = f"bench{os.getpid()}x"
        # Browsers ask for permessage-deflate; aiohttp does not unless told (``--deflate``).
        self.websocket_options = {"compress": 15} if spec.get("deflate") else {}

    # --- plumbing -----------------------------------------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            while True:
                msg = await loop.run_in_executor(None, self.conn.recv)
                try:
                    reply = await getattr(self, "cmd_" + msg["cmd"])(msg)
                except Exception as exc:  # report, do not hang the parent
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                self.conn.send(reply)
                if msg["cmd"] == "close":
                    return
        finally:
            await self.http.close()

    def _client(self) -> socketio.AsyncClient:
        return socketio.AsyncClient(
            reconnection=False,
            http_session=self.http,
            handle_sigint=False,
            websocket_extra_options=dict(self.websocket_options),  # engineio pops from it
        )

    def _command_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    async def _call(self, sio: socketio.AsyncClient, event: str, payload: dict[str, Any]) -> dict | None:
        try:
            return await sio.call(
                event, {**payload, "command_id": self._command_id()}, timeout=self.ack_timeout
            )
        except socketio.exceptions.TimeoutError:
            self.counts["timeout"] += 1
        except socketio.exceptions.SocketIOError as exc:
            self.counts[f"send_failed:{type(exc).__name__}"] += 1
        return None

    @staticmethod
    async def _until(wall: float) -> None:
        delay = wall - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    # --- clients --------------------------------------------------------------------------------------------

    def _wire_watcher(self, w: Watcher) -> None:
        sio, receipts, tix, role, wi = w.sio, self.receipts, self.tix, w.role, w.wi

        async def on_snapshot(snapshot):
            w.ready.set()

        async def on_update(data):
            if data.get("type") == "ranking":
                r = data["ranking"]
                items = tuple(r["items"]) if role == PROJECTOR else None
                receipts.append((role, wi, tix[r["table_id"]], r["revision"], time.time(), items))

        async def on_disconnect(reason=None):
            self.disconnects[role] += 1

        sio.on("snapshot", on_snapshot)
        sio.on("update", on_update)
        sio.on("disconnect", on_disconnect)

    def _wire_phone(self, ph: Phone) -> None:
        sio, receipts = ph.sio, self.receipts

        async def on_snapshot(snapshot):
            ph.see(snapshot["rankings"][ph.table_id])
            ph.ready.set()

        async def on_update(data):
            if data.get("type") == "ranking":
                r = data["ranking"]
                receipts.append((PHONE, ph.idx, ph.tix, r["revision"], time.time(), None))
                ph.see(r)

        async def on_disconnect(reason=None):
            self.disconnects[PHONE] += 1

        sio.on("snapshot", on_snapshot)
        sio.on("update", on_update)
        sio.on("disconnect", on_disconnect)

    # --- commands from the parent -----------------------------------------------------------------------

    async def cmd_setup(self, msg) -> dict:
        async def connect(w: Watcher):
            w.sio = self._client()
            self._wire_watcher(w)
            await w.sio.connect(self.url, auth={"token": w.token}, transports=["websocket"], wait_timeout=30)
            await asyncio.wait_for(w.ready.wait(), 30)

        await asyncio.gather(*(connect(w) for w in self.watchers))
        acks = await asyncio.gather(
            *(self._call(w.sio, "agenda.start", {}) for w in self.watchers if w.role == FACILITATOR)
        )
        return {"ok": all(a and a.get("ok") for a in acks)}

    async def _join_one(self, ph: Phone, window: float) -> tuple:
        if window > 0:
            await asyncio.sleep(self.rng.uniform(0, window))
        t0 = time.time()
        async with self.http.post(
            f"{self.url}/api/join/{ph.code}",
            json={"table_id": ph.table_id, "display_name": f"Phone {ph.idx}"},
        ) as response:
            response.raise_for_status()
            token = (await response.json())["participant_token"]
        t1 = time.time()
        ph.sio = self._client()
        self._wire_phone(ph)
        await ph.sio.connect(
            self.url, auth={"token": token}, transports=["websocket"], wait_timeout=JOIN_TIMEOUT
        )
        await asyncio.wait_for(ph.ready.wait(), JOIN_TIMEOUT)
        return (ph.idx, t0, t1, time.time())

    async def cmd_join(self, msg) -> dict:
        await self._until(msg["at"])
        cpu0 = time.process_time()
        results = await asyncio.gather(
            *(self._join_one(ph, msg["window"]) for ph in self.phones), return_exceptions=True
        )
        ready = [r for r in results if isinstance(r, tuple)]
        failed = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, tuple)]
        return {"ready": ready, "failed": failed, "cpu_s": time.process_time() - cpu0}

    async def cmd_run(self, msg) -> dict:
        loop = asyncio.get_running_loop()
        await self._until(msg["at"])
        self.phase = msg["phase"]
        self.ack_timeout = msg.get("ack_timeout", ACK_TIMEOUT)
        self.counts = Counter()
        self.lags = []
        cpu0, wall0 = time.process_time(), time.time()
        self.active_until = loop.time() + msg["duration"]
        monitor = asyncio.create_task(self._lag_monitor())
        timers = [
            asyncio.create_task(self._timer(w))
            for w in self.watchers
            if w.role == FACILITATOR and msg["timer"]
        ]
        await self._drive(msg["rate_per_phone"] * len(self.phones))
        await asyncio.gather(*timers)
        # Drain: every command sent gets its ack (or times out), then the last broadcasts land.
        if self.pending:
            await asyncio.wait(list(self.pending), timeout=self.ack_timeout + 2)
        await asyncio.sleep(msg.get("settle", 0.5))
        monitor.cancel()
        cpu = time.process_time() - cpu0
        wall = time.time() - wall0
        sends, receipts = self.sends, list(self.receipts)
        self.sends = []
        self.receipts.clear()  # the handlers hold this very list
        lags = sorted(self.lags)
        return {
            "sends": sends,
            "receipts": receipts,
            "counts": dict(self.counts),
            "disconnects": dict(self.disconnects),
            "cpu_s": cpu,
            "wall_s": wall,
            "lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
            "lag_max_ms": 1000 * lags[-1] if lags else 0.0,
        }

    async def cmd_final(self, msg) -> dict:
        await asyncio.sleep(msg.get("settle", 1.0))  # late broadcasts of the last phase
        rankings: dict[int, tuple[int, tuple[str, ...]]] = {}
        for w in self.watchers:
            if w.role != FACILITATOR:
                continue
            ack = await w.sio.call("sync", {}, timeout=60)
            for table_id, r in ack["snapshot"]["rankings"].items():
                rankings[self.tix[table_id]] = (r["revision"], tuple(r["items"]))
        connected = sum(1 for ph in self.phones if ph.sio is not None and ph.sio.connected)
        sends, receipts = self.sends, list(self.receipts)
        self.sends = []
        self.receipts.clear()
        return {
            "rankings": rankings,
            "phones_connected": connected,
            "disconnects": dict(self.disconnects),
            "sends": sends,
            "receipts": receipts,
        }

    async def cmd_close(self, msg) -> dict:
        clients = [c.sio for c in (*self.phones, *self.watchers) if c.sio is not None and c.sio.connected]
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        return {"ok": True}

    # --- the load ---------------------------------------------------------------------------------------

    async def _lag_monitor(self) -> None:
        """How late the event loop wakes up: receive times are taken in handlers, so this is their error."""
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(0.02)
            self.lags.append(max(0.0, loop.time() - t0 - 0.02))

    async def _drive(self, rate: float) -> None:
        """The phones' turns: a Poisson process of ``rate`` turns per second, each for a phone at random."""
        loop = asyncio.get_running_loop()
        rng, phones = self.rng, self.phones
        if rate <= 0 or not phones:
            await asyncio.sleep(max(0.0, self.active_until - loop.time()))
            return
        t = loop.time()
        while True:
            t += rng.expovariate(rate)
            if t >= self.active_until:
                break
            delay = t - loop.time()
            await asyncio.sleep(delay if delay > 0 else 0)
            ph = rng.choice(phones)
            self.counts["turns"] += 1
            if ph.sio is None or not ph.sio.connected:
                self.counts["turn_disconnected"] += 1
            elif ph.outstanding >= MAX_OUTSTANDING:
                self.counts["turn_skipped_busy"] += 1
            else:
                self._spawn(self._turn(ph))
        await asyncio.sleep(max(0.0, self.active_until - loop.time()))

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _turn(self, ph: Phone) -> None:
        rng = self.rng
        if ph.agreed:
            if ph.lead and ph.outstanding == 0:
                await self._command(ph, "reopen", "ranking.reopen", {"base_revision": ph.rev})
            else:
                self.counts["turn_idle_agreed"] += 1
            return
        items = ph.items
        if ph.lead and len(items) == CAPACITY and ph.outstanding == 0 and rng.random() < AGREE_P:
            await self._command(ph, "agree", "ranking.agree", {"base_revision": ph.rev})
            return
        if len(items) < CAPACITY:
            absent = [p for p in self.principles if p not in items]
            edit = {"op": "add", "principle_id": rng.choice(absent), "index": rng.randint(0, len(items))}
        elif rng.random() < 0.5:
            pid = rng.choice(items)
            others = [i for i in range(len(items)) if items[i] != pid]
            edit = {"op": "move", "principle_id": pid, "to_index": rng.choice(others)}
        else:
            edit = {"op": "remove", "principle_id": rng.choice(items)}
        await self._command(ph, "edit", "ranking.edit", {"base_revision": ph.rev, **edit})

    async def _command(self, ph: Phone, kind: str, event: str, payload: dict[str, Any]) -> None:
        phase, base = self.phase, payload["base_revision"]
        ph.outstanding += 1
        try:
            t0 = time.time()
            ack = await self._call(ph.sio, event, payload)
            t1 = time.time()
        finally:
            ph.outstanding -= 1
        self.counts["sent"] += 1
        if ack is None:
            return
        if not ack.get("ok"):
            error = ack.get("error") or {}
            self.counts[f"refused:{error.get('code')}"] += 1
            if isinstance(error.get("ranking"), dict):
                ph.see(error["ranking"])
            return
        self.counts["acked"] += 1
        r = ack["ranking"]
        ph.see(r)
        if kind == "edit":
            changed = ack.get("changed", False)
        else:  # the table's first phone is the only one that agrees or reopens: +1 is its own change
            changed = r["revision"] == base + 1 and r["agreed"] == (kind == "agree")
        if not changed:
            self.counts[f"unchanged:{kind}"] += 1
            return
        self.counts[f"changed:{kind}"] += 1
        self.sends.append((phase, ph.idx, ph.tix, r["revision"], t0, t1, KINDS[kind], tuple(r["items"])))
        if kind == "agree":
            self._spawn(self._reopen_later(ph, self.rng.expovariate(1 / AGREE_HOLD)))

    async def _reopen_later(self, ph: Phone, hold: float) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() + hold >= self.active_until:
            return  # the phase ends first: the table's first phone reopens on its next turn
        await asyncio.sleep(hold)
        if ph.agreed and ph.outstanding == 0:
            self.counts["turns_reopen"] += 1
            await self._command(ph, "reopen", "ranking.reopen", {"base_revision": ph.rev})

    async def _timer(self, w: Watcher) -> None:
        loop = asyncio.get_running_loop()
        t = loop.time() + self.rng.uniform(0, TIMER_EVERY)
        while t < self.active_until:
            await asyncio.sleep(max(0.0, t - loop.time()))
            event, payload = TIMER_ACTIONS[w.step % len(TIMER_ACTIONS)]
            w.step += 1
            ack = await self._call(w.sio, event, payload)
            self.counts["timer_ok" if ack and ack.get("ok") else "timer_refused"] += 1
            t += TIMER_EVERY


def main(conn, spec: dict[str, Any]) -> None:
    """Entry point of a load process (multiprocessing, spawn)."""
    # Connections the server drops are counted (join failures, disconnects); their log lines would only
    # bury the report.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(Worker(conn, spec).serve())
    else:
        uvloop.run(Worker(conn, spec).serve())
