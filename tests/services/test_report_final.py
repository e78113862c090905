"""The report's "final" marking and the room's reason for settling a tie, through the command bus (SQLite and the
real PostgreSQL): who may mark it, what an edit after "final" does, snapshot + updates == a fresh snapshot, every
report format's marking (python-docx, openpyxl, the CSV files, the printable page, the JSON), and the JSON round
trip (an older export imports as a draft)."""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from server.broadcast import rooms
from server.client import apply_update
from server.models import Workshop
from server.reports import csv as csv_report
from server.reports import docx as docx_report
from server.reports import html as html_report
from server.reports import xlsx as xlsx_report
from server.reports.data import assemble, load_report_rows
from server.reports.json_export import export, import_workshop
from server.reports.json_import import canonical_export
from server.services.commands import Actor
from tests.live_js import assert_live_js_agrees, case

pytestmark = pytest.mark.asyncio

FIVE = ["needs-led", "accessibility", "common-language", "outcome-informed", "partnership-working"]
TIED = {  # both tables agree the same four; fifth place is 1 point each, level on countback and head-to-head
    0: ["needs-led", "accessibility", "common-language", "outcome-informed", "partnership-working"],
    1: ["needs-led", "accessibility", "common-language", "outcome-informed", "reducing-stigma"],
}


async def _agree(world, fives: dict[int, list[str]]) -> dict[int, Actor]:
    phones = {}
    for i, five in fives.items():
        phones[i] = phone = await world.participant(i)
        assert (await world.run(phone, "ranking.edit", {"base_revision": 0, "op": "replace", "items": five}))["ok"]
        assert (await world.run(phone, "ranking.agree", {"base_revision": 1}))["ok"]
    return phones


async def _rows(world, workshop_id=None):
    async with world.sessions() as session:
        workshop = await session.get(Workshop, workshop_id or world.workshop_id)
        return await load_report_rows(session, workshop, world.clock.now)


def _docx_text(report) -> tuple[str, str]:
    doc = Document(io.BytesIO(docx_report.render(report)))
    header = "\n".join(p.text for s in doc.sections for p in s.header.paragraphs)
    return "\n".join(p.text for p in doc.paragraphs), header


def _summary(report) -> dict:
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    return {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}, book


def _csv_files(report) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(csv_report.render(report))) as archive:
        return {
            name.split("-", 1)[1]: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
        }


async def test_the_report_is_a_draft_until_a_facilitator_marks_it_final(world):
    f = world.facilitator
    refused = await world.run(f, "report.finalise")
    assert refused["error"]["code"] == "invalid_state" and "Confirm the room's five" in refused["error"]["message"]
    snap = await world.snapshot(f)
    assert snap["report"]["state"] == "draft" and snap["report"]["history"] == []
    assert (await world.snapshot(world.projector))["report"] is None  # facilitators only

    await _agree(world, {0: FIVE})
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["ok"]
    # Before: every format says Draft
    report = assemble(await _rows(world))
    text, header = _docx_text(report)
    assert not report.final and report.status == "Draft"
    assert "DRAFT: this report has not been marked final." in text and "DRAFT" in header
    summary, book = _summary(report)
    assert summary["Status"] == "Draft" and book["Summary"].oddHeader.right.text == "DRAFT"
    assert ["Status", "Draft"] in _csv_files(report)["summary.csv"]
    page = html.unescape(html_report.render(report).decode())
    assert "DRAFT: this report has not been marked final." in page and '"DRAFT"' in page
    assert export(await _rows(world))["report"]["status"] == "Draft"

    world.clock.now = 1_800_000_000.0  # 15 January 2027, 08:00 in London
    ack = await world.run(f, "report.finalise")
    assert ack["ok"] and ack["report"]["state"] == "final" and ack["report"]["final_by"] == "facilitator"
    assert ack["report"]["final_on"] == "15 January 2027"
    again = await world.run(f, "report.finalise")  # a second press records nothing
    assert again["ok"] and len(again["report"]["history"]) == 1

    report = assemble(await _rows(world))
    assert report.final and report.status == "Final, agreed on 15 January 2027"
    text, header = _docx_text(report)
    assert "Final, agreed on 15 January 2027 (marked final by the facilitator)." in text
    assert "Final, agreed on 15 January 2027" in header and "DRAFT" not in text + header
    assert Document(io.BytesIO(docx_report.render(report))).core_properties.content_status == report.status
    summary, book = _summary(report)
    assert summary["Status"] == "Final, agreed on 15 January 2027" and summary["Made final by"] == "facilitator"
    assert summary["Made final on"].year == 2027  # a real date and time
    assert all(sheet.oddHeader.right.text == report.status for sheet in book.worksheets)
    assert [r[0] for r in [[c.value for c in row] for row in book["Report status"].iter_rows()]] == ["State", "Final"]
    files = _csv_files(report)
    assert ["Status", "Final, agreed on 15 January 2027"] in files["summary.csv"]
    assert files["report-status.csv"][1][0] == "Final"
    page = html.unescape(html_report.render(report).decode())
    assert "Final, agreed on 15 January 2027" in page and "DRAFT" not in page
    assert export(await _rows(world))["report"]["status"] == "Final, agreed on 15 January 2027"


