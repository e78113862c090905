"""The shapes sites really keep their THRIVE Assessment Tool in (issue 15), built here with python-docx and
openpyxl: Word with cover, key and sign-off tables; Word with a merged banner row, a level merged down and scores
typed as people type them; CSV as Excel saves it (Windows-1252); Excel with a merged title, two header rows and an
instructions sheet first; CSV UTF-8 with a BOM.

Every text is made up ("Synthetic statement 7 for testing"). ``expected()`` says what each principle must import
as, whatever the shape.
"""

from __future__ import annotations

import io
from typing import Any

from tests.catalogue import synthetic as syn

ITEMS = syn.principles(24)  # syn-1..8 macro, syn-9..16 meso, syn-17..24 micro; scores 2,3,1,4,blank,2,3,1…

DESCRIPTION_HEADERS = ["Not yet met (1)", "Partly met (2)", "Mostly met (3)", "Fully THRIVE-like (4)"]
WINDOWS_TEXT = " Costs £{i}k – “synthetic” and ‘quoted’ text…"  # £, dashes and curly quotes: Windows-1252


def windows_items() -> list[dict[str, Any]]:
    """The principles with £, an en dash and curly quotes in each statement (what Windows-1252 files hold)."""
    return [{**p, "statement": p["statement"] + WINDOWS_TEXT.format(i=i)} for i, p in enumerate(ITEMS, start=1)]


def typed_score(i: int, score: int | None) -> str:
    """Scores as people type them: "1 (provisional)", "3/4", "2" or blank."""
    if score is None:
        return ""
    return (f"{score} (provisional)", f"{score}/4", str(score))[i % 3]


def expected(items: list[dict[str, Any]] = ITEMS) -> dict[str, dict[str, Any]]:
    return {p["id"]: {k: p[k] for k in ("level", "statement", "descriptors", "baseline_score")} for p in items}


def summary(principles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["id"]: {k: p[k] for k in ("level", "statement", "descriptors", "baseline_score")} for p in principles}


def _fill(row, values) -> None:
    for cell, text in zip(row.cells, values, strict=True):
        cell.text = text


def _save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def word_tidy(items: list[dict[str, Any]] = ITEMS) -> bytes:
    """A cover table, a "Score / Meaning" key, three level tables (Ref, Principle, Statement, four descriptions,
    Score, Evidence) under level headings, and a sign-off table."""
    from docx import Document

    document = Document()
    document.add_heading("Synthetic THRIVE Assessment Tool for testing", level=1)
    cover = document.add_table(rows=3, cols=2)
    for row, values in zip(cover.rows, [("Locality", "Synthetic shire"), ("Completed by", "Synthetic lead"),
                                         ("Date", "2026-01-05")], strict=True):
        _fill(row, values)
    document.add_heading("Scoring key", level=2)
    key = document.add_table(rows=5, cols=2)
    _fill(key.rows[0], ("Score", "Meaning"))
    for n, row in enumerate(key.rows[1:], start=1):
        _fill(row, (str(n), f"Synthetic meaning of {n} for testing"))
    headers = ["Ref", "Principle", "Statement", *DESCRIPTION_HEADERS, "Score", "Evidence"]
    for level in syn.LEVELS:
        document.add_heading(f"{level.capitalize()} level principles (synthetic)", level=2)
        table = document.add_table(rows=1, cols=len(headers))
        _fill(table.rows[0], headers)
        for p in (p for p in items if p["level"] == level):
            _fill(table.add_row(), [p["id"], p["name"], p["statement"], *p["descriptors"],
                                    "" if p["baseline_score"] is None else str(p["baseline_score"]), p["notes"]])
    document.add_heading("Sign-off", level=2)
    sign = document.add_table(rows=2, cols=3)
    _fill(sign.rows[0], ("Signed off by", "Role", "Date"))
    _fill(sign.rows[1], ("Synthetic person", "Synthetic role", "2026-02-01"))
    return _save(document)


