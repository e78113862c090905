"""A server that never makes a report or reads an uploaded catalogue never loads the libraries for them:
python-docx, openpyxl and lxml (with Pillow and numpy behind openpyxl) are ~30 MB resident, and Alembic
only runs in ``migrate``. They are imported where they are used (server/web/report_routes.py,
server/catalogue/formats.py and writers.py, server/db.py); a top-level import anywhere on the app's import
path would bring them back at start-up, and this test would fail. (tests/realtime/test_report_live.py
downloads every format through the deferred imports.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.live import ROOT

DEFERRED = ("docx", "openpyxl", "lxml", "PIL", "numpy", "alembic")

PROBE = f"""
import json, sys
from server.app import create_app
create_app()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {DEFERRED!r})))
"""


def test_creating_the_app_loads_no_report_or_migration_library(tmp_path: Path):
    # A fresh interpreter: this test process may have imported them all already (tests/services/test_reports.py).
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []

