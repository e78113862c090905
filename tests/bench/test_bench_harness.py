"""Keeps the benchmark harness working: a tiny run of ``python -m bench`` (both targets, every phase).

Nothing here is timed: the figures of so small a run mean nothing. It checks that the run completes, that the
last line is the JSON summary with every key the issue asks for, and that no acknowledged edit was lost.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.live import ROOT

KEYS = {
    "phones",
    "workshops",
    "edit_rate_per_s",
    "app_p50_ms",
    "app_p99_ms",
    "floor_p50_ms",
    "floor_p99_ms",
    "ratio_p99",
    "lost_acked_edits",
    "join_storm_s",
    "rss_mb_per_1000_phones",
    "app_capacity_edits_per_s",
    "floor_capacity_edits_per_s",
}


def test_a_tiny_run_prints_the_summary_and_loses_no_acknowledged_edit(tmp_path):
    command = [sys.executable, "-m", "bench", "--workshops", "1", "--tables", "2", "--phones", "2"]
    command += ["--edit-interval", "0.5", "--duration", "3", "--step-duration", "1.5", "--max-steps", "1"]
    command += ["--procs", "1", "--settle", "0.2", "--idle", "0.5", "--quiet-budget", "0"]
    command += ["--noisy-retries", "0", "--no-plot", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= summary.keys(), KEYS - summary.keys()
    assert summary["phones"] == 4 and summary["workshops"] == 1
    assert summary["lost_acked_edits"] == 0
    assert summary["acked_changes"] > 0
    # The floor started a second time carrying the stack's libraries (bench/run.py, STACK_LIBRARIES): they
    # hold tens of MB, so a floor that did not import them would show ~0 here.
    assert summary["stack_libraries_mb"] > 5
    assert list(tmp_path.glob("bench-*.json"))