async def test_the_date_is_the_day_in_the_workshops_time_zone(world, monkeypatch):
    await _agree(world, {0: FIVE})
    assert (await world.run(world.facilitator, "consensus.confirm", {"items": FIVE}))["ok"]
    world.clock.now = 1_800_000_000.0 - 9 * 3600  # 14 January 2027, 23:00 in London: already the 15th in Auckland
    assert (await world.run(world.facilitator, "report.finalise"))["ok"]
    assert assemble(await _rows(world)).status == "Final, agreed on 14 January 2027"
    monkeypatch.setenv("TIME_ZONE", "Pacific/Auckland")
    assert assemble(await _rows(world)).status == "Final, agreed on 15 January 2027"
    assert (await world.snapshot(world.facilitator))["report"]["final_on"] == "15 January 2027"


async def test_only_facilitator_links_may_mark_it_and_a_co_facilitator_is_recorded(world):
    await _agree(world, {0: FIVE})
    assert (await world.run(world.facilitator, "consensus.confirm", {"items": FIVE}))["ok"]
    phone = await world.participant(1)
    for actor in (phone, world.projector):
        for event in ("report.finalise", "report.reopen"):
            assert (await world.run(actor, event))["error"]["code"] == "forbidden"
    co = Actor(world.workshop_id, "facilitator", link="cofacilitator")
    assert (await world.run(co, "report.finalise"))["report"]["final_by"] == "cofacilitator"
    assert (await world.run(world.facilitator, "report.finalise", {"extra": 1}))["error"]["code"] == "invalid_payload"
    assert assemble(await _rows(world)).final_by == "co-facilitator"


async def test_returning_to_draft_is_recorded(world):
    f = world.facilitator
    await _agree(world, {0: FIVE})
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["ok"]
    assert (await world.run(f, "report.finalise"))["ok"]
    world.clock.now += 60
    ack = await world.run(f, "report.reopen")
    assert ack["report"]["state"] == "draft" and ack["report"]["final_at"] is None
    assert [h["because"] for h in ack["report"]["history"]] == ["marked_final", "returned_to_draft"]
    assert ack["report"]["returned"]["by"] == "facilitator"
    assert (await world.run(f, "report.reopen"))["report"]["history"] == ack["report"]["history"]  # nothing more
    report = assemble(await _rows(world))
    text, _header = _docx_text(report)
    assert "DRAFT: this report has not been marked final. It was final, and the facilitator returned it to draft on" in text
    assert [h["because"] for h in report.status_history] == ["marked final", "returned to draft by a facilitator"]


