"""The Phase 1 report from a workshop run through the command bus: every format opened with its own library
and checked for content, and a JSON export imported into an equal workshop (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from server.domain import reasons as reasons_rules
from server.domain import worksheet as w
from server.models import Workshop
from server.reports import csv as csv_report
from server.reports import docx as docx_report
from server.reports import html as html_report
from server.reports import xlsx as xlsx_report
from server.reports.data import assemble, datasets, load_report_rows
from server.reports.json_export import export, import_workshop
from server.reports.json_import import canonical_export
from server.services.errors import CommandError
from tests.conftest import require_service

pytestmark = pytest.mark.asyncio

RED = ["needs-led", "accessibility", "common-language", "partnership-working", "outcome-informed"]
BLUE = ["accessibility", "needs-led", "common-language", "outcome-informed", "reducing-stigma"]
ROOM = ["accessibility", "needs-led", "common-language", "outcome-informed", "partnership-working"]


def _edit(sheet: dict, cell: str, value: str) -> str:
    return w.b64encode(w.text_update(w.b64decode(sheet["state"], limit=1 << 30), cell, value))


def _sheet(snap, priority, table_id):
    return next(s for s in snap["worksheets"].values() if s["priority_id"] == priority and s["table_id"] == table_id)


async def run_workshop(world) -> None:
    """Two tables agree, the room changes the tally's order, worksheets and the plan get content."""
    f = world.facilitator
    red, blue = await world.participant(0), await world.participant(1)
    await world.participant(1)  # a second phone at Blue: attendance counts phones
    for phone, five in ((red, RED), (blue, BLUE)):
        assert (await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": five}))["ok"]
        assert (await world.run(phone, "ranking.agree", {"base_revision": 1}))["ok"]
    assert (await world.run(f, "agenda.start"))["ok"]
    world.clock.now += 1500
    assert (await world.run(f, "agenda.next"))["ok"]
    assert (await world.run(f, "consensus.confirm", {"items": ROOM, "note": "Access first, the room said"}))["ok"]
    snap = await world.snapshot(f)
    edits = [
        (_sheet(snap, "accessibility", None), "gaps", "Evenings: no drop-in for 16-18s"),
        (_sheet(snap, "accessibility", world.table_ids[0]), "gaps", "Buses stop at six"),
        (_sheet(snap, "accessibility", world.table_ids[1]), "in_place", "Single point of access"),
        (_sheet(snap, "accessibility", None), "recommendations", "=HYPERLINK(\"x\") stays text"),
    ]
    for sheet, cell, text in edits:
        assert (await world.run(f, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(sheet, cell, text)}))["ok"]
    # Red's reasons, from its phone; one for a principle it then took out of its five is kept but not reported.
    for pid, why in (("accessibility", "No buses after six in the villages"), ("needs-led", "Families told us: ask us")):
        snap = await world.snapshot(red)
        held = w.b64decode(snap["reasons"][world.table_ids[0]]["state"], limit=1 << 30)
        update = w.b64encode(reasons_rules.text_update(held, pid, why, [p["id"] for p in snap["principles"]]))
        assert (await world.run(red, "reasons.update", {"update": update}))["ok"]
    snap = await world.snapshot(f)
    held = w.b64decode(snap["reasons"][world.table_ids[1]]["state"], limit=1 << 30)
    update = w.b64encode(reasons_rules.text_update(held, "reducing-stigma", "Not reported: not in Blue's five? It is.",
                                                   [p["id"] for p in snap["principles"]]))
    assert (await world.run(f, "reasons.update", {"table_id": world.table_ids[1], "update": update}))["ok"]
    held = w.b64decode((await world.snapshot(f))["reasons"][world.table_ids[1]]["state"], limit=1 << 30)
    update = w.b64encode(reasons_rules.text_update(held, "partnership-working", "Kept, unseen",
                                                   [p["id"] for p in snap["principles"]]))
    assert (await world.run(f, "reasons.update", {"table_id": world.table_ids[1], "update": update}))["ok"]
    assert (await world.run(f, "plan.add_action", {
        "action": "Map evening provision", "priority_id": "accessibility", "owner": "Commissioning lead",
        "due": "2027-03-31", "review": "2027-06-30", "measure": "A drop-in open two evenings a week"}))["ok"]
    await world.run(f, "plan.add_action", {"action": "Tell the partnership board", "status": "in_progress",
                                           "due": "2027-01-10", "due_note": "before the January board"})
    # Who was in the room (issue 17): a phone says its table's, the console another's.
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "health", "present": True}))["ok"]
    assert (await world.run(red, "makeup.set_sector", {"sector_id": "young_people", "present": True}))["ok"]
    assert (await world.run(red, "makeup.set_people", {"people": 6}))["ok"]
    assert (await world.run(f, "makeup.set_people", {"table_id": world.table_ids[1], "people": 5}))["ok"]
    assert (await world.run(f, "makeup.set_sector",
                            {"table_id": world.table_ids[1], "sector_id": "education", "present": True}))["ok"]
    await world.run(f, "plan.set_notes", {"engagement_notes": "Newsletter and the partnership board"})
    await world.run(f, "plan.set_redesign_date", {"redesign_date": "2027-05-12"})
    # The method as it happens (issue 17): the opening review's findings and what a table said in Exercise 2.
    assert (await world.run(f, "notes.set_review", {"text": "Pathway maps: 14 weeks at the front door\nData: A&E up"}))["ok"]
    assert (await world.run(f, "notes.set_table", {"table_id": world.table_ids[1], "text": "Blue: evenings matter"}))["ok"]


