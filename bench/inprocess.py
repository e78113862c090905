"""The app's own cost per command and per snapshot, in-process: no sockets, no load processes.

The command bus over a recording broadcaster, on a fresh database (SQLite in a temporary folder unless
``--database-url``), one workshop of five tables of five phones; commands one at a time. It prints, per kind of
work, the CPU milliseconds (this process's, its database threads included), the wall milliseconds and the SQL
statements each took. It is the quick loop for the figures behind docs/performance.md ("What limits them"):

    .venv/bin/python -m bench.inprocess                 # SQLite
    .venv/bin/python -m bench.inprocess --database-url postgresql+asyncpg://127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from server import prepared
from server.broadcast import MemoryBroadcaster
from server.db import create_schema, drop_schema, make_engine, make_session_factory
from server.realtime.handlers import checked_snapshot
from server.services import agenda, consensus, display, plan, rankings, worksheets  # noqa: F401  (commands)
from server.services.commands import Actor, CommandBus
from server.services.guesses import Guesses
from server.services.limits import check_connection_caps
from server.services.presence import PresenceTracker
from server.services.state import build_snapshot
from server.services.workshops import (
    CreateWorkshop,
    authenticate,
    create_workshop,
    join_in_turn,
    join_request,
)
from server.settings import Settings


class Counter:
    def __init__(self) -> None:
        self.statements = 0
        # On PostgreSQL, the other queries asyncpg's query logger sees (BEGIN, COMMIT, ROLLBACK, pings): not the
        # statements SQLAlchemy prepares (the logger never sees them) nor those counted as statements already
        # (``server.pg_driver``'s, which it does). With the statements: the round trips.
        self.queries = 0
        self._statement_sql: set[str] = set()

    def __call__(self, *args) -> None:
        # SQLAlchemy's cursor event (connection, cursor, statement, ...), or a driver's listener (statement).
        self._statement_sql.add(args[0] if len(args) == 1 else args[2])
        self.statements += 1

    def count_queries(self, dbapi_connection, _record) -> None:
        dbapi_connection.driver_connection.add_query_logger(self._query)

    def _query(self, record) -> None:
        if record.query not in self._statement_sql:
            self.queries += 1


async def measure(label: str, n: int, work, counter: Counter) -> dict:
    await work(0)  # warm: first-use compilation of statements and models
    s0, q0, c0, w0 = counter.statements, counter.queries, time.process_time(), time.perf_counter()
    for i in range(n):
        await work(i)
    cpu, wall, statements = time.process_time() - c0, time.perf_counter() - w0, counter.statements - s0
    figures = {
        "what": label,
        "n": n,
        "cpu_ms": round(cpu * 1000 / n, 3),
        "wall_ms": round(wall * 1000 / n, 3),
        "statements": round(statements / n, 2),
    }
    queries = ""
    if counter.queries:
        figures["round_trips"] = round((statements + counter.queries - q0) / n, 2)
        queries = f"{figures['round_trips']:>6.2f} round trips"
    print(f"{label:<28} {figures['cpu_ms']:>8.3f} ms CPU {figures['wall_ms']:>8.3f} ms wall "
          f"{figures['statements']:>6.2f} statements {queries} (n={n})")
    return figures


async def run(args: argparse.Namespace) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database_url=url)
        engine = make_engine(settings)
        counter = Counter()
        event.listen(engine.sync_engine, "before_cursor_execute", counter)
        prepared.statement_listeners.append(counter)  # what runs on the drivers themselves (server.prepared)
        if not settings.is_sqlite:
            event.listen(engine.sync_engine, "connect", counter.count_queries)
        if not settings.is_sqlite:
            await drop_schema(engine)
        await create_schema(engine)
        sessions = make_session_factory(engine)
        bus = CommandBus(sessions, MemoryBroadcaster())
        guesses = Guesses.from_settings(settings)
        presence = PresenceTracker(sessions, MemoryBroadcaster(), "bench", publish_delay=0.25, writer=bus.write)

        async def token_check(token: str) -> Actor:
            # As a socket's connect does (realtime.handlers): one statement through the bus's reader.
            return await authenticate(None, token, guesses=guesses, address="127.0.0.1", read=bus.read)

        async def http_join(table_id: str):
            # As POST /api/join/{code} does (web.routes), without the HTTP request: in the writer's turn.
            request = join_request({"table_id": table_id})
            return await bus.write(join_in_turn, created.workshop.join_code, request, time.time())
        async with sessions() as session:
            created = await create_workshop(
                session, CreateWorkshop(title="Bench", table_count=5), now=time.time()
            )
        facilitator = await token_check(created.facilitator_token)
        async with sessions() as session:
            snap = await build_snapshot(session, facilitator, time.time())
        tables = [t["id"] for t in snap["tables"]]
        principle_ids = [p["id"] for p in snap["principles"]]
        phones: list[Actor] = []
        phone_tokens: list[str] = []
        for table_id in tables:
            for _ in range(5):
                joined = await http_join(table_id)
                phone_tokens.append(joined.participant_token)
                phones.append(await token_check(joined.participant_token))
        revisions = dict.fromkeys(tables, 0)
        items: dict[str, list[str]] = {t: [] for t in tables}
        rng = random.Random(1)

        async def edit(i: int) -> None:
            phone = phones[i % len(phones)]
            table = phone.table_id
            current = items[table]
            absent = [p for p in principle_ids if p not in current]
            if len(current) < 5 and absent:
                payload = {"op": "add", "principle_id": rng.choice(absent), "index": rng.randint(0, len(current))}
            else:
                payload = {"op": "move", "principle_id": rng.choice(current), "to_index": rng.randint(0, 4)}
            payload |= {"base_revision": revisions[table], "command_id": f"bench-{i:08d}-{rng.getrandbits(40):x}"}
            ack = await bus.execute("ranking.edit", phone, payload)
            assert ack["ok"], ack
            revisions[table] = ack["ranking"]["revision"]
            items[table] = ack["ranking"]["items"]

        async def agree_and_reopen(i: int) -> None:
            phone = phones[(i * 5) % len(phones)]
            for name in ("ranking.agree", "ranking.reopen"):
                ack = await bus.execute(name, phone, {"base_revision": revisions[phone.table_id]})
                assert ack["ok"], ack
                revisions[phone.table_id] = ack["ranking"]["revision"]

        async def snapshot_for(actor: Actor):
            async def work(_i: int) -> None:
                async with sessions() as session:
                    await build_snapshot(session, actor, time.time())
            return work

        async def connect(i: int) -> None:
            await token_check(phone_tokens[i % len(phone_tokens)])

        async def connect_phone(i: int) -> None:
            # A phone's whole connect (realtime.handlers): the token, the caps and the presence row in the
            # writer's turn, the token again and the snapshot; then its disconnect.
            actor = await token_check(phone_tokens[i % len(phone_tokens)])
            caps = lambda connection: check_connection_caps(connection, actor, settings)  # noqa: E731
            assert await presence.connected(f"sid-{i}", actor, time.time(), caps=caps) is None
            assert await bus.read(checked_snapshot, actor, time.time()) is not None
            await presence.disconnected(f"sid-{i}")

        async def pause_and_resume(i: int) -> None:
            # What each console does every 15 s in the live benchmark (bench/load.py), two commands a time.
            for name in ("agenda.pause", "agenda.resume"):
                ack = await bus.execute(name, facilitator, {})
                assert ack["ok"], ack

        async def join(i: int) -> None:
            await http_join(tables[(i // 5) % len(tables)])

        start = await bus.execute("agenda.start", facilitator, {})
        assert start["ok"], start

        results = [
            await measure("ranking.edit", args.n, edit, counter),
            await measure("ranking.agree + reopen", max(args.n // 10, 5), agree_and_reopen, counter),
            await measure("snapshot (phone)", max(args.n // 5, 5), await snapshot_for(phones[0]), counter),
            await measure("snapshot (facilitator)", max(args.n // 5, 5), await snapshot_for(facilitator), counter),
            await measure("authenticate", max(args.n // 5, 5), connect, counter),
            await measure("connect + disconnect (phone)", max(args.n // 5, 5), connect_phone, counter),
            await measure("agenda.pause + resume", max(args.n // 10, 5), pause_and_resume, counter),
            await measure("join (no HTTP)", min(max(args.n // 5, 5), 5 * len(tables) * 2), join, counter),
        ]
        await engine.dispose()
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500, help="commands to time (default 500)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
