"""Real processes for the scale-out tests: server workers, a private Redis, a throwaway PostgreSQL cluster, and a
small TCP balancer standing in for the proxy in front of several hosts (docs/deploy.md).

Tests that stop or restart Redis or PostgreSQL use the private instances here, never the machine's shared ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

from tests.live import LiveServer, free_port


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    """Synchronous bounded wait (for process start-up and shutdown)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


# --- Server workers -------------------------------------------------------------------------------------------


class Worker(LiveServer):
    """A server process (uvicorn, the app factory), optionally with uvicorn's own ``--workers N``: ready when
    /readyz says so (database and Redis reached), with fast heartbeats, and per-address limits as deployed."""

    ready_path = "/readyz"
    # Generous: on a busy 2-core machine, starting Python and its imports alone can take many seconds.
    ready_timeout = 90.0
    ready_request_timeout = 8.0

    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None = None,
        env: dict | None = None,
        uvicorn_args: tuple[str, ...] = (),
        name: str = "worker",
        port: int | None = None,
    ):
        super().__init__(database_url, redis_url=redis_url, port=port, env=env, uvicorn_args=uvicorn_args)
        self.name = name

    def base_env(self) -> dict[str, str]:
        return {"SCHEDULER_INTERVAL": "0.2", "HEARTBEAT_INTERVAL": "0.5", "LOG_LEVEL": "warning"}

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, as a deploy or an orchestrator does: returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def children(self) -> list[int]:
        """The worker processes of ``uvicorn --workers N`` (their parent is this process)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


async def start_workers(*workers: Worker, log_dir: Path) -> None:
    """Start several at once (each start blocks for a second or two), off the event loop."""
    await asyncio.gather(*(asyncio.to_thread(w.start, log_dir) for w in workers))


# --- A private Redis ------------------------------------------------------------------------------------------


class RedisProcess:
    """``redis-server`` on a free port, that a test may kill and start again (same port)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=open(self.folder / f"redis-{self.port}.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _port_open(self.port), 10, "redis-server to listen")
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- A throwaway PostgreSQL cluster ---------------------------------------------------------------------------


def postgres_tools_available() -> bool:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return False
    if os.geteuid() == 0:  # initdb refuses to run as root: it runs as the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` in a temporary folder, on a free port; stopped and removed at the end."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="thrive-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.running = False
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [shutil.which(args[0]) or args[0], *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}\n{self.log()}"
            )

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def init(self) -> PostgresCluster:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        return self

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash (no checkpoint: WAL replay at the next start)."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
            self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --- The proxy in front of several hosts ----------------------------------------------------------------------


class Balancer:
    """A TCP round-robin balancer (what nginx or a cloud load balancer does for websockets): each new connection
    goes to the next backend that accepts it, so clients of a dead backend reconnect to a live one."""

    def __init__(self, backends: list[int]):
        self.backends = list(backends)
        self.port = 0
        self._next = 0
        self._server: asyncio.AbstractServer | None = None
        self._pipes: set[asyncio.Task] = set()
        self.routed: list[int] = []  # the backend port of each connection, in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Balancer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for attempt in range(len(self.backends)):
            port = self.backends[(self._next + attempt) % len(self.backends)]
            try:
                # A dead backend refuses at once; the bound is for a busy machine, where 2 s could pass anyway.
                up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            except (TimeoutError, OSError):
                continue
            self._next = (self._next + attempt + 1) % len(self.backends)
            self.routed.append(port)
            pipes = [
                asyncio.ensure_future(_pipe(reader, up_writer)),
                asyncio.ensure_future(_pipe(up_reader, writer)),
            ]
            self._pipes.update(pipes)
            for pipe in pipes:
                pipe.add_done_callback(self._pipes.discard)
            return
        writer.close()

    async def close(self) -> None:
        if self._server:
            self._server.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
