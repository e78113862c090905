"""``pip install .`` must give a working app: the wheel carries the pages, assets, catalogue and migrations."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.live import ROOT

NEEDED = [
    "server/_client/templates/phone.html",
    "server/_client/static/common/live.js",
    "server/_client/static/vendor/socket.io.min.js",
    "server/_facilitator/templates/console.html",
    "server/_facilitator/templates/projector.html",
    "server/_facilitator/static/console.js",
    "server/catalogue/key_principles.json",
    "server/migrations/env.py",
    "server/migrations/script.py.mako",
    "server/migrations/versions/0001_initial_schema.py",
    "server/_client/static/vendor/yjs.mjs",
    "server/_client/static/common/worksheet-sync.js",
    "server/reports/templates/report.html",
]


def test_the_wheel_carries_everything_the_app_serves(tmp_path: Path):
    # Built from a copy: setuptools stages files in the tree's build/, and a stale one would hide a module that
    # pyproject.toml leaves out.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "var", "node_modules", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("thrive_workshop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in NEEDED if n not in names]
    assert missing == []
    assert any(n.endswith("entry_points.txt") for n in names)
    # Every module of the server, so a new package is never left out of pyproject.toml's list.
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "server").rglob("*.py")}
    assert sorted(modules - names) == []
