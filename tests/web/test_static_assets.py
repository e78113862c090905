"""Static files (issue 14): fingerprinted URLs cached for good, pages revalidated, text compressed."""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
import pytest_asyncio

from server.app import create_app
from server.db import create_schema
from server.settings import Settings
from server.web import assets
from server.web.assets import FRONT_ENDS, asset_version, static_dir, static_url
from server.web.static_assets import IMMUTABLE, accepts_gzip

pytestmark = pytest.mark.asyncio

PAGES = ["/", "/new", "/join", "/console", "/projector"]
GZIP = {"accept-encoding": "gzip, deflate, br"}


@pytest_asyncio.fixture
async def http(tmp_path):
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.db"))
    await create_schema(app.services.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        created = await client.post("/api/workshops", json={"title": "Static", "table_count": 2})
        client.join_code = created.json()["workshop"]["join_code"]
        yield client
    await app.services.engine.dispose()


def linked_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


async def every_page(http) -> dict[str, str]:
    pages = {path: (await http.get(path)).text for path in [*PAGES, f"/j/{http.join_code}"]}
    pages["/join?code=ZZZZZZ"] = (await http.get("/j/ZZZZZZ")).text  # the "no such workshop" page
    return pages


async def test_every_page_links_its_assets_by_the_current_version_and_they_are_kept_for_good(http):
    version = asset_version()
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    seen = set()
    for path, html in (await every_page(http)).items():
        linked = linked_assets(html)
        assert linked, path
        # No plain /static/... reference left: each one is under the version.
        assert [url for url in linked if not url.startswith(f"/static/{version}/")] == [], path
        seen.update(linked)
    for url in seen:
        response = await http.get(url, headers=GZIP)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        assert response.headers["etag"]


async def test_pages_are_revalidated_on_every_load(http):
    for path in [*PAGES, f"/j/{http.join_code}"]:
        response = await http.get(path)
        assert response.headers["cache-control"] == "no-cache", path


async def test_an_unversioned_or_other_version_url_is_revalidated_not_kept(http):
    for url in ("/static/client/common/live.js", "/static/0123456789ab/client/common/live.js"):
        response = await http.get(url)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-cache", url
        again = await http.get(url, headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


async def test_text_assets_come_gzipped_and_unchanged_once_unzipped(http):
    for url in (static_url("client/phone.js"), static_url("client/phone.css"), static_url("client/vendor/yjs.mjs")):
        plain = await http.get(url, headers={"accept-encoding": "identity"})
        zipped = await http.get(url, headers=GZIP)
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 2
        assert zipped.content == plain.content  # the same file, whichever way it came
        assert zipped.headers["etag"] != plain.headers["etag"]  # one ETag per representation
        assert plain.headers["content-type"].startswith(("text/javascript", "text/css"))


async def test_a_gzipped_asset_is_what_is_on_disk(http):
    async with http.stream("GET", static_url("client/phone.js"), headers=GZIP) as response:
        wire = b"".join([chunk async for chunk in response.aiter_raw()])
    assert gzip.decompress(wire) == (static_dir("client") / "phone.js").read_bytes()


async def test_pages_and_json_are_compressed_when_large_enough(http):
    page = await http.get(f"/j/{http.join_code}", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip"
    catalogue = await http.get("/api/catalogue/default", headers=GZIP)
    assert catalogue.headers["content-encoding"] == "gzip" and catalogue.json()["principles"]
    small = await http.get("/healthz", headers=GZIP)
    assert "content-encoding" not in small.headers  # too small to be worth it


async def test_nothing_outside_the_front_ends_static_folders_is_served(http):
    for url in (
        "/static/client/../templates/phone.html",
        "/static/client/%2e%2e/templates/phone.html",
        "/static/server/app.py",
        "/static/client/",
        "/static/client",
        "/static/client/vendor",
        f"/static/{asset_version()}/client/.hidden",
        "/static/client/nowhere.js",
    ):
        assert (await http.get(url)).status_code == 404, url


async def test_the_version_follows_the_files(monkeypatch, tmp_path):
    for front_end in FRONT_ENDS:
        (tmp_path / front_end / "static").mkdir(parents=True)
    (tmp_path / "client" / "static" / "a.js").write_text("one")
    monkeypatch.setattr(assets, "static_dir", lambda front_end: tmp_path / front_end / "static")
    monkeypatch.setattr(assets, "RECHECK_SECONDS", 0)
    first = asset_version()
    assert static_url("client/a.js") == f"/static/{first}/client/a.js"
    (tmp_path / "client" / "static" / "a.js").write_text("two")
    second = asset_version()
    assert second != first
    (tmp_path / "facilitator" / "static" / "b.js").write_text("new file")
    assert asset_version() not in (first, second)


async def test_accept_encoding_is_read_as_browsers_send_it():
    assert accepts_gzip("gzip, deflate, br, zstd")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert accepts_gzip("*")
    assert not accepts_gzip("")
    assert not accepts_gzip("identity")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("br, deflate")


async def test_every_module_imports_its_neighbours_by_relative_paths():
    """A page's modules are under one version only if they import each other relatively: an absolute
    /static/... import would load a second, unversioned copy of a module (and its state)."""
    absolute = []
    for front_end in FRONT_ENDS:
        for path in static_dir(front_end).rglob("*.js"):
            if "vendor" in path.parts:
                continue
            for line in path.read_text().splitlines():
                if re.search(r"""(from|import\()\s*["'](/|https?:)""", line):
                    absolute.append(f"{front_end}/{path.name}: {line.strip()}")
    assert absolute == []
