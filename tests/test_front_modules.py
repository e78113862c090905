"""The front end's pure modules under node, without a browser: client/static/common/format.js (how every page
writes points, counts, times and dates), client/static/ranking-gesture.js (the phone's presses, drags and move
buttons as a state machine), and the console's facilitator/static/agenda-time.js and consensus-draft.js. node comes
from Debian's ``nodejs`` package (.ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import require_service
from tests.live import ROOT


@pytest.mark.parametrize("script", [
    "tests/js/format.test.mjs", "tests/js/ranking_gesture.test.mjs",
    # The console's pure pieces (issue 18): the agenda's times, and the five about to be confirmed.
    "tests/js/agenda_time.test.mjs", "tests/js/consensus_draft.test.mjs",
])
def test_the_front_end_module_passes_its_node_tests(script):
    node = shutil.which("node")
    require_service("node", node is not None)
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout, result.stdout[-2000:]


def test_no_page_keeps_its_own_copy_of_the_shared_formatting():
    """format.js is the one place these are written; a page defining its own again would drift from it."""
    pages = [*ROOT.glob("client/static/*.js"), *ROOT.glob("client/static/common/*.js"),
             *ROOT.glob("facilitator/static/*.js")]
    assert len(pages) > 10
    names = ("formatPoints", "plural", "formatDuration", "timeLeft", "segmentRemaining", "clockTime", "formatDate")
    copies = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in pages if page.name != "format.js"
        for name in names if f"function {name}(" in page.read_text()
    ]
    assert copies == []
