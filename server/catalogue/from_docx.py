"""Reading a catalogue from a Word document (.docx): the principles in its tables."""

from __future__ import annotations

import io

from .office_zip import check_zip
from .sheet import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TABLES,
    SECTION_HEADING,
    CatalogueFileError,
    Sheet,
    check_cell,
    clean_header,
    column_letter,
    out_of_memory,
    unique_headers,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_GRID_COLUMNS = 64  # grid columns a row may cover, spans included (a span is refused past this)


def parse_docx(data: bytes) -> Sheet:
    """The principles from a Word document's tables.

    Two layouts are read, and may be mixed: a table with a header row and one principle per row (several such
    tables, e.g. one per level, are joined; the heading just above each table goes into a "Section heading"
    column, which can say the level), and a two-column table per principle with a label in each row
    ("Statement", "Not yet met", …).
    """
    check_zip(data, "docx")
    from docx import Document  # imported here: only imports need it
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
        body = document.element.body
    except MemoryError:
        raise  # not damage: the parser child says the file needs too much memory
    except Exception:
        if out_of_memory():
            raise MemoryError from None
        raise CatalogueFileError("broken_file", "This Word document is damaged or not a real .docx file.") from None
    from .mapping import guess_field, guess_mapping

    def paragraph_text(p) -> str:
        return Paragraph(p, document).text

    heading = ""
    paragraphs_since: list = []  # since the last table, last first: only a table's heading is ever read
    headed_tables: list[tuple[str, list[list[str]]]] = []
    for child in body.iterchildren(W + "p", W + "tbl"):
        if child.tag == W + "p":
            paragraphs_since.append(child)
            continue
        if len(headed_tables) >= MAX_TABLES:
            raise CatalogueFileError("too_many_rows", f"The document has more than {MAX_TABLES} tables.")
        heading = _heading(reversed(paragraphs_since), paragraph_text) or heading
        paragraphs_since.clear()
        headed_tables.append((heading, _table_grid(child, paragraph_text)))
    if not headed_tables:
        raise CatalogueFileError(
            "missing_columns", "The Word document has no tables. The principles must be in a table (see the template)."
        )

    records: list[tuple[str, str, dict[str, str]]] = []  # (label, heading, row)
    notes: list[str] = []
    row_tables: list[tuple[int, str, list[list[str]]]] = []
    for t, (heading, grid) in enumerate(headed_tables, start=1):
        grid = [r for r in grid if any(c for c in r)]
        if not grid:
            continue
        if _is_label_table(grid, guess_field):
            row: dict[str, str] = {}
            for label_cell, *rest in grid:
                value = "\n".join(c for c in rest if c)
                key = clean_header(label_cell) or f"Column {column_letter(len(row))}"
                while key in row:
                    key += " (2)"
                row[key] = value
            records.append((f"table {t}", heading, row))
        else:
            row_tables.append((t, heading, grid))

    kept = [
        (t, heading, grid)
        for t, heading, grid in row_tables
        if {"name", "statement"} & {f for f, h in guess_mapping(unique_headers(grid[0])).items() if h}
    ]
    if not kept and not records:
        kept = row_tables  # nothing looks like principles: read every table and let the mapping decide
    for t, heading, grid in row_tables:
        if (t, heading, grid) not in kept:
            notes.append(f"Table {t} was skipped: its first row doesn't look like column headings for principles.")
    for t, heading, grid in kept:
        headers = unique_headers(grid[0])
        for r, cells in enumerate(grid[1:], start=2):
            cells = cells + [""] * (len(headers) - len(cells))
            extra = cells[len(headers):]
            row = {h: cells[i] for i, h in enumerate(headers)}
            for i, value in enumerate(extra):
                row[f"Column {column_letter(len(headers) + i)}"] = value
            records.append((f"table {t}, row {r}", heading, row))
    if not records:
        raise CatalogueFileError("empty", "The document's tables hold no principles under their header rows.")
    if len(records) > MAX_ROWS:
        raise CatalogueFileError("too_many_rows", f"The tables hold {len(records)} rows; at most {MAX_ROWS} are read.")

    headers: list[str] = []
    for _, _, row in records:
        for h in row:
            if h not in headers:
                headers.append(h)
    with_headings = any(heading for _, heading, _ in records) and SECTION_HEADING not in headers
    if with_headings:
        headers.append(SECTION_HEADING)
    if len(headers) > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The tables use {len(headers)} different columns; at most {MAX_COLUMNS}.")
    rows = []
    for _, heading, row in records:
        full = {h: row.get(h, "") for h in headers}
        if with_headings:
            full[SECTION_HEADING] = heading
        rows.append(full)
    return Sheet("docx", headers, rows, [label for label, _, _ in records], notes)


def _is_label_table(grid: list[list[str]], guess_field) -> bool:
    """Two columns, most first cells naming a field ("Statement", "Not yet met", …): one principle per table."""
    if len(grid) < 3 or any(len(r) > 2 for r in grid):
        return False
    labelled = sum(1 for r in grid if r and guess_field(r[0]) is not None)
    header_like = len(grid[0]) == 2 and all(guess_field(c) is not None for c in grid[0])
    return labelled >= 3 and not (header_like and labelled < len(grid) / 2)


def _heading(paragraphs, paragraph_text) -> str:
    """The last short paragraph with text (a heading says the level of the table under it)."""
    for looked, p in enumerate(paragraphs):
        if looked >= 20:
            break
        text = " ".join(check_cell(paragraph_text(p), "A heading").split())
        if text and len(text) <= 150:
            return text
    return ""


def _table_grid(tbl, paragraph_text) -> list[list[str]]:
    """One list of cell texts per row, read from the table's XML (python-docx would first make one entry per
    spanned grid column: a span of two billion, in a 35 KB file, took the whole server's memory).

    A cell spanning several columns is one cell; a cell merged down from the one above repeats its text."""
    grid: list[list[str]] = []
    above: dict[int, str] = {}  # grid column -> the text a vertical merge below it continues
    for tr in tbl.iterchildren(W + "tr"):
        column = _number(tr.find(f"{W}trPr/{W}gridBefore"), default=0)
        cells: list[str] = []
        for tc in tr.iterchildren(W + "tc"):
            span = _number(tc.find(f"{W}tcPr/{W}gridSpan"), default=1)
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            if merge is not None and merge.get(W + "val", "continue") == "continue":
                text = above.get(column, "")
            else:
                text = "\n".join(paragraph_text(p) for p in tc.iterchildren(W + "p")).strip()
                text = check_cell(text, f"A table cell ({text[:30]}…)")
                above[column] = text
            cells.append(text)
            column += span
            if column > MAX_GRID_COLUMNS or len(cells) > MAX_COLUMNS:
                raise CatalogueFileError(
                    "too_many_columns", f"A table has more than {MAX_COLUMNS} columns; at most {MAX_COLUMNS} are read."
                )
        grid.append(cells)
        if len(grid) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"A table has more than {MAX_ROWS} rows.")
    return grid


def _number(element, default: int) -> int:
    """A ``w:val`` count (a span, the columns skipped before a row): a small whole number, or the file is
    refused."""
    if element is None:
        return default
    raw = element.get(W + "val", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4 or int(raw) > MAX_GRID_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"A table cell spans {raw[:12]!r} columns; at most {MAX_COLUMNS} are read.")
    return int(raw)
