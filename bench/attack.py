"""Issue 13's attack, against a running server: every hostile file and import (tests/untrusted/attacks.py), one
at a time, then 8 at once, while a live workshop on the same server edits a ranking.

    .venv/bin/python -m bench.attack [--url http://127.0.0.1:8000] [--pid PID] [--at-once 8] [--largest]

For each upload it prints the answer (status and code) and the seconds it took; for each round, how long the
live workshop's ``ranking.edit`` took meanwhile, and, given the serving process's ``--pid``, its resident memory
(VmRSS). ``--largest`` then imports the largest export the server accepts and asks its five reports at once.
The last line is one JSON object with every figure. The live tests (tests/untrusted/test_live_attacks.py)
run the same attack through the helpers here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from server.client import WorkshopClient

ANSWER_TIMEOUT = 120.0  # seconds: any answer will do within it, on a machine as busy as it gets
COMMAND_TIMEOUT = 60.0
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))  # uvicorn trusts X-Forwarded-For from 127.0.0.1


def new_address() -> str:
    return next(_addresses)


def rss_mb(pid: int) -> float:
    """A process's resident memory (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


class LiveWorkshop:
    """A workshop on the server with one phone connected, which edits its table's ranking on demand."""

    def __init__(self, url: str):
        self.url = url
        self.revision = 0
        self.turn = 0

    async def open(self) -> LiveWorkshop:
        async with httpx.AsyncClient(base_url=self.url, timeout=COMMAND_TIMEOUT) as http:
            created = await http.post("/api/workshops", json={"title": "Live", "table_count": 2})
            assert created.status_code == 201, created.text
            self.created = created.json()
            code = self.created["workshop"]["join_code"]
            tables = (await http.get(f"/api/join/{code}")).json()["tables"]
            joined = await http.post(f"/api/join/{code}", json={"table_id": tables[0]["id"]})
            assert joined.status_code == 201, joined.text
        self.phone = await WorkshopClient(self.url, joined.json()["participant_token"]).connect(
            timeout=COMMAND_TIMEOUT
        )
        principles = [p["id"] for p in self.phone.state["principles"]]
        self.choices = [principles[:5], principles[1:6]]
        return self

    async def command(self) -> float:
        """One ``ranking.edit`` that changes the list; the seconds until its ack (which must be ``ok``)."""
        self.turn += 1
        started = time.monotonic()
        ack = await self.phone.call(
            "ranking.edit",
            {"base_revision": self.revision, "op": "replace", "items": self.choices[self.turn % 2]},
            timeout=COMMAND_TIMEOUT,
        )
        took = time.monotonic() - started
        assert ack["ok"] and ack["changed"], ack
        self.revision = ack["ranking"]["revision"]
        return took

    async def export(self) -> dict:
        async with httpx.AsyncClient(base_url=self.url, timeout=COMMAND_TIMEOUT) as http:
            response = await http.get(
                f"/api/workshops/{self.created['workshop']['id']}/report.json",
                headers={"authorization": f"Bearer {self.created['facilitator_token']}"},
            )
        assert response.status_code == 200, response.text
        return response.json()

    async def close(self) -> None:
        await self.phone.close()


@dataclass
class Figures:
    what: str
    latencies: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        ms = sorted(1000 * t for t in self.latencies)
        return {
            "what": self.what,
            "commands": len(ms),
            "median_ms": round(statistics.median(ms)) if ms else None,
            "max_ms": round(ms[-1]) if ms else None,
            "rss_max_mb": round(max(self.rss)) if self.rss else None,
        }

    def __str__(self) -> str:
        s = self.summary()
        rss = f"; serving process RSS {min(self.rss):.0f}-{max(self.rss):.0f} MB" if self.rss else ""
        return (
            f"[{self.what}] live workshop ranking.edit meanwhile: {s['commands']} commands, median "
            f"{s['median_ms']} ms, max {s['max_ms']} ms (target < 200 ms){rss}"
        )


async def while_attacked(workshop: LiveWorkshop, pid: int | None, what: str, *attacks) -> tuple[list, Figures]:
    """Run the attacks; while any is unanswered, the live workshop sends commands and the RSS is read. The
    attacks' results and the figures, once the workshop has answered a command after the last attack too."""
    tasks = [asyncio.ensure_future(a) for a in attacks]
    figures = Figures(what)

    async def measure() -> None:
        figures.latencies.append(await workshop.command())
        if pid is not None:
            figures.rss.append(rss_mb(pid))

    pending: set = set(tasks)
    try:
        while pending:
            await measure()
            _done, pending = await asyncio.wait(pending, timeout=0.2)  # the next command once 0.2 s pass
    finally:
        for task in pending:
            task.cancel()
    await measure()
    return [t.result() for t in tasks], figures


