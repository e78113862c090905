"""The benchmark: the app against the floor the stack sets, under the same load, in one run.

For each target (the app, then the floor: bench/floor.py) it starts the server as its own process, makes W
workshops of T tables, spreads them over several load processes (bench/load.py), and then:

1. connects a projector and a facilitator console per workshop; each console starts the timer;
2. the join storm: every phone joins at the same instant (HTTP join, socket, snapshot);
3. the main phase: each phone makes a ranking edit every S seconds on average (Poisson) for ``--duration``;
4. the capacity search: steps of ``--step-duration`` at higher edit rates, doubling, then halving the gap,
   until the p99 from a phone's edit to the projector passes ``--p99-limit-ms`` (or commands go unanswered);
5. a final sync of every workshop, to check that no acknowledged edit was lost.

It prints a report, writes every figure to ``bench/results/`` and a plot of latency against load, and prints
one JSON object as its last line. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import load
from server.catalogue import default_principles
from server.cli import server_flags

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_MB = 1 / 1024  # /proc/*/status reports kB


# --- the server under test --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PER_ADDRESS_LIMITS_OFF = {
    "EVENTS_PER_SECOND_PER_IP": "0",
    "CONNECTS_PER_SECOND_PER_IP": "0",
    "JOINS_PER_SECOND_PER_IP": "0",
    "WORKSHOPS_PER_IP_PER_HOUR": "0",
}


# Scale-out (``--deployment scaleout``): the machine's PostgreSQL (a database of the run's own is created there and
# dropped after) and Redis (a channel and key prefix of the run's own, deleted after).
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _postgres(statement: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


class Server:
    """The app (``server.app:create_app``, SQLite, defaults) or the floor, as ``python -m uvicorn``; scale-out:
    the app on PostgreSQL and Redis, the floor with ``AsyncRedisManager``, each as ``--workers N``."""

    def __init__(
        self,
        kind: str,
        folder: Path,
        log_dir: Path,
        extra_env: dict[str, str] | None = None,
        tables: int = 5,
        floor_imports: tuple[str, ...] = (),
        deployment: str = "embedded",
        workers: int = 1,
        app_tree: Path = ROOT,
    ):
        self.kind = kind
        self.app_tree = app_tree
        self.deployment, self.workers = deployment, workers
        run_id = os.urandom(5).hex()
        self.database = f"thrive_bench_{run_id}" if deployment == "scaleout" and kind == "app" else None
        self.prefix = f"thrive-bench-{run_id}:"  # Redis channel and keys of this run
        self.redis_url = REDIS_URL if deployment == "scaleout" else None
        self.floor_imports = floor_imports
        self.tables = tables
        self.extra_env = extra_env or {}
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{kind}-server.log"

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEBSOCKET_ONLY")}
        if self.kind == "app":
            # Every simulated phone comes from 127.0.0.1, as if the whole building were one venue behind one
            # address: the per-address limits (server/settings.py, Limits) would turn the benchmark away.
            # The per-connection and per-workshop limits stay as they are.
            env.update(PER_ADDRESS_LIMITS_OFF)
            env.update(self.extra_env)
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{self.folder}/bench.db"
            if self.database:
                _postgres(f'CREATE DATABASE "{self.database}"')
                env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.database}"
                env["REDIS_URL"] = self.redis_url
                env["REDIS_CHANNEL"] = self.prefix + "socketio"
            subprocess.run(
                [sys.executable, "-m", "server.cli", "migrate"],
                cwd=self.app_tree,
                env=env,
                check=True,
                capture_output=True,
            )
            factory = "server.app:create_app"
        else:
            from bench.floor import IMPORTS_ENV, SHAPES_ENV, shapes

            shapes_path = self.folder / "floor-shapes.json"
            shapes_path.write_text(json.dumps(shapes(self.tables)))
            env[SHAPES_ENV] = str(shapes_path)
            env[IMPORTS_ENV] = ",".join(self.floor_imports)
            if self.redis_url:
                from bench.floor import PREFIX_ENV, REDIS_ENV

                env[REDIS_ENV], env[PREFIX_ENV] = self.redis_url, self.prefix
            factory = "bench.floor:create_app"
        # Both with the deployment's uvicorn options (server/cli.py, as the Procfile), the floor included.
        command = [sys.executable, "-m", "uvicorn", factory, "--factory", *server_flags(), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", os.environ.get("BENCH_SERVER_LOG", "warning")]
        if self.workers > 1:
            # uvicorn says when each worker is serving ("Application startup complete"): wait for all of them.
            command += ["--workers", str(self.workers), "--no-access-log"]
            command[command.index("--log-level") + 1] = "info"
        # ``python -m`` puts the working folder first on sys.path: the app's ``server`` comes from its tree.
        self.process = subprocess.Popen(
            command, cwd=self.app_tree if self.kind == "app" else ROOT, env=env, stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30 + 30 * self.workers
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200 and (
                    self.workers == 1 or self.log().count("Application startup complete") >= self.workers
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def tree(self) -> ProcessTree:
        return ProcessTree(self.process.pid, workers=self.workers > 1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.database:
            _postgres(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database = None
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=self.prefix + "*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
            client.close()
            self.redis_url = None


class ProcessTree:
    """A server's processes: uvicorn's own and, with ``--workers N``, its workers (its children). CPU and memory
    are summed over them."""

    def __init__(self, pid: int, workers: bool):
        self.pid, self.workers = pid, workers

    @property
    def pids(self) -> list[int]:
        if not self.workers:  # one process (the app's file parsers, child processes started with it, are not counted, as before)
            return [self.pid]
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                return [self.pid, *map(int, f.read().split())]
        except OSError:
            return [self.pid]


class Services:
    """The CPU of what the scale-out app leans on: PostgreSQL's backends serving the run's database (found by
    their process titles) and the Redis server (shared with anyone else using it on this machine)."""

    def __init__(self, database: str | None, redis_url: str | None):
        self.database = database
        self.redis = None
        self.redis_pid = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url)
            self.redis_pid = int(self.redis.info("server")["process_id"])

    def postgres_pids(self) -> list[int]:
        if not self.database:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if f" {self.database} ".encode() in f.read():
                            found.append(int(entry))
                except OSError:
                    pass
        return found

    def sample(self) -> dict[str, Any]:
        """CPU seconds so far, by pid for PostgreSQL (backends come and go), and Redis's publications."""
        postgres = {}
        for pid in self.postgres_pids():
            try:
                postgres[pid] = cpu_seconds(pid)
            except OSError:
                pass
        redis_cpu = publishes = 0.0
        if self.redis is not None:
            try:
                redis_cpu = cpu_seconds(self.redis_pid)
            except OSError:
                pass
            publishes = self.redis.info("commandstats").get("cmdstat_publish", {}).get("calls", 0)
        return {"postgres": postgres, "redis": redis_cpu, "publishes": publishes}

    @staticmethod
    def between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
        postgres = sum(cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items())
        return {
            "postgres_cpu_s": postgres,
            "redis_cpu_s": after["redis"] - before["redis"],
            "redis_publishes": after["publishes"] - before["publishes"],
        }


