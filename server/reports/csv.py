"""The report's data sets as CSV files (UTF-8 with a byte-order mark, so spreadsheet programs read the
accents right), in one .zip."""

from __future__ import annotations

import csv as _csv
import io
import re
import zipfile

from .data import ReportData, datasets


def file_name(dataset: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-") + ".csv"


def _safe(value):
    """For CSV: a text cell that a spreadsheet would take for a formula starts with an apostrophe instead."""
    if isinstance(value, str) and value[:1] in ("=", "+", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, str) and value[:1] == "-" and not re.fullmatch(r"-[\d:.]+", value):
        return "'" + value
    return value


def render(report: ReportData) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, (name, (headers, rows)) in enumerate(datasets(report).items(), 1):
            text = io.StringIO()
            writer = _csv.writer(text, lineterminator="\r\n")
            writer.writerow(headers)
            for row in rows:
                writer.writerow(["" if v is None else _safe(v) for v in row])
            archive.writestr(f"{index:02d}-{file_name(name)}", "\ufeff" + text.getvalue())
    return out.getvalue()
