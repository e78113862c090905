"""The report's data sets as CSV files (UTF-8 with a byte-order mark, so spreadsheet programs read the
accents right), in one .zip."""

from __future__ import annotations

import csv as _csv
import io
import re
import zipfile

from .data import ReportData, datasets
from .xlsx import _safe


def file_name(dataset: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-") + ".csv"


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
