"""Text from outside, cleaned once where it enters (commands, HTTP bodies, imported files).

What goes: C0 control characters other than tab and newline (a carriage return becomes a newline), lone
surrogates, and Unicode non-characters. None of them means anything to a reader, and XML (so Word and Excel
reports) cannot hold them: one U+0001 in a worksheet used to make every report fail.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
_NEWLINES = re.compile("\r\n?")


def clean_text(text: str) -> str:
    """``text`` without the characters above; line ends as ``\\n``."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return _UNWANTED.sub("", text)


def clean_value(value: Any) -> Any:
    """``clean_text`` on every string in a JSON-like value (keys included); the rest as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    return value


class CleanedModel(BaseModel):
    """A pydantic model whose input strings are cleaned before validation: the base of every payload model,
    so no command or request can store what a report could not write."""

    # Fields passed as they came: a password is compared, never shown, and must match what was typed.
    raw_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.raw_fields:
            return {k: v if k in cls.raw_fields else clean_value(v) for k, v in data.items()}
        return clean_value(data)
