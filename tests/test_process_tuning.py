"""server.process_tuning: a serving process hands the GIL over sooner, freezes what start-up made and collects
the old generation rarely."""

from __future__ import annotations

from pathlib import Path

from server import process_tuning
from server.settings import Settings
from tests.live import fresh_python

# A fresh interpreter: the tuning is per process, and this test process must keep CPython's defaults.
PROBE = """
import gc, json, sys
freezes = []
real_freeze = gc.freeze
gc.freeze = lambda: (freezes.append(1), real_freeze())
from starlette.testclient import TestClient
from server.app import create_app
from server.db import migrate
from server.settings import Settings
migrate(Settings.from_env())
before = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "switch": sys.getswitchinterval()}
with TestClient(create_app()) as client:  # runs the lifespan, as uvicorn does
    assert client.get("/healthz").status_code == 200
    serving = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "switch": sys.getswitchinterval()}
with TestClient(create_app()):  # a second app in the same process: tuned once only
    again = {"threshold": gc.get_threshold(), "freezes": len(freezes)}
print(json.dumps({"before": before, "serving": serving, "again": again}))
"""


def test_serving_tunes_the_collector_once(tmp_path: Path):
    seen = fresh_python(PROBE, tmp_path)
    assert seen["before"]["threshold"] == [700, 10, 10]
    assert seen["before"]["frozen"] == 0
    assert seen["before"]["switch"] == 0.005
    assert seen["serving"]["switch"] == process_tuning.SWITCH_INTERVAL
    assert seen["serving"]["threshold"] == list(process_tuning.THRESHOLDS)
    assert seen["serving"]["frozen"] > 10_000  # modules, classes and the app itself
    assert seen["again"] == {"threshold": list(process_tuning.THRESHOLDS), "freezes": 1}


# Memory malloc holds free in the middle of its heap: objects over 512 bytes come from malloc (smaller ones from
# Python's own allocator), and one kept in every eight keeps each hole's neighbours in place.
FRAGMENTED = """
import json
from server import process_tuning
from server.settings import Settings
def rss_mb():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1]) / 1024
kept, freed = [], []
for i in range(100_000):
    (kept if i % 8 == 0 else freed).append(bytes([i % 256]) * 1024)
del freed
before = rss_mb()
trimmed = process_tuning.release_free_memory()
print(json.dumps({"trimmed": trimmed, "before": before, "after": rss_mb(), "kept": len(kept)}))
"""


def test_memory_freed_in_the_middle_of_the_heap_goes_back_to_the_system(tmp_path: Path):
    seen = fresh_python(FRAGMENTED, tmp_path)
    assert seen["trimmed"] is True  # Debian's glibc, here and in CI
    assert seen["before"] - seen["after"] > 25  # MB: about 40 of the ~85 freed (whole pages only)


def test_a_serving_process_gives_free_memory_back_every_so_often_unless_told_not_to():
    assert Settings.from_env({}).memory_trim_interval == 30
    assert Settings.from_env({"MEMORY_TRIM_INTERVAL": "0"}).memory_trim_interval == 0


# The lifespan starts the hand-backs at the configured interval (counted, not made: the count is what is tested).
TRIMMING = """
import json, os, threading
os.environ["MEMORY_TRIM_INTERVAL"] = "0.05"
from server import process_tuning
calls = []
twice = threading.Event()


def count_a_call():
    calls.append(1)
    if len(calls) >= 2:
        twice.set()
    return True


process_tuning.release_free_memory = count_a_call
from starlette.testclient import TestClient
from server.app import create_app
from server.db import migrate
from server.settings import Settings
migrate(Settings.from_env())
with TestClient(create_app()):  # the app's loop runs in another thread: wait here for its second call
    twice.wait(60)
print(json.dumps({"calls": len(calls)}))
"""


def test_the_serving_process_hands_free_memory_back_at_the_interval_set(tmp_path: Path):
    assert fresh_python(TRIMMING, tmp_path)["calls"] >= 2
