"""Reading a catalogue from CSV: UTF-8 (with or without a BOM), else Windows-1252 or Latin-1 (with a note to check
£ and quotes); comma, semicolon or tab."""

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

# Tried in this order when a CSV isn't UTF-8. Windows-1252 is what Excel writes for "CSV (Comma delimited)" on
# Windows (£, € and curly quotes are where it differs from Latin-1); Latin-1 reads any byte at all, so it is last.
FALLBACK_ENCODINGS = (("cp1252", "Windows-1252"), ("latin-1", "Latin-1"))


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 (with or without the BOM) only: JSON, and any file that must not be guessed at."""
    text, _ = decode_guessing(data, what, fallback=False)
    return text


def decode_guessing(data: bytes, what: str, *, fallback: bool = True) -> tuple[str, str | None]:
    """(text, the encoding's name when it wasn't UTF-8). UTF-16 is refused (it would decode as nonsense);
    otherwise, with ``fallback``, a file that isn't UTF-8 is read as Windows-1252, else Latin-1: deterministic,
    no statistics (a file with £ or curly quotes from Excel decodes right, and the preview says to check them)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CatalogueFileError(
            "bad_encoding",
            f"This {what} file is saved as UTF-16 ('Unicode text'). Save it as UTF-8: in Excel choose "
            "File › Save As › 'CSV UTF-8 (Comma delimited)'.",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        if fallback:
            for codec, name in FALLBACK_ENCODINGS:
                try:
                    return data.decode(codec), name
                except UnicodeDecodeError:
                    continue
        raise CatalogueFileError(
            "bad_encoding",
            f"This {what} file isn't UTF-8 text (byte {exc.start + 1} can't be read). In Excel choose "
            "File › Save As › 'CSV UTF-8 (Comma delimited)'; in LibreOffice tick 'Edit filter settings' and pick "
            "UTF-8.",
        ) from None


def encoding_note(name: str) -> str:
    return (
        f"The file isn't UTF-8: it was read as {name} (what Excel's “CSV (Comma delimited)” writes). Check £, € and "
        "quotes (“ ” ‘ ’) in the rows below; to be sure, save it as “CSV UTF-8 (Comma delimited)”."
    )


def _delimiter(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: the one the first lines use most, outside quotes."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    unquoted = re.sub(r'"[^"]*"', "", "\n".join(lines))
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(data: bytes) -> Sheet:
    text, encoding = decode_guessing(data, "CSV")
    notes = [encoding_note(encoding)] if encoding else []
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
    return table("csv", grid, "row {n}", notes)
