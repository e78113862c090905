"""``make demo``: the app with a seeded workshop and simulated phones that join, rank and agree.

Open the printed console and projector links and watch them move within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random

import uvicorn

from . import sample_report
from .cli import SERVER_OPTIONS
from .client import WorkshopClient, create_workshop, join, tables
from .db import migrate
from .domain.reasons import MAX_REASON_CHARS
from .settings import Settings

TABLE_NAMES = ["Red", "Blue", "Green", "Yellow"]
# What the simulated phones write as their table's reasons (one line per priority; our own words).
REASON_LINES = [
    "Families tell us they are passed from service to service.",
    "Nothing is open in the evenings for older teenagers.",
    "Young people say they would not ask for help at school.",
    "Each agency describes the same child in its own words.",
    "We count appointments, not whether young people feel better.",
    "Waiting lists for a first assessment run to months.",
]
REVIEW_SECONDS = 20  # the opening review runs this long before the room moves on to Exercise 1


async def simulated_phone(
    url: str, code: str, table_id: str, name: str, rng: random.Random, start_delay: float
):
    await asyncio.sleep(start_delay)
    joined = await join(url, code, table_id, name)
    phone = await WorkshopClient(url, joined["participant_token"]).connect()
    ids = [p["id"] for p in phone.state["principles"]]
    wanted = rng.sample(ids, phone.state["capacity"])
    wrote = False
    while True:
        await asyncio.sleep(rng.uniform(2, 6))
        ranking = phone.state["rankings"][table_id]
        if ranking["agreed"] or phone.state["workshop"]["rankings_locked"]:
            continue
        items = ranking["items"]
        missing = [p for p in wanted if p not in items]
        if missing:
            edit = {"op": "add", "principle_id": rng.choice(missing)}
        elif items != wanted:
            target = next(p for i, p in enumerate(wanted) if items[i] != p)
            edit = {"op": "move", "principle_id": target, "to_index": wanted.index(target)}
        else:
            if not wrote:  # each phone gives one reason for one of the five; the table's phones write at once
                wrote = True
                pid = rng.choice(wanted)
                written = phone.reasons_texts(table_id).get(pid, "")
                line = f"{written} {rng.choice(REASON_LINES)}".strip()
                if len(line) <= MAX_REASON_CHARS:
                    await phone.write_reason(table_id, pid, line)
            await phone.call("ranking.agree", {"base_revision": ranking["revision"]})
            continue
        ack = await phone.call("ranking.edit", {"base_revision": ranking["revision"], **edit})
        if not ack["ok"] and ack["error"]["code"] == "conflict":
            await phone.sync()


async def note_what_tables_said(facilitator: WorkshopClient) -> None:
    """After the opening review, on to Exercise 1; then, as each table agrees its five, the facilitator notes
    what it said (as the room would hear in Exercise 2)."""
    await asyncio.sleep(REVIEW_SECONDS)
    await facilitator.call("agenda.next", {"start": True})
    noted: set[str] = set()
    names = {t["id"]: t["name"] for t in facilitator.state["tables"]}
    while len(noted) < len(names):
        await asyncio.sleep(2)
        for table_id, ranking in facilitator.state["rankings"].items():
            if ranking["agreed"] and table_id not in noted:
                said = sample_report.SHARE_NOTES.get(names.get(table_id, ""), "Shared its five with the room.")
                await facilitator.call("notes.set_table", {"table_id": table_id, "text": said})
                noted.add(table_id)


async def run_demo(host: str, port: int, phones_per_table: int) -> None:
    settings = Settings.from_env()
    await asyncio.to_thread(migrate, settings)
    server = uvicorn.Server(
        uvicorn.Config(
            "server.app:create_app", factory=True, host=host, port=port, log_level="warning", **SERVER_OPTIONS
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event for this)
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    created = await create_workshop(
        url,
        title="Demo: Northshire Phase 1 workshop",
        locality="Northshire",
        tables=TABLE_NAMES,
        baseline_scores={"needs-led": 2, "accessibility": 3},
        durations_minutes={"review": 15},
    )
    code = created["workshop"]["join_code"]
    print(f"\n  Facilitator console: {created['facilitator_url']}")
    print(f"  Projector:           {created['projector_url']}")
    print(f"  Join on a phone:     {created['join_url']}  (code {code})\n", flush=True)
    facilitator = await WorkshopClient(url, created["facilitator_token"]).connect()
    await facilitator.call("agenda.start")  # the opening review of the top-line priorities
    await facilitator.call("notes.set_review", {"text": sample_report.REVIEW_NOTES})
    rng = random.Random(7)
    notes = asyncio.create_task(note_what_tables_said(facilitator))
    phones = [
        asyncio.create_task(
            simulated_phone(url, code, t["id"], f"Phone {t['name']} {n + 1}", rng, rng.uniform(0, 5))
        )
        for t in await tables(url, code)
        for n in range(phones_per_table)
    ]
    try:
        await serving
    finally:
        for task in [*phones, notes]:
            task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--phones-per-table", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "sqlite+aiosqlite:///var/demo.db")
    asyncio.run(run_demo(args.host, args.port, args.phones_per_table))


if __name__ == "__main__":
    main()
