"""The console's Access panel in Chromium: removing a phone, a new projector link, the workshop password, and
deleting the workshop; each takes effect on the other screens at once."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import LAPTOP, PHONE, PROJECTOR, new_context, new_page

pytestmark = pytest.mark.asyncio


def tid(page: Page, name: str):
    return page.locator(f'[data-testid="{name}"]')


async def console_page(browser, errors: list[str], url: str, answers: list[str]) -> Page:
    """A console whose confirm() and prompt() dialogs are answered from ``answers`` (accept when empty)."""
    context = await new_context(browser, **LAPTOP)
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))

    async def answer(dialog):
        if dialog.type == "prompt":
            await dialog.accept(answers.pop(0))
        else:
            await dialog.accept()

    page.on("dialog", answer)
    await page.goto(url)
    return page


async def test_the_access_panel(browser, server):
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = (
            await http.post("/api/workshops", json={"title": "Access", "tables": ["Red", "Blue"]})
        ).json()
    code = created["workshop"]["join_code"]
    answers: list[str] = []
    console = await console_page(browser, errors, created["facilitator_url"], answers)

    phone = await new_page(browser, errors, **PHONE)
    await phone.goto(f"{server.url}/j/{code}")
    await phone.locator('[data-testid="table-option"]', has_text="Red").click()
    await tid(phone, "display-name").fill("Sam")
    await tid(phone, "join-submit").click()
    await expect(tid(phone, "segment-title")).to_be_visible()

    # Remove Sam: the phone is sent back to the join screen.
    await tid(console, "access-show-people").click()
    person = tid(console, "access-person").filter(has_text="Sam")
    await expect(person).to_contain_text("Red")
    await person.locator('[data-testid="access-remove"]').click()
    await expect(tid(console, "access-status")).to_contain_text("removed")
    await expect(phone.locator('[data-testid="table-option"]').first).to_be_visible()

    # A new projector link: the open projector stops; the new link works.
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(created["projector_url"])
    await expect(tid(projector, "projector-segment-title")).not_to_have_text("Connecting…")
    await tid(console, "access-rotate-projector").click()
    new_link = await tid(console, "access-new-link").input_value()
    assert new_link.startswith(f"{server.url}/projector#k=") and new_link != created["projector_url"]
    await expect(tid(projector, "fatal")).to_be_visible()
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(new_link)
    await expect(tid(projector, "projector-segment-title")).not_to_have_text("Connecting…")
    await expect(tid(projector, "fatal")).to_be_hidden()

    # A password: the console link alone is no longer enough.
    await console.fill("#access-password-input", "correct horse")
    await console.get_by_role("button", name="Set password").click()
    await expect(tid(console, "access-status")).to_contain_text("Password set")
    await console.reload()
    await tid(console, "password-input").fill("wrong horse")
    await console.keyboard.press("Enter")
    await expect(tid(console, "password-gate")).to_contain_text("not right")
    await tid(console, "password-input").fill("correct horse")
    await console.keyboard.press("Enter")
    await expect(tid(console, "access-show-people")).to_be_visible()

    # Delete: the projector is told; the console says so.
    answers.append(code)
    await tid(console, "access-delete").click()
    await expect(tid(console, "fatal")).to_contain_text("has been deleted")
    await expect(tid(projector, "fatal")).to_be_visible()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(f"/api/join/{code}")).status_code == 404
    assert errors == []
