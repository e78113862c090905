"""The floor: the same stack (uvicorn + Starlette + python-socketio ASGI, same server options) with no
application logic, speaking just enough of docs/protocol.md for the load generator to run unchanged.

It keeps everything in process memory (dicts; no database, no validation, no tally), and for every command
it sends the messages the app sends, identically shaped and to the same rooms:

- connect: enter the same rooms, a ``presence`` update to the console and projector, then ``snapshot``;
- ``ranking.edit``: one ``ranking`` update to the table, the facilitators and the projector;
- ``ranking.agree`` / ``ranking.reopen``: that plus a ``consensus`` update (full to the facilitators, hidden to
  the projector and phones), as the app does while results are not revealed;
- ``agenda.*``: one ``agenda`` update to everyone in the workshop.

The principles, the agenda and the tally are built once by the benchmark's parent process with the app's own
pure functions (``shapes()``), so they have the app's shape and size, and handed over as a JSON file; only
their ``version`` changes afterwards. The floor process itself imports none of the app (no SQLAlchemy, no
pydantic models), so its memory is the stack's too. Whatever the floor costs is what the stack costs: the app
can only be slower.

Run: ``BENCH_FLOOR_SHAPES=shapes.json python -m uvicorn bench.floor:create_app --factory``.

**Scale-out** (``BENCH_FLOOR_REDIS_URL`` and ``BENCH_FLOOR_PREFIX`` set; ``uvicorn --workers N``): the same, as N
workers behind one port with python-socketio's own ``AsyncRedisManager`` (on the channel ``<prefix>socketio``)
carrying every emit to the other workers. A phone's HTTP join, its socket and the other phones of its table may
land on different workers, and they must agree on a table's revision, so what the app keeps in PostgreSQL the
floor keeps in Redis, as cheaply as Redis allows: a token is one ``GET``; a ranking change one Lua script (the
ranking's hash and the workshop's version, changed atomically), a presence change one script, a snapshot one
pipelined read. Still no SQL database, no validation, no tally.

``BENCH_FLOOR_IMPORTS=a,b`` makes the floor import those modules at start-up and nothing more: the bench starts
it once that way, with the libraries the stack obliges the app to carry (``STACK_LIBRARIES`` in bench/run.py),
to measure what they alone cost in memory.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import secrets
import time
import uuid
from typing import Any

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CAPACITY = 5
MAX_MESSAGE_BYTES = 256 * 1024  # as server/realtime/transport.py
SHAPES_ENV = "BENCH_FLOOR_SHAPES"  # a JSON file written by bench/run.py (shapes())
IMPORTS_ENV = "BENCH_FLOOR_IMPORTS"  # modules to import at start-up, comma-separated (module docstring)
REDIS_ENV = "BENCH_FLOOR_REDIS_URL"  # scale-out: the Redis the workers share (module docstring)
PREFIX_ENV = "BENCH_FLOOR_PREFIX"  # ... the prefix of its channel and keys, one per run

# A ranking change, atomically: the ranking's hash (items comma-joined, revision, agreed) and the workshop's
# version. ARGV: op (add, remove, move, agree, reopen), principle id, index, capacity, now. Answers
# {status, version, revision, items, agreed, agreed_at, updated_at}; status 0 unchanged, 1 changed, 2 agreed.
CHANGE_RANKING = """
local r = redis.call('HMGET', KEYS[1], 'items', 'revision', 'agreed', 'agreed_at', 'version', 'updated_at')
local items = {}
for id in string.gmatch(r[1] or '', '[^,]+') do items[#items + 1] = id end
local op, pid, index, capacity, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local agreed = r[3] == '1'
local function answer(status) return {status, r[5] or '0', r[2] or '0', r[1] or '', r[3] or '0', r[4] or '',
  r[6] or '0'} end
local function find(id) for i, v in ipairs(items) do if v == id then return i end end return nil end
local agreed_at = r[4] or ''
if op == 'agree' or op == 'reopen' then
  if agreed == (op == 'agree') then return answer(0) end
  agreed = op == 'agree'
  agreed_at = agreed and now or ''
else
  if agreed then return answer(2) end
  local at = find(pid)
  if op == 'add' then
    if at or #items >= capacity then return answer(0) end
    table.insert(items, math.min(index, #items) + 1, pid)
  elseif op == 'remove' then
    if not at then return answer(0) end
    table.remove(items, at)
  elseif op == 'move' then
    if not at then return answer(0) end
    table.remove(items, at)
    local to = math.min(index, #items) + 1
    table.insert(items, to, pid)
    if to == at then return answer(0) end
  else
    return answer(0)
  end
end
local version = redis.call('INCR', KEYS[2])
local revision = tonumber(r[2] or '0') + 1
local joined = table.concat(items, ',')
redis.call('HSET', KEYS[1], 'items', joined, 'revision', revision, 'agreed', agreed and '1' or '0',
  'agreed_at', agreed_at, 'version', version, 'updated_at', now)
return {1, version, revision, joined, agreed and '1' or '0', agreed_at, now}
"""

# A presence change: KEYS[1] the workshop's presence hash, ARGV field and delta; answers the whole hash.
CHANGE_PRESENCE = """
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGETALL', KEYS[1])
"""


class rooms:
    """The app's room names (server/broadcast.py), so that rooms hold the same clients."""

    @staticmethod
    def everyone(workshop_id: str) -> str:
        return f"w:{workshop_id}"

    @staticmethod
    def role(workshop_id: str, role: str) -> str:
        return f"w:{workshop_id}:{role}"

    @staticmethod
    def table(workshop_id: str, table_id: str) -> str:
        return f"w:{workshop_id}:t:{table_id}"

    @classmethod
    def for_client(cls, workshop_id: str, role: str, table_id: str | None) -> list[str]:
        names = [cls.everyone(workshop_id), cls.role(workshop_id, role)]
        if table_id is not None:
            names.append(cls.table(workshop_id, table_id))
        return names


def shapes(tables: int) -> dict[str, Any]:
    """The sections the floor sends, built once by the parent with the app's own pure functions (principles,
    agenda, a consensus of ``tables`` agreed tables), so that the floor's messages have the app's shape and size
    while the floor process imports none of the app."""
    from server.catalogue import default_principles
    from server.domain import agenda as agenda_rules
    from server.domain import tally as tally_rules

    principles = [{**p, "baseline_score": None, "thrive_like": False} for p in default_principles()]
    ids = [p["id"] for p in principles]
    table_ids = [uuid.uuid4().hex for _ in range(tables)]
    ballots = [
        tally_rules.TableBallot(table_id=t, ranking=tuple(ids[i % 3 : i % 3 + CAPACITY]))
        for i, t in enumerate(table_ids)
    ]
    result = tally_rules.tally(ids, ballots, method="borda", cut=tally_rules.DEFAULT_CUT)
    comparison = tally_rules.compare_methods(ids, ballots, cut=tally_rules.DEFAULT_CUT)
    full = {
        "version": 0,
        "method": "borda",
        "revealed": False,
        "agreed_tables": len(ballots),
        "tally": result.to_dict(),
        "comparison": comparison,
        "differs_from_borda": [
            m for m, top in comparison.items() if m != "borda" and top != comparison["borda"]
        ],
        "confirmed": None,
    }
    segments = []
    for position, (kind, title, instructions, planned) in enumerate(agenda_rules.default_phase1_agenda()):
        segments.append(
            {
                "id": uuid.uuid4().hex,
                "kind": kind,
                "title": title,
                "instructions": instructions,
                "position": position,
                "planned_seconds": planned,
                "status": "pending",
                "deadline": None,
                "remaining_seconds": float(planned),
                "actual_seconds": 0.0,
                "run_started_at": None,
                "started_at": None,
                "ended_at": None,
            }
        )
    return {
        "principles": principles,
        "agenda": {"version": 0, "current_id": None, "lock_on_timeout": False, "segments": segments},
        "consensus_full": full,
        "consensus_hidden": {**full, "tally": None, "comparison": None, "differs_from_borda": None},
    }


class Floor:
    def __init__(self, client_manager: socketio.AsyncManager | None = None) -> None:
        self.sio = socketio.AsyncServer(
            client_manager=client_manager,
            async_mode="asgi",
            cors_allowed_origins=None,
            transports=["polling", "websocket"],
            max_http_buffer_size=MAX_MESSAGE_BYTES,
            logger=False,
            engineio_logger=False,
        )
        with open(os.environ[SHAPES_ENV]) as f:
            self.shapes = json.load(f)
        self.principles = self.shapes["principles"]
        self.workshops: dict[str, dict[str, Any]] = {}  # by id
        self.codes: dict[str, str] = {}  # join code -> workshop id
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> actor
        self.actors: dict[str, dict[str, Any]] = {}  # sid -> actor
        self.sio.on("connect", self.connect)
        self.sio.on("disconnect", self.disconnect)
        self.sio.on("sync", self.sync)
        self.sio.on("clock", self.clock)
        self.sio.on("ranking.edit", self.edit)
        self.sio.on("ranking.agree", self.agree)
        self.sio.on("ranking.reopen", self.reopen)
        for name in ("start", "pause", "resume", "extend", "finish", "next"):
            self.sio.on(f"agenda.{name}", self.agenda)

    # --- HTTP -------------------------------------------------------------------------------------------

    async def create_workshop(self, request: Request) -> JSONResponse:
        body = await request.json()
        names = body.get("tables") or [f"Table {i}" for i in range(1, int(body.get("table_count", 1)) + 1)]
        now = time.time()
        wid = uuid.uuid4().hex
        code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        tables = [{"id": uuid.uuid4().hex, "name": n, "position": i} for i, n in enumerate(names)]
        ws = {
            "version": 0,
            "workshop": {
                "version": 0,
                "id": wid,
                "title": body.get("title", ""),
                "locality": body.get("locality", ""),
                "join_code": code,
                "join_path": f"/j/{code}",
                "rankings_locked": False,
            },
            "tables": tables,
            "rankings": {
                t["id"]: {
                    "table_id": t["id"],
                    "version": 0,
                    "revision": 0,
                    "items": [],
                    "agreed": False,
                    "agreed_at": None,
                    "updated_at": now,
                }
                for t in tables
            },
            "agenda": copy.deepcopy(self.shapes["agenda"]),
            "consensus_full": copy.deepcopy(self.shapes["consensus_full"]),
            "consensus_hidden": copy.deepcopy(self.shapes["consensus_hidden"]),
            "display": {"version": 0, "mode": "auto", "table_id": None},
            "presence": {"tables": {}, "facilitators": 0, "projectors": 0},
        }
        self.workshops[wid] = ws
        self.codes[code] = wid
        facilitator, projector = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.tokens[facilitator] = {"workshop_id": wid, "role": "facilitator", "table_id": None}
        self.tokens[projector] = {"workshop_id": wid, "role": "projector", "table_id": None}
        root = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "workshop": {"id": wid, "title": ws["workshop"]["title"], "locality": "", "join_code": code},
                "facilitator_token": facilitator,
                "projector_token": projector,
                "facilitator_url": f"{root}/console#k={facilitator}",
                "projector_url": f"{root}/projector#k={projector}",
                "join_url": f"{root}/j/{code}",
            },
            status_code=201,
        )

    async def join_info(self, request: Request) -> JSONResponse:
        ws = self.workshops[self.codes[request.path_params["code"]]]
        return JSONResponse(
            {
                "workshop": {
                    "title": ws["workshop"]["title"],
                    "locality": "",
                    "join_code": ws["workshop"]["join_code"],
                },
                "tables": [{"id": t["id"], "name": t["name"]} for t in ws["tables"]],
            }
        )

    async def join(self, request: Request) -> JSONResponse:
        wid = self.codes[request.path_params["code"]]
        body = await request.json()
        token, pid = secrets.token_urlsafe(32), uuid.uuid4().hex
        self.tokens[token] = {
            "workshop_id": wid,
            "role": "participant",
            "table_id": body["table_id"],
            "participant_id": pid,
            "display_name": body.get("display_name", ""),
        }
        return JSONResponse(
            {"participant_token": token, "participant_id": pid, "table_id": body["table_id"]}, status_code=201
        )

    async def healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    # --- socket.io --------------------------------------------------------------------------------------

    async def connect(self, sid: str, environ: dict, auth: Any = None):
        actor = self.tokens.get(auth.get("token") if isinstance(auth, dict) else None)
        if actor is None:
            raise socketio.exceptions.ConnectionRefusedError("unknown token", {"code": "unauthenticated"})
        self.actors[sid] = actor
        for room in rooms.for_client(actor["workshop_id"], actor["role"], actor["table_id"]):
            await self.sio.enter_room(sid, room)
        self.sio.start_background_task(self._welcome, sid, actor)
        return True

    async def _welcome(self, sid: str, actor: dict) -> None:
        await self._presence(actor, +1)
        await self.sio.emit("snapshot", await self.snapshot(actor), to=sid)

    async def snapshot(self, actor: dict) -> dict[str, Any]:
        return self._snapshot(actor)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        actor = self.actors.pop(sid, None)
        if actor is not None:
            await self._presence(actor, -1)

    async def _presence(self, actor: dict, delta: int) -> None:
        ws = self.workshops[actor["workshop_id"]]
        p = ws["presence"]
        if actor["role"] == "participant":
            p["tables"][actor["table_id"]] = p["tables"].get(actor["table_id"], 0) + delta
        else:
            p[actor["role"] + "s"] += delta
        wid = actor["workshop_id"]
        await self.sio.emit(
            "update",
            {"type": "presence", "presence": p},
            to=[rooms.role(wid, "facilitator"), rooms.role(wid, "projector")],
        )

    def _snapshot(self, actor: dict) -> dict[str, Any]:
        ws = self.workshops[actor["workshop_id"]]
        participant = actor["role"] == "participant"
        rankings = ws["rankings"]
        return self._snapshot_message(
            actor,
            ws,
            ws["agenda"],
            {actor["table_id"]: rankings[actor["table_id"]]} if participant else rankings,
            ws["consensus_full"] if actor["role"] == "facilitator" else ws["consensus_hidden"],
            ws["display"],
            ws["presence"],
        )

    def _snapshot_message(self, actor, ws, agenda, rankings, consensus, display, presence) -> dict[str, Any]:
        participant = actor["role"] == "participant"
        return {
            "version": ws["version"],
            "server_now": time.time(),
            "role": actor["role"],
            "me": {
                "participant_id": actor["participant_id"],
                "table_id": actor["table_id"],
                "display_name": actor["display_name"],
            }
            if participant
            else None,
            "workshop": ws["workshop"],
            "principles": self.principles,
            "tables": ws["tables"],
            "capacity": CAPACITY,
            "agenda": agenda,
            "rankings": rankings,
            "consensus": consensus,
            "display": display,
            "presence": None if participant else presence,
        }

    async def sync(self, sid: str, data: Any = None) -> dict:
        return {"ok": True, "snapshot": await self.snapshot(self.actors[sid])}

    async def clock(self, sid: str, data: Any = None) -> dict:
        return {"ok": True, "server_now": time.time()}

    def _ranking(self, sid: str, data: dict) -> tuple[dict, dict, dict]:
        actor = self.actors[sid]
        ws = self.workshops[actor["workshop_id"]]
        return actor, ws, ws["rankings"][actor["table_id"] or data.get("table_id")]

    async def _store(self, actor: dict, ws: dict, r: dict, **changes: Any) -> dict:
        """Change a ranking and send it; returns the ranking as changed (later edits may overtake the emit)."""
        ws["version"] += 1
        r.update(changes, revision=r["revision"] + 1, version=ws["version"], updated_at=time.time())
        section = dict(r)
        wid = actor["workshop_id"]
        await self.sio.emit(
            "update",
            {"type": "ranking", "version": section["version"], "ranking": section},
            to=[
                rooms.table(wid, r["table_id"]),
                rooms.role(wid, "facilitator"),
                rooms.role(wid, "projector"),
            ],
        )
        return section

    async def _consensus(self, actor: dict, ws: dict, version: int) -> None:
        wid = actor["workshop_id"]
        ws["consensus_full"]["version"] = ws["consensus_hidden"]["version"] = version
        await self.sio.emit(
            "update",
            {"type": "consensus", "version": version, "consensus": ws["consensus_full"]},
            to=[rooms.role(wid, "facilitator")],
        )
        await self.sio.emit(
            "update",
            {"type": "consensus", "version": version, "consensus": ws["consensus_hidden"]},
            to=[rooms.role(wid, "projector"), rooms.role(wid, "participant")],
        )

    async def edit(self, sid: str, data: dict) -> dict:
        actor, ws, r = self._ranking(sid, data)
        if r["agreed"]:
            return {"ok": False, "error": {"code": "ranking_agreed", "message": "agreed"}}
        items, op, pid = list(r["items"]), data.get("op"), data.get("principle_id")
        if op == "add" and pid not in items and len(items) < CAPACITY:
            index = data.get("index")
            items.insert(len(items) if index is None else min(index, len(items)), pid)
        elif op == "remove":
            items = [i for i in items if i != pid]
        elif op == "move" and pid in items:
            items.remove(pid)
            items.insert(min(data["to_index"], len(items)), pid)
        elif op == "replace":
            items = list(data["items"])
        if items == r["items"]:
            return {"ok": True, "ranking": dict(r), "changed": False, "rebased": False}
        section = await self._store(actor, ws, r, items=items)
        return {"ok": True, "ranking": section, "changed": True, "rebased": False}

    async def agree(self, sid: str, data: dict) -> dict:
        actor, ws, r = self._ranking(sid, data)
        if r["agreed"]:
            return {"ok": True, "ranking": dict(r)}
        section = await self._store(actor, ws, r, agreed=True, agreed_at=time.time())
        await self._consensus(actor, ws, section["version"])
        return {"ok": True, "ranking": section}

    async def reopen(self, sid: str, data: dict) -> dict:
        actor, ws, r = self._ranking(sid, data)
        if not r["agreed"]:
            return {"ok": True, "ranking": dict(r)}
        section = await self._store(actor, ws, r, agreed=False, agreed_at=None)
        await self._consensus(actor, ws, section["version"])
        return {"ok": True, "ranking": section}

    async def agenda(self, sid: str, data: Any = None) -> dict:
        actor = self.actors[sid]
        ws = self.workshops[actor["workshop_id"]]
        ws["version"] += 1
        now = time.time()
        agenda = ws["agenda"]
        first = agenda["segments"][0]
        agenda["current_id"] = first["id"]
        first["status"] = "paused" if first["status"] == "running" else "running"
        first["run_started_at"] = now if first["status"] == "running" else None
        agenda["version"] = ws["version"]
        await self.sio.emit(
            "update",
            {"type": "agenda", "version": ws["version"], "agenda": agenda, "server_now": now},
            to=[rooms.everyone(actor["workshop_id"])],
        )
        return {"ok": True}

    def asgi(self) -> socketio.ASGIApp:
        http = Starlette(
            routes=[
                Route("/healthz", self.healthz),
                Route("/api/workshops", self.create_workshop, methods=["POST"]),
                Route("/api/join/{code}", self.join_info, methods=["GET"]),
                Route("/api/join/{code}", self.join, methods=["POST"]),
            ]
        )
        return socketio.ASGIApp(self.sio, other_asgi_app=http)


class RedisFloor(Floor):
    """The floor as one of N workers: emits through ``AsyncRedisManager``, shared state in Redis (module
    docstring). Each worker keeps only what never changes (a workshop's tables) and its own sockets' actors."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        super().__init__(socketio.AsyncRedisManager(url, channel=f"{prefix}socketio"))
        # A bounded pool, as the app's database pool is (a join storm would otherwise open hundreds).
        self.redis = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(url, max_connections=16, timeout=60)
        )
        self.prefix = prefix
        self.change_ranking = self.redis.register_script(CHANGE_RANKING)
        self.change_presence = self.redis.register_script(CHANGE_PRESENCE)
        self.static: dict[str, dict[str, Any]] = {}  # workshop id -> its workshop section and tables

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def create_workshop(self, request: Request) -> JSONResponse:
        response = await super().create_workshop(request)
        wid = json.loads(response.body)["workshop"]["id"]
        ws = self.workshops.pop(wid)
        self.codes.pop(ws["workshop"]["join_code"])
        static = {"workshop": ws["workshop"], "tables": ws["tables"]}
        tokens = {t: a for t, a in self.tokens.items() if a["workshop_id"] == wid}
        self.tokens.clear()
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.key("ws", wid), json.dumps(static))
        pipe.set(self.key("code", ws["workshop"]["join_code"]), wid)
        for token, actor in tokens.items():
            pipe.set(self.key("token", token), json.dumps(actor))
        await pipe.execute()
        return response

    async def workshop(self, wid: str) -> dict[str, Any]:
        found = self.static.get(wid)
        if found is None:
            found = self.static[wid] = json.loads(await self.redis.get(self.key("ws", wid)))
        return found

    async def join_info(self, request: Request) -> JSONResponse:
        ws = await self.workshop((await self.redis.get(self.key("code", request.path_params["code"]))).decode())
        return JSONResponse(
            {
                "workshop": {"title": ws["workshop"]["title"], "locality": "", "join_code": ws["workshop"]["join_code"]},
                "tables": [{"id": t["id"], "name": t["name"]} for t in ws["tables"]],
            }
        )

    async def join(self, request: Request) -> JSONResponse:
        wid = (await self.redis.get(self.key("code", request.path_params["code"]))).decode()
        body = await request.json()
        token, pid = secrets.token_urlsafe(32), uuid.uuid4().hex
        actor = {
            "workshop_id": wid,
            "role": "participant",
            "table_id": body["table_id"],
            "participant_id": pid,
            "display_name": body.get("display_name", ""),
        }
        await self.redis.set(self.key("token", token), json.dumps(actor))
        return JSONResponse(
            {"participant_token": token, "participant_id": pid, "table_id": body["table_id"]}, status_code=201
        )

    async def connect(self, sid: str, environ: dict, auth: Any = None):
        token = auth.get("token") if isinstance(auth, dict) else None
        found = await self.redis.get(self.key("token", token)) if isinstance(token, str) else None
        if found is None:
            raise socketio.exceptions.ConnectionRefusedError("unknown token", {"code": "unauthenticated"})
        actor = json.loads(found)
        self.actors[sid] = actor
        for room in rooms.for_client(actor["workshop_id"], actor["role"], actor["table_id"]):
            await self.sio.enter_room(sid, room)
        self.sio.start_background_task(self._welcome, sid, actor)
        return True

    async def _presence(self, actor: dict, delta: int) -> None:
        wid = actor["workshop_id"]
        field = f"t:{actor['table_id']}" if actor["role"] == "participant" else actor["role"] + "s"
        counts = await self.change_presence(keys=[self.key("presence", wid)], args=[field, delta])
        await self.sio.emit(
            "update",
            {"type": "presence", "presence": self._presence_section(counts)},
            to=[rooms.role(wid, "facilitator"), rooms.role(wid, "projector")],
        )

    @staticmethod
    def _presence_section(flat: list) -> dict[str, Any]:
        p: dict[str, Any] = {"tables": {}, "facilitators": 0, "projectors": 0}
        for name, value in zip(flat[::2], flat[1::2], strict=True):
            name = name.decode()
            if name.startswith("t:"):
                p["tables"][name[2:]] = int(value)
            else:
                p[name] = int(value)
        return p

    @staticmethod
    def _section(table_id: str, row: list) -> dict[str, Any]:
        items, revision, agreed, agreed_at, version, updated_at = (
            (v.decode() if isinstance(v, bytes) else v) for v in row
        )
        return {
            "table_id": table_id,
            "version": int(version or 0),
            "revision": int(revision or 0),
            "items": [i for i in (items or "").split(",") if i],
            "agreed": agreed == "1",
            "agreed_at": float(agreed_at) if agreed_at else None,
            "updated_at": float(updated_at or 0),
        }

    async def snapshot(self, actor: dict) -> dict[str, Any]:
        wid = actor["workshop_id"]
        ws = await self.workshop(wid)
        participant = actor["role"] == "participant"
        table_ids = [actor["table_id"]] if participant else [t["id"] for t in ws["tables"]]
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.key("version", wid))
        pipe.hgetall(self.key("presence", wid))
        for t in table_ids:
            pipe.hmget(self.key("ranking", t), "items", "revision", "agreed", "agreed_at", "version", "updated_at")
        version, presence, *rankings = await pipe.execute()
        flat = [v for kv in presence.items() for v in kv]
        consensus = self.shapes["consensus_full" if actor["role"] == "facilitator" else "consensus_hidden"]
        return self._snapshot_message(
            actor,
            {**ws, "version": int(version or 0)},
            self.shapes["agenda"],
            {t: self._section(t, row) for t, row in zip(table_ids, rankings, strict=True)},
            consensus,
            {"version": 0, "mode": "auto", "table_id": None},
            self._presence_section(flat),
        )

    async def _change(self, sid: str, data: dict, op: str) -> dict:
        actor = self.actors[sid]
        wid, table_id = actor["workshop_id"], actor["table_id"] or data.get("table_id")
        index = data.get("index") if op == "add" else data.get("to_index")
        status, *row = await self.change_ranking(
            keys=[self.key("ranking", table_id), self.key("version", wid)],
            args=[op, data.get("principle_id") or "", 10**6 if index is None else index, CAPACITY, time.time()],
        )
        section = self._section(table_id, [row[2], row[1], row[3], row[4], row[0], row[5]])
        if status == 2:
            return {"ok": False, "error": {"code": "ranking_agreed", "message": "agreed"}}
        if status == 0:
            return {"ok": True, "ranking": section, "changed": False, "rebased": False}
        await self.sio.emit(
            "update",
            {"type": "ranking", "version": section["version"], "ranking": section},
            to=[rooms.table(wid, table_id), rooms.role(wid, "facilitator"), rooms.role(wid, "projector")],
        )
        if op in ("agree", "reopen"):
            for role_rooms, shape in (
                ([rooms.role(wid, "facilitator")], "consensus_full"),
                ([rooms.role(wid, "projector"), rooms.role(wid, "participant")], "consensus_hidden"),
            ):
                consensus = {**self.shapes[shape], "version": section["version"]}
                await self.sio.emit(
                    "update", {"type": "consensus", "version": section["version"], "consensus": consensus}, to=role_rooms
                )
        return {"ok": True, "ranking": section, "changed": True, "rebased": False}

    async def edit(self, sid: str, data: dict) -> dict:
        return await self._change(sid, data, str(data.get("op")))

    async def agree(self, sid: str, data: dict) -> dict:
        return await self._change(sid, data, "agree")

    async def reopen(self, sid: str, data: dict) -> dict:
        return await self._change(sid, data, "reopen")

    async def agenda(self, sid: str, data: Any = None) -> dict:
        # The timer's state stays in each worker (the load checks only that the update arrives); its version
        # is the workshop's, in Redis.
        actor = self.actors[sid]
        wid = actor["workshop_id"]
        version = await self.redis.incr(self.key("version", wid))
        now = time.time()
        agenda = copy.deepcopy(self.shapes["agenda"])
        first = agenda["segments"][0]
        agenda["current_id"], first["status"], first["run_started_at"] = first["id"], "running", now
        agenda["version"] = version
        await self.sio.emit(
            "update",
            {"type": "agenda", "version": version, "agenda": agenda, "server_now": now},
            to=[rooms.everyone(wid)],
        )
        return {"ok": True}


def create_app() -> socketio.ASGIApp:
    for name in filter(None, os.environ.get(IMPORTS_ENV, "").split(",")):
        importlib.import_module(name)
    if os.environ.get(REDIS_ENV):
        return RedisFloor(os.environ[REDIS_ENV], os.environ[PREFIX_ENV]).asgi()
    return Floor().asgi()