async def _rows(world, workshop_id=None, now=None):
    async with world.sessions() as session:
        workshop = await session.get(Workshop, workshop_id or world.workshop_id)
        return await load_report_rows(session, workshop, now or world.clock.now)


async def test_every_format_says_the_same_things(world):
    await run_workshop(world)
    report = assemble(await _rows(world))
    assert report.confirmed["changed_by_room"] is True
    assert report.confirmed["items"][0] == "Accessibility" and report.confirmed["tally_items"][0] == "Needs-Led"
    assert report.attendance_total == 3 and [t["phones"] for t in report.tables] == [1, 2, 0]
    assert report.gap[0].name == "Accessibility" and report.gap[0].consolidated.cells["gaps"].startswith("Evenings")

    # Word
    doc = Document(io.BytesIO(docx_report.render(report)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Test" in text and "The room changed the Borda count tally's five" in text
    assert "Access first, the room said" in text
    for expected in ("Evenings: no drop-in for 16-18s", "Buses stop at six", "Single point of access",
                     "Map evening provision", "Commissioning lead", "Exercise 1: your table's top five"):
        assert expected in cells, expected
    assert "Newsletter and the partnership board" in text and "12 May 2027" in text  # as England writes dates
    assert "Why each table chose them" in text
    for expected in ("No buses after six in the villages", "Families told us: ask us"):
        assert expected in cells, expected
    assert "Kept, unseen" not in cells  # Blue's reason for a principle outside its five
    # Who took part, near the start; the plan's new columns in a landscape section, with its flags (issue 17).
    assert "Children and young people took part. Parent carers were not recorded at any table." in text
    assert headings_before(doc, "Who took part", "Gap analysis")
    assert "Agreed priorities with no action yet: Needs-Led" in text and "1 action is past the due date" in text
    [plan_table] = [t for t in doc.tables if t.rows[0].cells[0].text == "Action"]
    assert [c.text for c in plan_table.rows[0].cells] == [
        "Action", "Priority and recommendation", "Owner (role or organisation)", "Due", "Review",
        "Measure of success", "Status"]
    assert [c.text for c in plan_table.rows[1].cells][3:6] == ["31 March 2027", "30 June 2027",
                                                               "A drop-in open two evenings a week"]
    assert "OVERDUE" in plan_table.rows[2].cells[3].text
    plan_section = next(sec for sec in doc.sections if _section_holds(sec, "Implementation plan: next steps"))
    assert plan_section.page_width > plan_section.page_height  # landscape
    people_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Table" and len(t.columns) == 4)
    assert [c.text for c in people_table.rows[1].cells] == ["Table 1", "6", "Health, Young people", "1"]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings.index("Consolidated worksheet") < headings.index("Table 1")  # consolidated first

    # Excel: one sheet per data set, same rows as the CSVs
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    assert book.sheetnames == list(datasets(report))
    gap = [[c.value for c in row] for row in book["Gap analysis"].iter_rows()]
    assert gap[0][:3] == ["Priority", "Worksheet", "The ideal, as the principle sets it out"]
    assert ["Accessibility", "Consolidated"] == gap[1][:2] and gap[1][5] == "Evenings: no drop-in for 16-18s"
    assert gap[1][7] == "=HYPERLINK(\"x\") stays text"  # kept as text, never a formula
    assert book["Gap analysis"]["H2"].data_type == "s"
    tally = [[c.value for c in row] for row in book["Tally"].iter_rows()]
    assert tally[1][:4] == [1, "yes", "Needs-Led", 9] and tally[0][-3:] == ["Points from Table 1", "Points from Table 2", "Points from Table 3"]
    plan = [[c.value for c in row] for row in book["Action plan"].iter_rows()]
    assert plan[1] == ["Map evening provision", "Accessibility", None, "Commissioning lead", dt.datetime(2027, 3, 31),
                       dt.datetime(2027, 6, 30), "A drop-in open two evenings a week", "Not started", None]
    assert plan[2][4] == dt.datetime(2027, 1, 10) and plan[2][-1] == "yes"  # overdue on the day of the report
    assert ["Priorities with no action", "Needs-Led, Common Language, Outcome-Informed, Partnership Working"] in [
        row[:2] for row in plan]
    assert book["Action plan"]["E2"].number_format == "d mmmm yyyy"  # a real date cell
    people = [[c.value for c in row] for row in book["Who took part"].iter_rows()]
    assert people[1:] == [["Table 1", 6, 1, "Health, Young people"], ["Table 2", 5, 2, "Education"],
                          ["Table 3", "not said", 0, None]]
    summary = dict((row[0].value, row[1].value) for row in book["Summary"].iter_rows(min_row=2))
    assert summary["People (as the tables said)"] == 11 and summary["Young people took part"] == "yes"
    assert summary["Parent carers took part"] == "no"
    agenda = [[c.value for c in row] for row in book["Agenda"].iter_rows()]
    assert agenda[1][:5] == ["Exercise 1: your table's top five", "rank", "Done", "30:00", "25:00"]
    reasons = [[c.value for c in row] for row in book["Table reasons"].iter_rows()]
    assert reasons[0] == ["Table", "Place", "Principle", "Why it matters here"]
    assert reasons[1:] == [
        ["Table 1", "1st", "Needs-Led", "Families told us: ask us"],
        ["Table 1", "2nd", "Accessibility", "No buses after six in the villages"],
        ["Table 2", "5th", "Reducing Stigma", "Not reported: not in Blue's five? It is."],
    ]
    methods = [[c.value for c in row] for row in book["Methods"].iter_rows()]
    assert [m[0] for m in methods[1:]] == ["Borda count", "Dowdall", "Count", "Schulze"]

    # CSV files in a zip: the same data sets
    archive = zipfile.ZipFile(io.BytesIO(csv_report.render(report)))
    assert len(archive.namelist()) == len(book.sheetnames)
    [reasons_csv] = [n for n in archive.namelist() if n.endswith("table-reasons.csv")]
    assert "No buses after six in the villages" in archive.read(reasons_csv).decode("utf-8")
    [gap_csv] = [n for n in archive.namelist() if n.endswith("gap-analysis.csv")]
    raw = archive.read(gap_csv).decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[1][:2] == ["Accessibility", "Consolidated"] and rows[1][5] == "Evenings: no drop-in for 16-18s"

    # Printable HTML
    page = html_report.render(report).decode()
    assert "@media print" in page and "<script" not in page
    assert "Evenings: no drop-in for 16-18s" in page and "Map evening provision" in page
    assert "Why each table chose them" in page and "Families told us: ask us" in page and "Kept, unseen" not in page

    # The notes (issue 17): in the method part and beside the tables' fives, in every format
    assert report.review_notes.startswith("Pathway maps") and report.share_notes == [
        {"table": "Table 2", "text": "Blue: evenings matter"}]
    assert "Findings from the opening review" in headings and "What each table said (Exercise 2)" in headings
    assert "Data: A&E up" in text and "Blue: evenings matter" in cells
    assert "Findings from the opening review" in page and "Blue: evenings matter" in page and "A&amp;E up" in page
    notes = [[c.value for c in row] for row in book["Method notes"].iter_rows()]
    assert notes[1][0] == "Opening review of the top-line priorities" and notes[2][1:] == ["Table 2", "Blue: evenings matter"]
    context = [[c.value for c in row] for row in book["Priority context"].iter_rows()]
    assert context[0][:5] == ["Priority", "Ref", "Level", "Baseline", "Agreed today"] and context[1][0] == "Accessibility"

    for expected in ("11 people at the 2 tables that gave their numbers", "Health, Young people",
                     "A drop-in open two evenings a week", "30 June 2027", "⚠ Overdue",
                     "Agreed priorities with no action yet: Needs-Led"):
        assert expected in page, expected


def headings_before(doc, first: str, second: str) -> bool:
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    return headings.index(first) < headings.index(second)


def _section_holds(section, heading: str) -> bool:
    return any(getattr(block, "text", None) == heading for block in section.iter_inner_content())


async def test_text_is_escaped_in_the_printable_page(world):
    await run_workshop(world)
    snap = await world.snapshot(world.facilitator)
    sheet = _sheet(snap, "needs-led", None)
    await world.run(world.facilitator, "worksheet.update",
                    {"worksheet_id": sheet["id"], "update": _edit(sheet, "gaps", "<script>alert(1)</script>")})
    page = html_report.render(assemble(await _rows(world))).decode()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_json_export_imports_into_an_equal_workshop(world):
    await run_workshop(world)
    # The projector held on a page by the facilitator (display.page) travels too.
    assert (await world.run(world.facilitator, "display.set", {"mode": "answers", "cell": "gaps"}))["ok"]
    assert (await world.run(world.facilitator, "display.page", {"page": 2}))["ok"]
    first = export(await _rows(world))
    assert first["workshop"]["display_page"] == 2 and first["workshop"]["display_cell"] == "gaps"
    text = json.dumps(first)
    for secret in ("token", "password", "join_code", world.join_code, world.workshop_id):
        assert secret not in text, secret
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(text.encode()), now=world.clock.now)
    assert created.workshop.id != world.workshop_id and created.workshop.join_code != world.join_code
    again = export(await _rows(world, created.workshop.id))
    assert again == first
    assert first["reasons"][1]["text"]["partnership-working"] == "Kept, unseen"  # outside the five, kept

    # The imported workshop works: its facilitator can carry on editing a worksheet.
    from server.services.commands import Actor

    facilitator = Actor(created.workshop.id, "facilitator")
    snap = await world.snapshot(facilitator)
    sheet = _sheet(snap, "accessibility", None)
    assert sheet["text"]["gaps"] == "Evenings: no drop-in for 16-18s"
    ack = await world.run(facilitator, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(sheet, "training", "More")})
    assert ack["ok"] and ack["changed"]