# --- /proc ------------------------------------------------------------------------------------------------


def cpu_seconds(pid: int | ProcessTree) -> float:
    """User + system CPU of a process, all its threads (of every process of a ``ProcessTree``)."""
    if isinstance(pid, ProcessTree):
        return sum(cpu_seconds(p) for p in pid.pids)
    return sum(_user_and_system_ticks(pid)) / CLK_TCK


def _user_and_system_ticks(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def system_cpu_seconds(pid: int | ProcessTree) -> float:
    """The kernel's share of ``cpu_seconds`` (system calls: sockets, futexes of threads handing over the GIL)."""
    if isinstance(pid, ProcessTree):
        return sum(system_cpu_seconds(p) for p in pid.pids)
    return _user_and_system_ticks(pid)[1] / CLK_TCK


def context_switches(pid: int | ProcessTree) -> int:
    """Context switches of every thread so far (voluntary and not): each a thread that waited or was preempted."""
    if isinstance(pid, ProcessTree):
        return sum(context_switches(p) for p in pid.pids)
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
        except OSError:
            pass
    return total


def status_mb(pid: int | ProcessTree, key: str) -> float:
    if isinstance(pid, ProcessTree):
        return sum(status_mb(p, key) for p in pid.pids)
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * PAGE_MB
    return 0.0


NCPU = os.cpu_count() or 1


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine: other users' load shows here."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class RssSampler(threading.Thread):
    """Samples the server's resident memory; the kernel's high-water mark (VmHWM) gives the true peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append((time.time(), status_mb(self.pid, "VmRSS")))
            except OSError:
                return
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(2)

    def peak_between(self, t0: float, t1: float) -> float:
        return max((mb for t, mb in self.samples if t0 <= t <= t1), default=0.0)


class Profiler:
    """``--profile``: py-spy samples the server while it holds the GIL (Python CPU) while the block runs; the raw
    stacks and a summary of where the time goes are written to ``--out``."""

    def __init__(self, args: argparse.Namespace, pid: int, name: str):
        self.enabled, self.pid = args.profile, pid
        self.raw = args.out / f"{name}.pyspy.txt"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Profiler:
        if self.enabled:
            py_spy = Path(sys.executable).with_name("py-spy")
            pid = self.pid.pid if isinstance(self.pid, ProcessTree) else self.pid
            command = [str(py_spy), "record", "--pid", str(pid), "--rate", "100", "--format", "raw"]
            command += ["--subprocesses"] if isinstance(self.pid, ProcessTree) else []
            command += ["--output", str(self.raw), "--nonblocking", "--gil"]
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return
        if self.raw.exists():
            summary = self.raw.with_suffix(".summary.txt")
            summary.write_text(profile_summary(self.raw))
            print(f"profile: {summary}")


def profile_summary(raw: Path, top: int = 60) -> str:
    """Share of samples per function, inclusive (the function and what it calls) and self."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        total += int(n)
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") else f for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += int(n)
        own[frames[-1]] += int(n)
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in own.most_common(top)]
    return "\n".join(lines) + "\n"


# --- statistics -------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


KIND_NAMES = {number: name for name, number in load.KINDS.items()}


