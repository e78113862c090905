"""Reading a catalogue from a Word document (.docx): the principles in its tables."""

from __future__ import annotations

import io
from dataclasses import dataclass

from .office_zip import check_zip
from .sheet import (
    MAX_COLUMNS,
    MAX_HEADING_CHARS,
    MAX_ROWS,
    MAX_TABLES,
    CatalogueFileError,
    Sheet,
    check_cell,
    clean_header,
    column_letter,
    find_header,
    header_rows_note,
    names_level,
    out_of_memory,
    section_row,
    single_text,
    unique_headers,
    with_sections,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_GRID_COLUMNS = 64  # grid columns a row may cover, spans included (a span is refused past this)
MAX_BANNER_ROWS = 3  # rows a table may have above its header row (a merged title, a level banner)
MAX_NAME_CHARS = 50  # of the paragraph before a table, to name the table


def parse_docx(data: bytes) -> Sheet:
    """The principles from a Word document's tables.

    Two layouts are read, and may be mixed: a table with a header row and one principle per row (several such
    tables, e.g. one per level, are joined; the heading just above each table, a merged banner row above its
    header row, or a merged row between its rows goes into a "Section heading" column, which can say the level),
    and a two-column table per principle with a label in each row ("Principle", "Statement", "Not yet met", …).
    Every other table (a cover, a scoring key, a sign-off) is set aside, and a note names it as people see it
    ("the table after “Scoring key”") with the reason.
    """
    check_zip(data, "docx")
    from docx import Document  # imported here: only imports need it

    try:
        document = Document(io.BytesIO(data))
        body = document.element.body
    except MemoryError:
        raise  # not damage: the parser child says the file needs too much memory
    except Exception:
        if out_of_memory():
            raise MemoryError from None
        raise CatalogueFileError("broken_file", "This Word document is damaged or not a real .docx file.") from None

    heading = ""
    paragraphs_since: list = []  # since the last table, last first: only a table's heading is ever read
    tables: list[_Table] = []
    for child in _blocks(body, W + "p", W + "tbl"):
        if child.tag == W + "p":
            paragraphs_since.append(child)
            continue
        if len(tables) >= MAX_TABLES:
            raise CatalogueFileError("too_many_rows", f"The document has more than {MAX_TABLES} tables.")
        before = _heading(reversed(paragraphs_since), max_chars=None)
        heading = _heading(reversed(paragraphs_since)) or heading
        paragraphs_since.clear()
        grid, filled = _table_grid(child)
        tables.append(_Table(len(tables) + 1, heading, _table_name(len(tables) + 1, before), grid, filled))
    if not tables:
        raise CatalogueFileError(
            "missing_columns", "The Word document has no tables. The principles must be in a table (see the template)."
        )

    records: list[tuple[str, str, dict[str, str]]] = []  # (label, heading, row)
    notes: list[str] = []
    row_tables: list[tuple[_Table, int, int, list[str]]] = []  # (table, header row, rows it takes, headings)
    for t in tables:
        if not t.grid:
            t.reason = "it is empty"
        elif _is_label_table(t.grid):
            records.append((f"table {t.number}", t.heading, _label_row(t.grid)))
            t.used = 1
        elif found := find_header(t.filled, search=MAX_BANNER_ROWS + 1):
            row_tables.append((t, *found))
        else:
            t.reason = _why_not_principles(t.grid)
    if not row_tables and not records:
        # Nothing looks like principles: read every table from its first row and let the mapping decide.
        row_tables = [(t, 0, 1, t.filled[0]) for t in tables if t.grid]
    for t, start, taken, header_cells in row_tables:
        banner = _banner(t.filled[:start])
        heading = banner or t.heading
        if banner:  # people know the table by its banner better than by the paragraph before it
            t.name = f"the table headed “{_short(banner)}”"
        if start:
            notes.append(
                f"In {t.name}, the column headings are in row {start + 1}; the "
                f"{'row' if start == 1 else f'{start} rows'} above {'it was' if start == 1 else 'them were'} read as "
                f"{'its heading' if heading != t.heading else 'a title'}."
            )
        if taken > 1:
            notes.append(header_rows_note(f"In {t.name}, rows {start + 1}–{start + taken}", t.filled[start], header_cells))
        headers = unique_headers(header_cells)
        for r in range(start + taken, len(t.grid)):
            section = section_row(t.grid[r], t.filled[r])
            if section:
                heading = section
                continue
            cells = t.grid[r] + [""] * (len(headers) - len(t.grid[r]))
            row = {h: cells[i] for i, h in enumerate(headers)}
            for i, value in enumerate(cells[len(headers):]):
                row[f"Column {column_letter(len(headers) + i)}"] = value
            records.append((f"table {t.number}, row {r + 1}", heading, row))
            t.used += 1
        if not t.used:
            t.reason = "it has column headings but no rows under them"
    used = [t for t in tables if t.used]
    if used:
        notes.insert(0, "Principles read from " + "; ".join(
            f"{t.name} ({t.used} {'row' if t.used == 1 else 'rows'})" for t in used) + ".")
    notes += [f"Set aside {t.name}: {t.reason}." for t in tables if not t.used]
    if not records:
        raise CatalogueFileError("empty", "The document's tables hold no principles under their header rows.")
    if len(records) > MAX_ROWS:
        raise CatalogueFileError("too_many_rows", f"The tables hold {len(records)} rows; at most {MAX_ROWS} are read.")

    headers: list[str] = []
    for _, _, row in records:
        for h in row:
            if h not in headers:
                headers.append(h)
    if len(headers) > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The tables use {len(headers)} different columns; at most {MAX_COLUMNS}.")
    rows = [{h: row.get(h, "") for h in headers} for _, _, row in records]
    headers = with_sections(headers, rows, [heading for _, heading, _ in records], notes, "above the table")
    return Sheet("docx", headers, rows, [label for label, _, _ in records], notes)


@dataclass
class _Table:
    number: int
    heading: str  # the heading above it (or the last one before it)
    name: str  # as people see it: "the table after “Scoring key”"
    grid: list[list[str]]  # one text per column; a cell spanning several columns is read once, in its first
    filled: list[list[str]]  # the same, a cell spanning several columns repeated over each (for headings)
    used: int = 0  # the principles read from it
    reason: str = ""  # why it was set aside


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _guess_field(header: str) -> str | None:
    from .mapping import guess_field

    return guess_field(header)


def _table_name(number: int, before: str) -> str:
    """A table as people see it: "the table after “Scoring key”", else "the third table"."""
    if before:
        return f"the table after “{_short(before)}”"
    return f"the {ORDINALS[number - 1]} table" if number <= len(ORDINALS) else f"table {number}"


def _short(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS].rsplit(" ", 1)[0] + "…"


def _why_not_principles(grid: list[list[str]]) -> str:
    """Why a table is not read as principles, in words people recognise."""
    from .mapping import normalise

    first = [normalise(r[0]) for r in grid[1:] if r and r[0]]
    words = set(normalise(" ".join(" ".join(r) for r in grid[:3])).split())
    if first and sum(1 for c in first if c[:1] in "1234" and len(c.split()) <= 3) >= max(2, len(first) * 2 // 3):
        return "it looks like a scoring key (1 to 4 and what each means), not principles"
    if words & {"signed", "sign", "signature", "approved", "signoff"}:
        return "it looks like a sign-off table, not principles"
    if len(grid) <= 12 and all(sum(1 for c in r if c) <= 2 for r in grid):
        return "it looks like a cover or details table, not principles (no Principle or Statement column)"
    return "none of its first rows names a Principle or Statement column"


def _is_label_table(grid: list[list[str]]) -> bool:
    """A label and its value in each row, most labels naming a field ("Statement", "Not yet met", …), a principle
    or statement among them: one principle per table. (A scoring key, "1 | …" to "4 | …", names no principle.) A
    value may be split over two cells in some rows (the columns then number three or four)."""
    if len(grid) < 3 or len(grid[0]) > 4 or any(sum(1 for c in r if c) > 3 for r in grid):
        return False
    fields = [_guess_field(r[0]) if r else None for r in grid]
    labelled = sum(1 for f in fields if f is not None)
    first = [c for c in grid[0] if c]
    header_like = len(first) >= 2 and all(_guess_field(c) is not None for c in first)
    return bool({"name", "statement"} & set(fields)) and labelled >= 3 and not (header_like and labelled < len(grid) / 2)


def _label_row(grid: list[list[str]]) -> dict[str, str]:
    row: dict[str, str] = {}
    for label_cell, *rest in grid:
        value = "\n".join(c for c in rest if c)
        key = clean_header(label_cell) or f"Column {column_letter(len(row))}"
        while key in row:
            key += " (2)"
        row[key] = value
    return row


def _banner(rows: list[list[str]]) -> str:
    """The heading a table gives itself above its header row: the last row of one text (merged across) that
    names a level, else the last of one text."""
    texts = [t for t in (single_text(r) for r in rows) if t and len(t) <= MAX_HEADING_CHARS]
    return next((t for t in reversed(texts) if names_level(t)), texts[-1] if texts else "")


def _heading(paragraphs, max_chars: int | None = MAX_HEADING_CHARS) -> str:
    """The last paragraph with text, if short (a heading says the level of the table under it)."""
    for looked, p in enumerate(paragraphs):
        if looked >= 20:
            break
        text = " ".join(check_cell(paragraph_text(p), "A heading").split())
        if text:
            return text if max_chars is None or len(text) <= max_chars else ""
    return ""


def _table_grid(tbl) -> tuple[list[list[str]], list[list[str]]]:
    """The table's rows, read from its XML (python-docx would first make one entry per spanned grid column: a
    span of two billion, in a 35 KB file, took the whole server's memory), as one text per column: the columns
    are the grid columns some cell starts at (so rows with merged cells stay aligned), at most MAX_COLUMNS.

    Two grids: in the first a cell spanning several columns is read once, in its first column (a principle's
    text is never doubled); in the second it is repeated over each (a heading merged over "1" … "4"). A cell
    merged down from the one above repeats its text in both. Empty rows are left out."""
    placed: list[list[tuple[int, int, str]]] = []  # per row: (grid column, span, text)
    starts: set[int] = set()
    above: dict[int, str] = {}  # grid column -> the text a vertical merge below it continues
    for tr in _blocks(tbl, W + "tr"):
        column = _number(tr.find(f"{W}trPr/{W}gridBefore"), default=0)
        cells: list[tuple[int, int, str]] = []
        for tc in _blocks(tr, W + "tc"):
            span = max(1, _number(tc.find(f"{W}tcPr/{W}gridSpan"), default=1))
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            if merge is not None and merge.get(W + "val", "continue") == "continue":
                text = above.get(column, "")
            else:
                text = "\n".join(paragraph_text(p) for p in _blocks(tc, W + "p")).strip()
                text = check_cell(text, f"A table cell ({text[:30]}…)")
                above[column] = text
            cells.append((column, span, text))
            starts.add(column)
            column += span
            if column > MAX_GRID_COLUMNS or len(cells) > MAX_COLUMNS or len(starts) > MAX_COLUMNS:
                raise CatalogueFileError(
                    "too_many_columns", f"A table has more than {MAX_COLUMNS} columns; at most {MAX_COLUMNS} are read."
                )
        if any(text for _, _, text in cells):
            placed.append(cells)
        if len(placed) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"A table has more than {MAX_ROWS} rows.")
    columns = sorted(starts)
    grid, filled = [], []
    for cells in placed:  # cells run left to right, as do the columns: one pass over both
        once, each = [""] * len(columns), [""] * len(columns)
        k = 0
        for i, c in enumerate(columns):
            while k < len(cells) and cells[k][0] + cells[k][1] <= c:
                k += 1
            if k < len(cells) and cells[k][0] <= c:
                start, _, text = cells[k]
                once[i] = text if start == c else ""
                each[i] = text
        grid.append(once)
        filled.append(each)
    return grid, filled


# Elements that only wrap content: a content control (a form field, common in templates), custom XML.
WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml"}
MAX_WRAPPING = 4  # wrappers inside wrappers looked into


def _blocks(parent, *tags, depth: int = 0):
    """The children of ``parent`` with one of ``tags``, also those inside content controls or custom XML (Word
    puts a form's rows, cells and paragraphs there)."""
    for child in parent.iterchildren(*tags, *WRAPPERS):
        if child.tag in WRAPPERS:
            if depth < MAX_WRAPPING:
                yield from _blocks(child, *tags, depth=depth + 1)
        else:
            yield child


# Text as Word shows it with changes accepted: tracked insertions in, deletions and moved-away text out (python-
# docx's Paragraph.text leaves out whatever sits inside <w:ins>, so a tracked insertion would be lost).
_SKIPPED = {W + "del", W + "moveFrom", W + "txbxContent"}
_TEXT = {W + "t": None, W + "tab": "\t", W + "br": "\n", W + "cr": "\n", W + "noBreakHyphen": "-"}


def paragraph_text(p) -> str:
    """One walk over the paragraph's elements in document order, never into a deletion (linear, however deep)."""
    parts: list[str] = []
    stack = list(reversed(p))
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag in _SKIPPED:
            continue
        if tag in _TEXT:
            fixed = _TEXT[tag]
            parts.append((element.text or "") if fixed is None else fixed)
        else:
            stack.extend(reversed(element))
    return "".join(parts)


def _number(element, default: int) -> int:
    """A ``w:val`` count (a span, the columns skipped before a row): a small whole number, or the file is
    refused."""
    if element is None:
        return default
    raw = element.get(W + "val", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4 or int(raw) > MAX_GRID_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"A table cell spans {raw[:12]!r} columns; at most {MAX_COLUMNS} are read.")
    return int(raw)
