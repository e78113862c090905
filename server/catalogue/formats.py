"""Reading a site's catalogue file into plain rows: CSV, Excel (.xlsx), JSON and Word (.docx).

Pure functions of bytes: nothing is written to disk, nothing touches the network or the database. Every parser
returns a ``Sheet``: the column headers and one ``dict`` of text per row, with where each row came from (for
people: "row 7", "table 2, row 4", "item 3"). Deciding what the columns mean is ``mapping``'s job.

Refusals raise ``CatalogueFileError`` with a stable ``code`` and a message that says what to do. Whatever a file
holds, parsing it is bounded: its size, the rows and columns read, the size of what a zip unpacks to.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

MAX_BYTES = 2 * 1024 * 1024  # the largest file accepted
MAX_ROWS = 500  # data rows read from a file (a THRIVE Assessment Tool has 20–30 principles)
MAX_COLUMNS = 40
MAX_CELL_CHARS = 20_000  # any one cell; the fields themselves are bounded far lower (mapping)
MAX_UNZIPPED = 40 * 1024 * 1024  # what an .xlsx or .docx may unpack to (zip bombs)
MAX_ZIP_MEMBERS = 3000
MAX_TABLES = 200  # Word tables looked at

FORMATS = ("csv", "xlsx", "json", "docx")
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel workbook (.xlsx)", "json": "JSON", "docx": "Word document (.docx)"}
SECTION_HEADING = "Section heading"  # the column a Word import adds: the heading above each table

# Cell text that a spreadsheet would run as a formula. Exports put a "'" before such text and imports take it
# off again, so text that starts with one of these survives a round trip without ever becoming a formula.
FORMULA_STARTS = ("=", "+", "-", "@")


class CatalogueFileError(Exception):
    """A file that cannot be imported at all. ``code`` is stable; ``message`` is for the facilitator."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Sheet:
    format: str
    headers: list[str]
    rows: list[dict[str, str]]
    labels: list[str]  # where each row is, in the file's own terms
    notes: list[str] = field(default_factory=list)  # what the reader skipped or assumed, for the preview


# --- which format -----------------------------------------------------------------------------------------

_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json", ".docx": "docx"}
_REFUSED_EXTENSIONS = {
    ".xlsm": ("macros", "This Excel file can hold macros (.xlsm). Save it as an Excel Workbook (.xlsx) and try again."),
    ".xltm": ("macros", "This Excel template can hold macros (.xltm). Save it as an Excel Workbook (.xlsx) and try again."),
    ".xlsb": ("unsupported_type", "Binary Excel files (.xlsb) can't be read. Save it as an Excel Workbook (.xlsx)."),
    ".docm": ("macros", "This Word file can hold macros (.docm). Save it as a Word Document (.docx) and try again."),
    ".dotm": ("macros", "This Word template can hold macros (.dotm). Save it as a Word Document (.docx) and try again."),
    ".xls": ("unsupported_type", "This is the old Excel format (.xls). Save it as an Excel Workbook (.xlsx) or as CSV UTF-8."),
    ".doc": ("unsupported_type", "This is the old Word format (.doc). Save it as a Word Document (.docx)."),
    ".ods": ("unsupported_type", "OpenDocument spreadsheets (.ods) can't be read. Save it as .xlsx or CSV."),
    ".odt": ("unsupported_type", "OpenDocument text (.odt) can't be read. Save it as a Word Document (.docx)."),
    ".pdf": ("unsupported_type", "PDF files can't be read. Use the Word or Excel copy of your Assessment Tool."),
}
SUPPORTED_HINT = "Use a CSV (UTF-8), Excel (.xlsx), JSON or Word (.docx) file."


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def detect_format(filename: str, data: bytes, declared: str | None = None) -> str:
    """The format to read ``data`` as, from its name (or ``declared``) checked against its content."""
    ext = _extension(filename)
    if ext in _REFUSED_EXTENSIONS:
        raise CatalogueFileError(*_REFUSED_EXTENSIONS[ext])
    is_zip = data[:4] == b"PK\x03\x04"
    is_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and password-protected new ones
    wanted = declared or _EXTENSIONS.get(ext)
    if declared is not None and declared not in FORMATS:
        raise CatalogueFileError("unsupported_type", f"Unknown format {declared[:20]!r}. {SUPPORTED_HINT}")
    if ext and wanted is None:
        raise CatalogueFileError("unsupported_type", f"Files ending {ext[:12]} can't be imported. {SUPPORTED_HINT}")
    if is_ole:
        raise CatalogueFileError(
            "unsupported_type",
            "This is an old-style Office file, or one protected with a password. Remove the password and save it "
            "as .xlsx or .docx, then try again.",
        )
    if wanted in ("xlsx", "docx"):
        if not is_zip:
            raise CatalogueFileError(
                "broken_file", f"This file is not a real {FORMAT_NAMES[wanted]}: it may be damaged or renamed."
            )
        return wanted
    if wanted in ("csv", "json"):
        if is_zip:
            raise CatalogueFileError(
                "broken_file",
                f"This file is named as {FORMAT_NAMES[wanted]} but is an Office document. Upload the .xlsx or "
                ".docx file itself, or save it as CSV UTF-8.",
            )
        return wanted
    # No name to go by: look inside.
    if is_zip:
        names = _zip_names(data)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise CatalogueFileError("unsupported_type", f"This zip file is not a Word or Excel document. {SUPPORTED_HINT}")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"{", b"[") else "csv"