async def test_an_export_from_before_issue_17_still_imports(world):
    """No sectors, no people, no sector list; due dates as words: what is a date becomes one, the rest is kept."""
    await run_workshop(world)
    data = export(await _rows(world))
    del data["workshop"]["sector_options"]
    for table in data["tables"]:
        del table["sectors"], table["people"]
    for action, due in zip(data["plan"]["actions"], ("31/03/2027", "spring, before the board"), strict=True):
        for key in ("recommendation", "due_note", "review", "measure"):
            del action[key]
        action["due"] = due
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(json.dumps(data).encode()), now=world.clock.now)
    again = export(await _rows(world, created.workshop.id))
    assert [(a["due"], a["due_note"]) for a in again["plan"]["actions"]] == [
        ("2027-03-31", ""), ("", "spring, before the board")]
    assert again["workshop"]["sector_options"] is None
    assert [(t["sectors"], t["people"]) for t in again["tables"]] == [([], None)] * 3
    report = assemble(await _rows(world, created.workshop.id))
    assert [a["due"] for a in report.actions] == ["31 March 2027", "spring, before the board"]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(format="other"),
        lambda d: d["rankings"][0].update(items=["not-a-principle"]),
        lambda d: d["worksheets"][0].update(state="AAAA", table=99),
        lambda d: d["worksheets"][0].update(state=w.b64encode(b"\x00\x01junk")),
        lambda d: d["agenda"][0].update(kind="party"),
        lambda d: d["plan"].update(redesign_date="soon"),
        lambda d: d["reasons"][0]["text"].update({"not-a-principle": "x"}),
        lambda d: d["reasons"][0].update(state=None, text={"needs-led": "x" * 201}),
        lambda d: d["reasons"][0].update(state=w.b64encode(w.text_update(None, "needs-led", "two\nlines", ["needs-led"]))),
        lambda d: d["reasons"][1].update(table=0),
        lambda d: d["notes"]["tables"].append({"table": 99, "text": "x", "updated_at": 1.0}),
        lambda d: d["notes"]["tables"].append(dict(d["notes"]["tables"][0])),  # a table noted twice
        lambda d: d["notes"].update(review={"text": "x" * 4001, "updated_at": 1.0}),
        lambda d: d["plan"]["actions"][0].update(review="30/06/2027"),  # dates in an export are ISO (issue 17)
        lambda d: d["plan"]["actions"][1].update(recommendation="Something"),  # with no priority
        lambda d: d["tables"][0].update(sectors=["police"]),  # not in the workshop's list
        lambda d: d["tables"][0].update(sectors=["health", "health"]),
        lambda d: d["tables"][0].update(people=31),
        lambda d: d["workshop"].update(sector_options=[{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]),
    ],
)
async def test_an_import_is_checked_like_anything_typed_in(world, breakage):
    await run_workshop(world)
    data = export(await _rows(world))
    breakage(data)
    with pytest.raises(CommandError) as refused:
        canonical_export(json.dumps(data).encode())  # what the parser child runs
    assert refused.value.code == "invalid_payload" and refused.value.extra["field"]


