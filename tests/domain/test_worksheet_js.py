"""The browser's worksheet binding (client/static/common/worksheet-sync.js) under node, without a browser:
the caret and text rules that keep two people's words whole when they type at one place at once."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import require_service
from tests.live import ROOT


@pytest.mark.parametrize(
    "script",
    [
        "tests/js/worksheet_binding.test.mjs",
        # What others at a table changed, told to screen readers: gathered, never a phone's own (issue 14).
        "tests/js/table_news.test.mjs",
        # Dates in the action plan: England's way, today in the workshop's time zone (issue 17).
        "tests/js/plan_dates.test.mjs",
        # The console's check that phones can't open a loopback join link (issue 14, item 11).
        "tests/js/loopback.test.mjs",
    ],
)
def test_the_browser_worksheet_binding_keeps_concurrent_typing_whole(script):
    node = shutil.which("node")
    require_service("node", node is not None)
    result = subprocess.run(
        [node, "--experimental-default-type=module", "--test", script],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
