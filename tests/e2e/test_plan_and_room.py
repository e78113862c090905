"""Who was in the room and a plan that can be governed (issue 17), in a real browser: a phone says its table's
sectors and number of people, the console another table's; the console shows the room's make-up; the facilitator
builds a plan with dates (a due date before the workshop asks first; declining keeps what was there), a measure
and a recommendation; the console flags the overdue action and the priorities with no action; and the report
(printable page and Word) says all of it. Screenshots: console at 1366×768, phone at 390×844."""

from __future__ import annotations

import io

import pytest
from docx import Document
from playwright.async_api import expect

from server.client import WorkshopClient
from server.domain import worksheet as w
from tests.e2e.conftest import PHONE, new_page, scroll_into_view
from tests.e2e.test_gap_analysis import confirmed_workshop
from tests.e2e.test_workshop_walk import join_phone, tid

pytestmark = pytest.mark.asyncio

SMALL_LAPTOP = {"viewport": {"width": 1366, "height": 768}}
RECOMMENDATION = "Open an evening drop-in in the town centre"


async def _recommend(url: str, created: dict) -> None:
    """The consolidated worksheet of Accessibility gets two recommendations (through the protocol)."""
    facilitator = await WorkshopClient(url, created["facilitator_token"]).connect()
    sheet = next(s for s in facilitator.state["worksheets"].values()
                 if s["priority_id"] == "accessibility" and s["table_id"] is None)
    update = w.text_update(w.b64decode(sheet["state"], limit=1 << 30), "recommendations",
                           f"- {RECOMMENDATION}\n- Map transport from the villages")
    assert (await facilitator.call("worksheet.update",
                                   {"worksheet_id": sheet["id"], "update": w.b64encode(update)}))["ok"]
    await facilitator.close()


