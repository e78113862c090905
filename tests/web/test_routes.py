"""HTTP endpoints and pages, through the real ASGI app (socket.io wrapper included)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import pytest_asyncio

from server.app import create_app
from server.db import create_schema
from server.settings import Settings

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def http(tmp_path):
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.db"))
    await create_schema(app.services.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
    await app.services.engine.dispose()


async def test_create_a_workshop_as_json(http):
    response = await http.post("/api/workshops", json={"title": "North", "locality": "Northshire", "tables": ["Red", "Blue"]})
    assert response.status_code == 201
    body = response.json()
    code = body["workshop"]["join_code"]
    assert re.fullmatch(r"[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}", code)
    assert body["facilitator_url"] == f"http://testserver/console#k={body['facilitator_token']}"
    assert body["projector_url"] == f"http://testserver/projector#k={body['projector_token']}"
    assert body["join_url"] == f"http://testserver/j/{code}"
    assert body["facilitator_token"] != body["projector_token"] and len(body["facilitator_token"]) >= 40
    info = (await http.get(f"/api/join/{code.lower()}")).json()  # codes match whatever the case
    assert [t["name"] for t in info["tables"]] == ["Red", "Blue"]
    assert info["workshop"] == {"title": "North", "locality": "Northshire", "join_code": code}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "", "table_count": 3},
        {"title": "x" * 201, "table_count": 3},
        {"title": "T", "table_count": 0},
        {"title": "T", "table_count": 31},
        {"title": "T", "tables": ["Red", "red"]},
        {"title": "T", "tables": [""]},
        {"title": "T", "table_count": 2, "baseline_scores": {"needs-led": 5}},
        {"title": "T", "table_count": 2, "baseline_scores": {"not-a-principle": 2}},
        {"title": "T", "table_count": 2, "principles": [{"id": "a b", "name": "A"}]},
        {"title": "T", "table_count": 2, "principles": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]},
        {"title": "T", "table_count": 2, "durations_minutes": {"rank": 0}},
        {"title": "T", "table_count": 2, "agenda": [{"kind": "dance", "title": "x", "planned_seconds": 600}]},
        {"title": "T", "table_count": 2, "unexpected": True},
        [1, 2, 3],
    ],
)
async def test_bad_workshop_requests_are_refused_clearly(http, body):
    response = await http.post("/api/workshops", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_payload"
    assert response.json()["error"]["message"]


async def test_a_refused_field_is_named_even_when_only_the_catalogue_can_tell(http):
    response = await http.post(
        "/api/workshops", json={"title": "T", "table_count": 2, "baseline_scores": {"not-a-principle": 2}}
    )
    error = response.json()["error"]
    assert response.status_code == 422
    assert error["field"] == "baseline_scores.not-a-principle"
    assert "not one of the principles" in error["detail"]


async def test_broken_or_oversized_bodies_are_refused(http):
    response = await http.post("/api/workshops", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    response = await http.post("/api/workshops", content=b"x" * (1024 * 1024 + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


async def test_baseline_scores_and_custom_durations_are_kept(http):
    body = (await http.post("/api/workshops", json={
        "title": "T", "table_count": 2, "baseline_scores": {"needs-led": 3, "accessibility": 1},
        "durations_minutes": {"rank": 25, "share": 12, "consensus": 15},
    })).json()
    from server.services.commands import Actor
    from server.services.state import build_snapshot

    app_services = http._transport.app.services
    async with app_services.sessions() as session:
        snap = await build_snapshot(session, Actor(body["workshop"]["id"], "facilitator"), 0.0)
    scores = {p["id"]: (p["baseline_score"], p["thrive_like"]) for p in snap["principles"]}
    assert scores["needs-led"] == (3, True) and scores["accessibility"] == (1, False)
    assert scores["common-language"] == (None, False)
    assert [s["planned_seconds"] for s in snap["agenda"]["segments"]] == [1500, 720, 900]


async def test_joining_a_table(http):
    code = (await http.post("/api/workshops", json={"title": "T", "table_count": 2})).json()["workshop"]["join_code"]
    table_id = (await http.get(f"/api/join/{code}")).json()["tables"][1]["id"]
    joined = await http.post(f"/api/join/{code}", json={"table_id": table_id, "display_name": "Sam"})
    assert joined.status_code == 201 and joined.json()["table_id"] == table_id
    assert (await http.post(f"/api/join/{code}", json={"table_id": "nope"})).status_code == 404
    assert (await http.post(f"/api/join/{code}", json={"table_id": table_id, "display_name": "x" * 41})).status_code == 422
    assert (await http.post("/api/join/ZZZZZZ", json={"table_id": table_id})).status_code == 404
    assert (await http.get("/api/join/ZZZZZZ")).status_code == 404


async def test_qr_code_and_pages(http):
    code = (await http.post("/api/workshops", json={"title": "T", "table_count": 2})).json()["workshop"]["join_code"]
    qr = await http.get(f"/qr/{code}.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content and b"viewBox" in qr.content  # an <img> can show it
    assert (await http.get("/qr/ZZZZZZ.svg")).status_code == 404
    for path in ("/", "/new", "/join", f"/j/{code}", "/console", "/projector"):
        page = await http.get(path)
        assert page.status_code == 200, path
        assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert (await http.get("/j/ZZZZZZ")).status_code == 404
    redirect = await http.get("/join", params={"code": code.lower()})
    assert redirect.status_code == 303 and redirect.headers["location"] == f"/j/{code}"


async def test_security_headers(http):
    page = await http.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_the_set_up_form_needs_its_csrf_token(http):
    form = await http.get("/new")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    fields = {"title": "Form workshop", "locality": "Northshire", "tables": "Red\nBlue\n", "minutes_rank": "30",
              "minutes_share": "10", "minutes_consensus": "20", "baseline_needs-led": "2"}
    forged = await http.post("/new", data={**fields, "csrf": "guessed-token"})
    assert forged.status_code == 400
    created = await http.post("/new", data={**fields, "csrf": token})
    assert created.status_code == 200
    assert "/console#k=" in created.text and "/projector#k=" in created.text
    bad = await http.post("/new", data={**fields, "csrf": token, "title": ""})
    assert bad.status_code == 422 and "title" in bad.text


async def test_the_set_up_form_opens_with_the_review_and_may_add_the_discussion(tmp_path):
    """The form asks for the opening review (15 minutes) by default and leaves the discussion out; 0 leaves the
    review out; a bad number is refused with the form's own words (issue 17)."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/form.db"))
    await create_schema(app.services.engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            kinds = await _agendas_made_by_the_form(http, app)
    finally:
        await app.services.engine.dispose()
    assert kinds["Default"] == [("review", 900), ("rank", 1800), ("share", 600), ("consensus", 1200)]
    assert [k for k, _ in kinds["Both"]] == ["review", "discuss", "rank", "share", "consensus"]
    assert kinds["Both"][1] == ("discuss", 600)
    assert [k for k, _ in kinds["Neither"]] == ["rank", "share", "consensus"]


async def _agendas_made_by_the_form(http, app) -> dict:
    from sqlmodel import select

    from server.models import Segment, Workshop

    form = await http.get("/new")
    assert 'name="minutes_review"' in form.text and 'value="15"' in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    fields = {"tables": "Red\nBlue\n", "minutes_rank": "30", "minutes_share": "10", "minutes_consensus": "20",
              "csrf": token}
    cases = {"Default": ("15", "0"), "Both": ("15", "10"), "Neither": ("0", "0")}
    for title, (review, discuss) in cases.items():
        made = await http.post("/new", data={**fields, "title": title, "minutes_review": review, "minutes_discuss": discuss})
        assert made.status_code == 200, made.text
    bad = await http.post("/new", data={**fields, "title": "Bad", "minutes_review": "soon"})
    assert bad.status_code == 422 and "0 leaves them out" in bad.text
    async with app.services.sessions() as session:
        kinds = {}
        for workshop in (await session.exec(select(Workshop))).all():
            rows = await session.exec(select(Segment).where(Segment.workshop_id == workshop.id).order_by(Segment.position))
            kinds[workshop.title] = [(s.kind, s.planned_seconds) for s in rows]
    return kinds




async def test_a_room_joining_at_once_is_written_a_few_at_a_time_and_everyone_gets_in(tmp_path, monkeypatch):
    from server.services import workshops
    from server.settings import Limits
    from server.web import routes

    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.db", limits=Limits(joins_per_second_per_ip=0))
    )
    await create_schema(app.services.engine)
    writing, most = 0, 0
    real_join = workshops.join_table
    gate_full = asyncio.Event()

    async def counted(*args, **kwargs):
        nonlocal writing, most
        writing += 1
        most = max(most, writing)
        if writing == routes.JOINS_AT_ONCE:
            gate_full.set()
        try:
            # The first ones hold on until as many are writing as the gate lets in; the others pile up behind.
            await asyncio.wait_for(gate_full.wait(), 30)
            return await real_join(*args, **kwargs)
        finally:
            writing -= 1

    monkeypatch.setattr(workshops, "join_table", counted)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        created = (await client.post("/api/workshops", json={"title": "Room", "table_count": 5})).json()
        code = created["workshop"]["join_code"]
        tables = (await client.get(f"/api/join/{code}")).json()["tables"]
        joins = [
            client.post(f"/api/join/{code}", json={"table_id": tables[i % 5]["id"]}) for i in range(3 * routes.JOINS_AT_ONCE)
        ]
        answers = await asyncio.gather(*joins)
    await app.services.engine.dispose()
    assert [a.status_code for a in answers] == [201] * len(answers)
    assert most == routes.JOINS_AT_ONCE
