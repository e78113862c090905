"""Browser tests: Playwright's async API driving Debian's chromium against a real server process."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import pytest_asyncio
from playwright.async_api import Locator, expect

from tests.conftest import require_service
from tests.live import ROOT, LiveServer, eventually

# Every expect() waits for its condition; on a busy machine a page can take far longer than Playwright's 5 s
# default to get there (an import preview parsed in a child process, say). The ceiling only shows when a test fails.
expect.set_options(timeout=30_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
LAPTOP = {"viewport": {"width": 1440, "height": 900}}
# Every page as UK users have it, whatever the machine's settings: date pickers read dd/mm/yyyy, times 24-hour,
# and "today" is England's.
UK = {"locale": "en-GB", "timezone_id": "Europe/London"}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest_asyncio.fixture
async def browser():
    path = chromium_path()
    require_service("Debian's chromium", path is not None)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def server(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
    )
    live = LiveServer(url).start(tmp_path)
    yield live
    live.stop()


def _record_console_error(page, msg, errors: list[str]) -> None:
    if msg.type != "error":
        return
    resource = (msg.location or {}).get("url", "")
    if "/socket.io/" in resource and "status of 400" in msg.text:
        # engine.io answers 400 to a poll still in flight for a session the server has just closed (a removed
        # participant, a rotated link): the browser logs it, the client reconnects or shows why. Not an error.
        return
    errors.append(f"{page.url}: {msg.text} ({resource})" if resource else f"{page.url}: {msg.text}")


async def new_context(browser, **context_options):
    """A browser context (its own localStorage, like a separate device) set up as in the UK."""
    return await browser.new_context(**{**UK, **context_options})


async def new_page(browser, errors: list[str], **context_options):
    """A page in its own context (its own localStorage, like a separate device) that records script errors."""
    context = await new_context(browser, **context_options)
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("console", lambda msg: _record_console_error(page, msg, errors))
    page.on("dialog", lambda dialog: dialog.accept())  # facilitators confirm what they asked for
    return page


# Found and scrolled to in one step in the page: the element centred unless it is in view already (as Playwright's
# scroll_into_view_if_needed does). False while no attached, rendered element matches: the caller tries again.
SCROLL_INTO_VIEW = """elements => {
  const element = elements.find((e) => e.isConnected && e.checkVisibility());
  if (!element) return false;
  element.scrollIntoViewIfNeeded(true);
  return true;
}"""


async def scroll_into_view(locator: Locator) -> None:
    """Bring ``locator``'s element into view, for a screenshot or a gesture. The console and the phone redraw
    their panels as updates arrive, and Playwright's own scroll fails when a redraw replaces the element it found
    before it scrolls; here the finding and the scrolling happen in one step, again until it lands."""
    await eventually(lambda: locator.evaluate_all(SCROLL_INTO_VIEW))
