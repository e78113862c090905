"""Text from outside is cleaned where it enters (server/text.py): what XML cannot hold goes, the rest stays."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.services.access import SetPassword
from server.services.commands import Payload
from server.text import clean_text, clean_value


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("plain words, émigré, 日本, 👍", "plain words, émigré, 日本, 👍"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("windows\r\nline\rends", "windows\nline\nends"),
        ("nul\x00 bell\x07 vt\x0b ff\x0c esc\x1b", "nul bell vt ff esc"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("non\ufffe\uffff\ufdd0 \U0001fffe\U0010ffffcharacters", "non characters"),
        ("\x7f DEL and \x85 NEL are printable enough", "\x7f DEL and \x85 NEL are printable enough"),
    ],
)
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_clean_value_walks_keys_and_nested_values():
    assert clean_value({"a\x01": ["b\x02", {"c": "d\x03"}, 4, None]}) == {"a": ["b", {"c": "d"}, 4, None]}


class Note(Payload):
    text: str


def test_payloads_clean_before_they_check():
    assert Note.model_validate({"text": "  one\x01 two  "}).text == "one two"
    with pytest.raises(ValidationError):
        Note.model_validate({"text": 3})  # strictness is unchanged


def test_a_password_is_kept_as_typed():
    assert SetPassword.model_validate({"password": " pass\x01word "}).password == " pass\x01word "
