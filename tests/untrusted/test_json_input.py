"""JSON from outside (server/json_input.py): parsed, or refused with invalid_json, never a server error."""

from __future__ import annotations

import pytest

from server.json_input import MAX_DEPTH, load_json
from server.services.errors import CommandError


def nested(depth: int, kind: str = "list") -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_depth_up_to_the_limit_is_read(kind):
    assert load_json(nested(MAX_DEPTH, kind)) is not None


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_DEPTH + 1),
        nested(MAX_DEPTH + 1, "dict"),
        nested(900, "dict"),  # under Python's recursion limit, over anything a walker should meet
        nested(200_000),  # over it
        b'{"a": NaN}',
        b"[Infinity]",
        b'{"a": -Infinity}',
        b"{'single': 'quotes'}",
        b"\xff\xfe not utf-8",
        b'{"a": 1',
    ],
)
def test_what_is_not_plain_json_is_invalid_json(body):
    with pytest.raises(CommandError) as refused:
        load_json(body, "The export")
    assert refused.value.code == "invalid_json" and refused.value.status == 400
    assert refused.value.message.startswith("The export")


def test_an_empty_body_is_null():
    assert load_json(b"") is None