async def test_control_characters_never_break_a_report(world):
    """A phone's U+0001 in a worksheet, a plan action, or text stored before it was cleaned where it came in."""
    from server.models import WorkshopTable

    await run_workshop(world)
    snap = await world.snapshot(world.facilitator)
    sheet = _sheet(snap, "accessibility", world.table_ids[0])
    assert (await world.run(world.facilitator, "worksheet.update",
                            {"worksheet_id": sheet["id"], "update": _edit(sheet, "training", "Bell\x01 and\x0b tab\tstays")}))["ok"]
    assert (await world.run(world.facilitator, "plan.add_action", {"action": "Call\x01 the\x1f school\r\nnurse"}))["ok"]
    async with world.sessions() as session:
        workshop = await session.get(Workshop, world.workshop_id)
        workshop.title, workshop.locality = "Day\x01 one\ufffe", "North\x08shire"
        table = await session.get(WorkshopTable, world.table_ids[1])
        table.name = "Blue\x02"
        await session.commit()
    actions = (await world.snapshot(world.facilitator))["plan"]["actions"]
    assert [a["action"] for a in actions if a["action"].startswith("Call")] == ["Call the school\nnurse"]

    report = assemble(await _rows(world))
    doc = Document(io.BytesIO(docx_report.render(report)))
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Bell and tab\tstays" in cells and "Call the school" in cells
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    values = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert {"Blue", "Day one", "Northshire"} <= values
    assert "Day one" in html_report.render(report).decode()


