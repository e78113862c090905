"""Where the front-end folders are (the checkout, or the installed wheel), templates, and cache-busting URLs."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

FRONT_ENDS = ("client", "facilitator")


@cache
def front_end_dir(name: str) -> Path:
    """``client/`` or ``facilitator/``: beside the package in a checkout, inside it once installed."""
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("server").joinpath(f"_{name}")))


@cache
def _fingerprint(path: Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """``static_url('client/phone.js')`` -> ``/static/client/phone.js?v=<hash>`` so phones never run stale code."""
    front_end, _, rest = path.partition("/")
    file = front_end_dir(front_end) / "static" / rest
    try:
        version = _fingerprint(file, file.stat().st_mtime)
    except OSError:
        version = "missing"
    return f"/static/{front_end}/{rest}?v={version}"


def template_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(front_end_dir(n) / "templates")) for n in FRONT_ENDS]),
        autoescape=select_autoescape(default=True),
    )
    env.globals["static_url"] = static_url
    return env