def summary_ms(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {
        "n": len(v),
        "p50": round(1000 * percentile(v, 50), 2),
        "p95": round(1000 * percentile(v, 95), 2),
        "p99": round(1000 * percentile(v, 99), 2),
        "max": round(1000 * v[-1], 2) if v else math.nan,
    }


def median(values: list[float]) -> float:
    v = sorted(x for x in values if x is not None and not math.isnan(x))
    if not v:
        return math.nan
    middle = len(v) // 2
    return v[middle] if len(v) % 2 else round((v[middle - 1] + v[middle]) / 2, 3)


LATENCY_KEYS = ("to_projector_ms", "to_other_phones_ms", "to_console_ms", "ack_ms")
MEDIAN_KEYS = (
    "commands_per_s",
    "server_cpu_pct",
    "server_cpu_ms_per_command",
    "server_cpu_ms_per_command_above_idle",
    "postgres_cpu_pct",
    "postgres_cpu_ms_per_command",
    "redis_cpu_pct",
    "redis_cpu_ms_per_command",
    "redis_publishes_per_command",
)


def median_phase(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """The main phase measured ``--repeat`` times: each percentile and each CPU figure is the median over the
    repeats (one run's spike, the app's or the floor's, no longer decides a ratio); the busiest repeat's
    machine figures, so that a noisy repeat still marks the run noisy. ``repeats`` keeps each one's p99."""
    merged = dict(phases[0])
    if len(phases) == 1:
        return {**merged, "repeats": 1, "p99_to_projector_runs_ms": [merged["to_projector_ms"]["p99"]]}
    for key in LATENCY_KEYS:
        merged[key] = {q: median([p[key][q] for p in phases]) for q in phases[0][key]}
    for key in MEDIAN_KEYS:
        merged[key] = median([p[key] for p in phases])
    for key in ("others_cpu_cores", "machine_busy_pct", "load_lag_p99_ms", "load_lag_max_ms"):
        merged[key] = max(p[key] for p in phases)
    merged["sustained"] = all(p["sustained"] for p in phases)
    merged["repeats"] = len(phases)
    merged["p99_to_projector_runs_ms"] = [p["to_projector_ms"]["p99"] for p in phases]
    return merged


# --- the load processes -----------------------------------------------------------------------------------


class LoadProcesses:
    def __init__(self, specs: list[dict[str, Any]]):
        ctx = multiprocessing.get_context("spawn")
        self.conns, self.procs = [], []
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=load.main, args=(child, spec), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def ask(self, msg: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        for conn in self.conns:
            conn.send(msg)
        replies = []
        deadline = time.monotonic() + timeout
        for conn, proc in zip(self.conns, self.procs, strict=True):
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(
                    f"load process {proc.pid} did not answer {msg['cmd']!r} in {timeout:.0f} s"
                )
            reply = conn.recv()
            if "error" in reply:
                raise RuntimeError(f"load process {proc.pid} failed in {msg['cmd']!r}: {reply['error']}")
            replies.append(reply)
        return replies

    def close(self) -> None:
        try:
            self.ask({"cmd": "close"}, timeout=30)
        except (RuntimeError, OSError, EOFError):
            pass
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


# --- one target -------------------------------------------------------------------------------------------


class TargetRun:
    """Everything measured for one target (the app or the floor)."""

    def __init__(self, kind: str, args: argparse.Namespace, folder: Path):
        self.kind, self.args, self.folder = kind, args, folder
        self.phones = args.workshops * args.tables * args.phones
        self.phases: list[dict[str, Any]] = []
        self.sends: dict[tuple[int, int], tuple] = {}
        self.duplicate_acks = 0
        self.received: dict[tuple[int, int], list[tuple]] = defaultdict(list)  # (tix, revision) -> receipts
        self.table_of_phone: dict[int, int] = {}
        self.phones_of_table: dict[int, list[int]] = defaultdict(list)
        self.workshop_of_table: dict[int, int] = {}
        self.result: dict[str, Any] = {"target": self.kind}
        self.quiet_budget = args.quiet_budget  # seconds this target may wait for a quiet machine
        self.retries = args.noisy_retries
        self.server: Server | None = None
        self.neighbours: list[TargetRun] = []  # the other targets up at the same time (``side_by_side``)
        self.loads: LoadProcesses | None = None
        self.rss: RssSampler | None = None

    def log(self, text: str) -> None:
        print(f"[{self.kind}] {text}", flush=True)

    # --- setup ---

    def make_workshops(self, url: str) -> list[dict[str, Any]]:
        a = self.args
        workshops, idx = [], 0
        with httpx.Client(base_url=url, timeout=30) as http:
            for wi in range(a.workshops):
                created = http.post(
                    "/api/workshops", json={"title": f"Bench workshop {wi + 1}", "table_count": a.tables}
                )
                if created.status_code != 201:
                    raise RuntimeError(f"POST /api/workshops: {created.status_code} {created.text[:500]}")
                body = created.json()
                code = body["workshop"]["join_code"]
                tables = http.get(f"/api/join/{code}").json()["tables"]
                w = {
                    "wi": wi,
                    "code": code,
                    "facilitator_token": body["facilitator_token"],
                    "projector_token": body["projector_token"],
                    "tables": [],
                    "phones": [],
                }
                for ti, t in enumerate(tables):
                    tix = wi * a.tables + ti
                    w["tables"].append({"id": t["id"], "tix": tix})
                    self.workshop_of_table[tix] = wi
                    for pi in range(a.phones):
                        w["phones"].append({"idx": idx, "tix": tix, "table_id": t["id"], "lead": pi == 0})
                        self.table_of_phone[idx] = tix
                        self.phones_of_table[tix].append(idx)
                        idx += 1
                workshops.append(w)
        self.principles = [p["id"] for p in default_principles()]
        return workshops

    def specs(self, url: str, workshops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        procs = max(1, min(self.args.procs, len(workshops)))
        return [
            {
                "url": url,
                "seed": self.args.seed * 1000 + k,
                "principles": self.principles,
                "workshops": workshops[k::procs],
                "deflate": self.args.deflate,
            }
            for k in range(procs)
        ]

    # --- the run ---

    def run(self) -> dict[str, Any]:
        """This target alone, start to end."""
        try:
            self.start()
            self.join()
            for k in range(1, self.args.repeat + 1):
                self.main_repeat(k)
            self.after_main()
            self.capacity()
            self.finish()
        finally:
            self.stop()
        return self.result

    def start(self) -> None:
        """The server, its workshops and its load processes, set up; nobody joined yet."""
        a = self.args
        extra_env = dict(item.split("=", 1) for item in self.args.app_env)
        self.server = Server(
            self.kind, self.folder, self.args.out, extra_env, a.tables, deployment=a.deployment, workers=a.workers,
            app_tree=a.app_tree,
        )
        try:
            self.server.start()
            self.services = Services(self.server.database, self.server.redis_url)
            self.pid = self.server.tree
            self.rss = RssSampler(self.pid)
            self.rss.start()
            time.sleep(0.5)
            self.result["rss_idle_mb"] = round(status_mb(self.pid, "VmRSS"), 1)
            workshops = self.make_workshops(self.server.url)
            self.loads = LoadProcesses(self.specs(self.server.url, workshops))
            self.load_pids = self.loads.pids
            self.loads.ask({"cmd": "setup"}, timeout=120)
            self.log(f"{len(workshops)} workshops, {self.phones} phones, {len(self.loads.procs)} load processes")
        except BaseException:
            self.failed()
            raise
        self.repeats: list[dict[str, Any]] = []

    def pids(self) -> list[int | ProcessTree]:
        """This target's server and load processes, while they run."""
        if self.server is None or self.loads is None:
            return []
        return [self.pid, *self.loads.pids]

    def neighbours_cpu(self) -> float:
        """CPU seconds so far of the other targets' servers and load processes (idle meanwhile: not others')."""
        total = 0.0
        for p in (p for other in self.neighbours for p in other.pids()):
            with contextlib.suppress(OSError):
                total += cpu_seconds(p)
        return total

    def failed(self) -> None:
        self.log("failed; the end of the server's log:\n" + self.server.log()[-3000:])

    def stop(self) -> None:
        if self.loads is not None:
            self.loads.close()
            self.loads = None
        if self.rss is not None:
            self.rss.stop()
            self.rss = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def _step(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except BaseException:
            self.failed()
            raise

    def join(self) -> None:
        """The join storm, then the server at rest with everyone connected."""

        def work():
            with Profiler(self.args, self.pid, f"{self.kind}-join"):
                self.join_storm(self.loads, self.pid)
            time.sleep(self.args.settle)
            self.idle(self.pid)

        self._step(work)

    def main_repeat(self, k: int) -> None:
        """The ``k``-th main phase at the default rate."""
        a = self.args

        def work():
            if k > 1:
                time.sleep(a.settle)
            with Profiler(a, self.pid, f"{self.kind}-main" + (f"-{k}" if k > 1 else "")):
                name = "main" if k == 1 else f"main-{k}"
                self.repeats.append(
                    self.measured(self.loads, self.pid, self.rss, name, self.phones / a.edit_interval, a.duration)
                )

        self._step(work)

    def after_main(self) -> None:
        self.result["main"] = median_phase(self.repeats)
        self.result["rss_main_peak_mb"] = round(self.rss.peak_between(0, time.time()), 1)
        # Every phone connected, the main phase over: what the phones hold (``rss_increment``).
        self.result["rss_after_main_mb"] = round(status_mb(self.pid, "VmRSS"), 1)

    def capacity(self) -> None:
        self._step(lambda: self.capacity_search(self.loads, self.pid, self.rss, self.repeats[0]))

    def finish(self) -> None:
        """The consoles' final sync, the integrity check, the peak."""

        def work():
            final = self.loads.ask({"cmd": "final", "settle": 1.0}, timeout=300)
            self.collect(final)
            self.result["integrity"] = self.integrity(final)
            self.result["rss_peak_mb"] = round(status_mb(self.pid, "VmHWM"), 1)

        self._step(work)

    def join_storm(self, loads: LoadProcesses, pid: int) -> None:
        at = time.time() + 1.0
        cpu0, services0 = cpu_seconds(pid), self.services.sample()
        system0, switches0 = system_cpu_seconds(pid), context_switches(pid)
        replies = loads.ask({"cmd": "join", "at": at, "window": self.args.join_window}, timeout=300)
        cpu = cpu_seconds(pid) - cpu0
        system, switches = system_cpu_seconds(pid) - system0, context_switches(pid) - switches0
        services = Services.between(services0, self.services.sample())
        ready = [r for reply in replies for r in reply["ready"]]
        failed = [f for reply in replies for f in reply["failed"]]
        if not ready:
            raise RuntimeError(f"no phone could join, e.g. {failed[0]}")
        self.joined = {r[0] for r in ready}
        storm = max(r[3] for r in ready) - at
        per_phone = summary_ms([r[3] - r[1] for r in ready])
        http = summary_ms([r[2] - r[1] for r in ready])
        self.result["join"] = {
            "phones": len(ready),
            "failed": len(failed),
            "failures": dict(Counter(failed).most_common(5)),
            "storm_s": round(storm, 3),
            "phone_ready_ms": per_phone,
            "http_join_ms": http,
            "server_cpu_s": round(cpu, 2),
            "server_system_cpu_s": round(system, 2),
            "server_context_switches": switches,
            "postgres_cpu_s": round(services["postgres_cpu_s"], 2),
            "redis_cpu_s": round(services["redis_cpu_s"], 2),
        }
        self.log(
            f"join storm: {len(ready)} phones ready in {storm:.2f} s "
            f"(per phone p50 {per_phone['p50']:.0f} ms, p99 {per_phone['p99']:.0f} ms), server CPU {cpu:.1f} s "
            f"({system:.1f} s in the kernel, {switches} context switches)"
            + (f"; {len(failed)} could NOT join: {Counter(failed).most_common(3)}" if failed else "")
        )

    def wait_quiet(self, pid: int, load_pids: list[int]) -> float:
        """Other people's work on this machine shows up as latency: before a phase, wait (a bounded time) until
        everything that is not this benchmark uses less than ``--quiet-cores``."""
        a = self.args
        started = time.monotonic()
        ours = [pid, *load_pids]
        while self.quiet_budget > 0:
            (busy0, total0), t0 = machine_busy(), time.time()
            cpu0 = sum(cpu_seconds(p) for p in ours) + self.neighbours_cpu()
            time.sleep(0.5)
            (busy1, total1), cpu1 = machine_busy(), sum(cpu_seconds(p) for p in ours) + self.neighbours_cpu()
            others = NCPU * (busy1 - busy0) / max(1, total1 - total0) - (cpu1 - cpu0) / (time.time() - t0)
            if others < a.quiet_cores or time.monotonic() - started >= a.quiet_wait:
                break
            self.quiet_budget -= time.monotonic() - t0
        return time.monotonic() - started

    def measured(self, loads, pid, rss, name: str, rate: float, duration: float, **kwargs) -> dict[str, Any]:
        """A phase, measured again (once or twice a target) when it failed while others loaded the machine."""
        result = self.phase(loads, pid, rss, name, rate, duration, **kwargs)
        if (
            not result["sustained"]
            and result["others_cpu_cores"] >= self.args.quiet_cores
            and self.retries > 0
        ):
            self.retries -= 1
            result["measured_again"] = True
            self.log(
                f"{name}: others used {result['others_cpu_cores']:.2f} cores meanwhile; measuring it again"
            )
            result = self.phase(loads, pid, rss, name + "-again", rate, duration, **kwargs)
        return result

    def idle(self, pid: int) -> None:
        """Server CPU with every phone connected and nobody doing anything (pings, heartbeats, timers)."""
        cpu0, t0 = cpu_seconds(pid), time.time()
        time.sleep(self.args.idle)
        self.idle_cpu = (cpu_seconds(pid) - cpu0) / (time.time() - t0)
        self.result["idle_cpu_pct"] = round(100 * self.idle_cpu, 1)
        self.log(f"idle, {self.phones} phones connected: server CPU {100 * self.idle_cpu:.1f}%")

    def collect(self, replies: list[dict[str, Any]]) -> None:
        for reply in replies:
            for s in reply["sends"]:
                key = (s[2], s[3])
                if key in self.sends:
                    self.duplicate_acks += 1
                else:
                    self.sends[key] = s
            for role, client, tix, revision, t, items in reply["receipts"]:
                self.received[(tix, revision)].append((role, client, t, items))

    def phase(
        self,
        loads: LoadProcesses,
        pid: int,
        rss: RssSampler,
        name: str,
        rate: float,
        duration: float,
        ack_timeout: float = load.ACK_TIMEOUT,
    ):
        a = self.args
        waited = self.wait_quiet(pid, loads.pids)
        at = time.time() + 0.5
        cpu0, load0, (busy0, total0) = cpu_seconds(pid), [cpu_seconds(p) for p in loads.pids], machine_busy()
        neighbours0 = self.neighbours_cpu()
        services0 = self.services.sample()
        msg = {
            "cmd": "run",
            "phase": name,
            "at": at,
            "duration": duration,
            "rate_per_phone": rate / self.phones,
            "timer": True,
            "settle": 0.5,
            "ack_timeout": ack_timeout,
        }
        replies = loads.ask(msg, timeout=duration + load.ACK_TIMEOUT + 60)
        t_end = time.time()
        server_cpu = cpu_seconds(pid) - cpu0
        services = Services.between(services0, self.services.sample())
        load_cpu = [cpu_seconds(p) - c for p, c in zip(loads.pids, load0, strict=True)]
        neighbours_cpu = self.neighbours_cpu() - neighbours0
        busy1, total1 = machine_busy()
        wall = t_end - at
        self.collect(replies)
        counts: Counter = Counter()
        for reply in replies:
            counts.update(reply["counts"])
        # Latency of the changes sent in this phase after its first second (the rate is steady by then).
        t_from, t_to = at + a.warmup, at + duration
        window = [s for s in self.sends.values() if s[0] == name and t_from <= s[4] < t_to]
        to_phones, to_projector, to_console = [], [], []
        to_projector_by_kind: dict[str, list[float]] = defaultdict(list)  # where the tail comes from
        not_yet_on_projector = 0
        for s in window:
            on_projector = False
            for role, client, t_recv, _items in self.received.get((s[2], s[3]), ()):
                if role == load.PHONE:
                    if client != s[1]:
                        to_phones.append(t_recv - s[4])
                elif role == load.PROJECTOR:
                    to_projector.append(t_recv - s[4])
                    to_projector_by_kind[KIND_NAMES[s[6]]].append(t_recv - s[4])
                    on_projector = True
                else:
                    to_console.append(t_recv - s[4])
            not_yet_on_projector += not on_projector
        measured = t_to - t_from
        turns = counts.get("turns", 0)
        answered = counts.get("acked", 0) + sum(v for k, v in counts.items() if k.startswith("refused:"))
        result = {
            "phase": name,
            "offered_per_s": round(rate, 1),
            "duration_s": duration,
            "commands_per_s": round(answered / duration, 1),
            "changes_per_s": round(len(window) / measured, 1) if measured > 0 else 0.0,
            "to_other_phones_ms": summary_ms(to_phones),
            "to_projector_ms": summary_ms(to_projector),
            "to_projector_by_kind_ms": {k: summary_ms(v) for k, v in sorted(to_projector_by_kind.items())},
            "to_console_ms": summary_ms(to_console),
            "ack_ms": summary_ms([s[5] - s[4] for s in window]),
            "counts": dict(sorted(counts.items())),
            "server_cpu_pct": round(100 * server_cpu / wall, 1),
            "server_cpu_ms_per_command": round(1000 * server_cpu / answered, 3) if answered else None,
            "server_cpu_ms_per_command_above_idle": round(
                1000 * max(0.0, server_cpu - self.idle_cpu * wall) / answered, 3
            )
            if answered
            else None,
            "load_cpu_pct": [round(100 * c / wall, 1) for c in load_cpu],
            # Scale-out: PostgreSQL's backends for the run's database, and the (shared) Redis server.
            "postgres_cpu_pct": round(100 * services["postgres_cpu_s"] / wall, 1),
            "postgres_cpu_ms_per_command": round(1000 * services["postgres_cpu_s"] / answered, 3) if answered else None,
            "redis_cpu_pct": round(100 * services["redis_cpu_s"] / wall, 1),
            "redis_cpu_ms_per_command": round(1000 * services["redis_cpu_s"] / answered, 3) if answered else None,
            "redis_publishes_per_command": round(services["redis_publishes"] / answered, 2) if answered else None,
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
            # CPU used by everything else on the machine (other users), in cores.
            "others_cpu_cores": round(
                max(
                    0.0,
                    NCPU * (busy1 - busy0) / max(1, total1 - total0)
                    - (
                        server_cpu + sum(load_cpu) + neighbours_cpu + services["postgres_cpu_s"] + services["redis_cpu_s"]
                    )
                    / wall,
                ),
                2,
            ),
            "load_lag_p99_ms": round(max(r["lag_p99_ms"] for r in replies), 1),
            "load_lag_max_ms": round(max(r["lag_max_ms"] for r in replies), 1),
            "server_rss_mb": round(rss.peak_between(at, t_end), 1),
            # Changes acknowledged in the window whose update had not reached the projector when the phase
            # was collected (late by more than the settle time, or lost): the phase is then not sustained.
            "not_yet_on_projector": not_yet_on_projector,
            "waited_for_quiet_s": round(waited, 1),
        }
        unanswered = counts.get("timeout", 0) + sum(
            v for k, v in counts.items() if k.startswith("send_failed")
        )
        busy = counts.get("turn_skipped_busy", 0)
        p99 = result["to_projector_ms"]["p99"]
        why = []
        if math.isnan(p99) or p99 > a.p99_limit_ms:
            why.append(f"p99 to projector over {a.p99_limit_ms:.0f} ms")
        if not_yet_on_projector:
            why.append(f"{not_yet_on_projector} updates not on the projector in time")
        if unanswered:
            why.append(f"{unanswered} commands unanswered")
        if busy > 0.01 * max(1, turns):
            why.append(f"{busy} turns skipped (phone still waiting)")
        result["sustained"] = not why
        result["not_sustained_because"] = why
        self.phases.append(result)
        self.log(
            f"{name:>8}: offered {rate:7.1f}/s, answered {result['commands_per_s']:7.1f} commands/s, "
            f"{result['changes_per_s']:7.1f} changes/s | to projector p50 {result['to_projector_ms']['p50']:7.1f} "
            f"p99 {p99:7.1f} ms | to phones p99 {result['to_other_phones_ms']['p99']:7.1f} ms | server CPU "
            f"{result['server_cpu_pct']:5.1f}% | load CPU {result['load_cpu_pct']} | machine "
            f"{result['machine_busy_pct']:.0f}% (others {result['others_cpu_cores']:.2f} cores) | {'ok' if result['sustained'] else 'NOT sustained: ' + '; '.join(why)}"
        )
        return result

    def capacity_search(self, loads: LoadProcesses, pid: int, rss: RssSampler, main: dict[str, Any]) -> None:
        a = self.args
        rate = self.phones / a.edit_interval
        best = main if main["sustained"] else None
        lo, hi = (rate, None) if main["sustained"] else (None, rate)
        for step in range(a.max_steps):
            if hi is None:
                r = lo * 2
                if r > a.max_rate:
                    break
            elif lo is None:
                r = hi / 2
                if r < 1:
                    break
            else:
                if hi / lo < 1.15:
                    break
                r = (lo + hi) / 2
            # An answer later than a few seconds fails the step anyway: do not wait the full ack timeout.
            result = self.measured(loads, pid, rss, f"step{step + 1}", r, a.step_duration, ack_timeout=5.0)
            if result["sustained"]:
                lo = r
                if best is None or result["commands_per_s"] > best["commands_per_s"]:
                    best = result
            else:
                hi = r
            time.sleep(a.settle)
        self.result["capacity"] = {
            "commands_per_s": best["commands_per_s"] if best else 0.0,
            "changes_per_s": best["changes_per_s"] if best else 0.0,
            "offered_per_s": best["offered_per_s"] if best else 0.0,
            "phase": best["phase"] if best else None,
            "first_failing_offered_per_s": round(hi, 1) if hi is not None else None,
            "searched_up_to_max_rate": hi is None,
        }
        self.result["phases"] = self.phases

    def integrity(self, final: list[dict[str, Any]]) -> dict[str, Any]:
        """Lost acknowledged changes, and updates that did not reach a client that should have had them."""
        projector_seen: dict[tuple[int, int], tuple] = {}
        phone_seen: dict[tuple[int, int], set[int]] = defaultdict(set)
        for key, receipts in self.received.items():
            for role, client, _t, items in receipts:
                if role == load.PROJECTOR:
                    projector_seen[key] = items
                elif role == load.PHONE:
                    phone_seen[key].add(client)
        rankings: dict[int, tuple[int, tuple]] = {}
        for reply in final:
            rankings.update({int(k): v for k, v in reply["rankings"].items()})
        lost_keys: set[tuple[int, int]] = set()
        not_on_projector = wrong_on_projector = 0
        missed_phone = 0
        for key, s in self.sends.items():
            tix, revision = key
            if key not in projector_seen:
                not_on_projector += 1
                lost_keys.add(key)
            elif projector_seen[key] != tuple(s[7]):
                wrong_on_projector += 1
                lost_keys.add(key)
            others = (set(self.phones_of_table[tix]) & self.joined) - {s[1]}
            missed_phone += len(others - phone_seen.get(key, set()))
            final_revision, final_items = rankings.get(tix, (-1, ()))
            if final_revision < revision:
                lost_keys.add(key)
        # The newest acknowledged change of each table must be what the server holds now.
        newest: dict[int, tuple] = {}
        for (tix, revision), s in self.sends.items():
            if tix not in newest or revision > newest[tix][3]:
                newest[tix] = s
        final_mismatch = 0
        for tix, s in newest.items():
            final_revision, final_items = rankings.get(tix, (-1, ()))
            if final_revision == s[3] and tuple(final_items) != tuple(s[7]):
                final_mismatch += 1
                lost_keys.add((tix, s[3]))
        connected = sum(r["phones_connected"] for r in final)
        disconnects: Counter = Counter()
        for r in final:
            disconnects.update({int(k): v for k, v in r["disconnects"].items()})
        return {
            "acked_changes": len(self.sends),
            "lost_acked_edits": len(lost_keys) + self.duplicate_acks,
            "duplicate_revisions": self.duplicate_acks,
            "not_on_projector": not_on_projector,
            "wrong_on_projector": wrong_on_projector,
            "final_state_mismatch": final_mismatch,
            "missed_phone_updates": missed_phone,
            "phones_connected_at_end": connected,
            "disconnects": {["phone", "projector", "facilitator"][k]: v for k, v in disconnects.items()},
        }


# --- report -----------------------------------------------------------------------------------------------


def num(x: float | None) -> float:
    return math.nan if x is None else float(x)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return round(a / b, 2)


def report(
    args: argparse.Namespace, runs: dict[str, dict[str, Any]], stack: dict[str, float], seconds: float
) -> dict[str, Any]:
    app, floor = runs["app"], runs["floor"]
    phones = args.workshops * args.tables * args.phones
    per_k = 1000 / phones

    print("\n=== latency at the default rate (main phase), ms ===")
    print(f"{'figure':34} {'app':>9} {'floor':>9} {'app/floor':>10}")
    for label, key in (
        ("phone edit -> projector", "to_projector_ms"),
        ("phone edit -> other phones", "to_other_phones_ms"),
        ("phone edit -> console", "to_console_ms"),
        ("phone edit -> ack", "ack_ms"),
    ):
        for q in ("p50", "p95", "p99", "max"):
            x, y = app["main"][key][q], floor["main"][key][q]
            print(f"{label + ' ' + q:34} {num(x):9.1f} {num(y):9.1f} {num(ratio(x, y)):10.2f}")
    rows = [
        ("join storm, s", app["join"]["storm_s"], floor["join"]["storm_s"]),
        (
            "join, per phone p99 ms",
            app["join"]["phone_ready_ms"]["p99"],
            floor["join"]["phone_ready_ms"]["p99"],
        ),
        (
            "server CPU % per 1,000 phones",
            app["main"]["server_cpu_pct"] * per_k,
            floor["main"]["server_cpu_pct"] * per_k,
        ),
        (
            "server CPU ms per command",
            app["main"]["server_cpu_ms_per_command"],
            floor["main"]["server_cpu_ms_per_command"],
        ),
        (
            "  the same, above idle",
            app["main"]["server_cpu_ms_per_command_above_idle"],
            floor["main"]["server_cpu_ms_per_command_above_idle"],
        ),
        ("server CPU % idle, all connected", app["idle_cpu_pct"], floor["idle_cpu_pct"]),
        ("peak RSS MB per 1,000 phones", app["rss_peak_mb"] * per_k, floor["rss_peak_mb"] * per_k),
        ("capacity, commands/s", app["capacity"]["commands_per_s"], floor["capacity"]["commands_per_s"]),
        ("capacity, ranking changes/s", app["capacity"]["changes_per_s"], floor["capacity"]["changes_per_s"]),
    ]
    print(f"\n{'figure':34} {'app':>9} {'floor':>9} {'app/floor':>10}")
    for label, x, y in rows:
        print(f"{label:34} {num(x):9.1f} {num(y):9.1f} {num(ratio(x, y)):10.2f}")
    libraries = stack["stack_libraries_mb"]
    floor_with_libraries = round((floor["rss_peak_mb"] + libraries) * per_k, 1)
    print(
        f"\nthe stack's libraries ({', '.join(STACK_LIBRARIES)}) hold {libraries:.1f} MB from start-up "
        f"(the floor at rest: {stack['floor_idle_mb']:.1f} MB alone, {stack['floor_with_stack_libraries_idle_mb']:.1f}"
        f" carrying them): the floor carrying them would peak at ~{floor_with_libraries:.0f} MB per 1,000 phones"
    )
    lost = app["integrity"]["lost_acked_edits"] + floor["integrity"]["lost_acked_edits"]
    print(f"\nintegrity app:   {app['integrity']}\nintegrity floor: {floor['integrity']}")

    a_p99, f_p99 = app["main"]["to_projector_ms"]["p99"], floor["main"]["to_projector_ms"]["p99"]
    capacity_app, capacity_floor = app["capacity"]["commands_per_s"], floor["capacity"]["commands_per_s"]
    rss_per_k = round(app["rss_peak_mb"] * per_k, 1)
    # What the phones add: the RSS with every phone connected after the main phase(s), less the RSS at rest.
    increment = {
        kind: round((run["rss_after_main_mb"] - run["rss_idle_mb"]) * per_k, 1) for kind, run in runs.items()
    }
    targets = TARGETS[args.deployment]
    met = {
        name: bool(check(a_p99, f_p99, capacity_app, capacity_floor, app, floor, increment) is True)
        for name, check in targets.items()
    }
    met["no_lost_acked_edits"] = lost == 0
    print(
        f"\nRSS at rest: app {app['rss_idle_mb']:.1f} MB, floor {floor['rss_idle_mb']:.1f} MB; each 1,000 phones "
        f"add: app {increment['app']:.1f} MB, floor {increment['floor']:.1f} MB"
    )
    print("\ntargets: " + ", ".join(f"{k}={'MET' if v else 'NOT MET'}" for k, v in met.items()))
    others = max(app["main"]["others_cpu_cores"], floor["main"]["others_cpu_cores"])
    if others >= args.quiet_cores:
        print(
            f"WARNING: other processes used {others:.2f} of {NCPU} cores during a main phase: these figures are "
            "noisy (the floor's especially); run again when the machine is quieter."
        )
    return {
        "deployment": args.deployment,
        "workers": args.workers,
        "app_tree": None if args.app_tree == ROOT else str(args.app_tree),
        "repeat": args.repeat,
        "phones": phones,
        "workshops": args.workshops,
        "tables_per_workshop": args.tables,
        "phones_per_table": args.phones,
        "edit_rate_per_s": round(phones / args.edit_interval, 1),
        "app_p50_ms": app["main"]["to_projector_ms"]["p50"],
        "app_p95_ms": app["main"]["to_projector_ms"]["p95"],
        "app_p99_ms": a_p99,
        "app_max_ms": app["main"]["to_projector_ms"]["max"],
        "floor_p50_ms": floor["main"]["to_projector_ms"]["p50"],
        "floor_p95_ms": floor["main"]["to_projector_ms"]["p95"],
        "floor_p99_ms": f_p99,
        "floor_max_ms": floor["main"]["to_projector_ms"]["max"],
        "ratio_p50": ratio(app["main"]["to_projector_ms"]["p50"], floor["main"]["to_projector_ms"]["p50"]),
        "ratio_p99": ratio(a_p99, f_p99),
        "app_p99_runs_ms": app["main"]["p99_to_projector_runs_ms"],
        "floor_p99_runs_ms": floor["main"]["p99_to_projector_runs_ms"],
        "app_phones_p50_ms": app["main"]["to_other_phones_ms"]["p50"],
        "app_phones_p99_ms": app["main"]["to_other_phones_ms"]["p99"],
        "app_phones_max_ms": app["main"]["to_other_phones_ms"]["max"],
        "floor_phones_p50_ms": floor["main"]["to_other_phones_ms"]["p50"],
        "floor_phones_p99_ms": floor["main"]["to_other_phones_ms"]["p99"],
        "floor_phones_max_ms": floor["main"]["to_other_phones_ms"]["max"],
        "ratio_phones_p99": ratio(
            app["main"]["to_other_phones_ms"]["p99"], floor["main"]["to_other_phones_ms"]["p99"]
        ),
        "lost_acked_edits": lost,
        "acked_changes": app["integrity"]["acked_changes"] + floor["integrity"]["acked_changes"],
        "join_storm_s": app["join"]["storm_s"],
        "join_failed": app["join"]["failed"],
        "floor_join_failed": floor["join"]["failed"],
        "floor_join_storm_s": floor["join"]["storm_s"],
        "ratio_join_storm": ratio(app["join"]["storm_s"], floor["join"]["storm_s"]),
        "rss_at_rest_mb": app["rss_idle_mb"],
        "floor_rss_at_rest_mb": floor["rss_idle_mb"],
        "rss_increment_mb_per_1000_phones": increment["app"],
        "floor_rss_increment_mb_per_1000_phones": increment["floor"],
        "ratio_rss_increment": ratio(increment["app"], increment["floor"]),
        "rss_mb_per_1000_phones": rss_per_k,
        "floor_rss_mb_per_1000_phones": round(floor["rss_peak_mb"] * per_k, 1),
        "stack_libraries_mb": libraries,
        "floor_with_stack_libraries_rss_mb_per_1000_phones": floor_with_libraries,
        "ratio_rss": ratio(app["rss_peak_mb"], floor["rss_peak_mb"]),
        "app_cpu_pct_per_1000_phones": round(app["main"]["server_cpu_pct"] * per_k, 1),
        "floor_cpu_pct_per_1000_phones": round(floor["main"]["server_cpu_pct"] * per_k, 1),
        "ratio_cpu": ratio(app["main"]["server_cpu_pct"], floor["main"]["server_cpu_pct"]),
        "app_cpu_ms_per_command": app["main"]["server_cpu_ms_per_command"],
        "floor_cpu_ms_per_command": floor["main"]["server_cpu_ms_per_command"],
        "join_server_cpu_s": app["join"]["server_cpu_s"],
        "floor_join_server_cpu_s": floor["join"]["server_cpu_s"],
        "app_postgres_cpu_ms_per_command": app["main"]["postgres_cpu_ms_per_command"],
        "app_redis_cpu_ms_per_command": app["main"]["redis_cpu_ms_per_command"],
        "floor_redis_cpu_ms_per_command": floor["main"]["redis_cpu_ms_per_command"],
        "app_redis_publishes_per_command": app["main"]["redis_publishes_per_command"],
        "floor_redis_publishes_per_command": floor["main"]["redis_publishes_per_command"],
        "app_capacity_edits_per_s": capacity_app,
        "floor_capacity_edits_per_s": capacity_floor,
        "ratio_capacity": ratio(capacity_app, capacity_floor),
        "machine_busy_pct_main": max(app["main"]["machine_busy_pct"], floor["main"]["machine_busy_pct"]),
        # CPU other people's processes used during the main phases, in cores (of NCPU): above --quiet-cores
        # the comparison with the floor is unreliable; run again when the machine is quieter.
        "others_cpu_cores_main": max(app["main"]["others_cpu_cores"], floor["main"]["others_cpu_cores"]),
        "noisy": max(app["main"]["others_cpu_cores"], floor["main"]["others_cpu_cores"]) >= args.quiet_cores,
        "targets": met,
        "targets_met": all(met.values()),
        "bench_seconds": round(seconds, 1),
    }


def _within(factor: float):
    return lambda a_p99, f_p99, *_: ratio(a_p99, f_p99) is not None and a_p99 <= factor * f_p99


def _capacity(share: float):
    return lambda _a, _f, capacity_app, capacity_floor, *_: bool(capacity_floor) and capacity_app >= share * capacity_floor


def _join_within(factor: float):
    return lambda _a, _f, _ca, _cf, app, floor, _i: app["join"]["storm_s"] <= factor * floor["join"]["storm_s"]


def _increment_within(factor: float):
    return lambda *args: args[-1]["app"] <= factor * max(args[-1]["floor"], 0.1)


# The targets of each deployment (issue 19; docs/performance.md): checks of (app p99, floor p99, app capacity,
# floor capacity, app run, floor run, RSS increments per 1,000 phones). No acknowledged change lost, in both.
TARGETS = {
    "embedded": {
        "p99_to_projector_within_1_5x_floor": _within(1.5),
        "p99_to_projector_under_100_ms": lambda a_p99, *_: a_p99 < 100,
        "capacity_at_least_70pct_of_floor": _capacity(0.7),
        "join_storm_within_2x_floor": _join_within(2.0),
        "rss_increment_within_1_25x_floor": _increment_within(1.25),
    },
    "scaleout": {
        "p99_to_projector_within_2x_floor": _within(2.0),
        "p99_to_projector_under_100_ms": lambda a_p99, *_: a_p99 < 100,
        "capacity_at_least_60pct_of_floor": _capacity(0.6),
        "join_storm_within_3x_floor": _join_within(3.0),
        "rss_increment_within_1_25x_floor": _increment_within(1.25),
    },
}


def plot(runs: dict[str, dict[str, Any]], args: argparse.Namespace, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot; `make bench` installs it)")
        return False
    phones = args.workshops * args.tables * args.phones
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    styles = {"app": ("tab:red", "App"), "floor": ("tab:blue", "Floor (bare python-socketio relay)")}
    for kind, run in runs.items():
        colour, label = styles[kind]
        points = sorted(
            ((p["commands_per_s"], p["to_projector_ms"]) for p in run["phases"]), key=lambda p: p[0]
        )
        xs = [x for x, _ in points]
        ax.plot(xs, [y["p50"] for _, y in points], "o--", color=colour, alpha=0.6, label=f"{label}, p50")
        ax.plot(xs, [y["p99"] for _, y in points], "s-", color=colour, label=f"{label}, p99")
        capacity = run["capacity"]
        if capacity["phase"]:
            best = next(p for p in run["phases"] if p["phase"] == capacity["phase"])
            ax.plot(
                [best["commands_per_s"]],
                [best["to_projector_ms"]["p99"]],
                "*",
                markersize=16,
                color=colour,
                label=f"{label}: capacity {best['commands_per_s']:.0f}/s",
            )
    ax.axhline(
        args.p99_limit_ms,
        color="grey",
        linestyle=":",
        label=f"capacity limit: p99 {args.p99_limit_ms:.0f} ms",
    )
    ax.axvline(phones / args.edit_interval, color="green", linestyle=":", label="default rate")
    ax.set_yscale("log")
    ax.set_xlabel("ranking commands answered per second (whole server)")
    ax.set_ylabel("phone edit -> projector update, ms")
    deployment = (
        "embedded: one process, SQLite"
        if args.deployment == "embedded"
        else f"scale-out: {args.workers} workers, PostgreSQL and Redis"
    )
    ax.set_title(
        f"Latency against load ({deployment})\n{args.workshops} workshops x {args.tables} tables x "
        f"{args.phones} phones = {phones} phones",
        fontsize=11,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    print(f"plot: {path}")
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--workshops", "-W", type=int, default=40)
    p.add_argument("--tables", "-T", type=int, default=5, help="tables per workshop")
    p.add_argument("--phones", "-P", type=int, default=5, help="phones per table")
    p.add_argument(
        "--edit-interval", "-S", type=float, default=10.0, help="mean seconds between a phone's edits"
    )
    p.add_argument("--duration", type=float, default=20.0, help="seconds of the main phase")
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="main phases per target: the latency and CPU figures are the medians over them",
    )
    p.add_argument(
        "--sequential",
        action="store_true",
        help="one target after the other (as before issue 19's alternation), not both servers up at once",
    )
    p.add_argument("--step-duration", type=float, default=6.0, help="seconds of each capacity step")
    p.add_argument("--max-steps", type=int, default=7, help="capacity steps per target (0: no search)")
    p.add_argument("--max-rate", type=float, default=3200.0, help="highest edit rate tried, per second")
    p.add_argument("--p99-limit-ms", type=float, default=250.0, help="capacity: p99 edit -> projector limit")
    p.add_argument("--procs", type=int, default=3, help="load processes")
    p.add_argument("--join-window", type=float, default=0.0, help="phones join spread over this many seconds")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds at the start of a phase not measured")
    p.add_argument("--idle", type=float, default=3.0, help="seconds of server CPU measured with no edits")
    p.add_argument("--settle", type=float, default=0.5, help="pause between phases, seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--deployment",
        choices=("embedded", "scaleout"),
        default="embedded",
        help="embedded: one process on SQLite; scaleout: --workers processes on PostgreSQL and Redis "
        "(the floor: the same workers with python-socketio's AsyncRedisManager)",
    )
    p.add_argument("--workers", type=int, default=None, help="server processes (scaleout; default 2)")
    p.add_argument(
        "--quiet-cores",
        type=float,
        default=0.5,
        help="before a phase, wait until other processes use less than this many cores ...",
    )
    p.add_argument("--quiet-wait", type=float, default=10.0, help="... for at most this many seconds a phase")
    p.add_argument("--quiet-budget", type=float, default=20.0, help="... and this many seconds a target")
    p.add_argument(
        "--noisy-retries",
        type=int,
        default=1,
        help="phases measured again (per target) when they fail while others used --quiet-cores or more",
    )
    p.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the app (repeatable)",
    )
    p.add_argument(
        "--deflate",
        action="store_true",
        help="clients ask for permessage-deflate, as browsers do (the default run's clients do not)",
    )
    p.add_argument(
        "--targets", default="app,floor", help="kept for debugging: both are needed for the report"
    )
    p.add_argument(
        "--app-tree",
        type=Path,
        default=ROOT,
        help="run the app from another checkout of this project, with this one's harness, floor and libraries "
        "(to compare two trees in one sitting)",
    )
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for the full results")
    p.add_argument("--plot", type=Path, default=None, help="PNG path (default: in --out)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument(
        "--profile",
        action="store_true",
        help="sample the server with py-spy during the join storm and the main phase (into --out)",
    )
    args = p.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.deployment == "scaleout" else 1
    if args.deployment == "embedded" and args.workers != 1:
        p.error("--workers needs --deployment scaleout (the embedded default is one process)")
    return args


# What the fixed stack obliges the app to carry beyond the floor's own libraries (python-socketio, Starlette,
# uvicorn): sqlmodel (with pydantic and SQLAlchemy's ORM), SQLAlchemy's asyncio extension and its SQLite
# driver, and jinja2 for the pages.
STACK_LIBRARIES = ("sqlmodel", "sqlalchemy.ext.asyncio", "sqlalchemy.dialects.sqlite.aiosqlite", "jinja2")


def stack_libraries_mb(folder: Path, tables: int) -> dict[str, float]:
    """The floor's resident memory at start-up, alone and carrying ``STACK_LIBRARIES`` (imported, nothing more),
    measured as each target's idle memory is: what the stack costs before the app's first line of its own. The
    difference is a constant the app pays at any size; added to the floor's peak it says how much of the memory
    target the stack leaves to the app."""
    idle = {}
    for name, imports in (("floor", ()), ("with_libraries", STACK_LIBRARIES)):
        server = Server("floor", folder, folder / f"stack-{name}", tables=tables, floor_imports=imports).start()
        try:
            time.sleep(0.5)
            idle[name] = status_mb(server.process.pid, "VmRSS")
        finally:
            server.stop()
    return {
        "floor_idle_mb": round(idle["floor"], 1),
        "floor_with_stack_libraries_idle_mb": round(idle["with_libraries"], 1),
        "stack_libraries_mb": round(idle["with_libraries"] - idle["floor"], 1),
    }


def side_by_side(targets: list[TargetRun], repeat: int) -> dict[str, dict[str, Any]]:
    """Every target's server up at once, each with its phones connected: the main phases alternate between them
    (ABBA: app, floor, floor, app, ...), so that what the machine does over the minutes a run takes (a shared
    virtual machine's speed drifts) falls on both alike and ``ratio_p99`` compares like with like. The join
    storms and capacity searches run one target at a time; the other's phones sit idle (pings only)."""
    for target in targets:
        target.neighbours = [other for other in targets if other is not target]
    try:
        for target in targets:
            target.start()
        for target in targets:
            target.join()
        for k in range(1, repeat + 1):
            for target in targets if k % 2 else reversed(targets):
                target.main_repeat(k)
        for target in targets:
            target.after_main()
        for target in targets:
            target.capacity()
        for target in targets:
            target.finish()
    finally:
        for target in targets:
            with contextlib.suppress(Exception):  # each is stopped, whatever another's stop raised
                target.stop()
    return {target.kind: target.result for target in targets}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="thrive-bench-") as tmp:
        targets = [TargetRun(kind, args, Path(tmp)) for kind in args.targets.split(",")]
        if args.sequential:
            for target in targets:
                runs[target.kind] = target.run()
        else:
            runs = side_by_side(targets, args.repeat)
        stack = stack_libraries_mb(Path(tmp), args.tables) if "floor" in runs else {}
    summary = report(args, runs, stack, time.time() - started) if {"app", "floor"} <= runs.keys() else {}
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_plot:
        plot(runs, args, args.plot or args.out / f"latency-vs-load-{stamp}.png")
    details = args.out / f"bench-{stamp}.json"
    details.write_text(
        json.dumps(
            {
                "args": {k: str(v) for k, v in vars(args).items()},
                "summary": summary,
                "runs": runs,
                "stack_libraries": stack,
            },
            indent=1,
        )
    )
    print(f"full results: {details}")
    print(json.dumps(summary))
    return 0
