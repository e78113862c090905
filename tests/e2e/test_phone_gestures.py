"""The phone's ranking gestures in Chromium with a finger (client/static/ranking-gesture.js drives them): a drag
lifted below the list lands at its end, and a drag the browser cancels moves nothing and leaves the list usable."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.conftest import scroll_into_view
from tests.e2e.test_room import FIVE, centre_of, create_workshop, ranked_ids, shot, start_exercise_one, tid
from tests.e2e.test_room import shots as shots_folder  # noqa: F401  (the screenshot folder fixture)

HANDLES = '[data-testid="ranking-item"] .drag-handle'


async def finger(phone: Page, points: list[tuple[float, float]], lift: str = "touchEnd") -> None:
    """touchStart at the first point, a move through each of the others, then `lift` (touchEnd or touchCancel)."""
    cdp = await phone.context.new_cdp_session(phone)
    (x0, y0), rest = points[0], points[1:]
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for x, y in rest:
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": lift, "touchPoints": []})
    await cdp.detach()


async def list_is(phone: Page, ids: list[str]) -> None:
    await phone.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('[data-testid=ranking-item]')]"
        ".map(e => e.dataset.principleId)) === JSON.stringify(ids)", arg=ids)


async def test_a_drag_lifted_below_the_list_lands_last_and_a_cancelled_one_moves_nothing(browser, server, shots_folder):  # noqa: F811
    errors: list[str] = []
    created = await create_workshop(server)
    console, (phone,) = await start_exercise_one(browser, errors, created, [("Red", "Sam")])
    for pid in FIVE:
        await tid(phone, "add-principle", principle_id=pid).tap()
        await expect(tid(phone, "ranking-item", principle_id=pid)).to_be_visible()
    await scroll_into_view(phone.locator("#ranking-slots"))

    # Lifted below the list (over the places and buttons under it): the item goes to the last place.
    x0, y0 = await centre_of(phone.locator(HANDLES).nth(0))
    items_bottom = await phone.locator('[data-testid="ranking-item"]').nth(4).evaluate("e => e.getBoundingClientRect().bottom")
    height = await phone.evaluate("() => innerHeight")
    below = min(items_bottom + 120, height - 4)
    assert below > items_bottom + 20, "the list should leave room beneath it on a 390×844 phone"
    await finger(phone, [(x0, y0 + step * (below - y0) / 6) for step in range(7)])
    moved = [*FIVE[1:], FIVE[0]]
    await list_is(phone, moved)
    await shot(phone, shots_folder, "phone-390-after-drag-below-list")

    # The browser takes the finger back half-way (a scroll, a call): nothing moves, nothing stays shifted,
    # and the list still answers a tap on a move button straight after.
    x0, y0 = await centre_of(phone.locator(HANDLES).nth(0))
    _, y3 = await centre_of(phone.locator(HANDLES).nth(3))
    await finger(phone, [(x0, y0), (x0, (y0 + y3) / 2), (x0, y3)], lift="touchCancel")
    await phone.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=ranking-item]')]"
        ".every(e => !e.style.transform && !e.classList.contains('dragging'))")
    assert await ranked_ids(phone) == moved
    await tid(phone, "move-down", principle_id=moved[0]).tap()
    await list_is(phone, [moved[1], moved[0], *moved[2:]])
    assert errors == []
