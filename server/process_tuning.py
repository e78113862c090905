"""The interpreter, tuned for a server that holds many long-lived connections and talks to SQLite in a thread.

**The GIL's switch interval.** aiosqlite runs SQLite in a thread; every statement is a trip there and back, and
each way the thread must take the GIL from the event loop. A busy loop gives it up only every switch interval
(CPython's default: 5 ms), so under load every statement waited up to 5 ms, and a command holds the database's
one writer turn for several statements: at 350 edits/s the benchmark's p99 to the projector was 148 ms, 23 ms
with a 1 ms interval (and the server used less CPU: 64% of a core instead of 79%).

**The garbage collector.** CPython's full collection walks every tracked object. A worker with a thousand phones connected holds a few
hundred thousand (the sockets, their queues and tasks), and with the default thresholds a full collection came
every few seconds under load and stopped the event loop for 60-270 ms each time: the benchmark's p99 from a
phone's edit to the projector was 190-235 ms at 100 edits/s, 15 ms with these settings (docs/performance.md).

- ``gc.freeze()`` once serving starts: what start-up made (modules, classes, the app) is never garbage, and no
  collection walks it again;
- a larger first threshold: most of a command's objects are freed by reference counting as it ends, and
  collecting less often promotes fewer of them by chance into the older generations;
- the oldest generation collected after 100 collections of the middle one rather than 10 (CPython still waits
  until it has grown by a quarter as well). Garbage in cycles is still collected, a little later.

**The allocator's free memory.** glibc's malloc keeps what the process frees for its next allocations and gives
back to the system only what lies at the top of its heap. After a storm of phones joining (each request, snapshot
and frame allocated and freed between the objects that stay) a worker held several MB more than it used, for
good. ``malloc_trim(0)``, glibc's own public call for this, gives the free pages back; every
``MEMORY_TRIM_INTERVAL`` seconds a serving process calls it (nothing where the C library has no such call: musl,
macOS). docs/performance.md has what it gave back and what it costs.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
import logging
import sys
import time
from collections.abc import Callable

THRESHOLDS = (20_000, 20, 100)  # CPython's defaults: (700, 10, 10)
SWITCH_INTERVAL = 0.001  # seconds; CPython's default: 0.005
_tuned = False
log = logging.getLogger(__name__)


def tune_for_serving() -> None:
    """Once per process (tests start many apps in one process; freezing each time would keep their garbage)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` from the C library the process already has loaded, or None where it has none."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # no such call (musl, macOS); no C library by that name (Windows)
        return None


def release_free_memory() -> bool:
    """Give the memory malloc holds free back to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    started = time.perf_counter()
    trim(0)
    log.debug("malloc_trim took %.1f ms", (time.perf_counter() - started) * 1000)
    return True


async def release_free_memory_every(interval: float) -> None:
    """``release_free_memory`` every ``interval`` seconds, for as long as the process serves."""
    if _malloc_trim() is None:
        return
    while True:
        await asyncio.sleep(interval)
        release_free_memory()
