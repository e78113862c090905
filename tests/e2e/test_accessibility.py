"""A whole workshop in Chromium, with axe-core (tests/e2e/vendor, pinned by scripts/vendor.sh) run on every page
and state a facilitator, the projector and the phones go through: any WCAG 2.2 A or AA violation fails.

The same walk takes the pictures of docs/tour.md: with ``THRIVE_TOUR_SHOTS=1`` it writes them to docs/tour/
(console 1366x768, projector 1920x1080, phone 390x844), small enough to commit."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from server.client import WorkshopClient
from tests.e2e.conftest import PHONE, new_page
from tests.e2e.test_gap_analysis import next_steps_with_an_action
from tests.e2e.test_workshop_walk import TABLE_BLUE, TABLE_RED, add, facilitator_click, tid
from tests.live import ROOT

pytestmark = pytest.mark.asyncio

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_22_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CONSOLE = {"viewport": {"width": 1366, "height": 768}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
TOUR = ROOT / "docs" / "tour"
RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " "))})))"""


class Audit:
    """axe on each page at each stage; the violations gathered, to fail once with all of them."""

    def __init__(self):
        self.found: list[str] = []
        self.audited: list[str] = []
        self.shots = os.environ.get("THRIVE_TOUR_SHOTS") == "1"

    async def check(self, page: Page, where: str) -> None:
        await page.evaluate("() => document.fonts.ready")
        if not await page.evaluate("() => typeof window.axe === 'object'"):
            await page.evaluate(AXE_SOURCE)
        # axe counts a control partly under a sticky header as too small to tap, wherever the last click happened
        # to leave the page scrolled; judged from the top (then put back), every control is judged as laid out.
        where_scrolled = await page.evaluate("() => { const y = window.scrollY; window.scrollTo(0, 0); return y; }")
        violations = await page.evaluate(RUN_AXE, WCAG_22_A_AA)
        await page.evaluate("y => window.scrollTo(0, y)", where_scrolled)
        self.audited.append(where)
        for v in violations:
            self.found.append(f"{where}: {v['id']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"]))

    async def stage(self, name: str, **pages: Page) -> None:
        """Check every page of a stage; with THRIVE_TOUR_SHOTS=1 also picture it as docs/tour/<name>-<page>.png."""
        for role, page in pages.items():
            await self.check(page, f"{name} ({role})")
            if self.shots:
                if role == "phone":  # the top of the phone's screen, where its news is
                    await page.evaluate("() => window.scrollTo(0, 0)")
                await picture(page, TOUR / f"{name}-{role}.png")


async def picture(page: Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), scale="css")  # the phone's 390x844, not its 2x pixels


def make_small(paths: list[Path]) -> None:
    """Small enough to commit: fewer colours (pngquant), then lossless optimisation (optipng), where installed.
    Run after the walk: it takes a while, and the walk's connections must not wait for it."""
    for path in paths:
        for command in (
            ["pngquant", "--force", "--skip-if-larger", "--quality=70-95", "--output", str(path), str(path)],
            ["optipng", "-quiet", "-o2", str(path)],
        ):
            try:
                subprocess.run(command, check=False, capture_output=True, timeout=120)
            except FileNotFoundError:
                pass


async def join(browser, errors, join_url: str, table: str, name: str, audit: Audit | None = None) -> Page:
    phone = await new_page(browser, errors, **PHONE)
    await phone.goto(join_url)
    await expect(tid(phone, "table-option").first).to_be_visible()
    if audit:
        await audit.stage("04-join", phone=phone)
    await phone.locator('[data-testid="table-option"]', has_text=table).click()
    await tid(phone, "display-name").fill(name)
    await tid(phone, "join-submit").click()
    await expect(tid(phone, "segment-title")).to_be_visible()
    return phone


async def to_top(console: Page, section: str) -> None:
    """A console panel at the top of the screen, under the console's sticky header."""
    await console.evaluate("""id => { document.getElementById(id).scrollIntoView({block: "start"});
      window.scrollBy(0, -document.querySelector(".console-header").offsetHeight - 12); }""", section)


async def show(facilitator: WorkshopClient, projector: Page, mode: str, **extra) -> None:
    assert (await facilitator.call("display.set", {"mode": mode, **extra}))["ok"], mode
    if mode != "auto":  # (auto shows what the segment calls for: the next step waits for that)
        await expect(projector.locator("#proj-main")).to_have_attribute("data-mode", mode)


