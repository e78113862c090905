"""Writing a catalogue back out: CSV, Excel (.xlsx), JSON and Word (.docx), in memory.

Each file reads back with ``formats`` and the mapping ``guess_mapping`` makes from its headers, to the same
principles (tests check the round trip). The templates are these files written from ``TEMPLATE``: made-up text,
so the project never ships the THRIVE Assessment Tool's own wording.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .mapping import LEVELS

COLUMNS = [
    "id", "level", "name", "statement", "descriptor_1", "descriptor_2", "descriptor_3", "descriptor_4",
    "baseline_score", "notes", "key_principles", "summary",
]
JSON_FORMAT = "thrive-workshop-catalogue"
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
HELP_LINES = [
    "One principle per row. Columns (any order; the import guesses them from the headings and lets you change it):",
    "id: letters, digits, '-', '_' or '.' (made up when left empty).",
    "level: macro, meso or micro.",
    "name: a short name. statement: the principle as your Assessment Tool states it.",
    "descriptor_1 … descriptor_4: what the locality looks like at 1 (not yet met) up to 4 (fully THRIVE-like).",
    "baseline_score: the locality's score, 1 to 4 (3 or more is THRIVE-like); may be empty.",
    "notes: notes or evidence. key_principles: the key principles it links to, separated by ';'.",
    "summary: an optional one-line summary. Text must not start with '=' (formulas are refused).",
]


def _synthetic(n: int, level: str, score: int | None, links: list[str]) -> dict[str, Any]:
    return {
        "id": f"{level}-{n}",
        "level": level,
        "name": f"Synthetic principle {n}",
        "statement": f"Synthetic statement {n} for testing: replace with your Assessment Tool's own statement.",
        "descriptors": [f"Synthetic description {n}.{d}: what level {d} looks like." for d in range(1, 5)],
        "baseline_score": score,
        "notes": f"Synthetic note {n}." if n % 2 else "",
        "key_principles": links,
        "summary": "",
    }


# Made-up principles for the templates: the layout is real, the words are not the tool's.
TEMPLATE: list[dict[str, Any]] = [
    _synthetic(1, "macro", 2, ["partnership-working"]),
    _synthetic(2, "macro", 3, []),
    _synthetic(3, "meso", 1, ["needs-led", "accessibility"]),
    _synthetic(4, "meso", None, []),
    _synthetic(5, "micro", 4, ["shared-decision-making"]),
    _synthetic(6, "micro", 2, []),
]


def _cells(p: dict[str, Any]) -> list[str]:
    descriptors = list(p.get("descriptors") or []) + [""] * 4
    score = p.get("baseline_score")
    return [
        p.get("id") or "",
        p.get("level") or "",
        p.get("name") or "",
        p.get("statement") or "",
        *descriptors[:4],
        "" if score is None else str(score),
        p.get("notes") or "",
        "; ".join(p.get("key_principles") or []),
        p.get("summary") or "",
    ]


def write_csv(principles: list[dict[str, Any]], **_: Any) -> bytes:
    from .formats import escape_cell

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for p in principles:
        writer.writerow([escape_cell(c) for c in _cells(p)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8


def write_json(principles: list[dict[str, Any]], *, title: str = "", locality: str = "", **_: Any) -> bytes:
    body = {
        "format": JSON_FORMAT,
        "version": 1,
        "title": title,
        "locality": locality,
        "principles": [
            {
                "id": p.get("id") or "",
                "level": p.get("level"),
                "name": p.get("name") or "",
                "statement": p.get("statement") or "",
                "descriptors": list(p.get("descriptors") or []),
                "baseline_score": p.get("baseline_score"),
                "notes": p.get("notes") or "",
                "key_principles": list(p.get("key_principles") or []),
                "summary": p.get("summary") or "",
            }
            for p in principles
        ],
    }
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_xlsx(principles: list[dict[str, Any]], *, title: str = "", locality: str = "", **_: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .formats import escape_cell

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Principles"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, p in enumerate(principles, start=2):
        for c, text in enumerate(_cells(p), start=1):
            cell = sheet.cell(row=r, column=c)
            if COLUMNS[c - 1] == "baseline_score" and text:
                cell.value = int(text)
            else:
                cell.value = escape_cell(text)
                cell.data_type = "s"  # never a formula, whatever the text
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {"id": 14, "level": 9, "name": 28, "statement": 50, "notes": 30, "key_principles": 24, "summary": 30}
    for c, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = widths.get(column, 36)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("Read me")
    notes.append([title or "THRIVE Assessment Tool catalogue"])
    if locality:
        notes.append([f"Locality: {locality}"])
    for line in HELP_LINES:
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_docx(principles: list[dict[str, Any]], *, title: str = "", locality: str = "", **_: Any) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Pt(36))
    document.add_heading(title or "THRIVE Assessment Tool catalogue", level=1)
    if locality:
        document.add_paragraph(f"Locality: {locality}")
    document.add_paragraph(
        "One principle per row under the heading row. The import reads every table whose first row names the "
        "columns; a table per level works too (the heading above it can give the level)."
    )
    by_level: dict[str | None, list[dict[str, Any]]] = {}
    for p in principles:
        by_level.setdefault(p.get("level"), []).append(p)
    for level in (*LEVELS, None):
        group = by_level.get(level)
        if not group:
            continue
        document.add_heading(f"{level.capitalize()} level" if level else "Principles without a level", level=2)
        table = document.add_table(rows=1, cols=len(COLUMNS))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, COLUMNS, strict=True):
            cell.text = text
        for p in group:
            for cell, text in zip(table.add_row().cells, _cells(p), strict=True):
                cell.text = text
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json, "docx": write_docx}


def write(kind: str, principles: list[dict[str, Any]], *, title: str = "", locality: str = "") -> bytes:
    return WRITERS[kind](principles, title=title, locality=locality)


def template(kind: str) -> bytes:
    return write(kind, TEMPLATE, title="THRIVE Assessment Tool: template (made-up example text)")
