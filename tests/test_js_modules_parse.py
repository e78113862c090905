"""Every front-end file the pages load as an ES module parses as one under node: a merge that imports one name
twice, or a stray conflict marker, breaks the page in every browser and nothing else in the suite would notice
before the slow Chromium walks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.live import ROOT

MODULES = sorted(
    path
    for folder in ("client/static", "facilitator/static")
    for path in (Path(ROOT) / folder).rglob("*.js")
    if "vendor" not in path.parts and path.name != "socket.io.min.js"
)


def test_there_are_modules_to_check():
    assert len(MODULES) > 20


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_module_parses(module: Path, tmp_path):
    node = shutil.which("node")
    require_service("node (Debian's nodejs package)", node is not None)
    copy = tmp_path / (module.stem + ".mjs")  # .mjs: parsed as a module whatever package.json says
    copy.write_text(module.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
