"""The report's state (draft or final) and the room's reason for settling a tie at the cut. Pure: no I/O.

A report is a **draft** until a facilitator marks it **final** (``finalise``); a facilitator may return it to draft
(``reopen``, confirmed on the console). An edit of what the report says (a ranking, the five, a worksheet, the plan,
an agreed score, …) after it was made final is kept, and returns the report to draft by itself with a note of what
changed (``changed``): nothing a room types is ever refused or lost because of the marking, and a report that says
"Final" always says what was agreed. Running the agenda, the projector and the links do not touch the report's
content (``KEEPS_REPORT``). Every change of state is recorded in ``history`` (the last ``HISTORY_KEPT``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError

DRAFT = "draft"
FINAL = "final"
HISTORY_KEPT = 50

# Why a change of state happened (``history[i]["because"]``).
MARKED_FINAL = "marked_final"
RETURNED = "returned_to_draft"  # a facilitator returned it, confirmed on the console
CHANGED = "changed_after_final"  # an edit after it was made final returned it by itself

# The events that do not change what the report says: a final report stays final through them. Every other
# event (including one added later and not listed here) returns a final report to draft when it changes something.
KEEPS_REPORT = frozenset(
    {
        "sync", "clock",
        "rankings.lock",
        "agenda.start", "agenda.pause", "agenda.resume", "agenda.extend", "agenda.finish", "agenda.go_to",
        "agenda.next", "agenda.set_planned", "agenda.skip", "agenda.set_lock_on_timeout", "agenda.add_discussion",
        "display.set", "consensus.reveal",
        "participants.list", "links.rotate", "cofacilitator.issue", "cofacilitator.revoke",
        "facilitator.set_password", "workshop.delete",
        "plan.set_tables_may_edit", "scores.configure", "scores.set",
        "report.links", "report.finalise", "report.reopen",
        "scheduler.lock_on_timeout",
    }
)

# What an edit changed, for the note "returned to draft because …" (by the event's prefix or its name).
WHAT_CHANGED = {
    "ranking": "a table's ranking changed",
    "consensus.set_method": "the tally's counting method changed",
    "consensus": "the room's five priorities changed",
    "worksheet": "a gap-analysis worksheet changed",
    "plan": "the implementation plan changed",
    "scores.agree": "an agreed score changed",
    "participants.remove": "someone was removed from the room",
}


def changes_report(event: str) -> bool:
    return event not in KEEPS_REPORT


def what_changed(event: str) -> str:
    if event in WHAT_CHANGED:
        return WHAT_CHANGED[event]
    return WHAT_CHANGED.get(event.split(".", 1)[0], "the workshop changed")


@dataclass(frozen=True)
class ReportStatus:
    """As stored on the workshop: ``final_at``/``final_by`` set while final; ``history`` oldest first."""

    final_at: float | None = None
    final_by: str | None = None
    history: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def state(self) -> str:
        return FINAL if self.final_at is not None else DRAFT

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


def from_stored(final_at: float | None, final_by: str | None, history: list[dict[str, Any]] | None) -> ReportStatus:
    return ReportStatus(final_at, final_by if final_at is not None else None, tuple(history or ()))


def _entry(state: str, at: float, by: str, because: str, what: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"state": state, "at": at, "by": by, "because": because}
    if what:
        entry["what"] = what
    return entry


def _kept(history: tuple[dict[str, Any], ...], entry: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return (*history, entry)[-HISTORY_KEPT:]


def finalise(status: ReportStatus, *, at: float, by: str, confirmed: bool) -> ReportStatus:
    """Mark the report final. Already final: unchanged (a double click records nothing)."""
    if status.is_final:
        return status
    if not confirmed:
        raise DomainError(
            "invalid_state",
            "Confirm the room's five priorities first (Exercise 3): a report without them cannot be final.",
        )
    return ReportStatus(at, by, _kept(status.history, _entry(FINAL, at, by, MARKED_FINAL)))


def reopen(status: ReportStatus, *, at: float, by: str) -> ReportStatus:
    """A facilitator returns the report to draft. Already a draft: unchanged."""
    if not status.is_final:
        return status
    return ReportStatus(None, None, _kept(status.history, _entry(DRAFT, at, by, RETURNED)))


def changed(status: ReportStatus, *, at: float, by: str, event: str) -> ReportStatus:
    """An edit of the report's content: a final report goes back to draft, saying what changed."""
    if not status.is_final or not changes_report(event):
        return status
    return ReportStatus(None, None, _kept(status.history, _entry(DRAFT, at, by, CHANGED, what_changed(event))))


def last_return(status: ReportStatus) -> dict[str, Any] | None:
    """While a draft: the entry that returned it from final (to show why), else None."""
    if status.is_final or not status.history:
        return None
    last = status.history[-1]
    return last if last.get("state") == DRAFT else None


# --- the room's reason for settling a tie at the cut ------------------------------------------------------------

# In the order the console lists them; the words are what every screen and report says.
TIE_REASONS: dict[str, str] = {
    "room_voted": "the room voted",
    "local_evidence": "chosen for the strongest local evidence",
    "lowest_baseline": "lowest-scored in the baseline",
    "local_plans": "fits with existing local plans",
    "other": "other",
}
MAX_NOTE = 1000


def check_reason(reason: str | None, note: str, *, cut_tie: bool) -> None:
    """The reason is one of ``TIE_REASONS``; required when a tie straddles the cut (the room settles it);
    "other" needs a note saying what it was."""
    if reason is None:
        if cut_tie:
            raise DomainError(
                "invalid_payload",
                "reason: a tie straddles fifth place, so say how the room settled it: "
                + "; ".join(f"{key} ({words})" for key, words in TIE_REASONS.items())
                + ".",
            )
        return
    if reason not in TIE_REASONS:
        raise DomainError(
            "invalid_payload",
            f"reason: {reason[:40]!r} is not one of the reasons: " + ", ".join(TIE_REASONS) + ".",
        )
    if reason == "other" and not note.strip():
        raise DomainError("invalid_payload", "note: with the reason “other”, say in the note what it was.")


def reason_text(reason: str | None, note: str = "") -> str:
    """In words, for people: "the room voted (note)"; an older record's free-text note alone; "" if neither."""
    note = (note or "").strip()
    if reason in TIE_REASONS:
        if reason == "other":
            return note or TIE_REASONS["other"]
        return f"{TIE_REASONS[reason]}{f' ({note})' if note else ''}"
    return note
