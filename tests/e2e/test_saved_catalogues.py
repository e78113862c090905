"""Saved catalogues in a real browser: a facilitator imports a (synthetic) CSV on the set-up page, which says that
saving needs the workshop; the page of links saves it for the workshop's locality with its console link; the next
set-up page for that locality lists it with when and from which workshop it was saved, and uses it."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.async_api import expect

from tests.catalogue import synthetic as syn
from tests.e2e.conftest import LAPTOP, new_page
from tests.e2e.test_workshop_walk import tid

pytestmark = pytest.mark.asyncio

ITEMS = syn.principles(6)


async def test_a_catalogue_is_saved_from_the_page_of_links_and_offered_with_where_it_came_from(browser, server, tmp_path):
    errors: list[str] = []
    tool = tmp_path / "Northshire tool 2026.csv"
    tool.write_bytes(syn.csv_bytes([syn.SITE_HEADERS, *(syn.site_row(p) for p in ITEMS)]))

    setup = await new_page(browser, errors, **LAPTOP)
    await setup.goto(f"{server.url}/new")
    await setup.fill('[name="title"]', "Northshire spring workshop")
    await setup.fill('[name="locality"]', "Northshire")
    await setup.fill('[name="tables"]', "Red\nBlue")
    await expect(tid(setup, "saved-none")).to_contain_text("No catalogue is saved for Northshire yet.")
    await tid(setup, "import-file").set_input_files(str(tool))
    await expect(tid(setup, "import-preview")).to_contain_text("6 rows will be imported")
    await tid(setup, "import-confirm-gaps").check()  # the synthetic tool leaves some scores blank: confirm it
    await tid(setup, "import-accept").click()
    await expect(tid(setup, "import-in-use")).to_contain_text("6 imported principles")
    await expect(tid(setup, "save-later")).to_contain_text("create the workshop")
    await expect(tid(setup, "save-catalogue")).to_have_count(0)  # nothing to save with before the workshop exists
    await tid(setup, "create-submit").click()

    # The page of links offers to save it for Northshire, under the file's name.
    card = tid(setup, "save-catalogue-card")
    await expect(card).to_contain_text("Keep the imported catalogue for Northshire")
    await expect(tid(setup, "save-title")).to_have_value("Northshire tool 2026")
    await tid(setup, "save-title").fill("Northshire Assessment Tool 2026")
    saved_on = {datetime.datetime.now(datetime.UTC).date().isoformat()}
    await tid(setup, "save-catalogue").click()
    await expect(tid(setup, "save-catalogue-status")).to_contain_text(
        "Saved as “Northshire Assessment Tool 2026” for Northshire")
    await expect(tid(setup, "save-catalogue")).to_be_disabled()
    await card.screenshot(path=str(server.log_path.parent / "created-save-catalogue.png"))

    # The next workshop of Northshire: listed with when and from which workshop it was saved, and used.
    later = await new_page(browser, errors, **LAPTOP)
    await later.goto(f"{server.url}/new")
    await later.fill('[name="locality"]', "northshire")
    entry = tid(later, "saved-catalogue")
    await expect(entry).to_have_count(1)
    saved_on.add(datetime.datetime.now(datetime.UTC).date().isoformat())  # either side of midnight UTC
    await expect(entry).to_contain_text(re.compile(
        rf"Northshire Assessment Tool 2026 · 6 principles · saved ({'|'.join(saved_on)}) "
        "from the workshop “Northshire spring workshop”"))
    await later.locator(".saved-list").screenshot(path=str(server.log_path.parent / "setup-saved-list.png"))
    await tid(later, "use-saved").click()
    await expect(tid(later, "import-in-use")).to_contain_text("6 imported principles")
    await expect(tid(later, "save-later")).to_contain_text("already saved")
    assert errors == []
