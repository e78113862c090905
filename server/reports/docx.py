"""The report as a Word document (python-docx), ready for a steering group: A4, a header with the workshop and
locality, "page X of Y" in the footer, a contents field, the executive summary first, landscape sections for the
wide tables, table headings repeated across pages, and the tables' own worksheets in an appendix.

Fields (PAGE, NUMPAGES, TOC) are written as Word field codes with ``docx.oxml``'s public helpers; Word fills
them in when the document opens (``updateFields``), LibreOffice when it lays the pages out.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..domain.worksheet import CELL_LABELS, CELLS
from .data import (
    AGREED_LABEL,
    BASELINE_LABEL,
    NOT_SCORED,
    PLACES,
    ReportData,
    minutes,
    reason_rows,
    score_text,
    worksheets_by_table,
)

BLANK = "—"
A4 = (Cm(21.0), Cm(29.7))
MARGIN = Cm(2)
PORTRAIT_WIDTH = 17.0  # cm between the margins
LANDSCAPE_WIDTH = 25.7
# Okabe–Ito tints by score, as the app's heat map; the number is always written in the cell too.
SCORE_FILL = {1: "F4C7A8", 2: "FBE3A6", 3: "CFE8F3", 4: "A9D8C4"}
SUBJECT = "i-THRIVE Phase 1 (Understanding your system): priority-setting workshop report and implementation plan"


# ---------------------------------------------------------------------------------------------------------
# Page set-up, fields
# ---------------------------------------------------------------------------------------------------------


def _page(section, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = A4
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1)


def _new_section(doc, landscape: bool):
    # A spacer paragraph left after the last table would be laid out alone on a page when the table fills its own.
    body = doc.element.body
    last = body[-2] if len(body) > 1 else None  # body[-1] is the document's closing sectPr
    if last is not None and last.tag == qn("w:p") and not "".join(last.itertext()).strip() \
            and last.find(qn("w:pPr") + "/" + qn("w:sectPr")) is None:
        body.remove(last)
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    # The break is kept in a paragraph of its own at the end of the section before: 1 pt high, so that a table
    # filling its last page does not push that paragraph onto a page of its own (a blank page in the printout).
    holder = doc.paragraphs[-1].paragraph_format
    holder.space_before = holder.space_after = Pt(0)
    holder.line_spacing = Pt(1)
    _page(section, landscape)
    return section


def _field(paragraph, instruction: str, placeholder: str = "1"):
    """A Word field (PAGE, NUMPAGES, TOC …): begin, instruction, separate, the text shown until updated, end."""
    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        run.element.append(element)

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run.element.append(text)
    char("separate")
    shown = paragraph.add_run(placeholder)
    char("end")
    return shown


def _header_footer(doc, report: ReportData) -> None:
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = ""
    header.add_run(report.title).bold = True
    header.add_run(f" · {report.locality}" if report.locality else "")
    header.add_run(f"    {report.status}" if report.final else "    DRAFT").bold = True
    header.style.font.size = Pt(9)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _update_fields_on_open(doc) -> None:
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    doc.settings.element.append(element)


# ---------------------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------------------


def _cell_element(cell):
    """A cell's ``w:tc``, reached through its first run's public ``element`` (python-docx keeps the cell's own
    element private)."""
    paragraph = cell.paragraphs[0]
    run = paragraph.runs[0] if paragraph.runs else paragraph.add_run()
    return run.element.getparent().getparent()


def _repeat_header(row) -> None:
    properties = _cell_element(row.cells[0]).getparent().get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)
    no_split = OxmlElement("w:cantSplit")
    properties.append(no_split)


def _shade(cell, fill: str) -> None:
    properties = _cell_element(cell).get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _table(doc, headers: list[str], rows: list[list], widths: list[float], size: float = 10,
           fills: dict[tuple[int, int], str] | None = None):
    """A table whose heading row repeats on every page, with fixed column widths (cm) that fit the page."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = Pt(size)
        _shade(cell, "E8EBEE")
    _repeat_header(table.rows[0])
    for r, row in enumerate(rows):
        cells = table.add_row().cells
        for c, (cell, value) in enumerate(zip(cells, row, strict=True)):
            lines = ("" if value is None else str(value)).split("\n")
            paragraph = cell.paragraphs[0]
            for i, line in enumerate(lines):
                run = paragraph.add_run(line)
                run.font.size = Pt(size)
                if i < len(lines) - 1:
                    run.add_break()
            if fills and (r, c) in fills:
                _shade(cell, fills[(r, c)])
    widths = _fit(widths, headers, rows, size)
    for column, width in zip(table.columns, widths, strict=False):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = Cm(width)
    doc.add_paragraph()
    return table


