"""The report as an Excel workbook (openpyxl): one sheet per data set (``data.datasets``), each set up to print
(A4 landscape, fit to the page's width, the heading row repeated, frozen panes), real dates, wrapped text in rows
tall enough to read, and the heat map's score cells coloured (the number always written too)."""

from __future__ import annotations

import datetime as dt
import io
import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.properties import PageSetupProperties

from .data import ReportData, datasets

WIDE = {"Summary": [28, 60], "Gap analysis": [24, 16, 40, 40, 40, 40, 40, 40], "Consensus": [8, 30, 90],
        "Priorities": [7, 30, 24, 10, 10, 12, 60], "Methods": [14, 22, 22, 22, 22, 22, 12, 60]}
MAX_WIDTH = 50
LINE_HEIGHT = 15  # points per wrapped line at 11 pt
# Okabe–Ito tints by score, as the app's heat map and the Word report.
SCORE_FILL = {1: "F4C7A8", 2: "FBE3A6", 3: "CFE8F3", 4: "A9D8C4"}
SCORED_SHEETS = {"Heat map": (4, 5, 6), "Baseline": (4, 5), "Priorities": (5, 6)}  # 1-based score columns


def _print_setup(sheet, status: str = "Draft") -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it needs
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.oddFooter.center.text = "Page &P of &N"
    sheet.oddHeader.left.text = "&A"
    sheet.oddHeader.right.text = status.upper() if status == "Draft" else status  # DRAFT until marked final


def _shown(value) -> str:
    """Roughly what a cell shows, for its column's width: dates as "31 March 2027"."""
    if isinstance(value, dt.datetime):
        return "31 September 2027 23:59"
    if isinstance(value, dt.date):
        return "31 September 2027"
    return "" if value is None else str(value)


def _lines(value, width: float) -> int:
    text = "" if value is None else str(value)
    chars = max(1, int(width * 0.9))  # a little under the width: words wrap whole, headings are bold
    return sum(max(1, math.ceil(len(line) / chars)) for line in text.split("\n")) if text else 1


def render(report: ReportData) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, (headers, rows) in datasets(report).items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # text that looks like a formula stays text: never evaluated
                    cell.data_type = "s"
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "d mmmm yyyy hh:mm"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "d mmmm yyyy"
        sheet.freeze_panes = "C2" if name in ("Tally", "Gap analysis", "Heat map", "Baseline") else "A2"
        widths = WIDE.get(name)
        column_widths = []
        for index, column in enumerate(sheet.columns):
            letter = column[0].column_letter
            if widths and index < len(widths):
                width = widths[index]
            else:
                # As wide as the longest value, or the heading's longest word (headings wrap), within limits.
                longest_word = max((len(word) for word in str(column[0].value or "").split()), default=0)
                width = min(MAX_WIDTH, max(8, longest_word + 2, *(len(_shown(c.value)) + 2 for c in column[1:])))
            sheet.column_dimensions[letter].width = width
            column_widths.append(width)
        # Wrapped text in rows tall enough for it, so nothing overlaps when printed or opened.
        for row in sheet.iter_rows(min_row=1):
            lines = 1
            for cell, width in zip(row, column_widths, strict=False):
                if isinstance(cell.value, str):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    lines = max(lines, _lines(cell.value, width))
            if lines > 1:
                sheet.row_dimensions[row[0].row].height = min(409, lines * LINE_HEIGHT)
        for column in SCORED_SHEETS.get(name, ()):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, int) and cell.value in SCORE_FILL:
                    cell.fill = PatternFill("solid", start_color=SCORE_FILL[cell.value])
                    cell.alignment = Alignment(horizontal="center", vertical="top")
        _print_setup(sheet, report.status)
    book.properties.title = f"{report.title}: Phase 1 report and implementation plan"
    book.properties.subject = "i-THRIVE Phase 1 priority-setting workshop"
    book.properties.creator = "Thrive Workshop"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
