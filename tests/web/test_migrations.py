"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import subprocess
import sys

from tests.live import ROOT


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/migrated.db"
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "server.cli", "migrate"], cwd=ROOT, env=env, check=True)
    check = subprocess.run(
        [sys.executable, "-c",
         "from alembic import command; from server.db import alembic_config; "
         f"command.check(alembic_config({url!r}))"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
