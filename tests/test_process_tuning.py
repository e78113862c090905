"""server.process_tuning: a serving process hands the GIL over sooner, freezes what start-up made and collects
the old generation rarely."""

from __future__ import annotations

from pathlib import Path

from server import process_tuning
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
