"""The Phase 1 report and implementation plan in every format, from one ``ReportData`` (``reports.data``)."""

from __future__ import annotations

FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "report.docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "report.xlsx"),
    "zip": ("application/zip", "report-csv.zip"),
    "json": ("application/json", "export.json"),
    "html": ("text/html; charset=utf-8", "report.html"),
}
