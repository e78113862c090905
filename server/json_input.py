"""JSON from outside (HTTP bodies, uploaded files, workshop exports): parsed, or refused with a clear 400.

Not JSON, nested too deeply for the parser (Python's own recursion limit), or numbers JSON does not have
(NaN, Infinity): each is ``invalid_json``, never a server error.
"""

from __future__ import annotations

import json
from typing import Any

from .services.errors import CommandError


def invalid_json(message: str) -> CommandError:
    return CommandError("invalid_json", message, status=400)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(body: bytes | str, what: str = "The body") -> Any:
    try:
        return json.loads(body or b"null", parse_constant=_reject_constant)
    except RecursionError:
        raise invalid_json(f"{what} is nested too deeply to be read.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        detail = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise invalid_json(f"{what} is not valid JSON{detail}.") from None
