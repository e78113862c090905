"""The report as an Excel workbook (openpyxl): one sheet per data set (``data.datasets``)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .data import ReportData, datasets

WIDE = {"Summary": [28, 60], "Gap analysis": [24, 16, 40, 40, 40, 40, 40, 40]}


def render(report: ReportData) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, (headers, rows) in datasets(report).items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # text that looks like a formula stays text: never evaluated
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        widths = WIDE.get(name)
        for index, column in enumerate(sheet.columns):
            letter = column[0].column_letter
            if widths and index < len(widths):
                width = widths[index]
            else:
                width = min(50, max(10, *(len(str(c.value or "")) for c in column)))
            sheet.column_dimensions[letter].width = width
        if name == "Gap analysis":
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.properties.title = report.title
    book.properties.creator = "Thrive Workshop"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
