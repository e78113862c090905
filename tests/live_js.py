"""Replays recorded update sequences through the browsers' ``applyUpdate`` (client/static/common/live.js) under
node, so the phones, console and projector are held to "snapshot + updates == fresh snapshot" as the Python client
is. node comes from Debian's ``nodejs`` package (.ci/run installs it); without it the check skips on a developer
machine and fails in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

from tests.conftest import require_service
from tests.live import ROOT

TEST = "tests/js/live_replay.test.mjs"


def case(name: str, start: dict, updates: list[dict], fresh: dict) -> dict:
    return {"name": name, "start": start, "updates": updates, "fresh": fresh}


def assert_live_js_agrees(cases: list[dict]) -> None:
    node = shutil.which("node")
    require_service("node (Debian's nodejs package)", node is not None)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as recorded:
        json.dump(cases, recorded)
    try:
        result = subprocess.run(
            [node, "--test", "--test-reporter=tap", TEST],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**os.environ, "LIVE_REPLAY": recorded.name},
        )
    finally:
        os.unlink(recorded.name)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"# pass {len(cases) + 1}" in result.stdout and "# fail 0" in result.stdout, result.stdout[-2000:]
