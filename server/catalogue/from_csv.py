"""Reading a catalogue from CSV: UTF-8 (with or without a BOM), comma, semicolon or tab."""

from __future__ import annotations

import csv
import io
import re

from .sheet import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    CatalogueFileError,
    Sheet,
    check_cell,
    column_letter,
    table,
    unescape_cell,
)


def decode_text(data: bytes, what: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CatalogueFileError(
            "bad_encoding",
            f"This {what} file is saved as UTF-16 ('Unicode text'). Save it as UTF-8: in Excel choose "
            "File › Save As › 'CSV UTF-8 (Comma delimited)'.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueFileError(
            "bad_encoding",
            f"This {what} file isn't UTF-8 text (byte {exc.start + 1} can't be read). In Excel choose "
            "File › Save As › 'CSV UTF-8 (Comma delimited)'; in LibreOffice tick 'Edit filter settings' and pick "
            "UTF-8.",
        ) from None


def _delimiter(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: the one the first lines use most, outside quotes."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    unquoted = re.sub(r'"[^"]*"', "", "\n".join(lines))
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(data: bytes) -> Sheet:
    text = decode_text(data, "CSV")
    if "\x00" in text:
        raise CatalogueFileError("broken_file", "The file holds NUL characters: it is not a text (CSV) file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    grid: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if len(grid) > MAX_ROWS + 1 and any(c.strip() for c in record):
                raise CatalogueFileError("too_many_rows", f"The file has more than {MAX_ROWS} rows; keep only the principles.")
            cells = []
            for col, raw in enumerate(record):
                where = f"Cell {column_letter(col)}{number}"
                stripped = check_cell(raw, where).strip()
                if stripped.startswith("="):
                    raise CatalogueFileError(
                        "formula",
                        f"{where} starts with '=', like a spreadsheet formula. Formulas aren't imported: copy the "
                        "cells and paste them back as values (Paste special › Values), then save again.",
                    )
                cells.append(unescape_cell(stripped))
            grid.append((number, cells))
    except csv.Error as exc:
        raise CatalogueFileError(
            "broken_file", f"The CSV can't be read near row {reader.line_num}: {str(exc)[:120]}. Check its quotes."
        ) from None
    return table("csv", grid, "row {n}")