async def test_sectors_and_people_and_a_plan_with_dates_reach_the_report(browser, server):
    errors: list[str] = []
    created = await confirmed_workshop(server.url)
    await _recommend(server.url, created)
    console = await new_page(browser, errors, **SMALL_LAPTOP)
    await console.goto(created["facilitator_url"])
    phone = await join_phone(browser, errors, created["join_url"], "Red", "Red 1")
    shots = server.log_path.parent

    # A phone says who sits at its table: six people, health and young people.
    await phone.locator('[data-testid="phone-makeup"] summary').click()
    for _ in range(6):
        await tid(phone, "phone-makeup-plus").click()
    await expect(tid(phone, "phone-makeup-people")).to_have_value("6")
    await tid(phone, "phone-makeup-sector", sector_id="health").check()
    await tid(phone, "phone-makeup-sector", sector_id="young_people").check()
    await expect(phone.locator('[data-testid="phone-makeup"] summary')).to_contain_text("6 people, 2 sectors")
    await scroll_into_view(phone.locator('[data-testid="phone-makeup"]'))
    await phone.screenshot(path=str(shots / "phone-makeup.png"), full_page=True)

    # The console sees it, and says Blue's: five people, education and parent carers. (The panel folds itself
    # once Exercise 3 is under way; the facilitator opens it.)
    fold = console.locator('[data-fold-for="makeup-section"]')
    if await fold.get_attribute("aria-expanded") == "false":
        await fold.click()
    red_id, blue_id = [await tid(console, "makeup-table").nth(i).get_attribute("data-table-id") for i in (0, 1)]
    await expect(tid(console, "makeup-people-input", table_id=red_id)).to_have_value("6")
    await expect(tid(console, "makeup-sector", table_id=red_id, sector_id="young_people")).to_be_checked()
    await tid(console, "makeup-people-input", table_id=blue_id).fill("5")
    await tid(console, "makeup-people-input", table_id=blue_id).press("Tab")
    await tid(console, "makeup-sector", table_id=blue_id, sector_id="parent_carers").check()
    await tid(console, "makeup-sector", table_id=blue_id, sector_id="education").check()
    await expect(tid(console, "makeup-people")).to_have_text("11 people at 2 of 2 tables")
    await expect(tid(console, "makeup-young-people")).to_have_text("✔ Young people took part")
    await expect(tid(console, "makeup-parent-carers")).to_have_text("✔ Parent carers took part")
    await expect(tid(console, "makeup-summary")).to_contain_text("Sectors represented: Health, Education, Young people, Parent carers.")
    await scroll_into_view(console.locator("#makeup-section"))
    await console.screenshot(path=str(shots / "console-makeup.png"))
    # The facilitator adds a sector for this workshop; every table can tick it, on the console and the phone.
    await console.locator('[data-testid="makeup-editor"] summary').click()
    await tid(console, "makeup-list-add").click()
    await tid(console, "makeup-list-label").last.fill("Police and youth justice")
    await tid(console, "makeup-list-save").click()
    await expect(tid(console, "makeup-sector", table_id=red_id, sector_id="police_and_youth_justice")).to_be_visible()
    await expect(tid(phone, "phone-makeup-sector", sector_id="police_and_youth_justice")).to_be_attached()

    # A plan: the first action is due before the workshop. The console asks; declining leaves the form as it was.
    await scroll_into_view(console.locator("#plan-section"))
    await expect(tid(console, "plan-unactioned")).to_contain_text("Accessibility")
    await tid(console, "plan-new-action").fill("Map evening provision with the bus company")
    await console.select_option("#plan-new-priority", label="Accessibility")
    await console.select_option("#plan-new-recommendation", label=RECOMMENDATION)
    await tid(console, "plan-new-owner").fill("Commissioning lead, ICB")
    await tid(console, "plan-new-due").fill("2020-01-31")
    await tid(console, "plan-new-review").fill("2030-06-30")
    await tid(console, "plan-new-measure").fill("A drop-in open two evenings a week")
    await tid(console, "plan-add").click()
    dialog = console.locator("#ask-dialog[open]")
    await expect(dialog).to_contain_text("31 January 2020 is before the workshop")
    await tid(console, "confirm-cancel").click()
    await expect(tid(console, "plan-row")).to_have_count(0)
    await expect(tid(console, "plan-new-action")).to_have_value("Map evening provision with the bus company")
    await tid(console, "plan-add").click()
    await tid(console, "confirm-accept").click()
    row = tid(console, "plan-row")
    await expect(row).to_have_count(1)
    await expect(tid(console, "plan-action-due")).to_have_value("2020-01-31")
    await expect(tid(console, "plan-action-recommendation")).to_have_value(RECOMMENDATION)
    await expect(tid(console, "plan-overdue")).to_have_text("⚠ Overdue: it was due on 31 January 2020.")
    await expect(tid(console, "plan-overdue-count")).to_contain_text("1 action is past the due date")
    await expect(tid(console, "plan-unactioned")).not_to_contain_text("Accessibility")
    await expect(tid(console, "plan-unactioned")).to_contain_text("Needs-Led")

    # Editing the row's review date to one before the workshop asks too; declining puts the old date back.
    await tid(console, "plan-action-review").fill("2019-05-01")
    await tid(console, "plan-action-review").press("Tab")
    await expect(console.locator("#ask-dialog[open]")).to_contain_text("before the workshop")
    await tid(console, "confirm-cancel").click()
    await expect(tid(console, "plan-action-review")).to_have_value("2030-06-30")
    # A second action, due after the workshop: no question, not overdue.
    await tid(console, "plan-new-action").fill("Take the five priorities to the partnership board")
    await console.select_option("#plan-new-priority", label="Needs-Led")
    await tid(console, "plan-new-due").fill("2030-01-20")
    await tid(console, "plan-add").click()
    await expect(tid(console, "plan-row")).to_have_count(2)
    await expect(tid(console, "plan-overdue").nth(1)).to_be_hidden()
    await scroll_into_view(console.locator("#plan-section"))
    await console.screenshot(path=str(shots / "console-plan-governed.png"))
    await console.locator("#plan-section").screenshot(path=str(shots / "console-plan-panel.png"))

    # The report says it: the printable page and the Word document.
    await tid(console, "report-prepare").click()
    await expect(tid(console, "report-link")).to_have_count(5)
    async with console.context.expect_page() as opening:
        await tid(console, "report-link", format="html").click()
    printable = await opening.value
    body = printable.locator("body")
    await expect(printable.locator('[data-testid="makeup-sentence"]')).to_have_text(
        "11 people at 2 tables; sectors represented: Health, Education, Young people and Parent carers. "
        "Children and young people took part. Parent carers took part.")
    for expected in ("Map evening provision with the bus company", RECOMMENDATION, "Commissioning lead, ICB",
                     "31 January 2020", "30 June 2030", "A drop-in open two evenings a week", "⚠ Overdue",
                     "Agreed priorities with no action yet: Common Language"):
        await expect(body).to_contain_text(expected)
    await printable.locator("#people").screenshot(path=str(shots / "printable-people.png"))
    await printable.locator("#plan").screenshot(path=str(shots / "printable-plan.png"))
    await printable.close()
    async with console.expect_download() as waiting:
        await tid(console, "report-link", format="docx").click()
    path = server.log_path.parent / "governed.docx"
    await (await waiting.value).save_as(path)
    doc = Document(io.BytesIO(path.read_bytes()))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for expected in ("Who took part", "Health, Young people", "Education, Parent carers", "Measure of success",
                     "31 January 2020\nOVERDUE", "Recommendation: " + RECOMMENDATION):
        assert expected in text, expected
    assert PHONE["viewport"]["width"] == 390
    assert errors == []
