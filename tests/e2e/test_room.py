"""The room in Chromium (issue 14): what trips a facilitator on the console and the projector, and the
participants on their phones, in a real workshop. Screenshots go to ``$E2E_SHOTS`` (else the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import PROJECTOR, new_page

pytestmark = pytest.mark.asyncio

CONSOLE = {"viewport": {"width": 1366, "height": 768}}


def tid(page: Page, name: str, **data):
    selector = f'[data-testid="{name}"]' + "".join(
        f'[data-{k.replace("_", "-")}="{v}"]' for k, v in data.items()
    )
    return page.locator(selector)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("E2E_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def shot(page: Page, folder: Path, name: str, **options) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), **options)


async def create_workshop(server, **extra) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post("/api/workshops", json={"title": "The room", "tables": ["Red", "Blue"], **extra})
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


def key_of(url: str) -> str:
    return url.split("#k=", 1)[1]


async def still_has_key(page: Page, key: str) -> None:
    """The address bar still holds the key and the page has not fallen over to "This link doesn't work"."""
    await page.wait_for_function("k => location.hash === '#k=' + k", arg=key)
    await expect(tid(page, "fatal")).to_be_hidden()


async def in_view(page: Page, selector: str) -> bool:
    return await page.locator(selector).evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }"
    )


async def test_the_console_and_projector_keys_survive_every_in_page_link(browser, server, shots):
    errors: list[str] = []
    created = await create_workshop(server)
    console_key = key_of(created["facilitator_url"])
    console = await new_page(browser, errors, **CONSOLE)
    await console.goto(created["facilitator_url"])
    await expect(tid(console, "agenda-start").first).to_be_visible()

    # Every link of the console's menu, clicked: the section comes into view, focus starts there, the key stays.
    menu = console.locator(".console-nav a")
    targets = await menu.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(targets) >= 9
    for target in targets:
        await console.locator(f'.console-nav a[href="{target}"]').click()
        await still_has_key(console, console_key)
        await console.wait_for_function(
            "id => { const el = document.getElementById(id); const r = el.getBoundingClientRect();"
            " return r.top < innerHeight && r.bottom > 0 && el.contains(document.activeElement); }",
            arg=target[1:],
        )
    await shot(console, shots, "console-after-menu-links")

    # The skip link, by keyboard as it is meant to be used.
    await console.locator(".skip-link").focus()
    await console.keyboard.press("Enter")
    await still_has_key(console, console_key)
    await expect(console.locator("#main")).to_be_focused()

    # Back and Forward walk the menu's history without losing the key; a reload still opens the console.
    await console.go_back()
    await still_has_key(console, console_key)
    await console.go_forward()
    await still_has_key(console, console_key)
    await console.reload()
    await still_has_key(console, console_key)
    await expect(tid(console, "agenda-start").first).to_be_visible()

    # An anchor typed into the address bar (or left in an old history entry): the key comes back, the page
    # goes to the anchor and keeps working, also after a reload.
    await console.goto(created["facilitator_url"].split("#", 1)[0] + "#ex3")
    await still_has_key(console, console_key)
    assert await in_view(console, "#ex3")
    await console.reload()
    await still_has_key(console, console_key)
    await expect(tid(console, "agenda-start").first).to_be_visible()
    # A button still works after all that: the key the socket holds is the real one.
    await tid(console, "agenda-start").first.click()
    await expect(tid(console, "agenda-pause").first).to_be_visible()

    # The projector: the skip link by keyboard, Back, Forward and reload.
    projector_key = key_of(created["projector_url"])
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    await expect(tid(projector, "projector-segment-title")).not_to_have_text("Connecting…")
    await projector.keyboard.press("Tab")
    await expect(projector.locator(".skip-link")).to_be_focused()
    await projector.keyboard.press("Enter")
    await still_has_key(projector, projector_key)
    await projector.go_back()
    await still_has_key(projector, projector_key)
    await projector.go_forward()
    await still_has_key(projector, projector_key)
    await projector.reload()
    await still_has_key(projector, projector_key)
    await expect(tid(projector, "projector-segment-title")).not_to_have_text("Connecting…")
    await shot(projector, shots, "projector-after-skip-link")
    assert errors == []