@dataclass
class Answer:
    name: str
    status: int
    body: dict
    seconds: float

    @property
    def error(self) -> dict:
        return self.body.get("error") or {}

    @property
    def code(self) -> str | None:
        return self.error.get("code")

    def __str__(self) -> str:
        return f"{self.name}: {self.status} {self.code or 'read'} in {self.seconds:.2f} s"


async def send(
    url: str, name: str, path: str, request: dict, address: str | None = None, method: str = "POST"
) -> Answer:
    """``request`` (httpx arguments) from ``address`` (a new one by default): the answer and its time."""
    headers = {**request.get("headers", {}), "x-forwarded-for": address or new_address()}
    async with httpx.AsyncClient(base_url=url, timeout=ANSWER_TIMEOUT) as http:
        started = time.monotonic()
        response = await http.request(method, path, **{**request, "headers": headers})
        took = time.monotonic() - started
    try:
        body = response.json()
    except ValueError:
        body = {"raw": response.content[:200], "bytes": len(response.content)}
    return Answer(name, response.status_code, body if isinstance(body, dict) else {"raw": body}, took)


# --- the command ------------------------------------------------------------------------------------------------


async def largest_export(url: str, pid: int | None, workshop: LiveWorkshop, body: bytes) -> list[dict]:
    """A valid export at every cap the import has (stored: it makes a workshop), then its five reports at once."""
    request = {"content": body, "headers": {"content-type": "application/json"}}
    what = f"the largest export ({len(body) / 1e6:.1f} MB)"
    [answer], figures = await while_attacked(
        workshop, pid, what, send(url, "largest", "/api/workshops/import", request)
    )
    rounds = [report([answer], figures)]
    if answer.status == 201:
        bearer = {"headers": {"authorization": f"Bearer {answer.body['facilitator_token']}"}, "timeout": 900}
        path = f"/api/workshops/{answer.body['workshop']['id']}/report."
        reports, figures = await while_attacked(
            workshop, pid, "its five reports at once",
            *(send(url, fmt, path + fmt, bearer, method="GET") for fmt in ("docx", "xlsx", "zip", "html", "json")),
        )
        rounds.append(report(reports, figures))
    return rounds


async def attack(url: str, pid: int | None, at_once: int, largest: bool = False) -> dict:
    from tests.untrusted import attacks

    workshop = await LiveWorkshop(url).open()
    rounds = []
    try:
        every = attacks.every_attack(await workshop.export())
        address = new_address()

        async def one_at_a_time():
            return [await send(url, name, path, request, address) for name, path, request in every]

        [answers], figures = await while_attacked(workshop, pid, "one at a time", one_at_a_time())
        rounds.append(report(answers, figures))
        for start in range(0, len(every), at_once):
            batch = every[start : start + at_once]
            answers, figures = await while_attacked(
                workshop,
                pid,
                f"{len(batch)} at once (from {len(batch)} addresses), {start + 1}-{start + len(batch)}",
                *(send(url, name, path, request) for name, path, request in batch),
            )
            rounds.append(report(answers, figures))
        if largest:
            rounds += await largest_export(url, pid, workshop, attacks.largest_export(await workshop.export()))
        async with httpx.AsyncClient(base_url=url, timeout=COMMAND_TIMEOUT) as http:
            ready = (await http.get("/readyz")).status_code
        after = rss_mb(pid) if pid is not None else None
        print(f"afterwards: /readyz {ready}" + (f", RSS {after:.0f} MB" if after is not None else ""))
    finally:
        await workshop.close()
    return {"rounds": rounds, "readyz": ready, "rss_after_mb": after}


def report(answers: list[Answer], figures: Figures) -> dict:
    print(figures)
    for answer in answers:
        print(f"  {answer}")
    slowest = max(a.seconds for a in answers)
    print(f"  slowest answer {slowest:.2f} s")
    return {
        **figures.summary(),
        "slowest_answer_s": round(slowest, 2),
        "answers": [{"name": a.name, "status": a.status, "code": a.code, "s": round(a.seconds, 2)} for a in answers],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default: as make run serves)")
    parser.add_argument("--pid", type=int, help="the serving process, to read its RSS from /proc/PID/status")
    parser.add_argument("--at-once", type=int, default=8, help="uploads sent together (default 8)")
    parser.add_argument(
        "--largest", action="store_true", help="then import the largest export accepted and ask its five reports"
    )
    args = parser.parse_args(argv)
    figures = asyncio.run(attack(args.url.rstrip("/"), args.pid, args.at_once, args.largest))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
