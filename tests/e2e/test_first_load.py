"""The phone's first load (issue 14, item 12): what a fresh phone downloads between opening the join link and
its table's Exercise 1 screen, measured from Chromium's network events as the room's Wi-Fi would carry it."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from server.client import WorkshopClient
from tests.e2e.conftest import PHONE, new_page
from tests.e2e.test_gap_analysis import confirmed_workshop
from tests.e2e.test_room import CONSOLE, create_workshop, open_page, tid
from tests.live import eventually

pytestmark = pytest.mark.asyncio

FIRST_LOAD_BUDGET = 120 * 1024  # bytes on the wire, headers included
OFFLINE_WORDS = "No youth worker at the evening clinic"


class Wire:
    """Every HTTP response and websocket frame a page receives, with the bytes each took on the wire."""

    def __init__(self):
        self.requests: dict[str, dict] = {}
        self.websocket_bytes = 0

    async def attach(self, page) -> None:
        cdp = await page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketFrameSent", self._frame)
        await cdp.send("Network.enable")
        await cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _sent(self, event) -> None:
        self.requests.setdefault(event["requestId"], {"url": event["request"]["url"], "bytes": 0})

    def _received(self, event) -> None:
        entry = self.requests.setdefault(event["requestId"], {"url": event["response"]["url"], "bytes": 0})
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        entry["encoding"] = headers.get("content-encoding", "")
        entry["cache"] = headers.get("cache-control", "")
        entry["status"] = event["response"]["status"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            entry["from_cache"] = True

    def _from_cache(self, event) -> None:
        self.requests.setdefault(event["requestId"], {"url": "", "bytes": 0})["from_cache"] = True

    def _finished(self, event) -> None:
        if event["requestId"] in self.requests:
            self.requests[event["requestId"]]["bytes"] = event["encodedDataLength"]

    def _frame(self, event) -> None:
        self.websocket_bytes += len(event["response"].get("payloadData", ""))

    @property
    def http_bytes(self) -> int:
        return sum(r["bytes"] for r in self.requests.values())

    def clear(self) -> None:
        self.requests.clear()
        self.websocket_bytes = 0

    def urls(self, part: str) -> list[str]:
        return [r["url"] for r in self.requests.values() if part in r["url"]]

    def table(self) -> str:
        rows = sorted(self.requests.values(), key=lambda r: -r["bytes"])
        lines = [f"{r['bytes']:>8} {r.get('encoding', '') or '-':>5}  {r['url'].split('/', 3)[-1][:90]}" for r in rows]
        return "\n".join(lines)


async def fresh_phone_joins(browser, errors: list[str], join_url: str):
    """A phone that has never seen the app opens the join link and joins Red, watched by a Wire."""
    phone = await new_page(browser, errors, **PHONE)
    wire = Wire()
    await wire.attach(phone)
    await phone.goto(join_url)
    await phone.locator('[data-testid="table-option"]', has_text="Red").click()
    await tid(phone, "display-name").fill("Sam")
    await tid(phone, "join-submit").click()
    return phone, wire


async def test_a_phones_first_load_is_small(browser, server):
    errors: list[str] = []
    created = await create_workshop(server)
    console = await open_page(browser, errors, created["facilitator_url"], CONSOLE)
    await tid(console, "agenda-start").first.click()

    phone, wire = await fresh_phone_joins(browser, errors, created["join_url"])
    await expect(tid(phone, "segment-title")).to_contain_text("Exercise 1")
    await expect(tid(phone, "add-principle").first).to_be_visible()
    await phone.wait_for_load_state("networkidle")
    print(f"\nphone's first load: {wire.http_bytes} bytes in {len(wire.requests)} HTTP requests"
          f" (+ {wire.websocket_bytes} bytes of websocket frames)\n{wire.table()}")
    assert not errors
    assert wire.http_bytes + wire.websocket_bytes <= FIRST_LOAD_BUDGET
    assert wire.urls("yjs") == []  # only a worksheet needs it
    statics = [r for r in wire.requests.values() if "/static/" in r["url"]]
    assert statics and all(r.get("encoding") == "gzip" for r in statics if not r["url"].endswith(".png"))

    # A reload asks again for the page only: every file it names is still good, nothing is revalidated.
    wire.clear()
    await phone.reload()
    await expect(tid(phone, "add-principle").first).to_be_visible()
    await phone.wait_for_load_state("networkidle")
    again = [r for r in wire.requests.values() if "/static/" in r["url"]]
    print(f"after a reload: {wire.http_bytes} bytes in {len(wire.requests)} HTTP requests\n{wire.table()}")
    assert again and [r["url"] for r in again if not r.get("from_cache")] == []
    assert not errors


async def test_yjs_comes_with_the_worksheet_and_edits_kept_offline_are_sent_whatever_the_segment(browser, server):
    """Yjs loads when the gap analysis begins, not before; a phone that typed offline and was closed sends its
    words when it opens again, even if the room has moved to a segment without a worksheet meanwhile."""
    errors: list[str] = []
    created = await confirmed_workshop(server.url)
    facilitator = await WorkshopClient(server.url, created["facilitator_token"]).connect()
    phone, wire = await fresh_phone_joins(browser, errors, created["join_url"])
    await expect(tid(phone, "segment-title")).to_contain_text("Exercise 3")
    await phone.wait_for_load_state("networkidle")
    assert wire.urls("yjs") == []

    assert (await facilitator.call("agenda.next"))["ok"]  # the first priority's gap analysis
    await expect(tid(phone, "worksheet-cell")).to_have_count(6)
    assert len(wire.urls("yjs.mjs")) == 1

    # Offline, Sam writes a gap; the phone is closed before it is back.
    await phone.context.set_offline(True)
    await tid(phone, "worksheet-cell", cell="gaps").fill(OFFLINE_WORDS)
    await expect(tid(phone, "worksheet-status")).to_contain_text("Offline")
    context = phone.context
    await phone.close()

    # Meanwhile the facilitator takes the room back to Exercise 3, which has no worksheet.
    exercise_3 = next(s for s in facilitator.state["agenda"]["segments"] if s["kind"] == "consensus")
    assert (await facilitator.call("agenda.go_to", {"segment_id": exercise_3["id"]}))["ok"]
    await context.set_offline(False)
    again = await context.new_page()
    again.on("pageerror", lambda exc: errors.append(f"{again.url}: {exc}"))
    await again.goto(created["join_url"])
    await expect(tid(again, "segment-title")).to_contain_text("Exercise 3")

    def red_gaps() -> bool:
        sheets = facilitator.state["worksheets"].values()
        return any(OFFLINE_WORDS in facilitator.worksheet_texts(s["id"]).get("gaps", "") for s in sheets)

    await eventually(red_gaps, timeout=30)
    await facilitator.close()
    assert errors == []
