"""The report's draft/final state and the room's reason for settling a tie (server/domain/report_status.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.domain import report_status as rs
from server.domain.errors import DomainError

DRAFT = rs.ReportStatus()


def test_a_new_report_is_a_draft_with_no_history():
    assert DRAFT.state == rs.DRAFT and not DRAFT.is_final and DRAFT.history == ()
    assert rs.last_return(DRAFT) is None


def test_finalising_needs_the_confirmed_five_and_records_when_and_who():
    with pytest.raises(DomainError) as refused:
        rs.finalise(DRAFT, at=10.0, by="facilitator", confirmed=False)
    assert refused.value.code == "invalid_state" and "Confirm the room's five" in refused.value.message
    final = rs.finalise(DRAFT, at=10.0, by="cofacilitator", confirmed=True)
    assert final.state == rs.FINAL and final.final_at == 10.0 and final.final_by == "cofacilitator"
    assert final.history == ({"state": "final", "at": 10.0, "by": "cofacilitator", "because": rs.MARKED_FINAL},)
    # A second press changes and records nothing (even when the five were since undone)
    assert rs.finalise(final, at=20.0, by="facilitator", confirmed=False) is final


def test_returning_to_draft_is_recorded_and_a_draft_stays_as_it_is():
    final = rs.finalise(DRAFT, at=10.0, by="facilitator", confirmed=True)
    draft = rs.reopen(final, at=30.0, by="facilitator")
    assert draft.state == rs.DRAFT and draft.final_at is None and draft.final_by is None
    assert draft.history[-1] == {"state": "draft", "at": 30.0, "by": "facilitator", "because": rs.RETURNED}
    assert rs.last_return(draft) == draft.history[-1]
    assert rs.reopen(draft, at=40.0, by="facilitator") is draft
    # Final again: last_return is only for a draft
    again = rs.finalise(draft, at=50.0, by="facilitator", confirmed=True)
    assert rs.last_return(again) is None and len(again.history) == 3


@pytest.mark.parametrize(
    ("event", "what"),
    [
        ("ranking.edit", "a table's ranking changed"),
        ("ranking.agree", "a table's ranking changed"),
        ("consensus.confirm", "the room's five priorities changed"),
        ("consensus.unconfirm", "the room's five priorities changed"),
        ("consensus.set_method", "the tally's counting method changed"),
        ("worksheet.update", "a gap-analysis worksheet changed"),
        ("plan.add_action", "the implementation plan changed"),
        ("plan.set_notes", "the implementation plan changed"),
        ("scores.agree", "an agreed score changed"),
        ("participants.remove", "someone was removed from the room"),
        ("tables.something_new", "the workshop changed"),  # an event added later: returns to draft
    ],
)
def test_an_edit_after_final_returns_the_report_to_draft_saying_what_changed(event, what):
    final = rs.finalise(DRAFT, at=10.0, by="facilitator", confirmed=True)
    draft = rs.changed(final, at=11.0, by="participant", event=event)
    assert draft.state == rs.DRAFT
    assert draft.history[-1] == {"state": "draft", "at": 11.0, "by": "participant", "because": rs.CHANGED, "what": what}
    assert rs.last_return(draft)["what"] == what
    # A draft is left alone by edits
    assert rs.changed(draft, at=12.0, by="facilitator", event=event) is draft


@pytest.mark.parametrize("event", sorted(rs.KEEPS_REPORT))
def test_running_the_room_keeps_a_final_report_final(event):
    final = rs.finalise(DRAFT, at=10.0, by="facilitator", confirmed=True)
    assert rs.changed(final, at=11.0, by="facilitator", event=event) is final
    assert not rs.changes_report(event)


def test_the_history_keeps_the_latest_entries():
    status = DRAFT
    for i in range(rs.HISTORY_KEPT + 7):
        status = rs.finalise(status, at=float(2 * i), by="facilitator", confirmed=True)
        status = rs.reopen(status, at=float(2 * i + 1), by="facilitator")
    assert len(status.history) == rs.HISTORY_KEPT
    assert status.history[-1]["at"] == float(2 * (rs.HISTORY_KEPT + 6) + 1)


def test_from_stored_ignores_who_when_not_final():
    assert rs.from_stored(None, "facilitator", None) == DRAFT
    assert rs.from_stored(5.0, "facilitator", [{"state": "final"}]).history == ({"state": "final"},)


# --- the room's reason for settling a tie --------------------------------------------------------------------


@pytest.mark.parametrize("reason", sorted(rs.TIE_REASONS))
def test_every_listed_reason_is_taken(reason):
    rs.check_reason(reason, "a note", cut_tie=True)
    rs.check_reason(reason, "a note", cut_tie=False)


def test_a_reason_is_required_only_when_a_tie_straddles_the_cut():
    rs.check_reason(None, "", cut_tie=False)
    with pytest.raises(DomainError) as refused:
        rs.check_reason(None, "the note alone is not enough", cut_tie=True)
    assert refused.value.code == "invalid_payload"
    assert refused.value.message.startswith("reason: a tie straddles fifth place")
    assert "room_voted (the room voted)" in refused.value.message


@pytest.mark.parametrize("reason", ["", "vote", "Room_Voted", "x" * 40, "other "])
def test_an_unknown_reason_gets_a_clear_error(reason):
    with pytest.raises(DomainError) as refused:
        rs.check_reason(reason, "note", cut_tie=True)
    assert refused.value.code == "invalid_payload" and "is not one of the reasons" in refused.value.message


def test_other_needs_a_note():
    with pytest.raises(DomainError) as refused:
        rs.check_reason("other", "  ", cut_tie=True)
    assert refused.value.message.startswith("note:")
    rs.check_reason("other", "The cabinet member asked", cut_tie=True)


def test_the_reason_in_words():
    assert rs.reason_text("room_voted") == "the room voted"
    assert rs.reason_text("local_evidence", " Schools' survey ") == "chosen for the strongest local evidence (Schools' survey)"
    assert rs.reason_text("other", "The cabinet member asked") == "The cabinet member asked"
    assert rs.reason_text("other", "") == "other"
    # An older record: its free-text note alone
    assert rs.reason_text(None, "Stigma keeps people away") == "Stigma keeps people away"
    assert rs.reason_text(None, "") == ""


def test_the_console_lists_the_same_reasons_in_the_same_words():
    source = (Path(__file__).parents[2] / "facilitator" / "static" / "tie-reason.js").read_text(encoding="utf-8")
    listed = re.findall(r'\[\s*"([a-z_]+)",\s*"([^"]+)"\s*\]', source)
    assert dict(listed) == rs.TIE_REASONS and [k for k, _ in listed] == list(rs.TIE_REASONS)