# ---------------------------------------------------------------------------------------------------------
# The board's report (issue 16): layout, a consensus anyone can audit, scores by level, worksheets in appendix
# ---------------------------------------------------------------------------------------------------------

TIED = {  # both tables agree the same four; fifth place is 1 point each, level on countback and head-to-head
    0: ["needs-led", "accessibility", "common-language", "outcome-informed", "partnership-working"],
    1: ["needs-led", "accessibility", "common-language", "outcome-informed", "reducing-stigma"],
}


def _xml(part_element) -> str:
    from lxml import etree

    return etree.tostring(part_element, encoding="unicode")


def _word_tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


async def _scored(world, baseline: dict[str, int], agreed: dict[str, int]) -> None:
    from sqlmodel import select

    from server.models import Principle
    from server.services import scores  # noqa: F401  (registers the scoring commands)

    async with world.sessions() as session:
        for p in (await session.exec(select(Principle).where(Principle.workshop_id == world.workshop_id))).all():
            if p.principle_id in baseline:
                p.baseline_score = baseline[p.principle_id]
                p.level = "macro" if p.principle_id == "accessibility" else p.level
                session.add(p)
        await session.commit()
    for pid, score in agreed.items():
        assert (await world.run(world.facilitator, "scores.agree", {"principle_id": pid, "score": score}))["ok"]


