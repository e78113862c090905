"""The report as a Word document (python-docx): headings, tables, the consolidated gap analysis first."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from ..domain.worksheet import CELL_LABELS, CELLS
from .data import ReportData, minutes

BLANK = "—"


def _table(doc, headers: list[str], rows: list[list], widths: list[float] | None = None):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=False):
                cell.width = Cm(width)
    doc.add_paragraph()
    return table


def _worksheet(doc, title: str, cells: dict[str, str]) -> None:
    doc.add_heading(title, level=3)
    _table(doc, ["Column", "What the room wrote"],
           [[CELL_LABELS[c], cells.get(c, "").strip() or BLANK] for c in CELLS], [5.5, 11.5])


def render(report: ReportData) -> bytes:
    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Cm(2)

    doc.add_heading(report.title, level=0)
    doc.add_paragraph("i-THRIVE Phase 1 (Understanding your system): priority-setting workshop report and "
                      "implementation plan")
    facts = doc.add_paragraph()
    facts.add_run("Locality: ").bold = True
    facts.add_run(report.locality or BLANK)
    facts.add_run("\nDate: ").bold = True
    facts.add_run(report.date)
    facts.add_run("\nTables: ").bold = True
    facts.add_run(f"{len(report.tables)} ({report.attendance_total} phones joined)")
    facts.add_run("\nReport generated: ").bold = True
    facts.add_run(report.generated_at)

    doc.add_heading("The room's priorities", level=1)
    if report.confirmed:
        c = report.confirmed
        for item in c["items"]:
            doc.add_paragraph(item, style="List Number")
        if c["changed_by_room"]:
            doc.add_paragraph(f"The room changed the {c['method']} tally's five, which were: "
                              f"{', '.join(c['tally_items'])}.")
        else:
            doc.add_paragraph(f"These are the {c['method']} tally's top five, confirmed as they stood.")
        if c["note"]:
            doc.add_paragraph(f"Note: {c['note']}")
        doc.add_paragraph(f"Confirmed at {c['confirmed_at']}.")
    else:
        doc.add_paragraph("The room has not confirmed its top five yet.")

    doc.add_heading("Tables and attendance", level=1)
    _table(doc, ["Table", "Phones that joined"], [[t["name"], t["phones"]] for t in report.tables])

    doc.add_heading("Baseline scores", level=1)
    doc.add_paragraph("The locality's THRIVE Assessment Tool self-assessment: 1 to 4 per principle; 3 or more is "
                      "THRIVE-like.")
    _table(doc, ["Principle", "Baseline", "THRIVE-like"],
           [[p["name"], p["baseline_score"] if p["baseline_score"] is not None else BLANK,
             "yes" if p["thrive_like"] else "no"] for p in report.principles])

    doc.add_heading("Each table's top five (Exercise 1)", level=1)
    _table(doc, ["Table", "Agreed", "1", "2", "3", "4", "5"],
           [[r["table"], "yes" if r["agreed"] else "no", *(r["items"] + [""] * 5)[:5]] for r in report.table_rankings])

    doc.add_heading("The consensus tally (Exercise 3)", level=1)
    t = report.tally
    doc.add_paragraph(f"Method: {t['method_label']}. Tables counted: {t['ballot_count']}.")
    doc.add_paragraph(f"Ties: {t['tie_break_rule']}")
    names = t["table_names"]
    _table(doc, ["Rank", "Principle", "Points", "Tie settled by", *names],
           [[f"={r['rank']}" if r["shared"] else r["rank"], r["principle"], _pts(r["points"]), r["settled_by"] or "",
             *[_pts(r["per_table"].get(n, 0)) for n in names]] for r in t["rows"]])
    if t["cut_tie"]:
        doc.add_paragraph(f"A tie straddled fifth place: {', '.join(t['cut_tie'])}.")
    doc.add_heading("Where the methods disagreed", level=2)
    if report.disagreements:
        for sentence in report.disagreements:
            doc.add_paragraph(sentence, style="List Bullet")
    else:
        doc.add_paragraph("Borda, Dowdall, Count and Schulze all give the same top five.")

    doc.add_heading("Gap analysis", level=1)
    if not report.gap:
        doc.add_paragraph("No gap analysis yet: it starts once the room confirms its priorities.")
    for i, g in enumerate(report.gap, 1):
        doc.add_heading(f"Priority {i}: {g.name}", level=2)
        if g.consolidated:
            _worksheet(doc, "Consolidated worksheet", g.consolidated.cells)
        for sheet in g.tables:
            if sheet.empty:
                doc.add_paragraph(f"{sheet.label}: nothing written beyond the ideal.")
            else:
                _worksheet(doc, sheet.label, sheet.cells)

    doc.add_heading("Implementation plan: next steps", level=1)
    if report.actions:
        _table(doc, ["Action", "Priority", "Owner", "By when", "Status"],
               [[a["action"], a["priority"] or BLANK, a["owner"] or BLANK, a["due"] or BLANK, a["status"]]
                for a in report.actions])
    else:
        doc.add_paragraph("No actions recorded yet.")
    doc.add_heading("Sharing the next steps across the system", level=2)
    doc.add_paragraph(report.engagement_notes or "Not recorded.")
    doc.add_heading("Redesign workshop", level=2)
    doc.add_paragraph(report.redesign_date or "Date to be agreed.")

    doc.add_heading("Agenda: planned and actual times", level=1)
    _table(doc, ["Segment", "Status", "Planned", "Actual", "Over (+) / under (-)"],
           [[a["title"], a["status"], minutes(a["planned_seconds"]), minutes(a["actual_seconds"]) or BLANK,
             minutes(a["over_by_seconds"]) or BLANK] for a in report.agenda])

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pts(value: float):
    return int(value) if float(value).is_integer() else round(value, 2)
