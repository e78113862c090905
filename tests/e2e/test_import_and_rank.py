"""A site's own Assessment Tool in a real browser: the facilitator imports a Word document with 24 (synthetic)
principles through the mapping preview; two tables choose their fives on phone-sized screens with the level
filter and the search; the projector shows the imported scores as a heat map, and the tally of the tables'
choices with the top five in view. In-app scoring: a table scores, the facilitator records the agreed score."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.catalogue import synthetic as syn
from tests.e2e.conftest import LAPTOP, PHONE, PROJECTOR, new_page
from tests.e2e.test_workshop_walk import facilitator_click, join_phone, tid

pytestmark = pytest.mark.asyncio

ITEMS = syn.principles(24)  # syn-1..8 macro, syn-9..16 meso, syn-17..24 micro
NAMES = {p["id"]: p["name"] for p in ITEMS}


async def choose(phone: Page, principle_id: str, *, level: str = "all", search: str = "", below: bool = False) -> None:
    """Find a principle with the level filter and the search, read it, add it to the table's five."""
    await phone.locator(f'label[for="level-filter-{level}"]').click()
    below_box = tid(phone, "below-filter")
    if await below_box.is_checked() != below:
        await below_box.click()
    await tid(phone, "picker-search").fill(search)
    entry = tid(phone, "principle-entry", principle_id=principle_id)
    await expect(entry).to_be_visible()
    await tid(phone, "add-principle", principle_id=principle_id).click()
    await expect(tid(phone, "ranking-item", principle_id=principle_id)).to_be_visible()


async def shown(phone: Page) -> list[str]:
    return await phone.locator('[data-testid="principle-entry"]:visible').evaluate_all(
        "els => els.map(e => e.dataset.principleId)")