async def test_the_word_report_is_laid_out_for_a_board(world):
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    await run_workshop(world)
    await _scored(world, {"accessibility": 2, "needs-led": 3}, {"accessibility": 1})
    snap = await world.snapshot(world.facilitator)
    sheet = _sheet(snap, "needs-led", None)
    await world.run(world.facilitator, "worksheet.update",
                    {"worksheet_id": sheet["id"], "update": _edit(sheet, "recommendations", "One front door\nThen more")})
    report = assemble(await _rows(world))
    doc = Document(io.BytesIO(docx_report.render(report)))

    # A4 on every section; landscape where the tables are wide
    for section in doc.sections:
        sides = sorted([section.page_width, section.page_height])
        assert abs(sides[0] - Cm(21)) < Cm(0.05) and abs(sides[1] - Cm(29.7)) < Cm(0.05)
    orientations = [s.orientation for s in doc.sections]
    assert WD_ORIENT.LANDSCAPE in orientations and orientations[0] == WD_ORIENT.PORTRAIT
    # Header with the workshop and its locality, footer "page X of Y", contents, draft marking
    header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "Test" in header and "DRAFT" in header
    footer = _xml(doc.sections[0].footer.part.element)
    assert "PAGE" in footer and "NUMPAGES" in footer and "fldChar" in footer
    body = _xml(doc.element.body)
    assert "TOC \\o" in body and 'w:tblHeader w:val="true"' in body
    # Core properties
    assert doc.core_properties.author == "Thrive Workshop"
    assert doc.core_properties.title.startswith("Test") and "Phase 1" in doc.core_properties.subject
    # The executive summary first: the five in order, level, baseline, agreed today, first recommendation
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "Executive summary"
    tables = _word_tables(doc)
    summary = tables[0]
    assert summary[0] == ["Place", "Priority", "Level", "Baseline", "Agreed today", "First recommendation"]
    assert summary[1][:5] == ["1", "Accessibility", "Macro", "2", "1"]
    assert summary[2][1] == "Needs-Led" and summary[2][3:] == ["3", "not scored", "One front door"]
    # Dates as England writes them, not ISO
    text = "\n".join(p.text for p in doc.paragraphs)
    assert report.date in text and "UTC" not in text and "2027-05-12" not in text
    # Scores by level: "not scored", never "THRIVE-like: no" for a principle never scored
    baseline = next(t for t in tables if t[0][:4] == ["Ref", "Principle", "Baseline", "Agreed today"]
                    and any(r[0] == "reducing-stigma" for r in t))
    stigma = next(r for r in baseline if r[0] == "reducing-stigma")
    assert stigma[2:] == ["not scored", "not scored", "not scored"]
    # Consolidated worksheets in the body, each table's in an appendix under the table's name
    all_headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    appendix = all_headings.index("Appendix B: each table's worksheets")
    assert all_headings.index("Consolidated worksheet") < appendix
    assert all_headings.index("Table 1") > appendix and "Table 1: priority 1, Accessibility" in all_headings