EM_CM = 2.54 / 72  # one point in centimetres
CHAR_EM = 0.62  # a generous average character width, in ems, so a wide fallback font (DejaVu Sans) fits too
BOLD_CHAR_EM = 0.75  # the same for the bold heading row
CELL_PADDING_CM = 0.45


def _word_width(word: str, size: float, em: float = CHAR_EM) -> float:
    return len(word) * em * size * EM_CM + CELL_PADDING_CM


def _fit(widths: list[float], headers: list[str], rows: list[list], size: float) -> list[float]:
    """Column widths no narrower than each column's longest word (so no word breaks inside a cell), taking the
    room from the columns that have some to spare, so the table keeps its width."""
    least = []
    for c, header in enumerate(headers):
        texts = ["" if c >= len(row) or row[c] is None else str(row[c]) for row in rows]
        words = [_word_width(word, size) for text in texts for word in text.split()]
        words += [_word_width(word, size, BOLD_CHAR_EM) for word in str(header).split()]
        least.append(max(words, default=0.0))
    fitted = [max(w, m) for w, m in zip(widths, least, strict=False)] + list(widths[len(least):])
    excess = sum(fitted) - sum(widths)
    spare = [max(0.0, f - m) for f, m in zip(fitted, least, strict=False)]
    if excess > 0 and sum(spare) > 0:
        share = min(1.0, excess / sum(spare))
        fitted = [f - s * share for f, s in zip(fitted, spare, strict=False)]
    if sum(fitted) > sum(widths) + 0.01:  # still too wide (very long table names): never past the margin
        fitted = _water_fill(least, sum(widths))
    return fitted


def _water_fill(least: list[float], total: float) -> list[float]:
    """Columns that need little get what they need; the rest share what is left equally (their words may
    break: too many long names for one page)."""
    out = list(least)
    open_columns = sorted(range(len(least)), key=lambda c: least[c])
    budget = total
    while open_columns:
        equal = budget / len(open_columns)
        if least[open_columns[0]] > equal:
            for c in open_columns:
                out[c] = equal
            break
        budget -= least[open_columns.pop(0)]
    return out


def _spread(fixed: list[float], count: int, page: float, least: float = 1.0) -> list[float]:
    """``fixed`` widths and ``count`` equal columns sharing what is left of the page."""
    rest = max(least * count, page - sum(fixed)) if count else 0
    return fixed + [rest / count] * count if count else fixed


def _worksheet(doc, title: str, cells: dict[str, str], level: int = 3) -> None:
    doc.add_heading(title, level=level)
    _table(doc, ["Column", "What was written"],
           [[CELL_LABELS[c], cells.get(c, "").strip() or BLANK] for c in CELLS], [5.0, 12.0])


def _score_fills(rows: list[list], columns: list[int]) -> dict[tuple[int, int], str]:
    fills = {}
    for r, row in enumerate(rows):
        for c in columns:
            if isinstance(row[c], int) and row[c] in SCORE_FILL:
                fills[(r, c)] = SCORE_FILL[row[c]]
    return fills


