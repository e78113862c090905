"""A reason typed to its last character in a real browser: the box keeps a space after a run of typing (so two
writers' words stay apart), and that space must not cost the writer the 200th character the count promises."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from server.client import WorkshopClient, create_workshop, join, tables
from tests.e2e.test_workshop_walk import join_phone, tid

pytestmark = pytest.mark.asyncio

FIVE = ["accessibility", "needs-led", "common-language", "partnership-working", "outcome-informed"]


async def test_a_reason_takes_all_200_characters_the_count_promises(browser, server):
    errors: list[str] = []
    created = await create_workshop(server.url, title="Northshire Phase 1", locality="Northshire", tables=["Red"])
    code = created["workshop"]["join_code"]
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    rank = next(s for s in facilitator.state["agenda"]["segments"] if s["kind"] == "rank")
    assert (await facilitator.call("agenda.go_to", {"segment_id": rank["id"]}))["ok"]
    red_id = (await tables(server.url, code))[0]["id"]
    chooser = await WorkshopClient(server.url, (await join(server.url, code, red_id))["participant_token"]).connect()
    assert (await chooser.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE}))["ok"]

    phone = await join_phone(browser, errors, created["join_url"], "Red", "Red 1")
    box = tid(phone, "reason-input", principle_id="accessibility")
    count = box.locator("xpath=..").locator(".reason-count")
    await expect(box).to_be_visible()
    await box.press_sequentially("a" * 199, delay=5)
    await expect(count).to_have_text("1 character left")
    await box.press("b")
    await expect(box).to_have_value("a" * 199 + "b")
    await expect(count).to_have_text("0 characters left")
    await box.press("c")  # full: the box takes no more
    await expect(box).to_have_value("a" * 199 + "b")
    await expect(tid(phone, "reasons-status")).to_have_text("All changes saved")

    # Saved means the server acknowledged it: it holds the 200 characters, the space given up.
    await facilitator.sync()
    assert facilitator.reasons_texts(red_id)["accessibility"] == "a" * 199 + "b"
    assert not errors, errors
    await phone.close()
    await facilitator.close()
    await chooser.close()
