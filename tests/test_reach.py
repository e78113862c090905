"""Phones can't open a loopback join link (issue 14, item 11): the detection (server/reach.py), what
``thrive-workshop serve`` prints, and the warning on the created page and in /api/config."""

from __future__ import annotations

import re

import httpx
import pytest

from server import reach
from server.app import create_app
from server.cli import reach_notice
from server.db import create_schema
from server.settings import Settings


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1.2.3", "127.1", "2130706433", "localhost", "LOCALHOST.", "app.localhost", "::1", "[::1]",
     "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "[::ffff:7f00:1]", "127.255.255.254"],
)
def test_loopback_hosts_are_recognised(host):
    assert reach.is_loopback_host(host)
    assert reach.is_loopback_url(f"http://{host if ':' not in host or host.startswith('[') else f'[{host}]'}:8000/j/A")


@pytest.mark.parametrize(
    "host",
    ["", "0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "128.0.0.1", "fd00::2", "::ffff:10.0.0.1", "example.org",
     "localhost.example.org", "my-localhost", None],
)
def test_reachable_hosts_are_not_loopback(host):
    assert not reach.is_loopback_host(host)


def test_urls_that_do_not_parse_are_not_loopback():
    assert not reach.is_loopback_url("http://[::1")  # urlsplit raises ValueError
    assert not reach.is_loopback_url("")
    assert not reach.is_loopback_url(None)


def test_lan_addresses_are_private_unicast_and_origins_are_well_formed():
    found = reach.lan_addresses()
    assert all(not reach.is_loopback_host(a) for a in found)
    assert all(reach._usable(a) == a for a in found)
    assert reach._usable("169.254.1.2") is None and reach._usable("8.8.8.8") is None
    assert reach._usable("192.168.1.20") == "192.168.1.20" and reach._usable("100.64.0.9") == "100.64.0.9"
    assert reach.lan_origins(["192.168.1.20", "fd00::2"], "http", 8000) == [
        "http://192.168.1.20:8000", "http://[fd00::2]:8000"]
    assert reach.lan_origins(["10.0.0.5"], "https", 443) == ["https://10.0.0.5"]


def test_serve_says_when_phones_cannot_reach_it():
    local = reach_notice("127.0.0.1", 8000, None, lan=["192.168.1.20"])
    assert "Phones in the room can't join" in local and "HOST=0.0.0.0" in local
    assert "http://192.168.1.20:8000/new" in local and "PUBLIC_URL" in local
    assert "network address" in reach_notice("localhost", 8000, None, lan=[])
    assert "http://192.168.1.20:8000/new" in reach_notice("0.0.0.0", 8000, None, lan=["192.168.1.20"])
    assert "Warning" not in reach_notice("0.0.0.0", 8000, None, lan=[])
    assert reach_notice("127.0.0.1", 8000, "https://thrive.example.org/") == (
        "  Phones join at https://thrive.example.org/j/<code> (PUBLIC_URL).\n")
    assert "can't open" in reach_notice("0.0.0.0", 8000, "http://localhost:8000")


async def _created_page(tmp_path, base_url: str, **settings) -> tuple[str, dict]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/reach.db", **settings))
    await create_schema(app.services.engine)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            form = await http.get("/new")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            page = await http.post("/new", data={"title": "Room", "tables": "Red\nBlue\n", "csrf": token})
            assert page.status_code == 200, page.text
            return page.text, (await http.get("/api/config")).json()
    finally:
        await app.services.engine.dispose()


@pytest.mark.asyncio
async def test_the_created_page_warns_when_phones_cannot_open_the_join_link(tmp_path, monkeypatch):
    monkeypatch.setattr(reach, "lan_addresses", lambda: ["192.168.1.20"])
    page, config = await _created_page(tmp_path, "http://127.0.0.1:8000")
    assert 'data-testid="loopback-warning"' in page
    assert "Phones in the room can&#39;t open this join link" in page or "Phones in the room can't open" in page
    assert "point at 127.0.0.1:8000" in page and "PUBLIC_URL" in page and "HOST=0.0.0.0 make run" in page
    key = re.search(r'/console#k=([\w-]+)', page).group(1)
    assert f'href="http://192.168.1.20:8000/console#k={key}"' in page
    assert config["lan_origins"] == ["http://192.168.1.20:8000"]


@pytest.mark.asyncio
@pytest.mark.parametrize(("base_url", "settings"), [
    ("http://192.168.1.20:8000", {}),  # opened at the laptop's network address
    ("http://127.0.0.1:8000", {"public_url": "http://thrive.example.org"}),  # PUBLIC_URL set
])
async def test_no_warning_when_phones_can_open_the_join_link(tmp_path, monkeypatch, base_url, settings):
    monkeypatch.setattr(reach, "lan_addresses", lambda: ["192.168.1.20"])
    page, config = await _created_page(tmp_path, base_url, **settings)
    assert "loopback-warning" not in page
    assert config["lan_origins"] == ([] if base_url.startswith("http://192") else ["http://192.168.1.20:8000"])


@pytest.mark.asyncio
async def test_only_the_laptop_itself_is_told_its_network_addresses(tmp_path, monkeypatch):
    monkeypatch.setattr(reach, "lan_addresses", lambda: ["192.168.1.20"])
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/reach.db"))
    try:
        transport = httpx.ASGITransport(app=app, client=("192.168.1.77", 50000))  # a phone in the room
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            assert (await http.get("/api/config")).json()["lan_origins"] == []
    finally:
        await app.services.engine.dispose()