def _pts(value: float):
    return int(value) if float(value).is_integer() else round(value, 2)


def _para(doc, text: str, bold: bool = False, italic: bool = False, style: str | None = None):
    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    return paragraph


# ---------------------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------------------


def _at_most(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(report: ReportData) -> bytes:
    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    _page(doc.sections[0], landscape=False)
    _header_footer(doc, report)
    _update_fields_on_open(doc)
    properties = doc.core_properties
    # Word's core properties hold at most 255 characters (a title may be 200, a locality 200).
    properties.title = _at_most(f"{report.title}: Phase 1 report and implementation plan", 255)
    properties.subject = _at_most(SUBJECT + (f" ({report.locality})" if report.locality else ""), 255)
    properties.author = properties.last_modified_by = "Thrive Workshop"
    properties.keywords = "i-THRIVE; Phase 1; priority setting; implementation plan"
    properties.category = "Draft" if not report.final else "Final"
    properties.content_status = report.status
    properties.comments = ""

    # Title page and contents
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(SUBJECT)
    if report.final:
        by = f" (marked final by the {report.final_by})" if report.final_by else ""
        marking = _para(doc, f"{report.status}{by}.", bold=True)
        marking.runs[0].font.color.rgb = RGBColor(0x0B, 0x5D, 0x3B)
    else:
        marking = _para(doc, "DRAFT: this report has not been marked final."
                        + (f" {report.draft_note}" if report.draft_note else ""), bold=True)
        marking.runs[0].font.color.rgb = RGBColor(0xB0, 0x3A, 0x00)
    facts = doc.add_paragraph()
    for label, value in (("Locality", report.locality or BLANK), ("Date of the workshop", report.date),
                         ("Tables", f"{len(report.tables)} ({report.attendance_total} phones joined)"),
                         ("Report made", f"{report.generated_at} ({report.time_zone} time)")):
        facts.add_run(f"{label}: ").bold = True
        facts.add_run(f"{value}\n")
    _para(doc, "Contents", bold=True)
    contents = _field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', "")

    # Executive summary first
    doc.add_heading("Executive summary", level=1)
    if report.summary:
        doc.add_paragraph("The room agreed these five priorities, in this order:")
        rows = [[s["place"], s["name"], s["level"] or BLANK, s["baseline_score"] if s["baseline_score"] is not None
                 else NOT_SCORED, s["agreed_score"] if s["agreed_score"] is not None else NOT_SCORED,
                 s["recommendation"] or "None recorded yet"] for s in report.summary]
        _table(doc, ["Place", "Priority", "Level", BASELINE_LABEL, AGREED_LABEL, "First recommendation"], rows,
               [1.3, 4.2, 1.7, 1.9, 1.9, 6.0], size=10, fills=_score_fills(rows, [3, 4]))
    else:
        doc.add_paragraph("The room has not confirmed its five priorities yet.")
    doc.add_paragraph(report.tally["five"])
    for sentence in report.settlement:
        doc.add_paragraph(sentence)
    if report.disagreements and any("would" in d for d in report.disagreements):
        doc.add_paragraph("Other ways of counting would have changed the five: see \"Where the methods disagreed\".")

    doc.add_heading("How the priorities were set", level=1)
    for paragraph in report.method:
        doc.add_paragraph(paragraph)
    if report.review_notes:
        doc.add_heading("Findings from the opening review", level=2)
        _para(doc, "Noted by the facilitator while the room reviewed the top-line priorities: what pathway mapping "
                   "and the local data showed.", italic=True)
        for line in report.review_notes.splitlines():
            if line.strip():
                doc.add_paragraph(line)

    doc.add_heading("Who took part", level=1)
    makeup = report.makeup
    doc.add_paragraph(makeup.get("sentence", ""))
    doc.add_paragraph(f"{len(report.tables)} tables; {report.attendance_total} phones joined. The report names "
                      "no one: tables are named, people are counted as each table said (a phone is not a person).")
    _table(doc, ["Table", "People", "Sectors at the table", "Phones that joined"],
           [[t["name"], t["people"] if t["people"] is not None else "not said", ", ".join(t["sectors"]) or BLANK,
             t["phones"]] for t in makeup.get("tables", [])], [3.5, 2.0, 9.0, 2.5])
    if makeup.get("missing"):
        doc.add_paragraph(f"Sectors no table recorded: {', '.join(makeup['missing'])}.")

    # Baseline by level, with the heat map
    doc.add_heading("Where the locality stands: scores by level", level=1)
    doc.add_paragraph(f"{BASELINE_LABEL}: the locality's THRIVE Assessment Tool self-assessment, 1 (not yet met) "
                      f"to 4 (fully THRIVE-like); 3 or more is THRIVE-like. {AGREED_LABEL}: the score the room agreed "
                      f"in the workshop. The colours follow the score (1 orange, 2 yellow, 3 blue, 4 green); the "
                      f"number is always in the cell.")
    for level in report.levels:
        doc.add_heading(f"{level['title']}" + (f" ({level['hint']})" if level["hint"] else ""), level=2)
        rows = [[p["ref"], p["name"], p["baseline_score"] if p["baseline_score"] is not None else NOT_SCORED,
                 p["agreed_score"] if p["agreed_score"] is not None else NOT_SCORED,
                 {True: "yes", False: "no", None: NOT_SCORED}[p["thrive_like"]]] for p in level["principles"]]
        _table(doc, ["Ref", "Principle", BASELINE_LABEL, AGREED_LABEL, "THRIVE-like (baseline)"], rows,
               [4.2, 5.6, 2.2, 2.4, 2.6], fills=_score_fills(rows, [2, 3]))

    # Wide tables: landscape
    _new_section(doc, landscape=True)
    doc.add_heading("Each table's top five (Exercise 1)", level=1)
    _table(doc, ["Table", "Agreed", *PLACES],
           [[r["table"], "yes" if r["agreed"] else "no", *(r["items"] + [""] * 5)[:5]] for r in report.table_rankings],
           [3.2, 1.5, 4.2, 4.2, 4.2, 4.2, 4.2], size=9.5)
    doc.add_heading("Why each table chose them", level=2)
    reasons = reason_rows(report)
    if reasons:
        doc.add_paragraph("In the tables' own words, one line per priority (written on their phones in Exercise 1).")
        _table(doc, ["Table", "Place", "Principle", "Why it matters here"], reasons, [3.2, 1.5, 5.2, 15.0], size=9.5)
    else:
        doc.add_paragraph("No table wrote down its reasons.")
    if report.share_notes:
        doc.add_heading("What each table said (Exercise 2)", level=2)
        _table(doc, ["Table", "What the table said as it shared its five"],
               [[n["table"], n["text"]] for n in report.share_notes], [5.0, 20.7], size=9.5)

    t = report.tally
    doc.add_heading("The consensus tally (Exercise 3)", level=1)
    doc.add_paragraph(f"Method: {t['method_label']}. Tables counted: {t['ballot_count']}. Ties: {t['tie_break_rule']}")
    scored = [r for r in t["rows"] if r["points"] > 0]
    doc.add_paragraph(f"The principles that got points ({len(scored)}), with how many tables put each one 1st, 2nd, "
                      f"3rd, 4th and 5th. The full tally, with each table's points, is in Appendix A.")
    _table(doc, ["Rank", "Principle", "Points", *[f"Put {p}" for p in PLACES], "Tables that ranked it",
                 "Tie settled by"],
           [[f"={r['rank']}" if r["shared"] else r["rank"], r["principle"], _pts(r["points"]), *r["rank_counts"],
             r["tables_ranked"], r["settled_by"] or ""] for r in scored],
           [1.3, 6.4, 1.6, 1.5, 1.5, 1.5, 1.5, 1.5, 2.4, 6.5], size=9.5)
    doc.add_heading("Fifth place: how the cut was settled", level=2)
    doc.add_paragraph(t["five"])
    for sentence in report.settlement:
        doc.add_paragraph(sentence)
    h2h = report.head_to_head
    if h2h.get("names"):
        doc.add_heading("Head-to-head near the cut", level=2)
        doc.add_paragraph("Each cell reads across: how many tables ranked the row's principle higher than the "
                          "column's, \"to\" how many ranked it lower (a principle a table listed beats one it did not).")
        count = len(h2h["names"])
        _table(doc, ["", *h2h["names"]],
               [[n, *[BLANK if cell is None else f"{cell[0]} to {cell[1]}" for cell in row]]
                for n, row in zip(h2h["names"], h2h["matrix"], strict=True)],
               _spread([5.0], count, LANDSCAPE_WIDTH), size=9)
    doc.add_heading("Where the methods disagreed", level=2)
    doc.add_paragraph("What each other way of counting would have changed in the Borda count's five:")
    for sentence in report.disagreements:
        doc.add_paragraph(sentence, style="List Bullet")

    # Back to portrait: the five, the gap analysis, the plan
    _new_section(doc, landscape=False)
    doc.add_heading("The room's priorities", level=1)
    if report.confirmed:
        c = report.confirmed
        for item in c["items"]:
            doc.add_paragraph(item, style="List Number")
        if c["changed_by_room"] and not t["cut_tie"]:
            doc.add_paragraph(f"The room changed the {c['method']} tally's five, which were: "
                              f"{', '.join(c['tally_items'])}.")
        elif c["changed_by_room"]:
            doc.add_paragraph(f"{t['five']} The room settled it: see \"Fifth place: how the cut was settled\".")
        else:
            doc.add_paragraph(f"These are the {c['method']} tally's top five, confirmed as they stood.")
        if c["reason_text"]:
            label = "How the tie was settled" if c["settled_tie"] else "The room's reason"
            words = c["reason_text"] if c["reason"] != "other" else "another reason (in the note)"
            doc.add_paragraph(f"{label}: {words}.")
        if c["note"]:
            doc.add_paragraph(f"Note: {c['note']}")
        doc.add_paragraph(f"Confirmed on {c['confirmed_at']}.")
    else:
        doc.add_paragraph("The room has not confirmed its top five yet.")

    doc.add_heading("Gap analysis", level=1)
    if not report.gap:
        doc.add_paragraph("No gap analysis yet: it starts once the room confirms its priorities.")
    else:
        doc.add_paragraph("Each priority's consolidated worksheet, as the room brought the tables' worksheets "
                          "together. Each table's own worksheets are in Appendix B.")
    principles = {p["id"]: p for p in report.principles}
    for i, g in enumerate(report.gap, 1):
        doc.add_heading(f"Priority {i}: {g.name}", level=2)
        p = principles.get(g.principle_id)
        if p:
            doc.add_paragraph(f"Level: {p['level_title']}. {BASELINE_LABEL}: {score_text(p['baseline_score'])}. "
                              f"{AGREED_LABEL}: {score_text(p['agreed_score'])}.")
            if p["descriptors"]:
                doc.add_paragraph("The tool's four descriptions (the most THRIVE-like, 4, is the target):")
                _table(doc, ["Score", "Description"],
                       [[f"{n}{' (target)' if n == len(p['descriptors']) else ''}", d]
                        for n, d in enumerate(p["descriptors"], 1)], [2.5, 14.5], size=9.5)
        if g.consolidated:
            _worksheet(doc, "Consolidated worksheet", g.consolidated.cells)
        else:
            doc.add_paragraph("No consolidated worksheet.")

    # The implementation plan is wide: landscape.
    _new_section(doc, landscape=True)
    doc.add_heading("Implementation plan: next steps", level=1)
    flags = report.plan_flags
    if flags.get("unactioned"):
        _para(doc, f"Agreed priorities with no action yet: {', '.join(flags['unactioned'])}.", bold=True)
    if flags.get("overdue"):
        _para(doc, f"{flags['overdue']} action{'s are' if flags['overdue'] != 1 else ' is'} past the due date and "
                   f"not done (as of {flags['today']}): marked OVERDUE below.", bold=True)
    if report.actions:
        _table(doc, ["Action", "Priority and recommendation", "Owner (role or organisation)", "Due", "Review",
                     "Measure of success", "Status"],
               [[a["action"], (a["priority"] or BLANK) + (f"\nRecommendation: {a['recommendation']}"
                                                          if a.get("recommendation") else ""),
                 a["owner"] or BLANK, (a["due"] or BLANK) + ("\nOVERDUE" if a.get("overdue") else ""),
                 a.get("review") or BLANK, a.get("measure") or BLANK, a["status"]]
                for a in report.actions], [5.2, 5.0, 3.6, 2.6, 2.6, 4.6, 2.1], size=9.5)
    else:
        doc.add_paragraph("No actions recorded yet.")
    _new_section(doc, landscape=False)
    doc.add_heading("Sharing the next steps across the system", level=2)
    doc.add_paragraph(report.engagement_notes or "Not recorded.")
    doc.add_heading("Redesign workshop", level=2)
    doc.add_paragraph(report.redesign_date or "Date to be agreed.")

    doc.add_heading("Agenda: planned and actual times", level=1)
    _table(doc, ["Segment", "Status", "Planned", "Actual", "Over (+) / under (-)"],
           [[a["title"], a["status"], minutes(a["planned_seconds"]), minutes(a["actual_seconds"]) or BLANK,
             minutes(a["over_by_seconds"]) or BLANK] for a in report.agenda], [7.0, 2.5, 2.2, 2.2, 3.1])

    # Appendices
    _new_section(doc, landscape=True)
    doc.add_heading("Appendix A: the full tally", level=1)
    doc.add_paragraph("Every principle, including those no table chose, with the points each table gave it.")
    names = t["table_names"]
    headings = list(names)
    if len(names) > 8 or any(len(n) > 12 for n in names):  # too long for a column each: numbered, with a key
        headings = [f"T{i}" for i in range(1, len(names) + 1)]
        doc.add_paragraph("Tables: " + "; ".join(f"T{i} {n}" for i, n in enumerate(names, 1)) + ".")
    _table(doc, ["Rank", "Principle", "Points", "Tie settled by", *headings],
           [[f"={r['rank']}" if r["shared"] else r["rank"], r["principle"], _pts(r["points"]), r["settled_by"] or "",
             *[_pts(r["per_table"].get(n, 0)) for n in names]] for r in t["rows"]],
           _spread([1.3, 6.4, 1.6, 4.5], len(names), LANDSCAPE_WIDTH), size=9 if len(names) <= 8 else 8)

    _new_section(doc, landscape=False)
    doc.add_heading("Appendix B: each table's worksheets", level=1)
    by_table = worksheets_by_table(report)
    if not by_table:
        doc.add_paragraph("No table worksheets yet.")
    for table_name, sheets in by_table:
        doc.add_heading(table_name, level=2)
        for i, g, sheet in sheets:
            if sheet.empty:
                doc.add_paragraph(f"Priority {i}, {g.name}: nothing written beyond the ideal.")
            else:
                _worksheet(doc, f"{table_name}: priority {i}, {g.name}", sheet.cells)

    # Until Word updates the contents field (it offers to when the file opens; LibreOffice: Tools, Update), it
    # shows the chapters without page numbers.
    chapters = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    for i, chapter in enumerate(chapters):
        contents.add_text(chapter)
        if i < len(chapters) - 1:
            contents.add_break()

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