def read_file(filename: str, data: bytes, declared: str | None = None) -> Sheet:
    """Check the size, pick the format and parse."""
    check_size(len(data))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CatalogueFileError("empty", "The file is empty.")
    kind = detect_format(filename, data, declared)
    return PARSERS[kind](data)


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise CatalogueFileError(
            "too_large",
            f"The file is {size / 1048576:.1f} MiB; the most accepted is {MAX_BYTES // 1048576} MiB. Remove pictures "
            "or other sheets, or save just the principles as CSV.",
        )


# --- shared helpers ---------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def unescape_cell(text: str) -> str:
    """Take off the "'" an export puts before text that a spreadsheet would run as a formula."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def escape_cell(text: str) -> str:
    """The export side of ``unescape_cell`` (CSV and Excel): never let a cell start like a formula."""
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    if text and text[0] == "'" and len(text) > 1 and text[1] in FORMULA_STARTS:
        return "'" + text  # so that unescaping gives the text back exactly
    return text


def _clean_header(raw: str) -> str:
    return " ".join(str(raw).split())[:100]


def _unique_headers(raw: list[str]) -> list[str]:
    """Names for the columns: blank ones become "Column C", repeated ones "Description (2)"."""
    headers: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        name = _clean_header(value) or f"Column {column_letter(i)}"
        candidate, n = name, 2
        while candidate.casefold() in seen:
            candidate = f"{name} ({n})"
            n += 1
        seen.add(candidate.casefold())
        headers.append(candidate)
    return headers


def _check_cell(text: str, where: str) -> None:
    if len(text) > MAX_CELL_CHARS:
        raise CatalogueFileError("too_long", f"{where} holds {len(text)} characters, far more than any field takes.")
    if "\x00" in text:
        raise CatalogueFileError("broken_file", f"{where} holds a NUL character: the file looks damaged.")


HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the column headings


def header_score(cells: list[str]) -> int:
    """How much a row looks like the column headings of principles: the fields it names (0 if neither a
    name nor a statement column is among them)."""
    from .mapping import guess_mapping

    guessed = {f for f, h in guess_mapping(_unique_headers(cells)).items() if h}
    return len(guessed) if guessed & {"name", "statement"} else 0


def _table(format_: str, grid: list[tuple[int, list[str]]], label: str, notes: list[str] | None = None) -> Sheet:
    """A sheet from (row number, cells) pairs. The headers are the first of the first rows that names at least
    two fields (a name or statement among them), else the first non-empty row; rows above it are left out."""
    grid = [(n, cells) for n, cells in grid if any(c.strip() for c in cells)]
    if not grid:
        raise CatalogueFileError("empty", "The file has no rows: nothing to import.")
    notes = list(notes or [])
    start = next((i for i, (_, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]) if header_score(cells) >= 2), 0)
    if start:
        notes.append(
            f"The column headings were found in row {grid[start][0]}; the "
            f"{'row' if start == 1 else f'{start} rows'} above {'it was' if start == 1 else 'them were'} left out."
        )
        grid = grid[start:]
    width = max(len(cells) for _, cells in grid)
    if width > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The file has {width} columns; at most {MAX_COLUMNS} are read.")
    if len(grid) - 1 > MAX_ROWS:
        raise CatalogueFileError(
            "too_many_rows", f"The file has {len(grid) - 1} rows; at most {MAX_ROWS} are read. Keep only the principles."
        )
    header_cells = grid[0][1] + [""] * (width - len(grid[0][1]))
    headers = _unique_headers(header_cells)
    rows, labels = [], []
    for number, cells in grid[1:]:
        cells = cells + [""] * (width - len(cells))
        rows.append({h: cells[i].strip() for i, h in enumerate(headers)})
        labels.append(label.format(n=number))
    if not rows:
        raise CatalogueFileError("empty", "The file has a header row but no principles under it.")
    return Sheet(format_, headers, rows, labels, notes)


# --- CSV --------------------------------------------------------------------------------------------------


def _decode_text(data: bytes, what: str) -> str:
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
    text = _decode_text(data, "CSV")
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
                _check_cell(raw, where)
                stripped = raw.strip()
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
    return _table("csv", grid, "row {n}")


# --- zips (xlsx, docx) ------------------------------------------------------------------------------------


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, ValueError):
        return set()


def _check_zip(data: bytes, kind: str) -> None:
    """Refuse damaged archives, zip bombs, macros, and XML that declares a DOCTYPE (entity tricks)."""
    name = FORMAT_NAMES[kind]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise CatalogueFileError("broken_file", f"This {name} is damaged and can't be opened.") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
            raise CatalogueFileError("too_large", f"This {name} unpacks to far more than a catalogue needs.")
        for member in members:
            lower = member.filename.lower()
            if lower.endswith("vbaproject.bin") or lower.endswith(".bin") and "vba" in lower:
                raise CatalogueFileError(
                    "macros",
                    f"This {name} contains macros. Save a copy without macros (as .{kind}) and import that.",
                )
        try:
            types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in zf.namelist() else b""
            if b"macroEnabled" in types or b"vbaProject" in types:
                raise CatalogueFileError(
                    "macros", f"This {name} is macro-enabled. Save a copy as a plain .{kind} and import that."
                )
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels")):
                    with zf.open(member) as handle:
                        head = handle.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise CatalogueFileError("broken_file", f"This {name} holds XML features that aren't accepted.")
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError):
            raise CatalogueFileError("broken_file", f"This {name} is damaged and can't be opened.") from None


# --- Excel ------------------------------------------------------------------------------------------------


def _excel_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def parse_xlsx(data: bytes) -> Sheet:
    _check_zip(data, "xlsx")
    import openpyxl  # imported here: only imports need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it skips (data validation, …)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise CatalogueFileError("broken_file", "This Excel workbook is damaged or not a real .xlsx file.") from None
    try:
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not sheets:
            raise CatalogueFileError("empty", "The workbook has no sheets with cells.")
        chosen = next((ws for ws in sheets if ws.title.strip().casefold() == "principles"), None)
        notes = []
        if chosen is None:
            chosen = max(sheets, key=_sheet_fit)  # the sheet that looks most like a list of principles
        if len(sheets) > 1:
            notes.append(f"Read the sheet “{chosen.title}”; the workbook's other sheets were not read.")
        grid = _read_sheet(chosen)
    finally:
        workbook.close()
    return _table("xlsx", grid, "row {n}", notes)


def _sheet_fit(ws) -> tuple[int, int]:
    """(how well its first rows name principle fields, whether it has data): max() keeps the first of equals."""
    best, has_data = 0, 0
    for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True):
        cells = [_excel_text(v) for v in row]
        if any(c.strip() for c in cells):
            has_data = 1
            best = max(best, header_score(cells))
    return best, has_data


def _read_sheet(ws) -> list[tuple[int, list[str]]]:
    grid: list[tuple[int, list[str]]] = []
    for number, row in enumerate(ws.iter_rows(), start=1):
        cells: list[str] = []
        for col, cell in enumerate(row):
            value = getattr(cell, "value", None)
            if value is None:
                cells.append("")
                continue
            where = f"Cell {column_letter(col)}{getattr(cell, 'row', number) or number}"
            if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
                raise CatalogueFileError(
                    "formula",
                    f"{where} holds a formula. Formulas aren't imported: copy the sheet and paste it back as "
                    "values (Paste special › Values), then save and import again.",
                )
            text = _excel_text(value)
            _check_cell(text, where)
            cells.append(unescape_cell(text.strip()))
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise CatalogueFileError("too_many_columns", f"Row {number} has {len(cells)} columns; at most {MAX_COLUMNS} are read.")
        if cells and len(grid) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"The sheet has more than {MAX_ROWS} rows; keep only the principles.")
        grid.append((number, cells))
    return grid


# --- JSON -------------------------------------------------------------------------------------------------

JSON_LIST_FIELDS = ("descriptors", "descriptions", "levels")  # lists spread over numbered columns


def parse_json(data: bytes) -> Sheet:
    text = _decode_text(data, "JSON")
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
            key = _clean_header(raw_key)
            if not key:
                continue
            for column, text in _json_columns(key, value, n):
                _check_cell(text, f"Item {n}, {column}")
                row[column] = text.strip()
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


# --- Word -------------------------------------------------------------------------------------------------


def parse_docx(data: bytes) -> Sheet:
    """The principles from a Word document's tables.

    Two layouts are read, and may be mixed: a table with a header row and one principle per row (several such
    tables, e.g. one per level, are joined; the heading just above each table goes into a "Section heading"
    column, which can say the level), and a two-column table per principle with a label in each row
    ("Statement", "Not yet met", …).
    """
    _check_zip(data, "docx")
    from docx import Document  # imported here: only imports need it
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
        body = document.element.body
    except Exception:
        raise CatalogueFileError("broken_file", "This Word document is damaged or not a real .docx file.") from None
    from .mapping import guess_field, guess_mapping

    heading = ""
    headed_tables: list[tuple[str, list[list[str]]]] = []
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = " ".join(Paragraph(child, document).text.split())
            if text and len(text) <= 150:
                heading = text
        elif tag == "tbl":
            if len(headed_tables) >= MAX_TABLES:
                raise CatalogueFileError("too_many_rows", f"The document has more than {MAX_TABLES} tables.")
            headed_tables.append((heading, _table_grid(Table(child, document))))
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
                key = _clean_header(label_cell) or f"Column {column_letter(len(row))}"
                while key in row:
                    key += " (2)"
                row[key] = value
            records.append((f"table {t}", heading, row))
        else:
            row_tables.append((t, heading, grid))

    kept = [
        (t, heading, grid)
        for t, heading, grid in row_tables
        if {"name", "statement"} & {f for f, h in guess_mapping(_unique_headers(grid[0])).items() if h}
    ]
    if not kept and not records:
        kept = row_tables  # nothing looks like principles: read every table and let the mapping decide
    for t, heading, grid in row_tables:
        if (t, heading, grid) not in kept:
            notes.append(f"Table {t} was skipped: its first row doesn't look like column headings for principles.")
    for t, heading, grid in kept:
        headers = _unique_headers(grid[0])
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


def _table_grid(table) -> list[list[str]]:
    grid: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:  # one cell spanning several grid columns
                continue
            previous = cell._tc
            text = "\n".join(p.text for p in cell.paragraphs).strip()
            _check_cell(text, f"A table cell ({text[:30]}…)")
            cells.append(text)
        if len(cells) > MAX_COLUMNS:
            raise CatalogueFileError("too_many_columns", f"A table has {len(cells)} columns; at most {MAX_COLUMNS} are read.")
        grid.append(cells)
        if len(grid) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"A table has more than {MAX_ROWS} rows.")
    return grid


def _is_label_table(grid: list[list[str]], guess_field) -> bool:
    """Two columns, most first cells naming a field ("Statement", "Not yet met", …): one principle per table."""
    if len(grid) < 3 or any(len(r) > 2 for r in grid):
        return False
    labelled = sum(1 for r in grid if r and guess_field(r[0]) is not None)
    header_like = len(grid[0]) == 2 and all(guess_field(c) is not None for c in grid[0])
    return labelled >= 3 and not (header_like and labelled < len(grid) / 2)


PARSERS = {"csv": parse_csv, "xlsx": parse_xlsx, "json": parse_json, "docx": parse_docx}
