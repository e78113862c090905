"""Synthetic THRIVE Assessment Tool catalogues, made by the tests, in the layouts sites use.

Every text here is made up and says so ("Synthetic statement 7 for testing"): the real tool's wording is
copyright and never enters the project.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

LEVELS = ("macro", "meso", "micro")
KEY_NAMES = ["Needs-Led", "Partnership Working", "Accessibility", "Shared Decision Making"]
KEY_IDS = ["needs-led", "partnership-working", "accessibility", "shared-decision-making"]
# The score of principle i (1-based): a spread over 1–4, with some left empty.
SCORES = [2, 3, 1, 4, None, 2, 3, 1]


def principles(n: int = 24) -> list[dict[str, Any]]:
    """n principles, a third per level, with statements, four descriptions, scores, notes and links."""
    per_level = max(1, n // 3)
    items = []
    for i in range(1, n + 1):
        level = LEVELS[min((i - 1) // per_level, 2)]
        items.append({
            "id": f"syn-{i}",
            "level": level,
            "name": f"Synthetic principle {i}",
            "statement": f"Synthetic statement {i} for testing: a made-up {level} principle about topic{i}.",
            "descriptors": [f"Synthetic description {i}.{d} for testing (score {d})." for d in range(1, 5)],
            "baseline_score": SCORES[(i - 1) % len(SCORES)],
            "notes": f"Synthetic evidence {i}." if i % 3 == 0 else "",
            "key_principles": [KEY_IDS[i % 4]] if i % 2 else [],
            "summary": "",
        })
    return items


# The columns a site's own copy of the tool might use (not our template's names).
SITE_HEADERS = ["Ref", "Level", "Principle", "Statement", "1 - Not yet met", "2 - Partly met", "3 - Mostly met",
                "4 - Fully THRIVE-like", "Our score", "Evidence", "Key principles"]


def site_row(p: dict[str, Any], key_names: bool = True) -> list[str]:
    keys = [KEY_NAMES[KEY_IDS.index(k)] for k in p["key_principles"]] if key_names else p["key_principles"]
    return [p["id"], p["level"].capitalize(), p["name"], p["statement"], *p["descriptors"],
            "" if p["baseline_score"] is None else str(p["baseline_score"]), p["notes"], "; ".join(keys)]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = True, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom and encoding == "utf-8" else "") + out.getvalue()).encode(encoding)


def site_csv(items: list[dict[str, Any]], **kwargs) -> bytes:
    return csv_bytes([SITE_HEADERS, *(site_row(p) for p in items)], **kwargs)


def xlsx_bytes(rows: list[list[Any]], *, sheet: str = "Assessment", extra_sheets: tuple[str, ...] = ("Cover",),
               formula_at: str | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = extra_sheets[0] if extra_sheets else sheet
    if extra_sheets:
        workbook.active.append(["Synthetic cover sheet for testing"])
        for name in extra_sheets[1:]:
            workbook.create_sheet(name).append(["Synthetic"])
        ws = workbook.create_sheet(sheet)
    else:
        ws = workbook.active
    for row in rows:
        ws.append(row)
    if formula_at:
        ws[formula_at] = "=SUM(1,2)"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def site_xlsx(items: list[dict[str, Any]], **kwargs) -> bytes:
    rows = [SITE_HEADERS]
    for p in items:
        row: list[Any] = site_row(p)
        if p["baseline_score"] is not None:
            row[8] = p["baseline_score"]  # a number, as Excel keeps it
        rows.append(row)
    return xlsx_bytes(rows, **kwargs)


def with_zip_member(data: bytes, name: str, content: bytes = b"synthetic") -> bytes:
    """The same zip (xlsx, docx) with one more member, e.g. a vbaProject.bin."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def replace_zip_member(data: bytes, name: str, transform) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item, transform(content) if item.filename == name else content)
    return out.getvalue()


def site_json(items: list[dict[str, Any]], wrapped: bool = True) -> bytes:
    body = [{k: v for k, v in p.items() if k != "summary"} for p in items]
    return json.dumps({"principles": body} if wrapped else body).encode()


def docx_per_level(items: list[dict[str, Any]], *, headers: list[str] | None = None,
                   with_cover_table: bool = True) -> bytes:
    """The tool as sites keep it: a heading per level ("Macro level …") and a table under it, one principle a
    row; no level column (the heading says it). A cover table of other facts comes first."""
    from docx import Document

    headers = headers or ["Ref", "Principle", "Statement", "Not yet met", "Partly met", "Mostly met",
                          "Fully THRIVE-like", "Our score", "What we saw"]
    document = Document()
    document.add_heading("Synthetic THRIVE Assessment Tool for testing", level=1)
    if with_cover_table:
        cover = document.add_table(rows=2, cols=2)
        cover.rows[0].cells[0].text, cover.rows[0].cells[1].text = "Locality", "Synthetic shire"
        cover.rows[1].cells[0].text, cover.rows[1].cells[1].text = "Date", "2026"
    for level in LEVELS:
        group = [p for p in items if p["level"] == level]
        if not group:
            continue
        document.add_heading(f"{level.capitalize()} level principles (synthetic)", level=2)
        table = document.add_table(rows=1, cols=len(headers))
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = text
        for p in group:
            values = [p["id"], p["name"], p["statement"], *p["descriptors"],
                      "" if p["baseline_score"] is None else str(p["baseline_score"]), p["notes"]]
            for cell, text in zip(table.add_row().cells, values, strict=True):
                cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_label_tables(items: list[dict[str, Any]]) -> bytes:
    """One two-column table per principle: a label in each row ("Statement", "1 - Not yet met", …)."""
    from docx import Document

    document = Document()
    document.add_heading("Synthetic tool, one table per principle", level=1)
    for p in items:
        document.add_paragraph(f"Synthetic section {p['id']}")
        labels = ["Principle", "Level", "Statement", "1 - Not yet met", "2 - Partly met", "3 - Mostly met",
                  "4 - Fully THRIVE-like", "Score"]
        values = [p["name"], p["level"], p["statement"], *p["descriptors"],
                  "" if p["baseline_score"] is None else str(p["baseline_score"])]
        table = document.add_table(rows=len(labels), cols=2)
        for row, label, value in zip(table.rows, labels, values, strict=True):
            row.cells[0].text, row.cells[1].text = label, value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