async def test_every_page_and_state_passes_axe(browser, server):
    errors: list[str] = []
    audit = Audit()

    # The front pages, and the set-up form as a facilitator fills it in.
    setup = await new_page(browser, errors, **CONSOLE)
    await setup.goto(f"{server.url}/")
    await audit.stage("01-start", console=setup)
    await setup.goto(f"{server.url}/new")
    await setup.fill('[name="title"]', "Northshire Phase 1")
    await setup.fill('[name="locality"]', "Northshire")
    await setup.fill('[name="tables"]', "Red\nBlue")
    await setup.select_option('[name="baseline_needs-led"]', "2")
    await audit.stage("02-set-up", console=setup)
    await tid(setup, "create-submit").click()
    await expect(tid(setup, "join-code").first).to_be_visible()
    await audit.stage("03-created", console=setup)
    console_url = await tid(setup, "facilitator-link").first.get_attribute("href")
    projector_url = await tid(setup, "projector-link").first.get_attribute("href")
    code = (await tid(setup, "join-code").first.inner_text()).strip()
    join_url = f"{server.url}/j/{code}"

    # Pages off the main path: the join form, a code that does not exist, a form sent back with errors.
    refused: list[str] = []  # the browser logs the 404 and 422 these pages come with: nothing else is allowed
    extra = await new_page(browser, refused, **PHONE)
    await extra.goto(f"{server.url}/join")
    await audit.check(extra, "join form (phone)")
    await extra.goto(f"{server.url}/j/ZZZZZZ")
    await audit.check(extra, "unknown join code (phone)")
    await extra.goto(f"{server.url}/new")
    await extra.locator('[data-testid="create-submit"]').click()
    await audit.check(extra, "set-up form with errors (phone)")
    await extra.goto(f"{server.url}/console#k=not-a-real-key")
    await expect(tid(extra, "fatal")).to_be_visible()
    await audit.check(extra, "console with a bad key (phone)")
    await extra.close()
    assert [e for e in refused if not re.search(r"status of (404|422)", e)] == []

    console = await new_page(browser, errors, **CONSOLE)
    await console.goto(console_url)
    projector = await new_page(browser, errors, **PROJECTOR)
    await projector.goto(projector_url)
    await expect(tid(projector, "projector-join-code")).to_contain_text(code)
    red = [await join(browser, errors, join_url, "Red", "Asha", audit), await join(browser, errors, join_url, "Red", "Ben")]
    blue = [await join(browser, errors, join_url, "Blue", "Chloe"), await join(browser, errors, join_url, "Blue", "Dev")]
    await expect(tid(console, "presence-count").first).to_be_visible()
    await audit.stage("05-room-joined", console=console, projector=projector, phone=red[0])
    facilitator = await WorkshopClient(server.url, console_url.split("#k=", 1)[1]).connect()

    # The set-up form opens with the review of the top-line priorities (issue 17): the heat map on the projector,
    # the notes box on the console; then on to Exercise 1.
    await facilitator_click(console, "agenda-start")
    await expect(tid(projector, "projector-review")).to_be_visible()
    await audit.stage("05-opening-review", console=console, projector=projector, phone=red[0])
    await facilitator_click(console, "agenda-next")

    # Exercise 1: every table builds its five, then agrees.
    await expect(tid(red[0], "add-principle").first).to_be_visible()
    await audit.stage("06-exercise-1", console=console, projector=projector, phone=red[0])
    for phones, five in ((red, TABLE_RED), (blue, TABLE_BLUE)):
        for i, principle in enumerate(five):
            await add(phones[i % 2], principle)
        await tid(phones[1], "agree-button").click()
        await expect(tid(phones[0], "agreed-badge")).to_be_visible()
    await audit.stage("07-tables-agreed", console=console, phone=red[0])

    # Exercise 2: the tables' fives side by side, then one table large.
    await facilitator_click(console, "agenda-next")
    await expect(tid(red[0], "segment-title")).to_contain_text("Exercise 2")
    await facilitator_click(console, "display-next-table")
    await expect(tid(projector, "projector-table").first).to_be_visible()
    await audit.stage("08-exercise-2", console=console, projector=projector, phone=red[0])
    await show(facilitator, projector, "rankings")
    await audit.check(projector, "rankings side by side (projector)")
    # In-app baseline scoring, open on the phones and the console for a while.
    assert (await facilitator.call("scores.configure", {"open": True}))["ok"]
    await expect(tid(red[0], "scoring")).to_be_visible()
    await red[0].locator('[data-testid="score-option-3"]').first.click()
    await audit.check(red[0], "scoring open (phone)")
    await audit.check(console, "scoring open (console)")
    assert (await facilitator.call("scores.configure", {"open": False}))["ok"]
    await expect(tid(red[0], "scoring")).to_have_count(0)

    # Exercise 3: the tally, revealed, then confirmed.
    await facilitator_click(console, "agenda-next")
    await expect(tid(console, "tally-row").first).to_be_visible()
    await audit.check(console, "tally hidden (console)")
    await audit.check(red[0], "Exercise 3 (phone)")
    await facilitator_click(console, "reveal-toggle")
    await expect(tid(projector, "projector-tally")).to_be_visible()
    await expect(tid(red[0], "consensus-top")).to_be_visible()
    await audit.stage("09-tally-revealed", console=console, projector=projector, phone=red[0])
    await facilitator_click(console, "confirm-consensus")
    await expect(tid(projector, "projector-final")).to_be_visible()
    await expect(tid(console, "confirmed-list")).to_be_visible()
    await to_top(console, "ex3")
    await audit.stage("10-five-confirmed", console=console, projector=projector, phone=red[0])
    await show(facilitator, projector, "heatmap")
    await audit.check(projector, "heat map (projector)")
    await show(facilitator, projector, "join")
    await audit.check(projector, "join code (projector)")
    await show(facilitator, projector, "tally")
    await audit.check(projector, "tally (projector)")
    red_id = next(t["id"] for t in facilitator.state["tables"] if t["name"] == "Red")
    await show(facilitator, projector, "table", table_id=red_id)
    await audit.check(projector, "one table (projector)")
    await show(facilitator, projector, "auto")

    # The gap analysis: each table writes its worksheet on the phones.
    await facilitator_click(console, "agenda-next")
    await expect(tid(red[0], "worksheet-cell")).to_have_count(6)
    await tid(red[0], "worksheet-cell", cell="gaps").fill("Buses stop at six, so evening clinics are out of reach")
    await tid(red[1], "worksheet-cell", cell="in_place").fill("A single point of access")
    await expect(tid(red[0], "worksheet-status")).to_have_text("All changes saved")
    await audit.stage("11-gap-analysis", console=console, projector=projector, phone=red[0])
    await show(facilitator, projector, "answers", cell="gaps")
    await audit.check(projector, "answers side by side (projector)")
    await show(facilitator, projector, "worksheet", table_id=red_id)
    await audit.check(projector, "one table's worksheet (projector)")
    await show(facilitator, projector, "auto")

    # Next steps: the plan, on every screen.
    await next_steps_with_an_action(console)
    await expect(tid(projector, "projector-plan")).to_contain_text("Map evening provision")
    await expect(tid(red[0], "plan-actions")).to_contain_text("Commissioning lead")
    await to_top(console, "plan-section")
    await audit.stage("12-next-steps", console=console, projector=projector, phone=red[0])
    await show(facilitator, projector, "plan")
    await audit.check(projector, "plan (projector)")

    # The report.
    await tid(console, "report-prepare").click()
    await expect(tid(console, "report-link")).to_have_count(5)
    await to_top(console, "report")
    await audit.stage("13-report", console=console)
    await facilitator.close()

    print(f"\naxe ran on {len(audit.audited)} pages and states")
    assert audit.found == [], "WCAG 2.2 A/AA violations:\n" + "\n".join(audit.found)
    assert errors == []
    if audit.shots:
        make_small(sorted(TOUR.glob("*.png")))
        sizes = {p.name: p.stat().st_size for p in TOUR.glob("*.png")}
        print(json.dumps(sizes, indent=1), sum(sizes.values()))
        assert sum(sizes.values()) < 2_500_000
        assert all(re.fullmatch(r"\d\d-[a-z0-9-]+-(console|projector|phone)\.png", name) for name in sizes)
