"""docs/protocol.md's table of error codes is the whole truth: every code the server's source can send is in it,
with its situation, and every code in it can still be sent."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Refusals built with one of these and a literal code as the first argument. ``Conflict`` is left out: the
# command bus answers every Conflict as ``conflict`` (its own code, e.g. stale_revision, stays inside).
ERROR_TYPES = {"CommandError", "DomainError", "CatalogueFileError"}
CODE = re.compile(r"[a-z][a-z_]*")


def codes_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if name in ERROR_TYPES and isinstance(first, ast.Constant) and isinstance(first.value, str):
                assert CODE.fullmatch(first.value), f"{path}:{node.lineno}: {first.value!r} is not a code"
                found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def codes_in_doc() -> dict[str, str]:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = text.split("### Error codes\n", 1)[1].split("\n### ", 1)[0]
    documented: dict[str, str] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("code", "---"):
            continue
        assert cells[1], f"no situation given for {cells[0]}"
        for code in re.findall(r"`([a-z_]+)`", cells[0]):
            documented[code] = cells[1]
    return documented


def test_every_code_the_server_sends_is_documented_with_its_situation():
    source, doc = codes_in_source(), codes_in_doc()
    assert len(source) > 40  # the scan itself works
    missing = {code: where for code, where in source.items() if code not in doc}
    assert missing == {}


def test_every_documented_code_can_still_be_sent():
    source = codes_in_source()
    stale = [code for code in codes_in_doc() if code not in source]
    assert stale == []
