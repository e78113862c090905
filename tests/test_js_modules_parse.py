"""Every front-end file the pages load as an ES module parses as one under node: a merge that imports one name
twice, or a stray conflict marker, breaks the page in every browser and nothing else in the suite would notice
before the slow Chromium walks."""

from __future__ import annotations

import posixpath
import re
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


IMPORT = re.compile(r'import\s*\{([^}]*)\}\s*from\s*"([^"]+)"', re.S)
EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)")
EXPORT_LIST = re.compile(r"export\s*\{([^}]*)\}")


# Both front ends are served side by side under /static/<version>/ (server/web/static_assets.py): client/static
# as client/, facilitator/static as facilitator/, so "../client/common/live.js" from the console is a real path.
FRONTS = {"client": Path(ROOT) / "client/static", "facilitator": Path(ROOT) / "facilitator/static"}


def _served(path: Path) -> str:
    for name, folder in FRONTS.items():
        if folder in path.parents:
            return f"{name}/{path.relative_to(folder).as_posix()}"
    raise AssertionError(path)


def _on_disk(served: str) -> Path:
    front, _, rest = served.partition("/")
    return FRONTS[front] / rest


def _exports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    names = set(EXPORT.findall(text))
    for group in EXPORT_LIST.findall(text):
        names |= {part.split(" as ")[-1].strip() for part in group.split(",") if part.strip()}
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_a_module_imports_is_exported_where_it_looks(module: Path):
    """A module that imports a name its neighbour no longer exports fails only when the page loads in a browser;
    this finds it at once (a shared helper moved to format.js, say, and one caller left behind)."""
    missing = []
    for names, source in IMPORT.findall(module.read_text(encoding="utf-8")):
        if not source.startswith("."):
            continue
        target = _on_disk(posixpath.normpath(posixpath.join(posixpath.dirname(_served(module)), source)))
        if "vendor" in target.parts:
            continue
        exported = _exports(target)
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            if name and name not in exported:
                missing.append(f"{name} from {source}")
    assert not missing, missing
