"""Where the front-end folders are (the checkout, or the installed wheel), templates, and fingerprinted URLs.

Every static file is addressed as ``/static/<version>/<front end>/<path>``, where ``<version>`` is a hash of all
the front ends' static files together. ES modules import each other by relative paths, so a page loaded from a
versioned URL pulls the rest of its module graph under the same version without any build step; a deploy that
changes any file changes every URL, and browsers may keep each version for good (server/web/static_assets.py).
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

FRONT_ENDS = ("client", "facilitator")
VERSION_LENGTH = 12
# How long a computed version is trusted before the files are looked at again (a developer editing a file sees
# it on the next reload but one; an installed app's files never change).
RECHECK_SECONDS = 1.0


@cache
def front_end_dir(name: str) -> Path:
    """``client/`` or ``facilitator/``: beside the package in a checkout, inside it once installed."""
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("server").joinpath(f"_{name}")))


def static_dir(front_end: str) -> Path:
    return front_end_dir(front_end) / "static"


def _static_files() -> list[tuple[str, Path]]:
    files = []
    for front_end in FRONT_ENDS:
        root = static_dir(front_end)
        if root.is_dir():
            files += [(f"{front_end}/{p.relative_to(root).as_posix()}", p) for p in root.rglob("*") if p.is_file()]
    return sorted(files)


@cache
def _version_of(signature: tuple) -> str:
    digest = hashlib.sha256()
    for name, _mtime, _size in signature:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((static_dir(name.split("/", 1)[0]) / name.split("/", 1)[1]).read_bytes()).digest())
    return digest.hexdigest()[:VERSION_LENGTH]


_checked: dict[str, object] = {"at": -RECHECK_SECONDS, "version": ""}


def asset_version() -> str:
    """The hash of every static file of both front ends (names and contents)."""
    now = time.monotonic()
    if now - float(_checked["at"]) >= RECHECK_SECONDS:
        signature = []
        for name, path in _static_files():
            stat = path.stat()
            signature.append((name, stat.st_mtime_ns, stat.st_size))
        _checked["version"] = _version_of(tuple(signature))
        _checked["at"] = now
    return str(_checked["version"])


def static_url(path: str) -> str:
    """``static_url('client/phone.js')`` -> ``/static/<version>/client/phone.js``: phones never run stale code,
    and never ask again for a file they have."""
    return f"/static/{asset_version()}/{path.lstrip('/')}"


def template_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(front_end_dir(n) / "templates")) for n in FRONT_ENDS]),
        autoescape=select_autoescape(default=True),
    )
    env.globals["static_url"] = static_url
    return env
