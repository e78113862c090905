"""The method as it happens (issue 17), in a real browser: the opening review of the top-line priorities puts the
heat map and the lowest-scored principles on the projector while the facilitator notes findings from pathway
mapping and data; the phones' Exercise 1 prompt; the facilitator notes what each table said in Exercise 2; and a
gap-analysis worksheet shows the priority's level, scores and the Assessment Tool's four descriptions (the most
THRIVE-like marked as the target) on the phone, the console and the projector. The notes reach the report."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from server.client import WorkshopClient, create_workshop, join, tables
from tests.catalogue import synthetic as syn
from tests.e2e.conftest import PROJECTOR, new_page, scroll_into_view
from tests.e2e.test_workshop_walk import facilitator_click, join_phone, tid
from tests.live import eventually

pytestmark = pytest.mark.asyncio

CONSOLE = {"viewport": {"width": 1366, "height": 768}}
ITEMS = syn.principles(9)
FIVE = ["syn-1", "syn-4", "syn-7", "syn-2", "syn-5"]
REVIEW = "Pathway maps: families wait longest before a first conversation.\nData: school referrals up by a third."
BASELINE = f"Baseline: {ITEMS[0]['baseline_score']} of 4"
RED_SAID = "Red put syn-1 first: waiting times came up on every map."


async def test_the_opening_review_exercise_two_notes_and_a_worksheet_with_its_descriptions(browser, server):
    errors: list[str] = []
    shots = server.log_path.parent
    created = await create_workshop(server.url, title="Northshire Phase 1", locality="Northshire",
                                    tables=["Red", "Blue"], principles=ITEMS, durations_minutes={"review": 15})
    console = await new_page(browser, errors, **CONSOLE)
    await console.goto(created["facilitator_url"])
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    red = await join_phone(browser, errors, created["join_url"], "Red", "Red 1")

    # The agenda opens with the review; starting it puts the heat map and the lowest scores on the projector.
    await expect(tid(console, "segment-row").first).to_contain_text("Review of the top-line priorities")
    await facilitator_click(console, "agenda-start")
    await expect(tid(red, "segment-title")).to_have_text("Review of the top-line priorities")
    review = tid(projector, "projector-review")
    await expect(review).to_be_visible()
    await expect(tid(projector, "heat-cell")).to_have_count(len(ITEMS))
    lowest = tid(projector, "review-lowest-item")
    await expect(lowest.first).to_contain_text("Baseline 1")
    assert await lowest.count() >= 1 and not await projector.locator(".review-grid").evaluate(
        "n => n.scrollHeight > n.clientHeight + 1")  # everything fits on the screen
    await projector.screenshot(path=str(shots / "projector-review.png"))

    # The facilitator notes the findings; they are kept (a second console sees them) and reach the report.
    box = tid(console, "review-notes")
    await box.fill(REVIEW)
    await tid(console, "review-notes-save").click()
    await expect(tid(console, "review-notes-status")).to_contain_text("Saved at")
    await console.locator("#review-section").screenshot(path=str(shots / "console-review.png"))
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    assert facilitator.state["notes"]["review"]["text"] == REVIEW

    # The optional discussion can be added after the review, then skipped like any part.
    await tid(console, "add-discussion").click()
    await console.locator("#ask-dialog[open] #ask-ok").click()
    await expect(tid(console, "discussion-planned")).to_be_visible()
    await expect(tid(console, "segment-row").nth(1)).to_contain_text("Discuss potential priorities")
    discuss = [s for s in (await facilitator.sync())["agenda"]["segments"] if s["kind"] == "discuss"][0]
    assert (await facilitator.call("agenda.skip", {"segment_id": discuss["id"]}))["ok"]

    # Exercise 1: the phones say what to draw on.
    await facilitator_click(console, "agenda-next")
    await expect(tid(red, "segment-title")).to_have_text("Exercise 1: your table's top five")
    # The prompt is under "What to do" with the instructions: the first screen keeps the five and a way to add.
    await red.locator("#segment-more summary").click()
    await expect(tid(red, "ex1-prompt")).to_be_visible()
    await expect(tid(red, "ex1-prompt")).to_contain_text("pathway maps")
    await red.screenshot(path=str(shots / "phone-ex1-prompt.png"))

    # The tables agree (through the protocol); Exercise 2: the facilitator notes what Red said, beside its five.
    code = created["workshop"]["join_code"]
    for table in await tables(server.url, code):
        phone = await WorkshopClient(server.url, (await join(server.url, code, table["id"]))["participant_token"]).connect()
        assert (await phone.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE}))["ok"]
        assert (await phone.call("ranking.agree", {"base_revision": 1}))["ok"]
        await phone.close()
    await facilitator_click(console, "agenda-next")
    red_id = next(t["id"] for t in facilitator.state["tables"] if t["name"] == "Red")
    red_row = tid(console, "share-note", table_id=red_id)
    await expect(red_row).to_contain_text("Synthetic principle 1")
    await red_row.locator('[data-testid="share-note-text"]').fill(RED_SAID)
    await red_row.locator('[data-testid="share-note-text-save"]').click()
    await expect(red_row.locator('[data-testid="share-note-text-status"]')).to_contain_text("Saved at")
    await scroll_into_view(console.locator("#ex2-notes-section"))
    await console.screenshot(path=str(shots / "console-ex2-notes.png"))
    await eventually(lambda: (facilitator.state["notes"]["tables"].get(red_id) or {}).get("text") == RED_SAID)

    # Exercise 3 and on to the first worksheet, whose priority has the tool's four descriptions.
    await facilitator_click(console, "agenda-next")
    await eventually(lambda: facilitator.state["consensus"]["agreed_tables"] == 2)
    assert (await facilitator.call("scores.agree", {"principle_id": "syn-1", "score": 3}))["ok"]
    assert (await facilitator.call("consensus.confirm", {"items": FIVE}))["ok"]
    await facilitator_click(console, "agenda-next")
    await expect(tid(red, "segment-title")).to_have_text("Gap analysis: Synthetic principle 1")
    context = tid(red, "worksheet-context")
    await expect(context.locator('[data-testid="context-level"]')).to_have_text("Level: Macro")
    await expect(context.locator('[data-testid="context-baseline"]')).to_have_text(BASELINE)
    await expect(context.locator('[data-testid="context-agreed"]')).to_have_text("Agreed today: 3 of 4")
    await context.locator("summary").click()
    await expect(context.locator('[data-testid="context-descriptor"]')).to_have_count(4)
    target = context.locator('[data-testid="context-descriptor"][data-score="4"]')
    await expect(target.locator('[data-testid="context-target"]')).to_be_visible()
    await expect(target).to_contain_text("Synthetic description 1.4")
    await expect(tid(red, "gap-prompt")).to_contain_text("right help at the right time")
    await expect(tid(red, "draft-mark")).to_contain_text("Draft")
    await scroll_into_view(context)
    await red.screenshot(path=str(shots / "phone-worksheet-context.png"))

    # The console's gap panel and the projector's worksheet say the same numbers.
    gap_context = tid(console, "gap-context")
    await expect(gap_context.locator('[data-testid="context-agreed"]')).to_have_text("Agreed today: 3 of 4")
    await expect(gap_context.locator('[data-testid="context-target"]')).to_be_visible()
    await console.locator("#gap").screenshot(path=str(shots / "console-gap-context.png"))
    projected = tid(projector, "projector-worksheet-context")
    await expect(projected.locator('[data-testid="context-baseline"]')).to_have_text(BASELINE)
    await expect(projected.locator('[data-testid="context-agreed"]')).to_have_text("Agreed today: 3 of 4")
    await expect(tid(projector, "gap-prompt")).to_be_visible()
    await projector.screenshot(path=str(shots / "projector-worksheet-context.png"))

    # The report carries the notes.
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.get(f"/api/workshops/{created['workshop']['id']}/report.json",
                                headers={"Authorization": f"Bearer {created['facilitator_token']}"})
    report = answer.json()["report"]
    assert report["review_notes"] == REVIEW and report["share_notes"] == [{"table": "Red", "text": RED_SAID}]
    await facilitator.close()
    assert not errors, errors
