"""Saved catalogues per locality, and importing into a workshop (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import pytest

from server.catalogue import formats, mapping
from server.services import catalogues
from server.services.errors import CommandError
from server.services.state import load_principles
from server.services.workshops import create_workshop, parse_create
from tests.catalogue import synthetic as syn

ITEMS = syn.principles(24)


async def test_a_catalogue_is_saved_under_its_locality_and_listed_for_it(sessions, monkeypatch):
    async with sessions() as session:
        first = await catalogues.save(session, {"locality": "Synthetic  Shire", "title": "Tool 2025",
                                                "principles": ITEMS}, now=100.0)
        second = await catalogues.save(session, {"locality": "synthetic shire", "title": "Tool 2026",
                                                 "principles": ITEMS[:3]}, now=200.0)
        await catalogues.save(session, {"locality": "Elsewhere", "title": "Other", "principles": ITEMS[:1]}, now=300.0)
    async with sessions() as session:
        listed = await catalogues.list_for(session, " SYNTHETIC shire ")
        assert [c["title"] for c in listed] == ["Tool 2026", "Tool 2025"]  # newest first
        assert listed[1] == {**first, "locality": "Synthetic Shire"} and listed[0]["principle_count"] == 3
        assert await catalogues.list_for(session, "") == []
        saved = catalogues.full(await catalogues.get(session, second["id"]))
        assert saved["principles"] == ITEMS[:3]
        content, media, name = await catalogues.export_saved(session, first["id"], "docx")
        assert name == "tool-2025.docx" and media.endswith("wordprocessingml.document")
        sheet = formats.read_file(name, content)
        assert mapping.validate(sheet, mapping.guess_mapping(sheet.headers)).principles == ITEMS
        with pytest.raises(CommandError) as missing:
            await catalogues.get(session, "no-such-id")
        assert missing.value.status == 404
    monkeypatch.setattr(catalogues, "MAX_PER_LOCALITY", 2)
    async with sessions() as session:
        with pytest.raises(CommandError) as full:
            await catalogues.save(session, {"locality": "Synthetic Shire", "title": "Third", "principles": ITEMS[:1]})
        assert full.value.code == "too_many"


BAD_BODIES = [
    {"locality": "", "title": "t", "principles": ITEMS[:1]},
    {"locality": "x", "title": "t", "principles": []},
    {"locality": "x", "title": "t", "principles": [ITEMS[0], ITEMS[0]]},
    {"locality": "x", "title": "t", "principles": [{**ITEMS[0], "descriptors": ["only one"]}]},
    {"locality": "x", "title": "t", "principles": [{**ITEMS[0], "statement": "s" * 2001}]},
    {"locality": "x", "title": "t", "principles": [{**ITEMS[0], "baseline_score": 5}]},
    {"locality": "x", "title": "t", "principles": ITEMS[:1], "owner": "me"},
    ["not", "an", "object"],
]


async def test_bad_catalogues_are_not_saved(sessions):
    async with sessions() as session:
        for body in BAD_BODIES:
            with pytest.raises(CommandError) as refused:
                await catalogues.save(session, body)
            assert refused.value.code == "invalid_payload", body
        assert await catalogues.list_for(session, "x") == []


async def test_an_imported_catalogue_makes_the_workshop_principles(sessions):
    imported = catalogues.import_principles(
        "tool.docx", syn.docx_per_level(ITEMS), declared=None,
        raw_mapping={**mapping.guess_mapping(syn.SITE_HEADERS), **_docx_mapping()}, skip_refused=False,
    )
    assert len(imported["principles"]) == 24 and imported["left_out"] == []
    spec = parse_create({"title": "Synthetic", "table_count": 2, "principles": imported["principles"]})
    async with sessions() as session:
        created = await create_workshop(session, spec)
        rows = await load_principles(session, created.workshop.id)
    assert [r.principle_id for r in rows] == [p["id"] for p in ITEMS]
    assert rows[5].descriptors == ITEMS[5]["descriptors"] and rows[5].notes == ITEMS[5]["notes"]
    assert rows[5].statement == ITEMS[5]["statement"] and rows[5].level == "macro"


def _docx_mapping() -> dict:
    """The per-level Word layout's columns, as a facilitator would set them."""
    return {
        "id": "Ref", "level": formats.SECTION_HEADING, "name": "Principle", "statement": "Statement",
        "descriptor_1": "Not yet met", "descriptor_2": "Partly met", "descriptor_3": "Mostly met",
        "descriptor_4": "Fully THRIVE-like", "baseline_score": "Our score", "notes": "What we saw",
        "key_principles": None,
    }


def test_an_import_with_refused_rows_is_all_or_nothing():
    rows = [syn.SITE_HEADERS, *(syn.site_row(p) for p in ITEMS[:4])]
    rows[2][8] = "6"  # a score outside 1–4
    data = syn.csv_bytes(rows)
    guessed = mapping.guess_mapping(syn.SITE_HEADERS)
    with pytest.raises(CommandError) as refused:
        catalogues.import_principles("tool.csv", data, declared=None, raw_mapping=guessed, skip_refused=False)
    assert refused.value.code == "rows_refused" and "row 3" in refused.value.message
    assert refused.value.extra["preview"]["counts"]["refused"] == 1
    kept = catalogues.import_principles("tool.csv", data, declared=None, raw_mapping=guessed, skip_refused=True)
    assert [p["id"] for p in kept["principles"]] == ["syn-1", "syn-3", "syn-4"]
    assert kept["left_out"] == [{"label": "row 3", "reasons": ["baseline score 6 is outside 1–4"]}]
    with pytest.raises(CommandError) as no_mapping:
        catalogues.import_principles("tool.csv", data, declared=None, raw_mapping=None, skip_refused=True)
    assert no_mapping.value.code == "invalid_payload"
    with pytest.raises(CommandError) as bad_mapping:
        catalogues.import_principles("tool.csv", data, declared=None, raw_mapping={"name": "Nope"}, skip_refused=True)
    assert bad_mapping.value.code == "invalid_mapping"