async def test_an_edit_after_final_is_kept_and_returns_the_report_to_draft(world):
    """What a facilitator expects: nothing typed is refused or lost, and a report that says Final is what was
    agreed. Running the room (the agenda, the projector) keeps it final."""
    f = world.facilitator
    phones = await _agree(world, {0: FIVE})
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["ok"]
    assert (await world.run(f, "report.finalise"))["ok"]
    for event, payload in (("agenda.start", {}), ("agenda.next", {}), ("display.set", {"mode": "final"}),
                           ("consensus.reveal", {"revealed": True}), ("plan.set_tables_may_edit", {"enabled": True})):
        assert (await world.run(f, event, payload))["ok"], event
        assert (await world.snapshot(f))["report"]["state"] == "final", event
    # A phone adds an action to the plan: it is kept, and the report is a draft again, saying why
    world.broadcaster.take()
    ack = await world.run(phones[0], "plan.add_action", {"action": "Tell the board"})
    assert ack["ok"]
    snap = await world.snapshot(f)
    assert [a["action"] for a in snap["plan"]["actions"]] == ["Tell the board"]
    assert snap["report"]["state"] == "draft"
    assert snap["report"]["returned"] == {"state": "draft", "at": world.clock.now, "by": "participant",
                                          "because": "changed_after_final", "what": "the implementation plan changed"}
    sent = [e for e in world.broadcaster.take() if e.data.get("type") == "report"]
    assert len(sent) == 1 and sent[0].rooms == (rooms.role(world.workshop_id, "facilitator"),)
    report = assemble(await _rows(world))
    assert "went back to draft on" in report.draft_note and "because the implementation plan changed" in report.draft_note
    text, _header = _docx_text(report)
    assert "because the implementation plan changed." in text
    # A table reopening its ranking (a command run on bare statements, not the ORM) returns it to draft too
    assert (await world.run(f, "report.finalise"))["ok"]
    ack = await world.run(phones[0], "ranking.reopen", {"base_revision": 1})
    assert ack["ok"], ack
    snap = await world.snapshot(f)
    assert snap["report"]["state"] == "draft" and snap["report"]["returned"]["what"] == "a table's ranking changed"
    assert len(snap["report"]["history"]) == 4
    assert (await world.run(phones[0], "ranking.agree", {"base_revision": ack["ranking"]["revision"]}))["ok"]
    # Undoing the five is an edit too
    assert (await world.run(f, "report.finalise"))["ok"]
    assert (await world.run(f, "consensus.unconfirm"))["ok"]
    assert (await world.snapshot(f))["report"]["returned"]["what"] == "the room's five priorities changed"
    # A refused edit changes nothing: still final
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["ok"]
    assert (await world.run(f, "report.finalise"))["ok"]
    assert not (await world.run(f, "plan.update_action", {"action_id": "0" * 32, "status": "done"}))["ok"]
    assert (await world.snapshot(f))["report"]["state"] == "final"


async def test_snapshot_plus_updates_equals_a_fresh_snapshot_for_every_role(world):
    f = world.facilitator
    phones = await _agree(world, {0: FIVE})
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["ok"]
    viewers = {"facilitator": f, "projector": world.projector, "phone": phones[0]}
    start = {name: await world.snapshot(actor) for name, actor in viewers.items()}
    world.broadcaster.take()
    steps = [
        (f, "report.finalise", {}),
        (f, "agenda.start", {}),
        (f, "plan.add_action", {"action": "Tell the board"}),  # back to draft by itself
        (f, "report.finalise", {}),
        (f, "report.reopen", {}),
        (f, "report.finalise", {}),
    ]
    for actor, event, payload in steps:
        world.clock.now += 5
        assert (await world.run(actor, event, payload))["ok"], event
    events = world.broadcaster.take()
    recorded = []
    for name, actor in viewers.items():
        mine = set(rooms.for_client(world.workshop_id, actor.role, actor.table_id))
        updates = [event.data for event in events if mine & set(event.rooms)]
        state = start[name]
        for update in updates:
            state = apply_update(state, update)
        fresh = await world.snapshot(actor)
        assert {**state, "version": 0, "server_now": 0} == {**fresh, "version": 0, "server_now": 0}, name
        recorded.append(case(f"report-{name}", start[name], updates, fresh))
    assert len(fresh_history := (await world.snapshot(f))["report"]["history"]) == 5, fresh_history
    assert_live_js_agrees(recorded)


async def test_a_tie_at_the_cut_needs_the_rooms_reason_from_the_short_list(world):
    f = world.facilitator
    await _agree(world, TIED)
    five = TIED[1]
    missing = await world.run(f, "consensus.confirm", {"items": five, "note": "We talked"})
    assert missing["error"]["code"] == "invalid_payload" and missing["error"]["message"].startswith("reason: a tie")
    unknown = await world.run(f, "consensus.confirm", {"items": five, "reason": "coin_toss"})
    assert unknown["error"]["code"] == "invalid_payload" and "'coin_toss' is not one of the reasons" in unknown["error"]["message"]
    other = await world.run(f, "consensus.confirm", {"items": five, "reason": "other"})
    assert other["error"]["message"].startswith("note:")
    assert (await world.run(f, "consensus.confirm", {"items": five, "reason": 3}))["error"]["code"] == "invalid_payload"
    assert (await world.snapshot(f))["consensus"]["confirmed"] is None  # nothing stored by a refusal

    ack = await world.run(f, "consensus.confirm", {"items": five, "reason": "room_voted", "note": "Show of hands, 19 to 11"})
    assert ack["confirmed"]["reason"] == "room_voted" and ack["confirmed"]["settled_tie"] is True
    assert (await world.snapshot(world.projector))["consensus"]["confirmed"]["reason"] == "room_voted"

    report = assemble(await _rows(world))
    assert report.confirmed["reason_text"] == "the room voted"
    expected = "How the tie was settled: the room voted."
    assert expected in report.settlement and "The room's note: Show of hands, 19 to 11" in report.settlement
    text, _header = _docx_text(report)
    assert expected in text and "Note: Show of hands, 19 to 11" in text
    book = load_workbook(io.BytesIO(xlsx_report.render(report)))
    consensus = [[c.value for c in row] for row in book["Consensus"].iter_rows()]
    assert ["", "How the tie was settled", "the room voted"] in [[v or "" for v in row][:3] for row in consensus]
    assert any(r[2] == expected for r in consensus)
    files = _csv_files(report)
    assert any(row[1:3] == ["How the tie was settled", "the room voted"] for row in files["consensus.csv"])
    page = html.unescape(html_report.render(report).decode())
    assert expected in page and "How the tie was settled: the room voted." in page
    assert expected in export(await _rows(world))["report"]["settlement"]