def word_messy(items: list[dict[str, Any]] = ITEMS) -> bytes:
    """Macro: a table under a "Macro level" heading, no level column. Meso: no heading, a long paragraph, and a
    merged banner row ("Meso level …") above the table's header row. Micro: a heading that names no level and a
    Level column merged down the table. Scores typed "1 (provisional)", "3/4", "2" or left blank."""
    from docx import Document

    document = Document()
    document.add_heading("Synthetic assessment, messy copy, for testing", level=1)
    headers = ["Ref", "Principle", "Statement", *DESCRIPTION_HEADERS, "Score", "Evidence"]

    def values(i: int, p: dict[str, Any]) -> list[str]:
        return [p["id"], p["name"], p["statement"], *p["descriptors"], typed_score(i, p["baseline_score"]), p["notes"]]

    numbered = list(enumerate(items, start=1))
    document.add_heading("Macro level principles", level=2)
    macro = document.add_table(rows=1, cols=len(headers))
    _fill(macro.rows[0], headers)
    for i, p in numbered:
        if p["level"] == "macro":
            _fill(macro.add_row(), values(i, p))

    document.add_paragraph("Synthetic paragraph for testing, written as running text between the tables, far too "
                           "long to be a heading: " + "synthetic words " * 12)
    meso = document.add_table(rows=2, cols=len(headers))
    banner = meso.cell(0, 0).merge(meso.cell(0, len(headers) - 1))
    banner.text = "MESO LEVEL – services (synthetic banner)"
    _fill(meso.rows[1], headers)
    for i, p in numbered:
        if p["level"] == "meso":
            _fill(meso.add_row(), values(i, p))

    document.add_heading("Synthetic further principles", level=2)
    micro_headers = ["Ref", "Level", *headers[1:]]
    group = [(i, p) for i, p in numbered if p["level"] == "micro"]
    micro = document.add_table(rows=1 + len(group), cols=len(micro_headers))
    _fill(micro.rows[0], micro_headers)
    for row, (i, p) in zip(micro.rows[1:], group, strict=True):
        v = values(i, p)
        _fill(row, [v[0], "", *v[1:]])
    merged = micro.cell(1, 1).merge(micro.cell(len(group), 1))
    merged.text = "Micro"
    return _save(document)


def csv_windows(items: list[dict[str, Any]] | None = None, delimiter: str = ",") -> bytes:
    """As Excel saves "CSV (Comma delimited)": Windows-1252, no BOM; the statements hold £ and curly quotes."""
    items = items or windows_items()
    headers = ["Ref", "Level", "Principle", "Statement", *DESCRIPTION_HEADERS, "Our score", "Evidence"]
    rows = [headers] + [[p["id"], p["level"].capitalize(), p["name"], p["statement"], *p["descriptors"],
                         "" if p["baseline_score"] is None else str(p["baseline_score"]), p["notes"]] for p in items]
    return syn.csv_bytes(rows, delimiter=delimiter, bom=False, encoding="cp1252")


def csv_utf8_bom(items: list[dict[str, Any]] = ITEMS, delimiter: str = ",") -> bytes:
    return syn.site_csv(items, delimiter=delimiter, bom=True)


def xlsx_merged(items: list[dict[str, Any]] = ITEMS) -> bytes:
    """An "Instructions" sheet first; then a merged title row, two header rows (a merged "Descriptors" over 1–4,
    the other headings merged down both rows), and the level merged down each level's block."""
    from openpyxl import Workbook

    workbook = Workbook()
    guide = workbook.active
    guide.title = "Instructions"
    for line in ("Synthetic instructions for testing.", "Score each principle from 1 to 4 against its descriptors.",
                 "Write the evidence for the score in the last column.", "Principles are grouped by level."):
        guide.append([line])
    ws = workbook.create_sheet("Assessment")
    ws.append(["Synthetic THRIVE Assessment Tool for testing"])
    ws.merge_cells("A1:J1")
    ws.append(["Ref", "Level", "Principle", "Statement", "Descriptors", None, None, None, "Score", "Evidence"])
    ws.append([None, None, None, None, 1, 2, 3, 4, None, None])
    ws.merge_cells("E2:H2")
    for column in "ABCDIJ":
        ws.merge_cells(f"{column}2:{column}3")
    row = 4
    for level in syn.LEVELS:
        group = [p for p in items if p["level"] == level]
        first = row
        for n, p in enumerate(group):
            ws.append([p["id"], level.capitalize() if n == 0 else None, p["name"], p["statement"], *p["descriptors"],
                       p["baseline_score"], p["notes"] or None])
            row += 1
        ws.merge_cells(f"B{first}:B{row - 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


SHAPES = {
    "word-tidy": ("Synthetic tool tidy.docx", word_tidy, ITEMS),
    "word-messy": ("Synthetic tool messy.docx", word_messy, ITEMS),
    "csv-windows-comma": ("Synthetic tool.csv", lambda: csv_windows(delimiter=","), windows_items()),
    "csv-windows-semicolon": ("Synthetic tool.csv", lambda: csv_windows(delimiter=";"), windows_items()),
    "xlsx-merged": ("Synthetic tool.xlsx", xlsx_merged, ITEMS),
    "csv-utf8-bom-comma": ("Synthetic tool.csv", lambda: csv_utf8_bom(delimiter=","), ITEMS),
    "csv-utf8-bom-semicolon": ("Synthetic tool.csv", lambda: csv_utf8_bom(delimiter=";"), ITEMS),
}
