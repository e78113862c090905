"""A server that never makes a report or reads an uploaded catalogue never loads the libraries for them:
python-docx, openpyxl and lxml (with Pillow and numpy behind openpyxl) are ~30 MB resident, and Alembic
only runs in ``migrate``. They are imported where they are used (server/web/report_routes.py,
server/catalogue/formats.py and writers.py, server/db.py); a top-level import anywhere on the app's import
path would bring them back at start-up, and this test would fail. (tests/realtime/test_report_live.py
downloads every format through the deferred imports.)"""

from __future__ import annotations

from pathlib import Path

from tests.live import fresh_python

DEFERRED = ("docx", "openpyxl", "lxml", "PIL", "numpy", "alembic")

PROBE = f"""
import json, sys
from server.app import create_app
create_app()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {DEFERRED!r})))
"""


def test_creating_the_app_loads_no_report_or_migration_library(tmp_path: Path):
    # A fresh interpreter: this test process may have imported them all already (tests/services/test_reports.py).
    assert fresh_python(PROBE, tmp_path, timeout=60) == []
