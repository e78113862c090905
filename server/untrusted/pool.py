"""The serving process's side: hand a job and its bytes to a child process, get JSON back, or a refusal.

Each job runs in a fresh child (``python -m server.untrusted.child``) that has already imported the parsers and
then limited its own address space, CPU time and file writes. The parent kills it at the job's deadline. A
child serves one job and exits, so whatever a file made it allocate goes back to the system with it; the next
child is started while the current one works, so a file rarely waits for Python to start.

Bounded at once: ``at_once`` children per serving process, ``per_address`` from one client address. What is
over a bound waits a little, then is refused with a clear message; nothing queues without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..services.errors import CommandError
from ..services.limits import rate_limited
from .frames import EXIT_CPU, EXIT_MEMORY, LENGTH, READY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParserLimits:
    """Per child: address space (MiB), CPU seconds, and wall time (from when a ready child has the job).
    Per serving process: children at once, and at once from one client address. Also the most a child may
    answer, and how long an unused spare child waits before it leaves."""

    memory_mb: int = 512
    cpu_seconds: float = 5.0
    wall_seconds: float = 8.0
    queue_seconds: float = 3.0  # how long a file waits for a free slot before the answer is busy
    at_once: int = 2
    per_address: int = 1
    max_result_bytes: int = 32 * 1024 * 1024
    idle_seconds: float = 600.0


def busy() -> CommandError:
    return CommandError(
        "busy",
        "The server is reading other files just now. Try again in a few seconds.",
        status=503,
        extra={"retry_after": 5},
    )


def too_complex(what: str) -> CommandError:
    return CommandError(
        "too_complex",
        f"This file {what}, far more than a THRIVE Assessment Tool or a workshop export needs. Save just the "
        "table of principles (as CSV or .xlsx) and try again.",
        status=422,
    )


# How long a job waits for a child to start (normally none: a spare is ready) before the answer is busy.
STARTUP_SECONDS = 30.0


class ChildFailed(Exception):
    """A child that did not answer properly (killed, crashed, said something unreadable)."""


class _Child:
    def __init__(self, process: asyncio.subprocess.Process, leaves_at: float):
        self.process = process
        self.leaves_at = leaves_at  # an unused child leaves by itself; don't hand it a job just before

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and time.monotonic() < self.leaves_at

    async def run(self, job: str, params: dict[str, Any], data: bytes, limit: int) -> dict[str, Any]:
        header = json.dumps({"job": job, "params": params}).encode()
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(LENGTH.pack(len(header)) + header + LENGTH.pack(len(data)))
        stdin.write(data)
        with contextlib.suppress(ConnectionError):
            await stdin.drain()
            stdin.close()
        try:
            (size,) = LENGTH.unpack(await stdout.readexactly(LENGTH.size))
            if size > limit:
                raise ChildFailed("answer too large")
            raw = await stdout.readexactly(size)
            # A workshop export may be megabytes: parse it off the event loop, which serves the live workshops.
            answer = json.loads(raw) if size < 256 * 1024 else await asyncio.to_thread(json.loads, raw)
        except (asyncio.IncompleteReadError, ValueError) as exc:
            raise ChildFailed(str(exc)) from None
        if not isinstance(answer, dict):
            raise ChildFailed("answer is not an object")
        return answer

    async def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        with contextlib.suppress(Exception):
            await self.process.wait()


class ParserPool:
    @classmethod
    def from_settings(cls, settings) -> ParserPool:
        limits = settings.limits
        return cls(
            ParserLimits(
                memory_mb=limits.parser_memory_mb,
                cpu_seconds=limits.parser_cpu_seconds,
                wall_seconds=limits.parser_seconds,
                at_once=limits.parsers_at_once,
                per_address=limits.parsers_per_address,
            )
        )

    def __init__(self, limits: ParserLimits | None = None):
        self.limits = limits or ParserLimits()
        self._slots: asyncio.Semaphore | None = None
        self._by_address: Counter[str] = Counter()
        self._spare: asyncio.Task[_Child] | None = None
        self._running: set[_Child] = set()
        self.started = 0  # children started, for tests and the log

    # --- the one public call ------------------------------------------------------------------------------

    async def run(self, job: str, params: dict[str, Any], data: bytes, *, address: str) -> dict[str, Any]:
        """The job's answer (a JSON object). Raises ``CommandError``: the job's own refusal, ``too_complex``
        past a limit, ``busy`` when every child is taken, ``rate_limited`` past the per-address bound."""
        limits = self.limits
        if self._by_address[address] >= limits.per_address:
            raise rate_limited(2, "A file from this network is being read. Wait for it, then try again.")
        self._by_address[address] += 1
        try:
            slots = self._slots or self._make_slots()
            try:
                async with asyncio.timeout(limits.queue_seconds):
                    await slots.acquire()
            except TimeoutError:
                raise busy() from None
            try:
                answer = await self._run_in_child(job, params, data)
            finally:
                slots.release()
        finally:
            self._by_address[address] -= 1
            if not self._by_address[address]:
                del self._by_address[address]
        error = answer.get("error")
        if isinstance(error, dict):
            raise CommandError(
                str(error.get("code", "refused")),
                str(error.get("message", "This file can't be read.")),
                status=int(answer.get("status", 422)),
                extra={k: v for k, v in error.items() if k not in ("code", "message")},
            )
        return answer.get("result")

    def busy_addresses(self) -> set[str]:
        """The client addresses whose files are being read (or wait for a child) now."""
        return set(self._by_address)

    async def close(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.cancel()
            with contextlib.suppress(BaseException):
                await (await spare).kill()
        for child in list(self._running):
            await child.kill()

    # --- children -----------------------------------------------------------------------------------------

    def _make_slots(self) -> asyncio.Semaphore:
        self._slots = asyncio.Semaphore(self.limits.at_once)  # made in the serving loop
        return self._slots

    async def _run_in_child(self, job: str, params: dict[str, Any], data: bytes) -> dict[str, Any]:
        child: _Child | None = None
        try:
            # A child still starting (the spare was just taken, or the machine is busy) is the server's delay,
            # not the file's: the wall time counts from when a ready child has the job.
            try:
                async with asyncio.timeout(STARTUP_SECONDS):
                    child = await self._take_child()
            except TimeoutError:
                raise busy() from None
            self._running.add(child)
            try:
                async with asyncio.timeout(self.limits.wall_seconds):
                    answer = await child.run(job, params, data, self.limits.max_result_bytes)
            except TimeoutError:
                raise too_complex(f"took more than {self.limits.wall_seconds:g} seconds to read") from None
        except ChildFailed as exc:
            returncode = await self._exit_code(child)
            log.warning("a parser child failed on %s (%s, exit %s)", job, exc, returncode)
            if returncode in (EXIT_CPU, -signal.SIGXCPU, -signal.SIGKILL):
                raise too_complex(f"needed more than {self.limits.cpu_seconds:g} seconds of work to read") from None
            if returncode == EXIT_MEMORY:
                raise too_complex(f"needed more than {self.limits.memory_mb} MiB of memory to read") from None
            raise too_complex("could not be read within the server's limits") from None
        finally:
            if child is not None:
                self._running.discard(child)
                await child.kill()  # a child serves one job; after a timeout it may still be working
        return answer

    async def _exit_code(self, child: _Child | None) -> int | None:
        if child is None:
            return None
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(child.process.wait(), 1.0)
        return None

    async def _take_child(self) -> _Child:
        spare, self._spare = self._spare, None
        self._spare = asyncio.ensure_future(self._start_child())  # the next one starts while this one works
        if spare is not None:
            try:
                child = await spare
                if child.alive:
                    return child
            except Exception:
                log.warning("a spare parser child did not start", exc_info=True)
        return await self._start_child()

    async def _start_child(self) -> _Child:
        limits = self.limits
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-B",  # writes nothing, not even bytecode: the child may write no file at all
            "-m",
            "server.untrusted.child",
            f"--memory-mb={limits.memory_mb}",
            f"--cpu-seconds={limits.cpu_seconds}",
            f"--idle-seconds={limits.idle_seconds}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_child_environment(),
        )
        self.started += 1
        child = _Child(process, time.monotonic() + limits.idle_seconds * 0.9)
        assert process.stdout is not None
        try:
            line = await process.stdout.readline()
        except BaseException:
            await child.kill()
            raise
        if line != READY:
            await child.kill()
            raise ChildFailed(f"the child did not start ({line[:80]!r})")
        return child


def _child_environment() -> dict[str, str]:
    """The parent's environment without its secrets: a child needs none of them."""
    keep = ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "HOME", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}