async def test_import_a_word_tool_then_rank_on_phones_and_see_the_heat_map_and_tally(browser, server, tmp_path):
    errors: list[str] = []
    tool = tmp_path / "Synthetic THRIVE Assessment Tool.docx"
    tool.write_bytes(syn.docx_per_level(ITEMS))

    # Set-up: the facilitator imports the Word document through the mapping preview.
    setup = await new_page(browser, errors, **LAPTOP)
    await setup.goto(f"{server.url}/new")
    await setup.fill('[name="title"]', "Synthetic Phase 1")
    await setup.fill('[name="locality"]', "Synthetic shire")
    await setup.fill('[name="tables"]', "Red\nBlue")
    await tid(setup, "import-file").set_input_files(str(tool))
    preview = tid(setup, "import-preview")
    await expect(preview).to_contain_text("24 rows will be imported", timeout=30_000)  # a cold parser child
    await expect(tid(setup, "import-accepted-row")).to_have_count(24)
    await expect(tid(setup, "import-refused")).to_have_count(0)
    assert await tid(setup, "map-level").input_value() == "Section heading"
    assert await tid(setup, "map-notes").input_value() == ""  # "What we saw" isn't guessed: the facilitator maps it
    await tid(setup, "map-notes").select_option("What we saw")
    await expect(tid(setup, "import-accepted-row").nth(2)).to_contain_text("Synthetic evidence 3.")
    await expect(tid(setup, "map-notes")).to_be_focused()  # the preview redraws without losing the keyboard
    # Three principles are not scored: the import asks to confirm before it goes ahead (issue 15).
    await expect(tid(setup, "import-gaps")).to_contain_text("3 of the 24 principles have no score")
    await expect(tid(setup, "import-accept")).to_have_attribute("aria-disabled", "true")
    await tid(setup, "import-confirm-gaps").check()
    await tid(setup, "import-accept").click()
    await expect(tid(setup, "import-in-use")).to_contain_text("24 imported principles")
    await expect(setup.locator("#baseline-fieldset")).to_be_hidden()
    await expect(setup.locator("#import-app")).not_to_contain_text("null")
    # Saving needs the workshop: the set-up page says so, the page of links offers it (test_saved_catalogues.py).
    await expect(tid(setup, "save-later")).to_contain_text("offers “Save for Synthetic shire”")
    await setup.screenshot(path=str(server.log_path.parent / "setup-import.png"), full_page=True)
    await tid(setup, "create-submit").click()
    console_url = await tid(setup, "facilitator-link").first.get_attribute("href")
    projector_url = await tid(setup, "projector-link").first.get_attribute("href")
    code = (await tid(setup, "join-code").first.inner_text()).strip()

    console = await new_page(browser, errors, **LAPTOP)
    await console.goto(console_url)
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(projector_url)
    await expect(tid(projector, "projector-join-code")).to_contain_text(code)

    join_url = f"{server.url}/j/{code}"
    red = await join_phone(browser, errors, join_url, "Red", "Red 1")
    blue = await join_phone(browser, errors, join_url, "Blue", "Blue 1")
    await facilitator_click(console, "agenda-start")  # the opening review (the set-up form's default)
    await facilitator_click(console, "agenda-next")  # Exercise 1
    await expect(tid(red, "picker-count")).to_have_text("24 principles")

    # The level filter groups and narrows; the search finds by word; details show the tool's texts.
    await red.locator('label[for="level-filter-micro"]').click()
    assert await shown(red) == [f"syn-{i}" for i in range(17, 25)]
    await expect(red.locator('.picker-group[data-level="macro"]')).to_be_hidden()
    await tid(red, "picker-search").fill("topic19")
    assert await shown(red) == ["syn-19"]
    await expect(tid(red, "picker-count")).to_have_text("1 of 24 principles shown")
    await tid(red, "principle-more", principle_id="syn-19").click()
    details = tid(red, "principle-entry", principle_id="syn-19")
    await expect(details).to_contain_text("Synthetic statement 19 for testing")
    await expect(details.locator(".descriptor")).to_have_count(4)
    await expect(details).to_contain_text("Synthetic description 19.4 for testing")
    await expect(details).to_contain_text("◀ baseline")  # score 3
    await tid(red, "add-principle", principle_id="syn-19").click()
    await expect(tid(red, "ranking-item", principle_id="syn-19")).to_be_visible()
    # The search box kept its text and its place through the re-render that the add caused.
    await expect(tid(red, "picker-search")).to_have_value("topic19")
    await tid(red, "picker-search").fill("nothing-like-this")
    await expect(tid(red, "picker-clear")).to_be_visible()
    await tid(red, "picker-clear").click()
    await expect(tid(red, "picker-count")).to_have_text("24 principles")
    # "Below THRIVE-like" keeps the principles scored 1 or 2.
    await red.locator('label[for="level-filter-all"]').click()
    await tid(red, "below-filter").check()
    below = await shown(red)
    assert below == [p["id"] for p in ITEMS if p["baseline_score"] in (1, 2)]
    await tid(red, "below-filter").uncheck()

    red_five = ["syn-19", "syn-3", "syn-11", "syn-1", "syn-22"]
    blue_five = ["syn-3", "syn-19", "syn-6", "syn-11", "syn-14"]
    await choose(red, "syn-3", level="macro", below=True)
    await choose(red, "syn-11", level="meso", search="topic11")
    await choose(red, "syn-1", search="synthetic statement 1 ")
    await choose(red, "syn-22", level="micro")
    levels = {p["id"]: p["level"] for p in ITEMS}
    for i, principle in enumerate(blue_five):
        await choose(blue, principle, level=levels[principle] if i % 2 else "all", search=f"topic{principle[4:]}")
    for phone, five in ((red, red_five), (blue, blue_five)):
        await expect(tid(phone, "ranking-item")).to_have_count(5)
        ids = await tid(phone, "ranking-item").evaluate_all("els => els.map(e => e.dataset.principleId)")
        assert ids == five
        await expect(tid(phone, "ranking-item", principle_id="syn-3")).to_contain_text("Score 1/4")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
        await tid(phone, "agree-button").click()
        await expect(tid(phone, "agreed-badge")).to_be_visible()
    await red.screenshot(path=str(server.log_path.parent / "phone-picker.png"), full_page=True)

    # In-app scoring: Red scores a principle on the phone; the facilitator records the agreed score. The
    # optional scores panel is folded while scoring is closed: the facilitator opens it first.
    await console.locator('[data-testid="fold-toggle"][data-panel="scores-section"]').click()
    await tid(console, "scoring-toggle").click()
    score_item = tid(red, "score-item", principle_id="syn-2")
    await expect(score_item).to_be_visible()
    await score_item.locator('label[for="score-syn-2-2"]').click()
    await expect(tid(console, "heat-cell", principle_id="syn-2").locator('[data-testid="heat-spread"]')).to_have_attribute(
        "aria-label", re.compile(r"Scored in the app by 1: 0 gave 1, 1 gave 2"))
    await tid(console, "agree-score", principle_id="syn-2").select_option("2")
    await expect(tid(console, "heat-cell", principle_id="syn-2")).to_have_attribute("data-score", "2")
    await tid(console, "scoring-toggle").click()
    await expect(tid(red, "scoring")).to_have_count(0)

    # The projector: the heat map by level shows the imported scores and marks those below 3.
    await console.locator('[data-testid="display-mode"][data-mode="heatmap"]').click()
    heat = tid(projector, "projector-heatmap")
    await expect(heat).to_be_visible()
    await expect(heat.locator('[data-testid="heat-cell"]')).to_have_count(24)
    await expect(heat.locator('.hm-col[data-level="micro"] [data-testid="heat-cell"]')).to_have_count(8)
    low = tid(projector, "heat-cell", principle_id="syn-3")
    await expect(low).to_have_attribute("data-score", "1")
    await expect(low.locator('[data-testid="heat-below"]')).to_have_text("▼ below 3")
    high = tid(projector, "heat-cell", principle_id="syn-4")
    await expect(high).to_have_attribute("data-score", "4")
    await expect(high.locator('[data-testid="heat-below"]')).to_have_count(0)
    await expect(tid(projector, "heat-cell", principle_id="syn-2").locator('[data-testid="heat-agreed"]')).to_contain_text("2")
    await expect(tid(projector, "heat-cell", principle_id="syn-5")).to_have_attribute("data-score", "")
    await expect(tid(projector, "heat-below-total")).to_contain_text("below 3")
    assert await projector.evaluate(
        "(() => { const m = document.getElementById('proj-main'); return m.scrollHeight <= m.clientHeight + 1; })()")
    await projector.screenshot(path=str(server.log_path.parent / "projector-heatmap.png"))

    # Exercise 3: the tally of the tables' choices; the top five stays in view on the projector.
    await console.locator('[data-testid="display-mode"][data-mode="auto"]').click()
    await facilitator_click(console, "agenda-next")
    await facilitator_click(console, "agenda-next")
    await facilitator_click(console, "reveal-toggle")
    tally = tid(projector, "projector-tally")
    await expect(tally).to_be_visible()
    # Borda: syn-19 5+4, syn-3 4+5, syn-11 3+2, syn-1 2, syn-6 3, syn-22 1, syn-14 1.
    top_rows = tally.locator(".tally-row.is-top")
    await expect(top_rows).to_have_count(5)
    for name in ("Synthetic principle 19", "Synthetic principle 3", "Synthetic principle 11"):
        await expect(tally).to_contain_text(name)
    await expect(tally.locator(".tally-row").first).to_contain_text("Synthetic principle")
    await expect(tally.locator(".tally-row .baseline").first).to_be_visible()  # imported scores beside names
    rows = await tally.locator(".tally-row").count()
    assert 5 <= rows <= 13
    await expect(tid(projector, "projector-tally-page")).to_contain_text("of 24")
    await projector.screenshot(path=str(server.log_path.parent / "projector-tally-24.png"))
    await expect(tid(console, "tally-show-all")).to_contain_text("Show all 24 principles")
    await console.screenshot(path=str(server.log_path.parent / "console-scores.png"), full_page=True)
    assert errors == []
