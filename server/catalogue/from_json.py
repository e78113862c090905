"""Reading a catalogue from JSON: a list of principles, or an object with a "principles" list."""

from __future__ import annotations

import json

from .from_csv import decode_text
from .sheet import MAX_COLUMNS, MAX_ROWS, CatalogueFileError, Sheet, check_cell, clean_header

JSON_LIST_FIELDS = ("descriptors", "descriptions", "levels")  # lists spread over numbered columns


def parse_json(data: bytes) -> Sheet:
    text = decode_text(data, "JSON")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueFileError(
            "broken_file", f"The JSON isn't valid (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except RecursionError:
        raise CatalogueFileError("broken_file", "The JSON is nested far too deeply.") from None
    if isinstance(parsed, dict):
        items = parsed.get("principles", parsed.get("items"))
    else:
        items = parsed
    if not isinstance(items, list):
        raise CatalogueFileError(
            "missing_columns", 'The JSON must be a list of principles, or an object with a "principles" list.'
        )
    if not items:
        raise CatalogueFileError("empty", "The JSON has no principles.")
    if len(items) > MAX_ROWS:
        raise CatalogueFileError("too_many_rows", f"The JSON has {len(items)} items; at most {MAX_ROWS} are read.")
    headers: list[str] = []
    rows: list[dict[str, str]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise CatalogueFileError("broken_file", f"Item {n} of the JSON is not an object with fields.")
        row: dict[str, str] = {}
        for raw_key, value in item.items():
            key = clean_header(raw_key)
            if not key:
                continue
            for column, text in _json_columns(key, value, n):
                row[column] = check_cell(text, f"Item {n}, {column}").strip()
        for column in row:
            if column not in headers:
                headers.append(column)
        rows.append(row)
    if len(headers) > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The JSON uses {len(headers)} fields; at most {MAX_COLUMNS} are read.")
    rows = [{h: row.get(h, "") for h in headers} for row in rows]
    return Sheet("json", headers, rows, [f"item {n}" for n in range(1, len(rows) + 1)])


def _json_scalar(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    raise CatalogueFileError("broken_file", f"{where} holds a nested object; only text, numbers and lists are read.")


def _json_columns(key: str, value: object, n: int):
    where = f"Item {n}, field “{key}”"
    if isinstance(value, list):
        if key.casefold() in JSON_LIST_FIELDS:
            if len(value) > 8:
                raise CatalogueFileError("broken_file", f"{where} has {len(value)} entries; a principle has 4.")
            return [(f"{key} {i}", _json_scalar(v, where)) for i, v in enumerate(value, start=1)]
        return [(key, "; ".join(_json_scalar(v, where) for v in value))]
    return [(key, _json_scalar(value, where))]
