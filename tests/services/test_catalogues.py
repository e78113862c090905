"""Saved catalogues per locality (saved by a workshop of it, listed with where they came from), and importing into a
workshop (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import delete

from server.catalogue import formats, mapping
from server.models import Workshop
from server.services import catalogues
from server.services.errors import CommandError
from server.services.state import load_principles
from server.services.workshops import create_workshop, parse_create
from tests.catalogue import synthetic as syn

ITEMS = syn.principles(24)


async def _workshop(session, locality: str, title: str = "Synthetic workshop", **more) -> str:
    created = await create_workshop(session, parse_create({"title": title, "locality": locality, "table_count": 2,
                                                           **more}))
    return created.workshop.id


async def test_a_catalogue_is_saved_for_its_workshops_locality_and_listed_with_where_it_came_from(sessions):
    async with sessions() as session:
        spring = await _workshop(session, "Synthetic  Shire", "Spring workshop")
        autumn = await _workshop(session, "synthetic shire", "Autumn workshop")
        elsewhere = await _workshop(session, "Elsewhere")
        first = await catalogues.save(session, spring, {"title": "Tool 2025", "principles": ITEMS}, now=100.0)
        second = await catalogues.save(session, autumn, {"title": "Tool 2026", "principles": ITEMS[:3]},
                                       now=86400.0 * 365)
        await catalogues.save(session, elsewhere, {"title": "Other", "principles": ITEMS[:1]}, now=300.0)
    async with sessions() as session:
        listed = await catalogues.list_for(session, " SYNTHETIC shire ")
        assert [c["title"] for c in listed] == ["Tool 2026", "Tool 2025"]  # newest first
        assert listed[1] == first
        assert listed[1]["locality"] == "Synthetic Shire"  # the workshop's own locality, spacing tidied
        assert (listed[1]["saved_from"], listed[1]["workshop_id"]) == ("Spring workshop", spring)
        assert listed[1]["saved_at"] == "1970-01-01T00:01:40Z" and listed[0]["saved_at"] == "1971-01-01T00:00:00Z"
        assert listed[0]["saved_from"] == "Autumn workshop" and listed[0]["principle_count"] == 3
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


async def test_a_workshop_saves_for_its_own_locality_only(sessions):
    async with sessions() as session:
        elsewhere = await _workshop(session, "Elsewhere")
        nowhere = await _workshop(session, "")
        with pytest.raises(CommandError) as planted:
            await catalogues.save(session, elsewhere, {"locality": "Northshire", "title": "Official Northshire 2026",
                                                        "principles": ITEMS})
        assert planted.value.code == "forbidden" and planted.value.status == 403
        assert "Elsewhere" in planted.value.message
        with pytest.raises(CommandError) as no_locality:
            await catalogues.save(session, nowhere, {"title": "Tool", "principles": ITEMS})
        assert no_locality.value.code == "invalid_state" and "Set the locality" in no_locality.value.message
        with pytest.raises(CommandError) as gone:
            await catalogues.save(session, "no-such-workshop", {"title": "Tool", "principles": ITEMS})
        assert gone.value.code == "unauthenticated"
        # Naming its own locality (any case or spacing) is fine; leaving it out means the workshop's.
        await catalogues.save(session, elsewhere, {"locality": " ELSEWHERE", "title": "Tool", "principles": ITEMS})
        assert await catalogues.list_for(session, "Northshire") == []
        assert [c["title"] for c in await catalogues.list_for(session, "elsewhere")] == ["Tool"]


async def test_without_principles_a_workshop_saves_its_own(sessions):
    async with sessions() as session:
        workshop = await _workshop(session, "Synthetic shire", principles=ITEMS)
        saved = await catalogues.save(session, workshop, {"title": "What we used"})
        assert saved["principle_count"] == len(ITEMS)
        assert catalogues.full(await catalogues.get(session, saved["id"]))["principles"] == ITEMS


async def test_each_workshop_saves_a_few_and_the_locality_keeps_a_hundred(sessions, monkeypatch):
    monkeypatch.setattr(catalogues, "MAX_PER_WORKSHOP", 2)
    async with sessions() as session:
        busy = await _workshop(session, "Northshire", "Busy")
        other = await _workshop(session, "Northshire", "Other")
        for n in range(2):
            await catalogues.save(session, busy, {"title": f"Tool {n}", "principles": ITEMS[:1]})
        with pytest.raises(CommandError) as full:
            await catalogues.save(session, busy, {"title": "Tool 3", "principles": ITEMS[:1]})
        assert full.value.code == "too_many" and full.value.status == 409
        assert "This workshop has already saved 2 catalogues" in full.value.message
        # Another workshop of the locality still can.
        await catalogues.save(session, other, {"title": "Ours", "principles": ITEMS[:1]})
        monkeypatch.setattr(catalogues, "MAX_PER_LOCALITY", 3)
        third = await _workshop(session, "Northshire", "Third")
        with pytest.raises(CommandError) as locality_full:
            await catalogues.save(session, third, {"title": "More", "principles": ITEMS[:1]})
        assert locality_full.value.code == "too_many" and "This locality already has 3" in locality_full.value.message


async def test_a_deleted_workshops_catalogues_stay_and_say_where_they_came_from(sessions):
    async with sessions() as session:
        workshop = await _workshop(session, "Synthetic shire", "Gone workshop")
        saved = await catalogues.save(session, workshop, {"title": "Kept", "principles": ITEMS[:2]})
        await session.exec(delete(Workshop).where(Workshop.id == workshop))
        await session.commit()
    async with sessions() as session:
        [listed] = await catalogues.list_for(session, "synthetic shire")
        assert listed == {**saved, "workshop_id": None}
        assert listed["saved_from"] == "Gone workshop"


BAD_BODIES = [
    {"title": "", "principles": ITEMS[:1]},
    {"title": "t", "principles": []},
    {"title": "t", "principles": [ITEMS[0], ITEMS[0]]},
    {"title": "t", "principles": [{**ITEMS[0], "descriptors": ["only one"]}]},
    {"title": "t", "principles": [{**ITEMS[0], "statement": "s" * 2001}]},
    {"title": "t", "principles": [{**ITEMS[0], "baseline_score": 5}]},
    {"title": "t", "principles": ITEMS[:1], "owner": "me"},
    {"title": "t", "principles": ITEMS[:1], "workshop_id": "someone-else"},
    ["not", "an", "object"],
]


async def test_bad_catalogues_are_not_saved(sessions):
    async with sessions() as session:
        workshop = await _workshop(session, "x")
        for body in BAD_BODIES:
            with pytest.raises(CommandError) as refused:
                await catalogues.save(session, workshop, body)
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


async def test_saves_at_once_from_one_workshop_stop_at_its_cap(sessions, monkeypatch):
    monkeypatch.setattr(catalogues, "MAX_PER_WORKSHOP", 2)
    async with sessions() as session:
        workshop = await _workshop(session, "Northshire")

    async def one(n: int) -> str:
        async with sessions() as session:
            try:
                await catalogues.save(session, workshop, {"title": f"Tool {n}", "principles": ITEMS[:1]})
            except CommandError as exc:
                return exc.code
            return "saved"

    results = await asyncio.gather(*(one(n) for n in range(6)))
    assert sorted(results) == ["saved", "saved", "too_many", "too_many", "too_many", "too_many"]
    async with sessions() as session:
        assert len(await catalogues.list_for(session, "Northshire")) == 2
