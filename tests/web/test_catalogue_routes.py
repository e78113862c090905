"""The catalogue endpoints through the real ASGI app: preview, import, templates, export, saved catalogues, and
creating a workshop with an imported catalogue (JSON and the set-up form). Synthetic catalogues only."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest
import pytest_asyncio

from server.app import create_app
from server.catalogue import formats, mapping
from server.db import create_schema
from server.models import Credential, Workshop
from server.services import access, catalogues, tokens
from server.services.state import load_principles
from server.settings import Settings
from tests.catalogue import shapes
from tests.catalogue import synthetic as syn

pytestmark = pytest.mark.asyncio
ITEMS = syn.principles(24)


@pytest_asyncio.fixture
async def app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/web.db"))
    await create_schema(app.services.engine)
    yield app
    await app.services.engine.dispose()


@pytest_asyncio.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def upload(name: str, data: bytes, **fields):
    return {"files": {"file": (name, data)}, "data": {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}}


async def test_preview_guesses_the_columns_and_says_what_each_row_becomes(http):
    response = await http.post("/api/catalogue/preview", **upload("Synthetic tool.docx", syn.docx_per_level(ITEMS)))
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "docx" and body["filename"] == "Synthetic tool.docx"
    assert body["mapping"]["level"] == formats.SECTION_HEADING and body["mapping"]["notes"] is None
    assert body["counts"] == {"accepted": 24, "refused": 0, "by_level": {"macro": 8, "meso": 8, "micro": 8, "none": 0}}
    assert body["examples"]["Principle"] == "Synthetic principle 1"
    assert body["accepted"][0]["label"] == "table 2, row 2" and body["problems"] == []
    assert [f["field"] for f in body["fields"]] == list(mapping.FIELDS)
    # The facilitator maps the evidence column: the preview follows.
    changed = (await http.post("/api/catalogue/preview", **upload(
        "Synthetic tool.docx", syn.docx_per_level(ITEMS), mapping={**body["mapping"], "notes": "What we saw"},
    ))).json()
    assert changed["accepted"][2]["principle"]["notes"] == "Synthetic evidence 3."


async def test_preview_takes_json_bodies_too(http):
    as_base64 = await http.post("/api/catalogue/preview", json={
        "filename": "tool.xlsx", "content_base64": base64.b64encode(syn.site_xlsx(ITEMS)).decode()})
    assert as_base64.status_code == 200 and as_base64.json()["counts"]["accepted"] == 24
    as_text = await http.post("/api/catalogue/preview", json={
        "format": "csv", "text": "Principle,Our score\nSynthetic one,3\nSynthetic two,9\n"})
    body = as_text.json()
    assert body["counts"]["accepted"] == 1 and body["refused"][0]["reasons"] == ["baseline score 9 is outside 1–4"]


async def test_import_gives_the_principles_a_workshop_is_created_with(http, app):
    long = [{**p, "descriptors": [d + " " + "x" * 900 for d in p["descriptors"]]} for p in ITEMS]
    data = syn.site_xlsx(long)
    guessed = (await http.post("/api/catalogue/preview", **upload("tool.xlsx", data))).json()["mapping"]
    imported = await http.post("/api/catalogue/import", **upload("tool.xlsx", data, mapping=guessed))
    assert imported.status_code == 200
    principles = imported.json()["principles"]
    assert principles == long and len(json.dumps(principles)) > 64 * 1024  # bigger than other JSON bodies
    created = await http.post("/api/workshops", json={"title": "Synthetic", "table_count": 2, "principles": principles})
    assert created.status_code == 201, created.text
    async with app.services.sessions() as session:
        rows = await load_principles(session, created.json()["workshop"]["id"])
    assert [r.principle_id for r in rows] == [p["id"] for p in ITEMS] and rows[0].descriptors == long[0]["descriptors"]


async def test_import_with_refused_rows_needs_the_facilitator_to_leave_them_out(http):
    rows = [syn.SITE_HEADERS, *(syn.site_row(p) for p in ITEMS[:5])]
    rows[3][0] = rows[1][0]  # a duplicate id
    data = syn.csv_bytes(rows)
    guessed = mapping.guess_mapping(syn.SITE_HEADERS)
    refused = await http.post("/api/catalogue/import", **upload("tool.csv", data, mapping=guessed))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "rows_refused" and error["preview"]["counts"]["refused"] == 2
    kept = await http.post("/api/catalogue/import", **upload("tool.csv", data, mapping=guessed, skip_refused="true"))
    assert [p["id"] for p in kept.json()["principles"]] == ["syn-2", "syn-4", "syn-5"]
    missing = await http.post("/api/catalogue/import", **upload("tool.csv", data))
    assert missing.status_code == 422 and "mapping" in missing.json()["error"]["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        (upload("tool.csv", b"a" * (formats.MAX_BYTES + 1)), 413, "too_large"),
        ({"json": {"filename": "t.csv", "content_base64": base64.b64encode(b"a" * (formats.MAX_BYTES + 1)).decode()}},
         413, "too_large"),
        ({"content": b"Principle\nA", "headers": {"content-type": "text/csv"}}, 415, "unsupported_media_type"),
        ({"json": {"filename": "t.csv", "content_base64": "not base64!"}}, 422, "invalid_payload"),
        ({"json": {"filename": "t.csv", "text": "Principle\nA", "colour": "red"}}, 422, "invalid_payload"),
        ({"json": {"filename": "t.csv", "text": "Principle\nA", "format": "pdf"}}, 422, "invalid_payload"),
        ({"json": {"filename": "t.csv"}}, 422, "empty"),
        ({"json": ["not", "an", "object"]}, 422, "invalid_payload"),
        ({"content": b"{broken", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"files": {"other": ("t.csv", b"Principle\nA")}}, 422, "empty"),
        (upload("tool.csv", b"Principle\nA", mapping="{not json"), 400, "invalid_json"),
        (upload("tool.csv", b"Principle,Level\nA,macro", mapping={"name": "Nope"}), 422, "invalid_mapping"),
        (upload("tool.csv", "Principle\nCaf\u00e9".encode("utf-16")), 422, "bad_encoding"),
        (upload("tool.json", '[{"name": "Caf\u00e9"}]'.encode("latin-1")), 422, "bad_encoding"),
        (upload("tool.csv", b"Principle,Score\nA,=1+1"), 422, "formula"),
        (upload("tool.xlsm", syn.site_xlsx(ITEMS[:2])), 422, "macros"),
        (upload("tool.xlsx", syn.with_zip_member(syn.site_xlsx(ITEMS[:2]), "xl/vbaProject.bin")), 422, "macros"),
        (upload("tool.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), 422, "unsupported_type"),
        (upload("tool.docx", b"PK\x03\x04broken"), 422, "broken_file"),
    ],
)
async def test_bad_uploads_get_a_clear_message(http, request_kwargs, status, code):
    response = await http.post("/api/catalogue/preview", **request_kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.parametrize("kind", formats.FORMATS)
async def test_templates_download_and_import_back(http, kind):
    response = await http.get(f"/api/catalogue/templates/{kind}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="thrive-catalogue-template.{kind}"'
    preview = (await http.post("/api/catalogue/preview", **upload(f"t.{kind}", response.content))).json()
    assert preview["counts"]["accepted"] == 6 and not preview["refused"]
    assert all(p["principle"]["name"].startswith("Synthetic principle") for p in preview["accepted"])


async def test_unknown_template_and_export_formats(http):
    assert (await http.get("/api/catalogue/templates/pdf")).status_code == 404
    response = await http.post("/api/catalogue/export", json={"format": "pdf", "principles": ITEMS[:1]})
    assert response.status_code == 422


async def test_a_catalogue_in_use_exports_to_each_format(http):
    for kind in formats.FORMATS:
        response = await http.post("/api/catalogue/export", json={
            "format": kind, "principles": ITEMS, "title": "Synthetic tool", "locality": "Synthetic shire"})
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="synthetic-tool.{kind}"'
        sheet = formats.read_file(f"x.{kind}", response.content)
        assert mapping.validate(sheet, mapping.guess_mapping(sheet.headers)).principles == ITEMS


@pytest_asyncio.fixture
async def db_http(database_url):
    """The app on SQLite and on the real PostgreSQL (tests/conftest.py ``database_url``)."""
    app = create_app(Settings(database_url=database_url))
    await create_schema(app.services.engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            client.app = app
            yield client
    finally:
        await app.services.engine.dispose()


async def new_workshop(http, locality: str, title: str = "Synthetic workshop", **more) -> dict:
    created = await http.post("/api/workshops", json={"title": title, "locality": locality, "table_count": 2, **more})
    assert created.status_code == 201, created.text
    return created.json()


def bearer(token: str, **headers) -> dict:
    return {"authorization": f"Bearer {token}", **headers}


async def test_saved_catalogues_are_listed_by_locality_and_reused(db_http):
    http = db_http
    ws = await new_workshop(http, "Synthetic shire", "Spring workshop")
    saved = await http.post("/api/catalogues", json={"title": "Tool 2026", "principles": ITEMS},
                            headers=bearer(ws["facilitator_token"]))
    assert saved.status_code == 201, saved.text
    catalogue_id = saved.json()["catalogue"]["id"]
    listed = (await http.get("/api/catalogues", params={"locality": "synthetic SHIRE"})).json()["catalogues"]
    assert [c["id"] for c in listed] == [catalogue_id] and listed[0]["principle_count"] == 24
    assert listed[0]["saved_from"] == "Spring workshop" and listed[0]["workshop_id"] == ws["workshop"]["id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", listed[0]["saved_at"])
    assert (await http.get("/api/catalogues", params={"locality": "elsewhere"})).json() == {"catalogues": []}
    full = (await http.get(f"/api/catalogues/{catalogue_id}")).json()["catalogue"]
    assert full["principles"] == ITEMS and full["title"] == "Tool 2026"
    exported = await http.get(f"/api/catalogues/{catalogue_id}/export/csv")
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbfid,level,name")
    assert (await http.get("/api/catalogues/nope")).status_code == 404
    assert (await http.get(f"/api/catalogues/{catalogue_id}/export/pdf")).status_code == 404
    form = await http.post("/api/catalogues", data={"title": "t"}, headers=bearer(ws["facilitator_token"]))
    assert form.status_code == 415  # a cross-site form cannot save one
    bad = await http.post("/api/catalogues", json={"title": "t", "principles": [{"id": "a"}]},
                          headers=bearer(ws["facilitator_token"]))
    assert bad.status_code == 422


async def test_saving_needs_the_console_of_a_workshop_of_that_locality(db_http):
    http = db_http
    body = {"locality": "Northshire", "title": "Official Northshire 2026 (verified)", "principles": ITEMS}
    anonymous = await http.post("/api/catalogues", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    assert "console link" in anonymous.json()["error"]["message"]
    made_up = await http.post("/api/catalogues", json=body, headers=bearer("x" * 43))
    assert made_up.status_code == 401

    northshire = await new_workshop(http, "Northshire")
    code = northshire["workshop"]["join_code"]
    table_id = (await http.get(f"/api/join/{code}")).json()["tables"][0]["id"]
    phone = (await http.post(f"/api/join/{code}", json={"table_id": table_id})).json()["participant_token"]
    for token in (phone, northshire["projector_token"]):
        refused = await http.post("/api/catalogues", json=body, headers=bearer(token))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", refused.text

    elsewhere = await new_workshop(http, "Elsewhere")
    planted = await http.post("/api/catalogues", json=body, headers=bearer(elsewhere["facilitator_token"]))
    assert planted.status_code == 403 and planted.json()["error"]["code"] == "forbidden"
    assert "for Elsewhere only" in planted.json()["error"]["message"]
    nowhere = await new_workshop(http, "")
    no_locality = await http.post("/api/catalogues", json={"title": "t", "principles": ITEMS},
                                  headers=bearer(nowhere["facilitator_token"]))
    assert no_locality.status_code == 409 and no_locality.json()["error"]["code"] == "invalid_state"
    assert (await http.get("/api/catalogues", params={"locality": "Northshire"})).json() == {"catalogues": []}

    # Northshire's own console saves for Northshire; leaving the locality out means the workshop's own.
    mine = await http.post("/api/catalogues", json={"title": "Ours", "principles": ITEMS[:2]},
                           headers=bearer(northshire["facilitator_token"]))
    assert mine.status_code == 201 and mine.json()["catalogue"]["locality"] == "Northshire"


async def test_a_password_protected_console_saves_with_its_password(db_http):
    http = db_http
    ws = await new_workshop(http, "Northshire", principles=ITEMS)
    async with http.app.services.sessions() as session:
        workshop = await session.get(Workshop, ws["workshop"]["id"])
        workshop.facilitator_password = access.hash_password("correct horse")
        session.add(workshop)
        cofacilitator = tokens.new_token()
        session.add(Credential(token_hash=tokens.hash_token(cofacilitator), workshop_id=workshop.id,
                               role="cofacilitator", created_at=1.0))
        await session.commit()
    body = {"title": "What we used"}  # no principles: the workshop's own
    without = await http.post("/api/catalogues", json=body, headers=bearer(ws["facilitator_token"]))
    assert without.status_code == 401 and without.json()["error"]["code"] == "password_required"
    wrong = await http.post("/api/catalogues", json=body,
                            headers=bearer(ws["facilitator_token"], **{"x-facilitator-password": "nope"}))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_password"
    right = await http.post("/api/catalogues", json=body,
                            headers=bearer(ws["facilitator_token"], **{"x-facilitator-password": "correct horse"}))
    assert right.status_code == 201 and right.json()["catalogue"]["principle_count"] == len(ITEMS)
    saved = (await http.get(f"/api/catalogues/{right.json()['catalogue']['id']}")).json()["catalogue"]
    assert saved["principles"] == ITEMS
    co = await http.post("/api/catalogues", json=body, headers=bearer(cofacilitator))  # no password for this link
    assert co.status_code == 201


async def test_a_stranger_cannot_fill_a_localitys_catalogues(db_http, monkeypatch):
    http = db_http
    monkeypatch.setattr(catalogues, "MAX_PER_WORKSHOP", 2)
    stranger = await new_workshop(http, "Northshire", "Stranger")
    for n in range(2):
        saved = await http.post("/api/catalogues", json={"title": f"Fake {n}", "principles": ITEMS[:1]},
                                headers=bearer(stranger["facilitator_token"]))
        assert saved.status_code == 201
    full = await http.post("/api/catalogues", json={"title": "Fake 3", "principles": ITEMS[:1]},
                           headers=bearer(stranger["facilitator_token"]))
    assert full.status_code == 409 and full.json()["error"]["code"] == "too_many"
    assert "the most one workshop may save" in full.json()["error"]["message"]
    real = await new_workshop(http, "Northshire", "Northshire spring workshop")
    ours = await http.post("/api/catalogues", json={"title": "Northshire 2026", "principles": ITEMS},
                           headers=bearer(real["facilitator_token"]))
    assert ours.status_code == 201
    listed = (await http.get("/api/catalogues", params={"locality": "northshire"})).json()["catalogues"]
    assert sorted(c["saved_from"] for c in listed) == ["Northshire spring workshop", "Stranger", "Stranger"]


async def test_the_set_up_form_creates_a_workshop_with_the_imported_principles(http, app):
    page = await http.get("/new")
    assert 'name="principles_json"' in page.text and "/api/catalogue/templates/docx" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    fields = {"title": "Synthetic form", "locality": "Synthetic shire", "tables": "Red\nBlue", "csrf": token,
              "principles_json": json.dumps(ITEMS), "baseline_needs-led": "2"}  # the hidden defaults' scores are ignored
    created = await http.post("/new", data=fields)
    assert created.status_code == 200 and "/console#k=" in created.text
    code = re.search(r'data-testid="join-code">([A-Z0-9]{6})<', created.text).group(1)
    async with app.services.sessions() as session:
        from server.services.workshops import workshop_by_code

        workshop = await workshop_by_code(session, code)
        rows = await load_principles(session, workshop.id)
    assert len(rows) == 24 and rows[3].baseline_score == 4
    broken = await http.post("/new", data={**fields, "principles_json": "[{broken"})
    assert broken.status_code == 422 and "Each principle needs an id" in broken.text
    assert "[{broken" in broken.text  # kept in the form to fix, not lost
    assert 'data-testid="save-catalogue-card"' not in created.text  # no name suggested: nothing offered


async def test_the_page_of_links_offers_to_save_an_imported_catalogue_with_its_console_token(http):
    page = await http.get("/new")
    assert 'name="catalogue_title"' in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    fields = {"title": "Spring workshop", "locality": "Synthetic shire", "table_count": "2", "csrf": token,
              "principles_json": json.dumps(ITEMS), "catalogue_title": "Synthetic  tool 2026"}
    created = await http.post("/new", data=fields)
    assert created.status_code == 200 and 'data-testid="save-catalogue-card"' in created.text
    assert 'value="Synthetic tool 2026"' in created.text and "Save for Synthetic shire" in created.text
    assert re.search(r"/static/[0-9a-f]{12}/facilitator/save-catalogue.js", created.text)
    console_token = re.search(r"/console#k=([A-Za-z0-9_-]+)", created.text).group(1)
    # What save-catalogue.js sends: the name, with the console token; the server takes the workshop's principles.
    saved = await http.post("/api/catalogues", json={"title": "Synthetic tool 2026"}, headers=bearer(console_token))
    assert saved.status_code == 201 and saved.json()["catalogue"]["saved_from"] == "Spring workshop"
    full = (await http.get(f"/api/catalogues/{saved.json()['catalogue']['id']}")).json()["catalogue"]
    assert full["principles"] == ITEMS
    # No offer without an import from a file, a name, or a locality to save for.
    for changed in ({"principles_json": ""}, {"catalogue_title": " "}, {"locality": ""}):
        page = await http.get("/new")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        other = await http.post("/new", data={**fields, **changed, "csrf": token})
        assert other.status_code == 200 and 'data-testid="save-catalogue-card"' not in other.text, changed


# --- the shapes sites keep their tool in (issue 15): 24 of 24 through the HTTP flow, the guessed mapping as is ---


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
async def test_each_shape_imports_every_principle_with_the_guessed_mapping(http, shape):
    filename, make, items = shapes.SHAPES[shape]
    data = make()
    response = await http.post("/api/catalogue/preview", **upload(filename, data))
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["counts"]["accepted"] == 24 and preview["refused"] == [] and preview["problems"] == []
    assert preview["gaps"]["counts"] == {"level": 0, "descriptions": 0, "score": 3}  # syn-5, 13, 21 not scored
    assert preview["gaps"]["warnings"] == ["3 of the 24 principles have no score (not scored)."]
    imported = await http.post("/api/catalogue/import", **upload(filename, data, mapping=preview["mapping"]))
    assert imported.status_code == 200, imported.text
    principles = imported.json()["principles"]
    assert shapes.summary(principles) == shapes.expected(items)
    if shape == "word-messy":
        provisional = [p for p in principles if "Score as typed" in p["notes"]]
        assert [(p["id"], p["baseline_score"], p["notes"].splitlines()[-1]) for p in provisional] == [
            (f"syn-{i}", shapes.ITEMS[i - 1]["baseline_score"], f"Score as typed: {shapes.ITEMS[i - 1]['baseline_score']} "
             "(provisional)") for i in (3, 6, 9, 12, 15, 18, 24)]  # syn-21 is blank: not scored
    if shape.startswith("csv-windows"):
        assert any("Windows-1252" in note and "£" in note for note in preview["notes"])
        assert "£1k – “synthetic” and ‘quoted’" in principles[0]["statement"]


async def test_word_tidy_preview_names_each_table_it_set_aside(http):
    preview = (await http.post("/api/catalogue/preview", **upload("tool.docx", shapes.word_tidy()))).json()
    notes = " ".join(preview["notes"])
    for name in ("“Synthetic THRIVE Assessment Tool for testing”", "“Scoring key”", "“Sign-off”"):
        assert f"Set aside the table after {name}" in notes
    assert "Principles read from the table after “Macro level principles (synthetic)” (8 rows)" in notes


async def test_columns_left_out_that_look_like_descriptions_or_scores_are_warned_about(http):
    data = shapes.word_tidy()
    guessed = (await http.post("/api/catalogue/preview", **upload("tool.docx", data))).json()["mapping"]
    partial = {**guessed, "descriptor_1": None, "descriptor_2": None, "baseline_score": None}
    preview = (await http.post("/api/catalogue/preview", **upload("tool.docx", data, mapping=partial))).json()
    gaps = preview["gaps"]
    assert gaps["counts"] == {"level": 0, "descriptions": 24, "score": 24}
    assert gaps["unmapped"] == [{"column": "Not yet met (1)", "looks_like": "descriptions"},
                                {"column": "Partly met (2)", "looks_like": "descriptions"},
                                {"column": "Score", "looks_like": "scores"}]
    assert gaps["warnings"][:2] == ["All 24 principles have not all four descriptions.",
                                    "All 24 principles have no score (not scored)."]
    assert "The column “Score” looks like scores but isn't used: choose it below, or check the file." in gaps["warnings"]
