"""What others at a table changed, told to screen readers (client/static/table-news.js and worksheet-sync's
onRemote), under node without a browser: gathered, in words, never a phone's own edits (issue 14)."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import require_service
from tests.live import ROOT


def test_others_changes_are_gathered_for_screen_readers():
    node = shutil.which("node")
    require_service("node", node is not None)
    result = subprocess.run(
        [node, "--experimental-default-type=module", "--test", "tests/js/table_news.test.mjs"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
