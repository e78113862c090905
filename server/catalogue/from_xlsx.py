"""Reading a catalogue from an Excel workbook (.xlsx): the sheet of principles, values only, no formulas."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from decimal import Decimal

from .office_zip import check_zip
from .sheet import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_ROWS,
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
        notes = []
        if chosen is None:
            chosen = max(sheets, key=_sheet_fit)  # the sheet that looks most like a list of principles
        if len(sheets) > 1:
            notes.append(f"Read the sheet “{chosen.title}”; the workbook's other sheets were not read.")
        grid = _read_sheet(chosen)
    except (CatalogueFileError, MemoryError):
        raise
    except Exception:  # the cells are parsed as they are read: a damaged part fails here, not at opening
        if out_of_memory():
            raise MemoryError from None
        raise CatalogueFileError("broken_file", "This Excel workbook is damaged and can't be read.") from None
    finally:
        workbook.close()
    return table("xlsx", grid, "row {n}", notes)


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
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise CatalogueFileError("too_many_columns", f"Row {number} has {len(cells)} columns; at most {MAX_COLUMNS} are read.")
        if cells and len(grid) > MAX_ROWS + 1:
            raise CatalogueFileError("too_many_rows", f"The sheet has more than {MAX_ROWS} rows; keep only the principles.")
        grid.append((number, cells))
    return grid
