"""The Phase 1 report from a workshop run through the command bus: every format opened with its own library
and checked for content, and a JSON export imported into an equal workshop (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

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
    await world.run(f, "plan.add_action", {"action": "Map evening provision", "priority_id": "accessibility",
                                           "owner": "Commissioning lead", "due": "2027-03-31"})
    await world.run(f, "plan.add_action", {"action": "Tell the partnership board", "status": "in_progress"})
    await world.run(f, "plan.set_notes", {"engagement_notes": "Newsletter and the partnership board"})
    await world.run(f, "plan.set_redesign_date", {"redesign_date": "2027-05-12"})


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
    assert "Newsletter and the partnership board" in text and "2027-05-12" in text
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
    assert plan[1] == ["Map evening provision", "Accessibility", "Commissioning lead", "2027-03-31", "Not started"]
    agenda = [[c.value for c in row] for row in book["Agenda"].iter_rows()]
    assert agenda[1][:5] == ["Exercise 1: your table's top five", "rank", "Done", "30:00", "25:00"]
    methods = [[c.value for c in row] for row in book["Methods"].iter_rows()]
    assert [m[0] for m in methods[1:]] == ["Borda count", "Dowdall", "Count", "Schulze"]

    # CSV files in a zip: the same data sets
    archive = zipfile.ZipFile(io.BytesIO(csv_report.render(report)))
    assert len(archive.namelist()) == len(book.sheetnames)
    raw = archive.read("07-gap-analysis.csv").decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[1][:2] == ["Accessibility", "Consolidated"] and rows[1][5] == "Evenings: no drop-in for 16-18s"

    # Printable HTML
    page = html_report.render(report).decode()
    assert "@media print" in page and "<script" not in page
    assert "Evenings: no drop-in for 16-18s" in page and "Map evening provision" in page


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
    first = export(await _rows(world))
    text = json.dumps(first)
    for secret in ("token", "password", "join_code", world.join_code, world.workshop_id):
        assert secret not in text, secret
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(text.encode()), now=world.clock.now)
    assert created.workshop.id != world.workshop_id and created.workshop.join_code != world.join_code
    again = export(await _rows(world, created.workshop.id))
    assert again == first

    # The imported workshop works: its facilitator can carry on editing a worksheet.
    from server.services.commands import Actor

    facilitator = Actor(created.workshop.id, "facilitator")
    snap = await world.snapshot(facilitator)
    sheet = _sheet(snap, "accessibility", None)
    assert sheet["text"]["gaps"] == "Evenings: no drop-in for 16-18s"
    ack = await world.run(facilitator, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(sheet, "training", "More")})
    assert ack["ok"] and ack["changed"]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(format="other"),
        lambda d: d["rankings"][0].update(items=["not-a-principle"]),
        lambda d: d["worksheets"][0].update(state="AAAA", table=99),
        lambda d: d["worksheets"][0].update(state=w.b64encode(b"\x00\x01junk")),
        lambda d: d["agenda"][0].update(kind="party"),
        lambda d: d["plan"].update(redesign_date="soon"),
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
