"""JSON from outside (HTTP bodies, uploaded files, workshop exports): parsed, or refused with a clear 400.

Not JSON, nested more than ``MAX_DEPTH`` levels deep (no export or catalogue needs more than a few, and
deeper values would reach Python's recursion limit in whatever walks them next), or numbers JSON does not
have (NaN, Infinity): each is ``invalid_json``, never a server error.
"""

from __future__ import annotations

import json
from typing import Any

from .services.errors import CommandError

MAX_DEPTH = 64


def invalid_json(message: str) -> CommandError:
    return CommandError("invalid_json", message, status=400)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def load_json(body: bytes | str, what: str = "The body") -> Any:
    try:
        value = json.loads(body or b"null", parse_constant=_reject_constant)
        if _too_deep(value):
            raise RecursionError
        return value
    except RecursionError:
        raise invalid_json(f"{what} is nested too deeply to be read.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        detail = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise invalid_json(f"{what} is not valid JSON{detail}.") from None
