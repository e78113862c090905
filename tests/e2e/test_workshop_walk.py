"""The first half of a workshop in a real browser: set up, four phones at two tables, Exercises 1–3 with the
timer, the consensus revealed and confirmed, the final five on the projector."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import LAPTOP, PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.asyncio

TABLE_RED = [
    "needs-led",
    "accessibility",
    "shared-decision-making",
    "partnership-working",
    "outcome-informed",
]
TABLE_BLUE = ["needs-led", "accessibility", "shared-decision-making", "outcome-informed", "reducing-stigma"]
# Borda: Needs-Led 10, Accessibility 8, Shared Decision Making 6, Outcome-Informed 3, Partnership Working 2.
CONSENSUS = [
    "Needs-Led",
    "Accessibility",
    "Shared Decision Making",
    "Outcome-Informed",
    "Partnership Working",
]


def tid(page: Page, name: str, **data):
    selector = f'[data-testid="{name}"]' + "".join(
        f'[data-{k.replace("_", "-")}="{v}"]' for k, v in data.items()
    )
    return page.locator(selector)


# A guarded console action opens its dialog in the click's own task (or its promises): once a frame has been
# drawn after the click, the dialog is open or the action was not guarded. No clock decides.
ASKED = """() => new Promise((done) => requestAnimationFrame(() => setTimeout(() =>
  done(Boolean(document.querySelector("#ask-dialog[open]"))))))"""


async def confirm_if_asked(page: Page) -> None:
    """Guarded console actions open a dialog; the facilitator confirms."""
    if await page.evaluate(ASKED):
        await page.locator("#ask-dialog[open] #ask-ok").click()


async def facilitator_click(page: Page, name: str, **data) -> None:
    await tid(page, name, **data).first.click()
    await confirm_if_asked(page)


async def join_phone(browser, errors, join_url: str, table: str, name: str) -> Page:
    phone = await new_page(browser, errors, **PHONE)
    await phone.goto(join_url)
    await phone.locator('[data-testid="table-option"]', has_text=table).click()
    await tid(phone, "display-name").fill(name)
    await tid(phone, "join-submit").click()
    await expect(tid(phone, "segment-title")).to_be_visible()
    return phone


async def add(phone: Page, principle_id: str) -> None:
    await tid(phone, "add-principle", principle_id=principle_id).click()
    await expect(tid(phone, "ranking-item", principle_id=principle_id)).to_be_visible()


async def ranked_ids(page: Page) -> list[str]:
    return await tid(page, "ranking-item").evaluate_all("els => els.map(e => e.dataset.principleId)")


async def test_a_facilitator_runs_exercises_one_to_three_with_four_phones(browser, server):
    errors: list[str] = []

    # The facilitator sets up the workshop.
    setup = await new_page(browser, errors, **LAPTOP)
    await setup.goto(f"{server.url}/new")
    await setup.fill('[name="title"]', "Northshire Phase 1")
    await setup.fill('[name="locality"]', "Northshire")
    await setup.fill('[name="tables"]', "Red\nBlue")
    await setup.select_option('[name="baseline_needs-led"]', "2")
    await tid(setup, "create-submit").click()
    console_url = await tid(setup, "facilitator-link").first.get_attribute("href")
    projector_url = await tid(setup, "projector-link").first.get_attribute("href")
    code = (await tid(setup, "join-code").first.inner_text()).strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    assert "#k=" in console_url and "#k=" in projector_url

    console = await new_page(browser, errors, **LAPTOP)
    await console.goto(console_url)
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(projector_url)
    await expect(tid(projector, "projector-join-code")).to_contain_text(code)

    # Four phones join two tables.
    join_url = f"{server.url}/j/{code}"
    red = [await join_phone(browser, errors, join_url, "Red", f"Red {i}") for i in (1, 2)]
    blue = [await join_phone(browser, errors, join_url, "Blue", f"Blue {i}") for i in (1, 2)]
    await expect(tid(console, "presence-count").first).to_be_visible()

    # The set-up form opens the agenda with the review of the top-line priorities (issue 17): the projector shows
    # the heat map; then on to Exercise 1, whose clock starts as the room moves on.
    await facilitator_click(console, "agenda-start")
    await expect(tid(projector, "projector-review")).to_be_visible()
    await expect(tid(red[0], "segment-title")).to_have_text("Review of the top-line priorities")
    await facilitator_click(console, "agenda-next")

    # Exercise 1: the timer runs; pause, extend, resume.
    await expect(tid(red[0], "timer")).to_have_text(re.compile(r"^(29|30):\d\d$"))
    await facilitator_click(console, "agenda-pause")
    await expect(tid(blue[1], "timer")).to_have_text(re.compile(r"(29|30):\d\d"))
    await facilitator_click(console, "agenda-extend-1")
    await expect(tid(red[1], "timer")).to_have_text(re.compile(r"(30|31):\d\d"))
    await facilitator_click(console, "agenda-resume")

    # Two phones at each table build the table's five together; each sees the other's edits.
    for phones, five in ((red, TABLE_RED), (blue, TABLE_BLUE)):
        for i, principle in enumerate(five):
            await add(phones[i % 2], principle)
        for phone in phones:
            await expect(tid(phone, "ranking-item")).to_have_count(5)
            assert await ranked_ids(phone) == five
        await tid(phones[1], "agree-button").click()
        for phone in phones:
            await expect(tid(phone, "agreed-badge")).to_be_visible()
    # The baseline score shows beside the principle.
    await expect(tid(red[0], "ranking-item", principle_id="needs-led")).to_contain_text("Score 2/4")

    # Exercise 2: the projector steps through the tables.
    await facilitator_click(console, "agenda-next")
    await facilitator_click(console, "display-next-table")
    await expect(tid(projector, "projector-table").first).to_be_visible()

    # Exercise 3: the tally, hidden until revealed, then confirmed.
    await facilitator_click(console, "agenda-next")
    await expect(tid(console, "tally-row").first).to_be_visible()
    await facilitator_click(console, "reveal-toggle")
    await expect(tid(projector, "projector-tally")).to_be_visible()
    await expect(tid(red[0], "consensus-top")).to_be_visible()
    await facilitator_click(console, "confirm-consensus")
    await expect(tid(console, "confirmed-list")).to_be_visible()

    final = tid(projector, "projector-final")
    await expect(final).to_be_visible()
    await expect(final.locator("li")).to_have_count(5)
    for place, name in enumerate(CONSENSUS):
        await expect(final.locator("li").nth(place)).to_contain_text(name)
    shots = server.log_path.parent
    await projector.screenshot(path=str(shots / "projector-final.png"))
    await console.screenshot(path=str(shots / "console-final.png"), full_page=True)
    await red[0].screenshot(path=str(shots / "phone-final.png"), full_page=True)
    assert errors == []