async def test_the_consensus_can_be_audited(world):
    f = world.facilitator
    for i, five in TIED.items():
        phone = await world.participant(i)
        assert (await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": five}))["ok"]
        assert (await world.run(phone, "ranking.agree", {"base_revision": 1}))["ok"]
    confirmed = TIED[1]
    assert (await world.run(f, "consensus.confirm", {"items": confirmed, "note": "Stigma keeps people away",
                                                      "reason": "local_evidence"}))["ok"]
    report = assemble(await _rows(world))
    doc = Document(io.BytesIO(docx_report.render(report)))
    text = "\n".join(p.text for p in doc.paragraphs)
    # The tie at the cut is called a tie, and its settlement is said: by the room, with its reason
    assert "A tie straddled the cut: Partnership Working and Reducing Stigma each had 1 point and shared 5th place" in text
    assert "The room settled the tie: it chose Reducing Stigma over Partnership Working." in text
    assert "How the tie was settled: chosen for the strongest local evidence." in text
    assert "The room's note: Stigma keeps people away" in text
    assert "tally's five were" not in text  # never a false five when fifth place was tied
    assert "5th place was tied between Partnership Working and Reducing Stigma" in text
    tables = _word_tables(doc)
    # Rank counts, only for principles with points
    main = next(t for t in tables if t[0][:4] == ["Rank", "Principle", "Points", "Put 1st"])
    assert main[1][:8] == ["1", "Needs-Led", "10", "2", "0", "0", "0", "0"]
    assert all(float(row[2]) > 0 for row in main[1:]) and len(main) == 1 + 6
    full = next(t for t in tables if t[0][:4] == ["Rank", "Principle", "Points", "Tie settled by"])
    assert any(row[2] == "0" for row in full[1:])  # the 0-point principles are in the appendix
    # Head-to-head among the principles near the cut
    h2h = next(t for t in tables if t[0][0] == "" and "Reducing Stigma" in t[0])
    row = next(r for r in h2h if r[0] == "Reducing Stigma")
    assert row[h2h[0].index("Partnership Working")] == "1 to 1"
    # One line per method, saying what it would change
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert [b.split(":")[0] for b in bullets] == ["Dowdall", "Count", "Schulze"]
    # The workbook says the same
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    consensus = [[c.value for c in row] for row in book["Consensus"].iter_rows()]
    assert any(isinstance(r[2], str) and "A tie straddled the cut" in r[2] for r in consensus)
    tally = [[c.value for c in row] for row in book["Tally"].iter_rows()]
    assert tally[0][7:12] == [f"Tables that put it {p}" for p in ("1st", "2nd", "3rd", "4th", "5th")]
    assert [[c.value for c in row] for row in book["Head-to-head"].iter_rows()][0][0] == "Principle"


async def test_every_sheet_prints_and_the_heat_map_is_a_sheet(world):
    await run_workshop(world)
    await _scored(world, {"accessibility": 2, "needs-led": 3}, {"accessibility": 1})
    report = assemble(await _rows(world))
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet.freeze_panes in ("A2", "C2"), sheet.title
    # Real dates
    due = book["Action plan"]["E2"]  # column E since issue 17 (recommendation, owner before it)
    assert due.is_date and due.value == dt.datetime(2027, 3, 31) and "mmmm" in due.number_format
    assert book["Summary"]["B4"].is_date  # the workshop's date
    # Wrapped text gets rows tall enough for it
    gap = book["Gap analysis"]
    assert gap["C2"].alignment.wrap_text
    # The heat map: by level, both scores labelled as everywhere, coloured cells with the number in them
    heat = [[c.value for c in row] for row in book["Heat map"].iter_rows()]
    assert heat[0][:5] == ["Level", "Ref", "Principle", "Baseline", "Agreed today"]
    access = next(r for r in heat if r[1] == "accessibility")
    assert access[:6] == ["Macro", "accessibility", "Accessibility", 2, 1, 1]
    assert book["Heat map"].cell(row=heat.index(access) + 1, column=4).fill.start_color.rgb.endswith("FBE3A6")
    assert next(r for r in heat if r[1] == "reducing-stigma")[3:] == ["not scored", "not scored", "not scored"]
    # The CSV files carry the same new data sets
    archive = zipfile.ZipFile(io.BytesIO(csv_report.render(report)))
    assert {"11-heat-map.csv", "12-head-to-head.csv", "10-priorities.csv"} <= set(archive.namelist())
    heat_csv = list(csv.reader(io.StringIO(archive.read("11-heat-map.csv").decode("utf-8").lstrip("\ufeff"))))
    assert heat_csv[0][3:5] == ["Baseline", "Agreed today"]


async def test_the_printable_page_prints_on_a4_with_page_numbers(world):
    import re

    from server.reports.html import css_string

    await run_workshop(world)
    async with world.sessions() as session:
        workshop = await session.get(Workshop, world.workshop_id)
        workshop.title = 'Day "one"; } body { display: none } </style>'
        await session.commit()
    report = assemble(await _rows(world))
    page = html_report.render(report).decode()
    assert re.search(r"@page \{ size: A4;", page) and 'counter(page) " of " counter(pages)' in page
    assert "@page wide { size: A4 landscape; }" in page and 'class="wide"' in page
    assert "</style>" not in page.split("<style>", 1)[1].split("</style>", 1)[0]  # the title cannot end it
    assert css_string('a "b"; }') == '"a\\000020\\000022b\\000022\\00003b\\000020\\00007d"'
    # The executive summary first, then the tally's rank counts, the full tally in an appendix
    sections = re.findall(r'<section id="([a-z-]+)"', page)
    assert sections[0] == "summary" and sections.index("tally") < sections.index("appendix-a")
    assert "Put 1st" in page and "Appendix B: each table's worksheets" in page
    assert "overflow-wrap: anywhere" in page and "print-color-adjust: exact" in page


async def test_the_sample_report_is_built_in_every_format(tmp_path):
    from server.sample_report import build

    written = {p.name for p in await build(tmp_path / "sample")}
    assert written == {"report.docx", "report.xlsx", "report-csv.zip", "export.json", "report.html"}
    doc = Document(str(tmp_path / "sample" / "report.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "shared 5th place" in text and "The room settled the tie: it chose Reducing Stigma" in text
    assert load_workbook(str(tmp_path / "sample" / "report.xlsx"))["Heat map"].max_row > 1


async def test_a_tie_at_the_cut_settled_by_rule_says_so(world):
    fives = [
        ["needs-led", "shared-decision-making", "common-language", "proactive-prevention-promotion", "accessibility"],
        ["common-language", "shared-decision-making", "proactive-prevention-promotion", "outcome-informed", "accessibility"],
        ["common-language", "partnership-working", "reducing-stigma", "accessibility", "proactive-prevention-promotion"],
    ]
    for i, five in enumerate(fives):
        phone = await world.participant(i)
        assert (await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": five}))["ok"]
        assert (await world.run(phone, "ranking.agree", {"base_revision": 1}))["ok"]
    tally_five = ["common-language", "shared-decision-making", "proactive-prevention-promotion", "needs-led",
                  "partnership-working"]
    assert (await world.run(world.facilitator, "consensus.confirm", {"items": tally_five}))["ok"]
    report = assemble(await _rows(world))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx_report.render(report))).paragraphs)
    assert ("A tie straddled the cut: Partnership Working and Accessibility each had 4 points. It was settled by rule "
            "(countback (more higher places)), not by the room: Partnership Working 5th, Accessibility 6th.") in text
    assert "The Borda count tally's five were Common Language" in text and "room settled" not in text
    assert "These are the Borda count tally's top five, confirmed as they stood." in text


def _broken_words(text: str, vocabulary: set[str]) -> list[str]:
    """Words of ``vocabulary`` that the text splits inside the word (one part ends a line, the rest starts the next)."""
    tokens = text.split()
    pairs = set(zip(tokens, tokens[1:], strict=False))
    return sorted(f"{w[:i]}|{w[i:]}" for w in vocabulary for i in range(1, len(w))
                  if w[i - 1] != "-" and (w[:i], w[i:]) in pairs)


async def test_no_word_breaks_inside_a_table_cell_when_laid_out(tmp_path):
    """The .docx laid out by LibreOffice (as a board member without Word would see it): no principle's name or
    column heading breaks inside a word. Needs soffice and pdftotext (Debian: libreoffice-writer-nogui,
    poppler-utils), which .ci/run installs: skipped where they are missing on a developer's machine, failed in CI."""
    import asyncio
    import shutil
    import subprocess

    from server.reports.data import PLACES
    from server.sample_report import build

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    require_service("LibreOffice (soffice) and pdftotext", bool(soffice and pdftotext))
    await build(tmp_path)

    def lay_out() -> str:
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "report.docx")],
                       check=True, capture_output=True, timeout=240)
        return subprocess.run([pdftotext, str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True,
                              text=True, timeout=60).stdout

    text = await asyncio.to_thread(lay_out)
    report_names = {w for p in Document(str(tmp_path / "report.docx")).tables for c in p.rows[0].cells
                    for w in c.text.split()}
    principles = {"Needs-Led", "Accessibility", "Common", "Language", "Outcome-Informed", "Partnership", "Working",
                  "Reducing", "Stigma", "Shared", "Decision", "Making"}
    vocabulary = {w for w in principles | report_names | {f"Put {p}" for p in PLACES} if len(w) > 2}
    assert "Partnership" in text and not _broken_words(text, vocabulary)
    # No page holds only the header and the footer (a spacer paragraph pushed onto a page of its own before a
    # landscape section once printed a blank page 4).
    pages = [p for p in text.split("\f") if p.strip()]
    assert all(len([line for line in page.splitlines() if line.strip()]) > 3 for page in pages), [
        page[:200] for page in pages if len([line for line in page.splitlines() if line.strip()]) <= 3]
    assert _broken_words("Ran\nk Partnership", {"Rank"}) == ["Ran|k"]  # the check itself finds a break


async def test_dates_are_written_as_in_england_in_the_workshops_time_zone(world, monkeypatch):
    await run_workshop(world)
    rows = await _rows(world)  # the clock: 15 January 2027, 08:25 UTC
    london = assemble(rows)
    assert london.date == "15 January 2027" and london.generated_at == "15 January 2027, 08:25"
    assert london.time_zone == "Europe/London" and london.actions[0]["due"] == "31 March 2027"
    monkeypatch.setenv("TIME_ZONE", "Pacific/Auckland")
    auckland = assemble(rows)
    assert auckland.generated_at == "15 January 2027, 21:25" and auckland.time_zone == "Pacific/Auckland"
    monkeypatch.setenv("TIME_ZONE", "Not/AZone")
    assert assemble(rows).time_zone == "Europe/London"  # an unknown zone falls back to the default
