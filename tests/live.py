"""A real server in its own process (uvicorn, the app factory), on a free port, that tests can kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.cli import server_flags

ROOT = Path(__file__).resolve().parents[1]
# The ceiling of a wait for a condition, in seconds: on a busy 2-core machine what takes 0.1 s alone can take
# many seconds. It only shows when a test fails, so it is generous.
LONGEST_WAIT = 30.0


def fresh_python(code: str, tmp_path: Path, timeout: float = 120) -> object:
    """Run ``code`` in a new interpreter on the embedded default (its own SQLite under ``tmp_path``, no Redis)
    and return the JSON it prints last: for what only a fresh process shows (imports, process-wide settings)."""
    import json

    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def migrate(database_url: str) -> None:
    """``thrive-workshop migrate``, as the release step runs it."""
    subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PER_ADDRESS_LIMITS_OFF = {
    "WORKSHOPS_PER_IP_PER_HOUR": "0",
    "EVENTS_PER_SECOND_PER_IP": "0",
    "CONNECTS_PER_SECOND_PER_IP": "0",
    "JOINS_PER_SECOND_PER_IP": "0",
}


class LiveServer:
    """The app as a real process: ``uvicorn server.app:create_app --factory`` on its own port and database."""

    name = "server"
    ready_path = "/healthz"  # answered once the app serves
    # Seconds to wait for it: on a busy 2-core machine, starting Python and its imports alone can take many.
    ready_timeout = 60.0
    ready_request_timeout = 2.0

    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None = None,
        port: int | None = None,
        env: dict | None = None,
        log_level: str = "warning",
        uvicorn_args: tuple[str, ...] = (),
    ):
        self.database_url = database_url
        self.redis_url = redis_url
        self.port = port or free_port()
        self.env = env or {}
        self.log_level = log_level
        self.uvicorn_args = uvicorn_args
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_env(self) -> dict[str, str]:
        # Every test client comes from 127.0.0.1, so limits per address are off unless a test sets them
        # (tests/realtime/test_limits.py); the per-connection limits keep their defaults.
        return {"SCHEDULER_INTERVAL": "0.2", **PER_ADDRESS_LIMITS_OFF}

    def start(self, log_dir: Path | None = None, *, wait: bool = True) -> LiveServer:
        """Start the server; with ``wait=False`` call ``wait_ready()`` later (to start several at once). A
        restart appends to the same log, so what came before a crash stays readable."""
        env = {**os.environ, "DATABASE_URL": self.database_url, **self.base_env(), **self.env}
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        self.log_path = log_dir / f"{self.name}-{self.port}.log"
        command = [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory", *server_flags()]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", self.log_level]
        command += self.uvicorn_args
        with open(self.log_path, "ab") as log:
            # A session of its own: a start that fails can end it with every process it made (uvicorn --workers).
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if wait:
            self._wait_ready()
        return self

    def wait_ready(self, timeout: float | None = None) -> LiveServer:
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float | None = None) -> None:
        try:
            self._poll_ready(timeout)
        except BaseException:
            # Nobody will stop a server whose start failed (the fixture that made it never yields it): a leaked
            # uvicorn would hold its port and a core for the rest of the run.
            self.kill_all()
            raise

    def _poll_ready(self, timeout: float | None) -> None:
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            try:
                ready = httpx.get(f"{self.url}{self.ready_path}", timeout=self.ready_request_timeout)
                if ready.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9: no shutdown hooks run, like a laptop losing power."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def kill_all(self) -> None:
        """kill -9 of the server and every process it started (uvicorn's workers)."""
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(LONGEST_WAIT)
            except subprocess.TimeoutExpired:
                self.kill_all()


async def eventually(predicate, timeout: float = LONGEST_WAIT, interval: float = 0.05):
    """Wait until ``predicate()`` is truthy (it may be async)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
