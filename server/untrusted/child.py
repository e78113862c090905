"""The child's side (``python -B -m server.untrusted.child``): import the parsers, limit this process, say
ready, then read one job from stdin, answer it on stdout, and leave.

Limits, set after the imports and before any byte of the job is read: address space (a file that needs more
memory fails with MemoryError), CPU time (a profiling timer, and the kernel's SIGXCPU then SIGKILL behind it),
no file writes, no core dumps. The parent adds the wall time. An unused child leaves after ``--idle-seconds``, and
whenever its parent goes (stdin closes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import select
import signal
import sys
import traceback
from typing import Any, BinaryIO

from .frames import EXIT_CPU, EXIT_MEMORY, LENGTH, READY

MIB = 1024 * 1024


def _limit_this_process(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails with an error rather than killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    memory = memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _limit_cpu(seconds: float) -> None:
    """``seconds`` of CPU from now: a profiling timer ends the child at once when Python next runs; the kernel's
    limit (whole seconds, a little later) ends it even inside a long C call."""
    signal.signal(signal.SIGPROF, lambda *_: os._exit(EXIT_CPU))
    signal.setitimer(signal.ITIMER_PROF, seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def _read_frame(stream: BinaryIO, limit: int) -> bytes | None:
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(head)
    if size > limit:
        return None
    body = stream.read(size)
    return body if len(body) == size else None


def _answer(out: BinaryIO, answer: dict[str, Any]) -> None:
    body = json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    out.write(LENGTH.pack(len(body)) + body)
    out.flush()


def _refusal(code: str, message: str, status: int = 422, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}, "status": status}


def run_job(job: str, params: dict[str, Any], data: bytes) -> dict[str, Any]:
    from ..services.errors import CommandError
    from .jobs import JOBS

    if job not in JOBS:
        return _refusal("server_error", "Unknown job.", 500)
    try:
        return {"result": JOBS[job](params, data)}
    except CommandError as exc:
        return _refusal(exc.code, exc.message, exc.status, **exc.extra)
    except MemoryError:
        return _refusal(
            "too_complex",
            "This file needs far more memory to read than a THRIVE Assessment Tool or a workshop export does. "
            "Save just the table of principles (as CSV or .xlsx) and try again.",
        )
    except RecursionError:
        return _refusal("too_complex", "This file is nested far too deeply to read.")
    except Exception:
        # A parser's own failure on a strange file: refuse the file, and leave the operator a trace.
        traceback.print_exc(file=sys.stderr)
        return _refusal("broken_file", "This file could not be read: it may be damaged. Check it and try again.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=float, required=True)
    parser.add_argument("--idle-seconds", type=float, required=True)
    args = parser.parse_args(argv)
    from . import jobs

    jobs.warm_up()  # every import a job needs, before the limits
    _limit_this_process(args.memory_mb)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(READY)
    stdout.flush()
    readable, _, _ = select.select([stdin], [], [], args.idle_seconds)
    if not readable:
        return 0
    header = _read_frame(stdin, 64 * 1024)
    if header is None:
        return 0  # the parent went, or sent nothing
    data = _read_frame(stdin, 64 * MIB)
    if data is None:
        return 0
    _limit_cpu(args.cpu_seconds)
    try:
        request = json.loads(header)
        answer = run_job(str(request["job"]), dict(request.get("params") or {}), data)
    except MemoryError:
        os._exit(EXIT_MEMORY)  # too little memory left even to say so: the parent reads the exit
    try:
        _answer(stdout, answer)
    except (MemoryError, ValueError):
        _answer(stdout, _refusal("too_complex", "This file gives far more than the server can send back."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
