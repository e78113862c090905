"""User text is shown as text, never run: script and HTML in every field people type (workshop title and locality,
table names, display names, imported principle names and summaries, agenda titles and instructions, the
consensus note) is put through every page in Chromium, and nothing in it loads, runs or becomes an element.

The checks do not rely on the Content-Security-Policy (which would block inline script anyway): an injected
``<img src="/xss-probe/...">`` is same-origin, so it would load, and its request is caught; an injected element
carries ``data-xss``; ``securitypolicyviolation`` events and dialogs are recorded too. A control injection at the
end proves the probes fire when HTML *is* injected.

Adding a field: append it to ``FIELDS`` and put its value where it belongs in ``_workshop``.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from server.client import WorkshopClient
from tests.e2e.conftest import LAPTOP, PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.asyncio

# (short tag, the field's maximum length). The tag names the field in the probe: /xss-probe/<tag>.
FIELDS = [
    ("title", 200),
    ("locality", 200),
    ("tableA", 60),
    ("tableB", 60),
    ("name", 40),  # a participant's display name
    ("pname", 120),  # an imported principle's name
    ("psum", 500),  # ... and its summary
    ("segtitle", 120),  # an agenda segment's title
    ("seginst", 1000),  # ... and its instructions
    ("note", 1000),  # the note the facilitator adds when confirming the consensus
    ("review", 4000),  # the facilitator's notes from the opening review (notes.set_review)
    ("said", 2000),  # what a table said in Exercise 2 (notes.set_table)
]

CSP_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective), true);
"""


def hostile(tag: str, limit: int) -> str:
    """The most aggressive payload that fits the field."""
    candidates = [
        f'"><img src="/xss-probe/{tag}" data-xss="{tag}" onerror="alert(1)"><script>alert(\'{tag}\')</script>'
        f'<svg onload="alert(1)"></svg><a href="javascript:alert(1)" data-xss="{tag}">x</a>',
        f"<img src=/xss-probe/{tag} data-xss={tag} onerror=alert(1)><b>",
        f"<img src=/xss-probe/{tag} data-xss={tag}>",
    ]
    return next(c for c in candidates if len(c) <= limit)


TEXT = {tag: hostile(tag, limit) for tag, limit in FIELDS}


def marker(tag: str) -> str:
    return f"/xss-probe/{tag}"


async def _workshop(base_url: str) -> dict:
    import httpx

    five = [f"p{i}" for i in range(5)]
    principles = [{"id": "evil", "name": TEXT["pname"], "summary": TEXT["psum"]}] + [
        {"id": pid, "name": f"Principle {pid}", "summary": "plain"} for pid in five
    ]
    agenda = [
        {"kind": "rank", "title": TEXT["segtitle"], "instructions": TEXT["seginst"], "planned_seconds": 1800},
        {"kind": "consensus", "title": "Consensus", "instructions": "", "planned_seconds": 600},
    ]
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/workshops",
            json={
                "title": TEXT["title"],
                "locality": TEXT["locality"],
                "tables": [TEXT["tableA"], TEXT["tableB"]],
                "principles": principles,
                "agenda": agenda,
            },
        )
        assert response.status_code == 201, response.text
        return response.json()


SETTLED = """async () => {
  const pending = Array.from(document.images).filter((image) => !image.complete);
  await Promise.all(pending.map((image) => new Promise((done) => {
    image.addEventListener("load", done, { once: true });
    image.addEventListener("error", done, { once: true });
  })));
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done)));
}"""


async def settled(page: Page) -> None:
    """Every image in the page has loaded or failed (an injected one's request has reached the probe) and a
    frame has been drawn since (events such as securitypolicyviolation are dispatched by then)."""
    await page.evaluate(SETTLED)


