"""In a real browser (console at 1366×768, projector at 1080p): a tie straddles fifth place and the facilitator
settles it with the room's reason from the short list; the projector says how, in words. Then the report: a
draft, marked final, returned to draft after the confirmation, back to draft by itself when the plan changes,
final again, and the printable page opened from the console says "Final, agreed on <today>"."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from playwright.async_api import expect

from server.client import WorkshopClient, create_workshop, join, tables
from tests.e2e.conftest import PROJECTOR, new_page, scroll_into_view
from tests.e2e.test_workshop_walk import tid
from tests.live import eventually

pytestmark = pytest.mark.asyncio

SMALL_LAPTOP = {"viewport": {"width": 1366, "height": 768}}
TIED = {  # both tables agree the same four; fifth place is 1 point each, level on countback and head-to-head
    "Red": ["needs-led", "accessibility", "common-language", "outcome-informed", "partnership-working"],
    "Blue": ["needs-led", "accessibility", "common-language", "outcome-informed", "reducing-stigma"],
}
NOTE = "Show of hands: 19 to 11"


async def tied_workshop(url: str) -> tuple[dict, WorkshopClient]:
    created = await create_workshop(url, title="Northshire Phase 1", locality="Northshire", tables=["Red", "Blue"])
    code = created["workshop"]["join_code"]
    facilitator = await WorkshopClient(url, created["facilitator_token"]).connect()
    for table in await tables(url, code):
        phone = await WorkshopClient(url, (await join(url, code, table["id"]))["participant_token"]).connect()
        five = TIED[table["name"]]
        assert (await phone.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": five}))["ok"]
        assert (await phone.call("ranking.agree", {"base_revision": 1}))["ok"]
        await phone.close()
    for event in ("agenda.start", "agenda.next", "agenda.next"):  # onto Exercise 3
        assert (await facilitator.call(event))["ok"], event
    await eventually(lambda: facilitator.state["consensus"]["agreed_tables"] == 2)
    return created, facilitator


def today_in_england() -> str:
    day = dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()
    return f"{day.day} {day:%B %Y}"


async def test_a_tie_settled_with_a_reason_and_the_report_marked_final(browser, server):
    errors: list[str] = []
    shots = server.log_path.parent
    created, facilitator = await tied_workshop(server.url)
    console = await new_page(browser, errors, **SMALL_LAPTOP)
    await console.goto(created["facilitator_url"])
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])

    # The tie at the cut: the console will not confirm until the facilitator says how the room settled it.
    await expect(tid(console, "tie-reason")).to_contain_text("How did the room settle the tie? (needed)")
    await expect(console.locator(".confirm-box .problems")).to_contain_text("Choose how the room settled the tie")
    await expect(tid(console, "confirm-consensus")).to_have_attribute("aria-disabled", "true")
    await expect(tid(console, "draft-state")).to_contain_text("A tie straddles the cut")
    await tid(console, "draft-select").nth(4).select_option("reducing-stigma")  # the room chose Reducing Stigma
    await tid(console, "tie-reason-room_voted").check()
    await tid(console, "confirm-note").fill(NOTE)
    await scroll_into_view(tid(console, "tie-reason"))
    await console.screenshot(path=str(shots / "console-tie-reason.png"))
    await expect(tid(console, "confirm-consensus")).not_to_have_attribute("aria-disabled", "true")
    await tid(console, "confirm-consensus").click()
    await expect(tid(console, "tie-reason-line")).to_have_text("How the tie was settled: the room voted")
    await expect(tid(console, "confirmed-changed")).to_have_text(
        "✎ The room settled a tie at the cut that the Borda tally could not separate.")
    await expect(console.locator(".confirmed-note")).to_have_text(f"Note: {NOTE}")
    await scroll_into_view(tid(console, "tie-reason-line"))
    await console.screenshot(path=str(shots / "console-tie-confirmed.png"))

    # The projector's final five say it in words.
    assert (await facilitator.call("display.set", {"mode": "final"}))["ok"]
    await expect(tid(projector, "projector-final")).to_contain_text("Reducing Stigma")
    await expect(tid(projector, "projector-tie-reason")).to_have_text("How the tie was settled: the room voted")
    await projector.screenshot(path=str(shots / "projector-tie-reason.png"))

    # The report: a draft until marked final.
    status = tid(console, "report-status")
    await scroll_into_view(status)
    await expect(status).to_have_attribute("data-state", "draft")
    await expect(status).to_contain_text("every format of the report is marked DRAFT")
    await tid(console, "report-finalise").click()
    today = today_in_england()
    await expect(status).to_have_attribute("data-state", "final")
    await expect(status).to_contain_text(f"Final, agreed on {today}")
    await expect(status).to_contain_text("by the facilitator")
    await scroll_into_view(status)
    await console.screenshot(path=str(shots / "console-report-final.png"))

    # Returning it to draft asks first: "cancel" keeps it final, confirming returns it.
    await tid(console, "report-reopen").click()
    dialog = console.locator("#ask-dialog[open]")
    await expect(dialog).to_contain_text("Return the report to draft?")
    await console.screenshot(path=str(shots / "console-report-return-asks.png"))
    await tid(console, "confirm-cancel").click()
    await expect(dialog).to_have_count(0)
    await expect(status).to_have_attribute("data-state", "final")
    await tid(console, "report-reopen").click()
    await console.locator("#ask-dialog[open] #ask-ok").click()
    await expect(status).to_have_attribute("data-state", "draft")
    await expect(tid(console, "report-returned")).to_contain_text("the facilitator returned it to draft")

    # Final again; then a change to the plan is kept and the report goes back to draft by itself, saying why.
    await tid(console, "report-finalise").click()
    await expect(status).to_have_attribute("data-state", "final")
    assert (await facilitator.call("plan.add_action", {"action": "Tell the partnership board"}))["ok"]
    await expect(status).to_have_attribute("data-state", "draft")
    await expect(tid(console, "report-returned")).to_contain_text("the implementation plan changed after it was made final")
    await tid(console, "report-history").locator("summary").click()
    await expect(tid(console, "report-history")).to_contain_text("Back to draft by itself")
    await scroll_into_view(status)
    await console.screenshot(path=str(shots / "console-report-back-to-draft.png"))

    # The printable page follows the state: DRAFT now, "Final, agreed on" once marked again.
    await tid(console, "report-prepare").click()
    await expect(tid(console, "report-link")).to_have_count(5)
    async with console.context.expect_page() as opening:
        await tid(console, "report-link", format="html").click()
    printable = await opening.value
    await expect(printable.locator("#report-status")).to_contain_text("DRAFT: this report has not been marked final.")
    await expect(printable.locator("#report-status")).to_contain_text("because the implementation plan changed")
    await printable.close()
    await tid(console, "report-finalise").click()
    await expect(status).to_have_attribute("data-state", "final")
    await tid(console, "report-prepare").click()
    async with console.context.expect_page() as opening:
        await tid(console, "report-link", format="html").click()
    printable = await opening.value
    await expect(printable.locator("#report-status")).to_have_text(
        f"Final, agreed on {today} (marked final by the facilitator).")
    await expect(printable.locator("body")).to_contain_text("How the tie was settled: the room voted.")
    await expect(printable.locator("body")).not_to_contain_text("DRAFT")
    await printable.set_viewport_size({"width": 1100, "height": 900})
    await printable.screenshot(path=str(shots / "printable-final.png"))
    await facilitator.close()
    assert errors == []