async def test_without_a_tie_a_reason_is_optional_and_said_as_the_rooms_reason(world):
    f = world.facilitator
    await _agree(world, {0: FIVE})
    changed = [FIVE[1], FIVE[0], *FIVE[2:]]
    ack = await world.run(f, "consensus.confirm", {"items": changed, "reason": "local_plans"})
    assert ack["confirmed"]["settled_tie"] is False
    report = assemble(await _rows(world))
    assert "The room's reason: fits with existing local plans." in report.settlement
    assert (await world.run(f, "consensus.confirm", {"items": FIVE}))["confirmed"]["reason"] is None


async def test_an_older_free_text_note_keeps_showing(world):
    """A confirmation stored before the short list: its note alone says the room's reason, in every format."""
    await _agree(world, TIED)
    async with world.sessions() as session:
        workshop = await session.get(Workshop, world.workshop_id)
        workshop.confirmed = {"items": TIED[1], "tally_items": TIED[0], "changed_by_room": True,
                              "note": "Stigma keeps people away", "method": "borda", "confirmed_at": world.clock.now}
        await session.commit()
    report = assemble(await _rows(world))
    assert report.confirmed["reason"] == "" and "The room's reason: Stigma keeps people away" in report.settlement
    text, _header = _docx_text(report)
    assert "The room's reason: Stigma keeps people away" in text and "How the tie was settled" not in text
    assert "The room's reason: Stigma keeps people away" in html.unescape(html_report.render(report).decode())
    # The JSON round trip keeps it as it was (no reason), exactly
    first = export(await _rows(world))
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(json.dumps(first).encode()), now=world.clock.now)
    assert export(await _rows(world, created.workshop.id)) | {"exported_at": 0} == first | {"exported_at": 0}


async def test_the_json_round_trip_keeps_the_marking_and_an_older_export_imports_as_a_draft(world):
    f = world.facilitator
    await _agree(world, TIED)
    assert (await world.run(f, "consensus.confirm", {"items": TIED[1], "reason": "other", "note": "Cabinet asked"}))["ok"]
    assert (await world.run(f, "report.finalise"))["ok"]
    assert (await world.run(f, "plan.set_notes", {"engagement_notes": "Newsletter"}))["ok"]  # back to draft
    assert (await world.run(f, "report.finalise"))["ok"]
    first = export(await _rows(world))
    assert first["workshop"]["report"]["final_at"] == world.clock.now
    assert [h["because"] for h in first["workshop"]["report"]["history"]] == [
        "marked_final", "changed_after_final", "marked_final"]
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(json.dumps(first).encode()), now=world.clock.now)
    again = export(await _rows(world, created.workshop.id))
    assert again == first
    assert (await world.snapshot(Actor(created.workshop.id, "facilitator")))["report"]["state"] == "final"

    older = json.loads(json.dumps(first))
    del older["workshop"]["report"]
    del older["workshop"]["confirmed"]["reason"], older["workshop"]["confirmed"]["settled_tie"]
    async with world.sessions() as session:
        created = await import_workshop(session, canonical_export(json.dumps(older).encode()), now=world.clock.now)
    imported = assemble(await _rows(world, created.workshop.id))
    assert not imported.final and imported.status == "Draft" and imported.status_history == []
    assert imported.confirmed["reason"] == "" and "The room's reason: Cabinet asked" in imported.settlement

    broken = json.loads(json.dumps(first))
    broken["workshop"]["confirmed"]["reason"] = "coin_toss"
    from server.services.errors import CommandError

    with pytest.raises(CommandError) as refused:
        async with world.sessions() as session:
            await import_workshop(session, canonical_export(json.dumps(broken).encode()), now=world.clock.now)
    assert refused.value.code == "invalid_payload"