class Probe:
    """Records anything that would mean user text was parsed as HTML or run."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []

    async def attach(self, page: Page) -> Page:
        await page.context.route("**/xss-probe/**", self._blocked)
        await page.context.add_init_script(CSP_WATCH)
        page.on("dialog", lambda dialog: self.dialogs.append(dialog.message))
        return page

    async def _blocked(self, route) -> None:
        self.requests.append(route.request.url)
        await route.fulfill(status=404)  # an error, so an injected onerror would fire

    async def assert_inert(self, page: Page, where: str, shown: list[str]) -> None:
        await settled(page)
        injected = await page.evaluate("document.querySelectorAll('[data-xss]').length")
        violations = await page.evaluate("window.__violations")
        assert (self.requests, self.dialogs, injected, violations) == ([], [], 0, []), where
        text = await page.evaluate("document.body.innerText")
        for tag in shown:
            assert marker(tag) in text, f"{where}: the {tag} text is not shown (as text)"


async def test_script_and_html_in_user_text_never_runs(browser, server):
    errors: list[str] = []
    probe = Probe()
    created = await _workshop(server.url)
    code = created["workshop"]["join_code"]

    # A phone joins table A with a hostile display name, through the page.
    phone = await probe.attach(await new_page(browser, errors, **PHONE))
    await phone.goto(f"{server.url}/j/{code}")
    option = phone.locator('[data-testid="table-option"]').first
    await expect(option).to_contain_text(marker("tableA"))
    await probe.assert_inert(phone, "phone: table picker", ["title", "tableA", "tableB"])
    await option.click()
    await phone.locator('[data-testid="display-name"]').fill(TEXT["name"])
    await phone.locator('[data-testid="join-submit"]').click()
    await expect(phone.locator('[data-testid="segment-title"]')).to_be_visible()

    # The facilitator (through the protocol) fills the table's five, agrees, confirms with a hostile note.
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    try:
        table_a = facilitator.state["tables"][0]["id"]
        five = ["evil", "p0", "p1", "p2", "p3"]
        ack = await facilitator.call(
            "ranking.edit", {"table_id": table_a, "base_revision": 0, "op": "replace", "items": five}
        )
        assert ack["ok"], ack
        assert (await facilitator.call("agenda.start"))["ok"]
        assert (await facilitator.call("ranking.agree", {"table_id": table_a, "base_revision": 1}))["ok"]
        assert (await facilitator.call("consensus.reveal", {"revealed": True}))["ok"]
        assert (await facilitator.call("consensus.confirm", {"items": five, "note": TEXT["note"]}))["ok"]
        assert (await facilitator.call("display.set", {"mode": "final"}))["ok"]
        assert (await facilitator.call("notes.set_review", {"text": TEXT["review"]}))["ok"]
        assert (await facilitator.call("notes.set_table", {"table_id": table_a, "text": TEXT["said"]}))["ok"]
    finally:
        await facilitator.close()
    await expect(phone.locator("body")).to_contain_text(marker("pname"))
    await probe.assert_inert(phone, "phone", ["name", "pname", "segtitle"])

    console = await probe.attach(await new_page(browser, errors, **LAPTOP))
    await console.goto(f"{server.url}/console#k={created['facilitator_token']}")
    await expect(console.locator("body")).to_contain_text(marker("title"))
    await expect(console.locator("body")).to_contain_text(marker("pname"))
    # The notes are in their boxes, as text (the review's in the "Opening review" panel, folded during Exercise 1).
    await expect(console.locator('[data-testid="share-note-text"]').first).to_have_value(TEXT["said"])
    await expect(console.locator('[data-testid="review-notes"]')).to_have_value(TEXT["review"])
    await probe.assert_inert(console, "console", ["title", "tableA", "tableB", "pname", "segtitle"])

    projector = await probe.attach(await new_page(browser, errors, **PROJECTOR))
    await projector.goto(f"{server.url}/projector#k={created['projector_token']}")
    await expect(projector.locator("body")).to_contain_text(marker("pname"))
    await probe.assert_inert(projector, "projector", ["pname"])
    for mode in ("rankings", "join"):
        helper = await WorkshopClient(server.url, created["facilitator_token"]).connect()
        try:
            assert (await helper.call("display.set", {"mode": mode}))["ok"]
        finally:
            await helper.close()
        await expect(projector.locator(f'#proj-main[data-mode="{mode}"]')).to_be_attached()
        await probe.assert_inert(projector, f"projector ({mode})", [])

    # Every field's text reached at least one page as text (so the checks above were not vacuous).
    # (Text in a text box, such as the facilitator's notes, is its value.)
    shown = "document.body.innerText + ' ' + Array.from(document.querySelectorAll('textarea'), (t) => t.value).join(' ')"
    seen = " ".join([await p.evaluate(shown) for p in (phone, console, projector)])
    missing = [tag for tag, _ in FIELDS if marker(tag) not in seen]
    assert missing == [], f"never shown: {missing}"

    assert errors == []
    # The control: HTML that *is* injected is caught by the same probes.
    await console.evaluate(f"document.body.insertAdjacentHTML('beforeend', {TEXT['tableA']!r})")
    await settled(console)
    assert any("/xss-probe/tableA" in url for url in probe.requests)
    assert await console.evaluate("document.querySelectorAll('[data-xss]').length") >= 1


async def test_the_setup_form_and_its_result_page_show_html_as_text(browser, server):
    errors: list[str] = []
    probe = Probe()
    page = await probe.attach(await new_page(browser, errors, **LAPTOP))
    await page.goto(f"{server.url}/new")
    await page.fill('[name="title"]', TEXT["title"])
    await page.fill('[name="locality"]', TEXT["locality"])
    await page.fill('[name="tables"]', f"{TEXT['tableA']}\n{TEXT['tableB']}")
    await page.locator('[data-testid="create-submit"]').click()
    await expect(page.locator('[data-testid="facilitator-link"]').first).to_be_visible()
    await probe.assert_inert(page, "created page", ["title", "locality"])
    # A refused form comes back with what was typed, still as text.
    await page.goto(f"{server.url}/new")
    await page.fill('[name="title"]', TEXT["title"])
    await page.fill('[name="tables"]', "same\nsame")
    await page.locator('[data-testid="create-submit"]').click()
    await expect(page.locator('[name="title"]')).to_have_value(TEXT["title"])
    await probe.assert_inert(page, "refused form", [])
