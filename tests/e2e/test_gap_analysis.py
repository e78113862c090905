"""The second half in a real browser: from confirmed priorities through two gap-analysis segments, two phones
typing in the same cell at once (both texts survive), the consolidated worksheet, an action in the plan, and
the report downloaded in every format and opened with its library."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.async_api import expect

from server.client import WorkshopClient, create_workshop, join, tables
from tests.e2e.conftest import LAPTOP, PROJECTOR, new_page
from tests.e2e.test_workshop_walk import confirm_if_asked, facilitator_click, join_phone, tid
from tests.live import eventually

pytestmark = pytest.mark.asyncio

FIVE = ["accessibility", "needs-led", "common-language", "partnership-working", "outcome-informed"]
RED_TEXT = "Buses stop at six so evening clinics are out of reach"
RED_TEXT_2 = "Forms use words young people do not use"


async def confirmed_workshop(url: str) -> dict:
    """Exercises 1-3 done through the protocol: both tables agree, the facilitator confirms the five."""
    created = await create_workshop(url, title="Northshire Phase 1", locality="Northshire", tables=["Red", "Blue"])
    code = created["workshop"]["join_code"]
    facilitator = await WorkshopClient(url, created["facilitator_token"]).connect()
    for table in await tables(url, code):
        phone = await WorkshopClient(url, (await join(url, code, table["id"]))["participant_token"]).connect()
        assert (await phone.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE}))["ok"]
        assert (await phone.call("ranking.agree", {"base_revision": 1}))["ok"]
        await phone.close()
    for event in ("agenda.start", "agenda.next", "agenda.next"):  # onto Exercise 3
        assert (await facilitator.call(event))["ok"], event
    await eventually(lambda: facilitator.state["consensus"]["agreed_tables"] == 2)
    assert (await facilitator.call("consensus.confirm", {"items": FIVE}))["ok"]
    await facilitator.close()
    return created


async def test_gap_analysis_next_steps_and_the_report(browser, server, tmp_path):
    errors: list[str] = []
    created = await confirmed_workshop(server.url)
    console = await new_page(browser, errors, **LAPTOP)
    await console.goto(created["facilitator_url"])
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    join_url = created["join_url"]
    red = [await join_phone(browser, errors, join_url, "Red", f"Red {i}") for i in (1, 2)]
    blue = await join_phone(browser, errors, join_url, "Blue", "Blue 1")

    # The gap block follows the confirmed five: on to the first priority, whose timer starts as the room moves on.
    await expect(tid(console, "segment-row")).to_have_count(3 + 5 + 1)
    await facilitator_click(console, "agenda-next")
    await expect(tid(console, "agenda-pause")).to_be_visible()
    for phone in red + [blue]:
        await expect(tid(phone, "segment-title")).to_have_text("Gap analysis: Accessibility")
        await expect(tid(phone, "worksheet-cell")).to_have_count(6)
    ideal = tid(red[0], "worksheet-cell", cell="ideal")
    await expect(ideal).not_to_have_value("")  # pre-filled from the catalogue

    # Two phones at Red type in the same cell at the same time: both texts survive, on every screen.
    gaps = [tid(phone, "worksheet-cell", cell="gaps") for phone in red]
    await asyncio.gather(gaps[0].press_sequentially(RED_TEXT, delay=25),
                         gaps[1].press_sequentially(RED_TEXT_2, delay=25))
    for box in gaps:
        await expect(box).to_have_value(_both())
        # Each phone's words whole and on a line of their own (issue 14): never glued together.
        assert sorted((await box.input_value()).splitlines()) == sorted([RED_TEXT, RED_TEXT_2])
    for phone in red:
        await expect(tid(phone, "worksheet-status")).to_have_text("All changes saved")
    await red[0].screenshot(path=str(server.log_path.parent / "phone-worksheet.png"), full_page=True)
    red_card = console.locator('[data-testid="gap-table"]', has_text="Red")
    await expect(red_card.locator('[data-testid="gap-table-cell"][data-cell="gaps"]')).to_contain_text(RED_TEXT)
    await expect(red_card.locator('[data-testid="gap-table-cell"][data-cell="gaps"]')).to_contain_text(RED_TEXT_2)
    # Blue's phone has its own worksheet: Red's words are not there.
    await expect(tid(blue, "worksheet-cell", cell="gaps")).to_have_value("")
    await tid(blue, "worksheet-cell", cell="in_place").fill("Single point of access")

    # The projector shows every table's gaps side by side, then Red's whole worksheet.
    await tid(console, "show-answers").click()
    await expect(tid(projector, "projector-answers")).to_contain_text(RED_TEXT_2)
    await console.select_option("#gap-show-table", label="Red")
    await tid(console, "show-table-worksheet").click()
    await expect(tid(projector, "projector-worksheet")).to_contain_text(RED_TEXT)

    # The facilitator pulls Red's gaps into the consolidated worksheet and writes a recommendation.
    await red_card.locator('[data-testid="pull-cell"][data-cell="gaps"]').click()
    consolidated_gaps = tid(console, "consolidated-cell", cell="gaps")
    await expect(consolidated_gaps).to_have_value(_contains(RED_TEXT))
    await tid(console, "consolidated-cell", cell="recommendations").fill("One evening drop-in per district")
    await expect(tid(console, "consolidated-status")).to_have_text("All changes saved")
    await expect(tid(red[1], "consolidated-view")).to_contain_text("One evening drop-in per district")

    # Second gap segment: the phones move to the next priority's worksheet.
    await facilitator_click(console, "agenda-next")
    await expect(tid(console, "agenda-pause")).to_be_visible()
    for phone in red:
        await expect(tid(phone, "segment-title")).to_have_text("Gap analysis: Needs-Led")
    await tid(red[1], "worksheet-cell", cell="training").fill("Trauma-informed practice for reception staff")
    await expect(tid(red[0], "worksheet-cell", cell="training")).to_have_value("Trauma-informed practice for reception staff\n")

    # Skip the rest of the gap block: jump to next steps and add an action.
    await next_steps_with_an_action(console)
    await expect(tid(console, "plan-row")).to_have_count(1)
    await expect(tid(projector, "projector-plan")).to_contain_text("Map evening provision with the bus company")
    await expect(tid(red[0], "plan-actions")).to_contain_text("Commissioning lead")

    # The report, in every format, from the console.
    await tid(console, "report-prepare").click()
    await expect(tid(console, "report-link")).to_have_count(5)
    files = {}
    for fmt in ("docx", "xlsx", "zip", "json"):
        async with console.expect_download() as waiting:
            await tid(console, "report-link", format=fmt).click()
        download = await waiting.value
        path = tmp_path / f"report.{fmt}"
        await download.save_as(path)
        files[fmt] = path.read_bytes()
    # The printable page opens in a tab of its own, not as a download, under its own strict policy.
    async with console.context.expect_page() as opening:
        await tid(console, "report-link", format="html").click()
    printable = await opening.value
    printable.on("pageerror", lambda exc: errors.append(f"printable page: {exc}"))
    await expect(printable.locator("h1")).to_have_text("Northshire Phase 1")
    await expect(printable.locator("body")).to_contain_text(RED_TEXT_2)
    files["html"] = (await printable.content()).encode()
    await printable.close()
    doc = Document(io.BytesIO(files["docx"]))
    doc_text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for expected in (RED_TEXT, RED_TEXT_2, "One evening drop-in per district", "Single point of access",
                     "Trauma-informed practice for reception staff", "Map evening provision with the bus company",
                     "Northshire"):
        assert expected in doc_text, expected
    book = load_workbook(io.BytesIO(files["xlsx"]))
    gap_rows = [[c.value for c in row] for row in book["Gap analysis"].iter_rows()]
    consolidated = next(r for r in gap_rows if r[:2] == ["Accessibility", "Consolidated"])
    assert RED_TEXT in consolidated[5] and consolidated[7] == "One evening drop-in per district"
    assert any(r[0] == "Map evening provision with the bus company" for r in book["Action plan"].values)
    assert any(name.endswith("gap-analysis.csv") for name in zipfile.ZipFile(io.BytesIO(files["zip"])).namelist())
    assert RED_TEXT_2.encode() in files["html"]
    exported = json.loads(files["json"])
    assert exported["format"] == "thrive-workshop-export" and created["facilitator_token"] not in files["json"].decode()

    shots = server.log_path.parent
    await console.locator("#gap").screenshot(path=str(shots / "console-gap.png"))
    await console.locator("#plan-section").screenshot(path=str(shots / "console-plan.png"))
    await red[0].screenshot(path=str(shots / "phone-gap.png"), full_page=True)
    await projector.screenshot(path=str(shots / "projector-plan.png"))
    async with httpx.AsyncClient(base_url=server.url) as http:  # the links expire; the server is still fine
        assert (await http.get("/healthz")).status_code == 200
    assert errors == []


async def next_steps_with_an_action(console) -> None:
    """The console jumps to next steps and adds an action for Accessibility."""
    next_steps = console.locator('[data-testid="segment-row"]', has_text="Next steps")
    await next_steps.locator('[data-testid="segment-goto"]').click()
    await confirm_if_asked(console)
    await tid(console, "plan-new-action").fill("Map evening provision with the bus company")
    await console.select_option("#plan-new-priority", label="Accessibility")
    await tid(console, "plan-new-owner").fill("Commissioning lead")
    await tid(console, "plan-new-due").fill("2027-03-31")
    await tid(console, "plan-add").click()


def _both():
    """A value holding both phones' texts, each in one piece."""
    return re.compile(f"(?=[\\s\\S]*{re.escape(RED_TEXT)})(?=[\\s\\S]*{re.escape(RED_TEXT_2)})")


def _contains(text: str):
    return re.compile(re.escape(text))
