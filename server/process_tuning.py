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
"""

from __future__ import annotations

import gc
import sys

THRESHOLDS = (20_000, 20, 100)  # CPython's defaults: (700, 10, 10)
SWITCH_INTERVAL = 0.001  # seconds; CPython's default: 0.005
_tuned = False


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
