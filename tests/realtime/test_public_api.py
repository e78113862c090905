"""The real-time layer stands on the libraries' public API only (issue 18): nothing of python-socketio,
python-engineio or redis-py whose name starts with ``_`` is used, subclassed or overridden in ``server/``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
REALTIME = SERVER / "realtime"
LIBRARIES = ("socketio", "engineio", "redis")
# The project's check for private internals (its hook flags modules in server/ that match).
PRIVATE_INTERNALS = re.compile(
    r"_execute_mutex|_soft_closed_memoized|_cursor_cls|_execute_async|_async_soft_close|positiontup"
    r"|construct_params\([^)]*_check|import await_|\bawait_\(|_connection\._execute|\._thread\b|\._conn\b"
    r"|_redis_connect|def _listen\b|super\(\)\._listen|super\(\)\._publish"
)


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def library_names(tree: ast.Module) -> set[str]:
    """The names a module binds to the libraries (``import socketio``, ``from redis.asyncio import Redis``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in LIBRARIES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def test_the_realtime_layer_touches_no_private_name_of_its_libraries():
    found = []
    for path in modules(SERVER):
        tree = ast.parse(path.read_text(), str(path))
        ours = library_names(tree)
        where = path.relative_to(SERVER.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in LIBRARIES:
                found += [
                    f"{where}:{node.lineno} imports {a.name}" for a in node.names if a.name.startswith("_")
                ]
                if any(part.startswith("_") for part in node.module.split(".")):
                    found.append(f"{where}:{node.lineno} imports from {node.module}")
            elif isinstance(node, ast.ClassDef):
                # A subclass of a library class inherits (and may override) its private methods.
                found += [
                    f"{where}:{node.lineno} subclasses {ast.unparse(b)}"
                    for b in node.bases
                    if root(b) in ours
                ]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                text = ast.unparse(node.value)
                if root(node.value) in ours or re.search(r"\b(sio|manager|eio|pubsub|redis)\b", text):
                    found.append(f"{where}:{node.lineno} uses {text}.{node.attr}")
    assert found == []


def test_the_realtime_modules_pass_the_projects_private_internals_check():
    flagged = [
        f"{path.relative_to(SERVER.parent)}: {match.group(0)}"
        for path in modules(REALTIME)
        for match in PRIVATE_INTERNALS.finditer(path.read_text())
    ]
    assert flagged == []


def test_the_check_itself_notices_what_it_looks_for():
    """The scan above finds the old overrides and private uses (so an empty result means something)."""
    old = """
import socketio
from redis.asyncio import Redis
class RedisManager(socketio.AsyncRedisManager):
    def _new_connection(self):
        self._redis_connect()
    async def emit(self, sio):
        await sio.manager._publish({})
        return Redis._from_pool
"""
    tree = ast.parse(old)
    ours = library_names(tree)
    assert ours == {"socketio", "Redis"}
    bases = [b for n in ast.walk(tree) if isinstance(n, ast.ClassDef) for b in n.bases]
    assert [root(b) for b in bases] == ["socketio"]
    attributes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")]
    assert {ast.unparse(n.value) for n in attributes} >= {"sio.manager", "Redis"}
    assert PRIVATE_INTERNALS.search(old)
