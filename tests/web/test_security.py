"""HTTP security details through the real ASGI app: headers, the CSRF cookie's attributes, JSON-only endpoints,
secrets never cached, limits read from the environment, and the token bucket itself."""

from __future__ import annotations

import re

import httpx
import pytest
import pytest_asyncio

from server.app import create_app
from server.db import create_schema
from server.services.limits import RateLimiter, message_size
from server.settings import Limits, Settings

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.db"))
    await create_schema(app.services.engine)
    yield app
    await app.services.engine.dispose()


def client(app, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def test_every_page_has_the_security_headers(app):
    async with client(app) as http:
        for path in ("/", "/new", "/console", "/projector", "/api/config", "/static/client/common/live.js"):
            response = await http.get(path)
            csp = response.headers["content-security-policy"]
            assert (
                "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            )
            assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["cross-origin-opener-policy"] == "same-origin"
            assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS
    async with client(app, "https://testserver") as https:
        response = await https.get("/")
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_the_csrf_cookie_is_httponly_samesite_and_secure_over_https(app):
    async with client(app) as http:
        cookie = (await http.get("/new")).headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    async with client(app, "https://testserver") as https:
        form = await https.get("/new")
        cookie = form.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        # Another site's form cannot know the token: refused, nothing created.
        forged = await https.post("/new", data={"title": "x", "table_count": "2", "csrf": "guess"})
        assert forged.status_code == 400
        made = await https.post("/new", data={"title": "x", "table_count": "2", "csrf": token})
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"


async def test_json_endpoints_take_json_only_and_never_cache_secrets(app):
    async with client(app) as http:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None):
            headers = {"content-type": content_type} if content_type else {}
            response = await http.post(
                "/api/workshops", content=b'{"title": "T", "table_count": 2}', headers=headers
            )
            assert (
                response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"
            )
        created = await http.post("/api/workshops", json={"title": "T", "table_count": 2})
        assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
        code = created.json()["workshop"]["join_code"]
        table = (await http.get(f"/api/join/{code}")).json()["tables"][0]["id"]
        joined = await http.post(f"/api/join/{code}", json={"table_id": table})
        assert joined.status_code == 201 and joined.headers["cache-control"] == "no-store"
        charset = await http.post(
            "/api/workshops",
            content=b'{"title": "T", "table_count": 2}',
            headers={"content-type": "application/json; charset=utf-8"},
        )
        assert charset.status_code == 201


async def test_limits_come_from_the_environment():
    settings = Settings.from_env(
        {"EVENTS_PER_SECOND": "0", "MAX_CONNECTIONS_PER_TABLE": "12", "SECRET_KEY": "k", "MAX_TEXT": "500"}
    )
    assert settings.limits.events_per_second == 0 and settings.limits.max_connections_per_table == 12
    assert settings.limits.secret_key == "k" and settings.max_text == 500
    assert Settings.from_env({}).limits == Limits()
    with pytest.raises(ValueError):
        Settings.from_env({"MAX_CONNECTIONS_PER_TABLE": "lots"})


async def test_a_token_bucket():
    now = [100.0]
    bucket = RateLimiter(2, 3, clock=lambda: now[0], max_keys=2)
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(0.5)  # one token comes back in half a second
    assert bucket.take("b") == 0.0  # another key has its own bucket
    now[0] += 0.5
    assert bucket.take("a") == 0.0 and bucket.take("a") > 0
    now[0] += 60
    bucket.take("c")  # over max_keys: buckets that have refilled are forgotten
    assert len(bucket) <= 2
    assert RateLimiter(0, 1).take("x") == 0.0  # 0 = no limit
    assert message_size({"a": "é"}) == len('{"a":"é"}'.encode())


@pytest.mark.parametrize(
    "path, logged",
    [
        ("/api/workshops/w1/report.docx?exp=1765000000&sig=abc-DEF_123", "/api/workshops/w1/report.docx?exp=1765000000&sig=…"),
        ("/socket.io/?EIO=4&transport=polling&t=PqX&sid=Zm9vYmFy", "/socket.io/?EIO=4&transport=polling&t=PqX&sid=…"),
        ("/socket.io/?SID=x&EIO=4", "/socket.io/?SID=…&EIO=4"),
        ("/j/ABCDEF", "/j/ABCDEF"),
        ("/static/app.js?v=sig=1", "/static/app.js?v=sig=1"),  # only whole parameters named so
    ],
)
async def test_the_access_log_keeps_no_signature_or_session_id(path, logged):
    import logging

    from server.web.security import keep_secrets_out_of_logs

    keep_secrets_out_of_logs()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("203.0.113.9:5000", "GET", path, "1.1", 200), None)
    assert all(f.filter(record) for f in logging.getLogger("uvicorn.access").filters)
    assert record.getMessage() == f'203.0.113.9:5000 - "GET {logged} HTTP/1.1" 200'
