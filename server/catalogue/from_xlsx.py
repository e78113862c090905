"""Reading a catalogue from an Excel workbook (.xlsx): the sheet of principles, values only, no formulas."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from decimal import Decimal

from .office_zip import check_zip, sheet_layout
from .sheet import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_ROWS,
    SECTION_HEADING,
    CatalogueFileError,
    Sheet,
    check_cell,
    column_letter,
    header_score,
    out_of_memory,
    table,
    unescape_cell,
)

MAX_SHEET_ROWS = 10_000  # rows looked at, empty ones included


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
    check_zip(data, "xlsx")
    import openpyxl  # imported here: only imports need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it skips (data validation, …)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except MemoryError:
        raise  # not damage: the parser child says the file needs too much memory
    except Exception:
        if out_of_memory():
            raise MemoryError from None  # openpyxl raises many kinds on a damaged file
        raise CatalogueFileError("broken_file", "This Excel workbook is damaged or not a real .xlsx file.") from None
    try:
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not sheets:
            raise CatalogueFileError("empty", "The workbook has no sheets with cells.")
        chosen = next((ws for ws in sheets if ws.title.strip().casefold() == "principles"), None)
        fits = {} if chosen is not None else {ws.title: _sheet_fit(ws) for ws in sheets}
        if chosen is None:
            chosen = max(sheets, key=lambda ws: fits[ws.title])  # the one that looks most like principles
        notes = [_sheets_note(chosen.title, [ws.title for ws in sheets], fits)] if len(sheets) > 1 else []
        merged, hidden = sheet_layout(data, chosen.title)
        grid, filled = _read_sheet(chosen, merged)
    except (CatalogueFileError, MemoryError):
        raise
    except Exception:  # the cells are parsed as they are read: a damaged part fails here, not at opening
        if out_of_memory():
            raise MemoryError from None
        raise CatalogueFileError("broken_file", "This Excel workbook is damaged and can't be read.") from None
    finally:
        workbook.close()
    sheet = table("xlsx", grid, "row {n}", notes, filled)
    shown = _hidden_columns(hidden, sheet)
    if shown:
        sheet.notes.append(f"Hidden columns were read like the others: {', '.join(shown)}. If they hold old or "
                           "working values, check they aren't chosen below.")
    return sheet


def _hidden_columns(hidden: list[tuple[int, int]], sheet: Sheet) -> list[str]:
    """The hidden columns that hold something, as "F (Score 2025)"."""
    names = []
    for i, header in enumerate(sheet.headers[:MAX_COLUMNS]):
        if header == SECTION_HEADING:
            continue
        if any(first <= i + 1 <= last for first, last in hidden) and any(row.get(header) for row in sheet.rows):
            names.append(f"{column_letter(i)} (“{header[:40]}”)")
    return names


def _sheet_fit(ws) -> tuple[int, int, int]:
    """(how well its first rows name principle fields, whether it has data, whether a heading names scores):
    max() keeps the first of equals."""
    from .mapping import guess_field

    best, has_data, scores = 0, 0, 0
    for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True):
        cells = [_excel_text(v) for v in row]
        if any(c.strip() for c in cells):
            has_data = 1
            best = max(best, header_score(cells))
            scores = scores or int(any(len(c.split()) <= 4 and guess_field(c) == "baseline_score" for c in cells))
    return best, has_data, scores


def _sheets_note(chosen: str, titles: list[str], fits: dict[str, tuple[int, int, int]]) -> str:
    """Which sheet was read and why the others were passed over ("Instructions": no column headings)."""
    others = [t for t in titles if t != chosen][:10]
    if not fits:
        return f"Read the sheet “{chosen}”; the other sheets ({', '.join(f'“{t}”' for t in others)}) were not read."
    words = []
    for t in others:
        best, has_data, scores = fits[t]
        why = ("empty" if not has_data
               else f"it has scores but no principles: to import them, put them in a column of “{chosen}”"
               if scores and not best
               else "no column headings for principles in its first rows" if not best
               else "its headings name fewer of the fields")
        words.append(f"“{t}” ({why})")
    return f"Read the sheet “{chosen}”; passed over {', '.join(words)}."


def _read_sheet(ws, merged: list[str]) -> tuple[list[tuple[int, list[str]]], dict[int, list[str]]]:
    """The sheet's rows, and the same rows with merged cells filled (by row number, for finding the headings).

    Merged cells (which openpyxl's read-only mode leaves empty but the first): a range's text fills every row of
    its first column (a level merged down a block applies to each principle in it); in the filled copy it fills
    every cell of the range (a heading merged over "1" … "4" names each of them)."""
    from openpyxl.utils.cell import range_boundaries

    starting: dict[int, list[tuple[int, int, int]]] = {}  # row -> (first column, last column, last row), 0-based cols
    for ref in merged:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if None in (min_col, min_row, max_col, max_row) or min_col > MAX_COLUMNS or min_row > MAX_SHEET_ROWS:
            continue
        starting.setdefault(min_row, []).append((min_col - 1, min(max_col, MAX_COLUMNS) - 1, max_row))
    active: dict[int, tuple[int, str, bool]] = {}  # column -> (last row, text, whether the range's first column)
    grid: list[tuple[int, list[str]]] = []
    filled: dict[int, list[str]] = {}
    # One column more than is read, to see a row that has too many. Rows are counted empty ones and all: a
    # sheet may claim a million rows (its "dimension") and openpyxl would pad every one of them.
    for number, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
        if number > MAX_SHEET_ROWS:
            raise CatalogueFileError(
                "too_many_rows", f"The sheet goes on past row {MAX_SHEET_ROWS}; keep only the principles."
            )
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
            text = check_cell(_excel_text(value), where)
            cells.append(unescape_cell(text.strip()))
        for first, last, last_row in starting.pop(number, ()):
            text = cells[first] if first < len(cells) else ""
            for c in range(first, last + 1):
                active[c] = (last_row, text, c == first)
        whole = list(cells)
        for c, (last_row, text, first) in list(active.items()):
            if last_row < number:
                del active[c]
                continue
            whole += [""] * (c + 1 - len(whole))
            whole[c] = whole[c] or text
            if first:
                cells += [""] * (c + 1 - len(cells))
                cells[c] = cells[c] or text
        for row_cells in (cells, whole):
            while row_cells and not row_cells[-1]:
                row_cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise CatalogueFileError("too_many_columns", f"Row {number} has {len(cells)} columns; at most {MAX_COLUMNS} are read.")
        if cells and len(grid) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"The sheet has more than {MAX_ROWS} rows; keep only the principles.")
        grid.append((number, cells))
        if whole != cells:
            filled[number] = whole
    return grid, filled
