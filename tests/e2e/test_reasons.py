"""Each table's reasons in a real browser: two phones of one table write reasons at once (both keep their words),
a reason follows its principle through a reorder and comes back with it, and the console (beside the table's
five) and the projector (Exercise 2's spotlight) show them. Screenshots: phone 390×844 with touch, console
1366×768, projector 1920×1080."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from server.client import WorkshopClient, create_workshop, join, tables
from tests.e2e.conftest import PROJECTOR, new_page, scroll_into_view
from tests.e2e.test_workshop_walk import join_phone, tid
from tests.live import eventually

pytestmark = pytest.mark.asyncio

SMALL_LAPTOP = {"viewport": {"width": 1366, "height": 768}}
FIVE = ["accessibility", "needs-led", "common-language", "partnership-working", "outcome-informed"]
FIRST = "Buses from the villages stop at six"
SECOND = "families wait nine months to be seen"
LONGEST = ("Young people told us they would rather ask a friend than a teacher, and that the school counsellor is only "
           "in on Tuesdays; the waiting list for a first talk is longer than a whole school term here.")


async def test_two_phones_write_reasons_that_the_console_and_projector_show(browser, server):
    assert len(LONGEST) <= 200
    errors: list[str] = []
    created = await create_workshop(server.url, title="Northshire Phase 1", locality="Northshire", tables=["Red", "Blue"])
    code = created["workshop"]["join_code"]
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    rank = next(s for s in facilitator.state["agenda"]["segments"] if s["kind"] == "rank")
    assert (await facilitator.call("agenda.go_to", {"segment_id": rank["id"]}))["ok"]
    red_id = next(t["id"] for t in await tables(server.url, code) if t["name"] == "Red")
    # A third phone at Red, through the protocol, chooses the five (the browsers' phones then write the reasons).
    helper = await WorkshopClient(server.url, (await join(server.url, code, red_id))["participant_token"]).connect()
    assert (await helper.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE}))["ok"]

    red = [await join_phone(browser, errors, created["join_url"], "Red", f"Red {i}") for i in (1, 2)]
    for phone in red:
        await expect(tid(phone, "reason-input")).to_have_count(5)
        await expect(tid(phone, "reasons-toggle")).to_contain_text("0 of 5 written")  # open: the five is full
        await expect(tid(phone, "reason-input").first).to_be_visible()
        assert await tid(phone, "reason-input").first.get_attribute("maxlength") == "200"

    # Both phones type in the same reason at the same moment, and in two others: everyone keeps their words.
    same = [tid(phone, "reason-input", principle_id="accessibility") for phone in red]
    await asyncio.gather(same[0].press_sequentially(FIRST, delay=25), same[1].press_sequentially(SECOND, delay=25),)
    await asyncio.gather(
        tid(red[0], "reason-input", principle_id="needs-led").press_sequentially("Referrals bounce between services", delay=15),
        tid(red[1], "reason-input", principle_id="common-language").press_sequentially("Schools and health use other words", delay=15),
    )
    for box in same:
        await expect(box).to_have_value(_both())
    for phone in red:
        await expect(tid(phone, "reason-input", principle_id="needs-led")).to_have_value(_typed("Referrals bounce between services"))
        await expect(tid(phone, "reason-input", principle_id="common-language")).to_have_value(_typed("Schools and health use other words"))
        await expect(tid(phone, "reasons-status")).to_have_text("All changes saved")
    await tid(red[1], "reason-input", principle_id="outcome-informed").fill(LONGEST)
    await expect(tid(red[0], "reason-input", principle_id="outcome-informed")).to_have_value(_typed(LONGEST))
    for phone in red:  # the count follows what others write too
        await expect(tid(phone, "reason-input", principle_id="outcome-informed").locator("xpath=..")).to_contain_text(
            f"{200 - len(LONGEST)} characters left")
    # One line: Enter ends the reason, it never starts a second line.
    await tid(red[0], "reason-input", principle_id="common-language").press("End")
    await tid(red[0], "reason-input", principle_id="common-language").press("Enter")
    await expect(tid(red[0], "reason-input", principle_id="common-language")).to_have_value(_typed("Schools and health use other words"))

    # Reordered elsewhere: the reason moves with its principle (and the box being typed in keeps its focus).
    await tid(red[0], "reason-input", principle_id="partnership-working").click()
    await helper.sync()
    revision = helper.state["rankings"][red_id]["revision"]
    assert (await helper.call("ranking.edit", {"base_revision": revision, "op": "move", "principle_id": "outcome-informed",
                                               "to_index": 0}))["ok"]
    for phone in red:
        await expect(tid(phone, "reason-input").first).to_have_attribute("data-principle-id", "outcome-informed")
        await expect(tid(phone, "reason-input").first).to_have_value(_typed(LONGEST))
    await red[0].keyboard.type("Nobody owns the pathway")
    await expect(tid(red[1], "reason-input", principle_id="partnership-working")).to_have_value(_typed("Nobody owns the pathway"))

    # Taken out of the five, the reason is kept; put back, it is there again.
    await helper.sync()
    revision = helper.state["rankings"][red_id]["revision"]
    assert (await helper.call("ranking.edit", {"base_revision": revision, "op": "remove", "principle_id": "needs-led"}))["ok"]
    await expect(tid(red[1], "reason-input")).to_have_count(4)
    await helper.sync()
    revision = helper.state["rankings"][red_id]["revision"]
    assert (await helper.call("ranking.edit", {"base_revision": revision, "op": "add", "principle_id": "needs-led"}))["ok"]
    await expect(tid(red[1], "reason-input", principle_id="needs-led")).to_have_value(_typed("Referrals bounce between services"))
    await expect(tid(red[1], "reason-input", principle_id="needs-led")).to_be_visible()  # the fold stayed open
    await expect(tid(red[1], "reasons-toggle")).to_contain_text("5 of 5 written")
    await red[0].screenshot(path=str(server.log_path.parent / "phone-reasons.png"), full_page=True)
    viewport_shot = server.log_path.parent / "phone-reasons-viewport.png"
    await scroll_into_view(tid(red[0], "reasons"))
    await red[0].screenshot(path=str(viewport_shot))

    # The console shows each reason under its principle, beside the table's five.
    console = await new_page(browser, errors, **SMALL_LAPTOP)
    await console.goto(created["facilitator_url"])
    card = console.locator('[data-testid="table-card"]', has_text="Red")
    await expect(card.locator('[data-testid="reason"]')).to_have_count(5)
    await expect(card).to_contain_text(FIRST)
    await expect(card).to_contain_text(SECOND)
    await scroll_into_view(card)
    await console.screenshot(path=str(server.log_path.parent / "console-reasons.png"))

    # Exercise 2's spotlight on the projector: Red's five with its reasons, large, none of it cut off.
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    assert (await facilitator.call("display.set", {"mode": "table", "table_id": red_id}))["ok"]
    spotlight = tid(projector, "projector-table")
    await expect(spotlight.locator('[data-testid="reason"]')).to_have_count(5)
    await expect(spotlight).to_contain_text(LONGEST)
    await expect(spotlight).to_contain_text("Nobody owns the pathway")
    fits = await projector.evaluate("""() => {
      const main = document.querySelector('#proj-main');
      const reasons = [...document.querySelectorAll('[data-testid="reason"]')];
      const bottom = main.getBoundingClientRect().bottom;
      return {
        inside: reasons.every((r) => r.getBoundingClientRect().bottom <= bottom + 1),
        smallest: Math.min(...reasons.map((r) => parseFloat(getComputedStyle(r).fontSize))),
      };
    }""")
    assert fits["inside"], fits
    assert fits["smallest"] >= 24, fits  # readable from the back of the room
    await projector.screenshot(path=str(server.log_path.parent / "projector-reasons.png"))

    # A phone at another table sees none of Red's reasons (its own table has chosen nothing yet: no card).
    blue = await join_phone(browser, errors, created["join_url"], "Blue", "Blue 1")
    await expect(tid(blue, "add-principle").first).to_be_visible()
    await expect(tid(blue, "reasons")).to_be_hidden()
    await expect(tid(blue, "reason-input")).to_have_count(0)
    # Blue chooses its first principle: the card comes, folded (the choices stay near), and opens with a tap.
    await tid(blue, "add-principle", principle_id="needs-led").click()
    await expect(tid(blue, "reasons-toggle")).to_contain_text("0 of 1 written")
    await expect(tid(blue, "reason-input", principle_id="needs-led")).to_be_hidden()
    await blue.screenshot(path=str(server.log_path.parent / "phone-reasons-folded.png"))
    await tid(blue, "reasons-toggle").click()
    await tid(blue, "reason-input", principle_id="needs-led").fill("Thresholds decide where families go")
    await expect(tid(blue, "reasons-toggle")).to_contain_text("1 of 1 written")
    await expect(tid(blue, "reasons-status")).to_have_text("All changes saved")

    await eventually(lambda: (facilitator.state["reasons"][red_id]["text"].get("partnership-working") or "").strip() == "Nobody owns the pathway")
    await helper.close()
    await facilitator.close()
    assert errors == []


def _both():
    """Both writers' words whole, each followed by a space or the end: never glued to the other's."""
    return re.compile(f"(?=[\\s\\S]*{re.escape(FIRST)}( |$))(?=[\\s\\S]*{re.escape(SECOND)}( |$))")


async def test_five_reasons_of_the_most_characters_fit_the_spotlight(browser, server):
    """The worst case on the projector: every reason 200 characters of long words, none cut, none under 24 px."""
    errors: list[str] = []
    created = await create_workshop(server.url, title="Northshire", tables=["Red"])
    code = created["workshop"]["join_code"]
    [red] = await tables(server.url, code)
    phone = await WorkshopClient(server.url, (await join(server.url, code, red["id"]))["participant_token"]).connect()
    ids = [p["id"] for p in phone.state["principles"]]
    longest_names = sorted(ids, key=lambda i: -len(next(p["name"] for p in phone.state["principles"] if p["id"] == i)))[:5]
    assert (await phone.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": longest_names}))["ok"]
    for n, pid in enumerate(longest_names):
        words = f"Reason{n} " + " ".join(["interdisciplinary"] * 12)
        ack = await phone.write_reason(red["id"], pid, words[:200])
        assert ack["ok"], ack
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    assert (await facilitator.call("display.set", {"mode": "table", "table_id": red["id"]}))["ok"]
    spotlight = tid(projector, "projector-table")
    await expect(spotlight.locator('[data-testid="reason"]')).to_have_count(5)
    fits = await projector.evaluate("""() => {
      const main = document.querySelector('#proj-main');
      const reasons = [...document.querySelectorAll('[data-testid="reason"]')];
      const box = main.getBoundingClientRect();
      return {
        inside: reasons.every((r) => r.getBoundingClientRect().bottom <= box.bottom + 1
                                   && r.getBoundingClientRect().right <= box.right + 1),
        smallest: Math.min(...reasons.map((r) => parseFloat(getComputedStyle(r).fontSize))),
      };
    }""")
    await projector.screenshot(path=str(server.log_path.parent / "projector-longest-reasons.png"))
    assert fits["inside"] and fits["smallest"] >= 24, fits
    await phone.close()
    await facilitator.close()
    assert errors == []


def _typed(text: str):
    """A reason as typed into its box: the words, then the space the box adds after a new run (worksheet-sync.js:
    so that two people typing at the end of one reason at once keep their words whole)."""
    return re.compile(f"^{re.escape(text)} ?$")
