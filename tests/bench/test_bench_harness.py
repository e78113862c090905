"""Keeps the benchmark harness working: a tiny run of ``python -m bench`` (both targets, every phase).

Nothing here is timed: the figures of so small a run mean nothing. It checks that the run completes, that the
last line is the JSON summary with every key the issue asks for, and that no acknowledged edit was lost.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, REDIS_URL, require_postgres, require_redis
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
    "rss_at_rest_mb",
    "rss_increment_mb_per_1000_phones",
    "floor_rss_at_rest_mb",
    "floor_rss_increment_mb_per_1000_phones",
    "deployment",
    "workers",
    "targets_met",
    "app_capacity_edits_per_s",
    "floor_capacity_edits_per_s",
}


def tiny_run(tmp_path, *extra: str, timeout: float = 120) -> dict:
    command = [sys.executable, "-m", "bench", "--workshops", "1", "--tables", "2", "--phones", "2"]
    command += ["--edit-interval", "0.5", "--duration", "3", "--step-duration", "1.5", "--max-steps", "1"]
    command += ["--procs", "1", "--settle", "0.2", "--idle", "0.5", "--quiet-budget", "0", "--repeat", "2"]
    command += ["--noisy-retries", "0", "--no-plot", "--out", str(tmp_path), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= summary.keys(), KEYS - summary.keys()
    return summary


def test_a_tiny_run_prints_the_summary_and_loses_no_acknowledged_edit(tmp_path):
    summary = tiny_run(tmp_path)
    assert summary["deployment"] == "embedded" and summary["workers"] == 1
    assert summary["phones"] == 4 and summary["workshops"] == 1
    # --repeat 2: the main phase measured twice per target, the figures their medians.
    assert len(summary["app_p99_runs_ms"]) == 2 and len(summary["floor_p99_runs_ms"]) == 2
    assert summary["rss_at_rest_mb"] > 20 and summary["floor_rss_at_rest_mb"] > 20
    assert "rss_under_150_mb_per_1000_phones" not in summary["targets"]
    assert summary["lost_acked_edits"] == 0
    assert summary["acked_changes"] > 0
    # The floor started a second time carrying the stack's libraries (bench/run.py, STACK_LIBRARIES): they
    # hold tens of MB, so a floor that did not import them would show ~0 here.
    assert summary["stack_libraries_mb"] > 5
    details = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    for run in details["runs"].values():
        # The join's CPU split and its threads' context switches (where a storm's CPU goes: issue 19).
        assert 0 <= run["join"]["server_system_cpu_s"] <= run["join"]["server_cpu_s"] + 0.05
        assert run["join"]["server_context_switches"] > 0


def test_a_tiny_sequential_run_measures_one_target_after_the_other(tmp_path):
    summary = tiny_run(tmp_path, "--sequential")
    assert summary["lost_acked_edits"] == 0 and summary["acked_changes"] > 0
    assert len(summary["app_p99_runs_ms"]) == 2 and len(summary["floor_p99_runs_ms"]) == 2


async def _bench_databases() -> set[str]:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'thrive_bench_%'")
    finally:
        await connection.close()
    return {r["datname"] for r in rows}


@pytest.mark.postgres
def test_a_tiny_scaleout_run_uses_workers_postgres_and_redis_and_leaves_nothing_behind(tmp_path):
    """Two workers of the app on a PostgreSQL database of the run's own and Redis, against the floor as two
    workers with AsyncRedisManager; both real, no mocks."""
    require_postgres()
    require_redis()
    import redis

    databases_before = asyncio.run(_bench_databases())
    # Another run killed half way (kill -9, no clean-up) may have left keys of its own: only this run's count.
    client = redis.Redis.from_url(REDIS_URL)
    keys_before = set(client.scan_iter(match="thrive-bench-*", count=1000))
    summary = tiny_run(tmp_path, "--deployment", "scaleout", "--workers", "2", timeout=240)
    assert summary["deployment"] == "scaleout" and summary["workers"] == 2
    assert summary["lost_acked_edits"] == 0 and summary["acked_changes"] > 0
    assert summary["join_failed"] == 0 and summary["floor_join_failed"] == 0
    # Every ranking change went through Redis to the other worker, in the app and in the floor.
    assert summary["app_redis_publishes_per_command"] > 0
    assert summary["floor_redis_publishes_per_command"] > 0
    assert set(summary["targets"]) >= {"p99_to_projector_within_2x_floor", "capacity_at_least_60pct_of_floor"}
    details = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    app = details["runs"]["app"]
    assert app["main"]["postgres_cpu_pct"] > 0  # the run's own database served it
    # The run's database is dropped, and its Redis keys deleted.
    assert asyncio.run(_bench_databases()) <= databases_before
    assert set(client.scan_iter(match="thrive-bench-*", count=1000)) <= keys_before
