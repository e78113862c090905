"""The state sections clients hold (docs/protocol.md), built from rows.

Snapshots and updates are built by the same functions, so a snapshot plus the updates after it equals a
fresh snapshot by construction; ``tests/services/test_snapshot.py`` checks it all the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..domain import plan as plan_rules
from ..domain import report_status
from ..domain import tally as tally_rules
from ..domain.reasons import empty_document as empty_reasons
from ..domain.worksheet import b64encode
from ..models import (
    PlanAction,
    Principle,
    Ranking,
    Segment,
    TableReasons,
    Worksheet,
    Workshop,
    WorkshopPlan,
    WorkshopTable,
)
from ..settings import local_date, time_zone_setting

THRIVE_LIKE_AT_LEAST = 3
PRIVILEGED_ROLES = frozenset({"facilitator"})


def workshop_section(ws: Workshop) -> dict[str, Any]:
    return {
        "version": ws.workshop_version,
        "id": ws.id,
        "title": ws.title,
        "locality": ws.locality,
        "join_code": ws.join_code,
        "join_path": f"/j/{ws.join_code}",
        "rankings_locked": ws.rankings_locked,
    }


def principle_item(p: Principle) -> dict[str, Any]:
    return {
        "id": p.principle_id,
        "name": p.name,
        "summary": p.summary,
        "level": p.level,
        "baseline_score": p.baseline_score,
        "thrive_like": p.baseline_score is not None and p.baseline_score >= THRIVE_LIKE_AT_LEAST,
        "statement": p.statement or "",
        "descriptors": list(p.descriptors or []),
        "notes": p.notes or "",
        "key_principles": list(p.key_principles or []),
        # When the snapshot was read; the live value is in the scores section (services.scores).
        "agreed_score": p.agreed_score,
    }


def table_item(t: WorkshopTable) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "position": t.position}


def ranking_section(r: Ranking) -> dict[str, Any]:
    return {
        "table_id": r.table_id,
        "version": r.version,
        "revision": r.revision,
        "items": list(r.items),
        "agreed": r.agreed,
        "agreed_at": r.agreed_at,
        "updated_at": r.updated_at,
    }


def segment_item(s: Segment) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind,
        "title": s.title,
        "instructions": s.instructions,
        "position": s.position,
        "planned_seconds": s.planned_seconds,
        "status": s.status,
        "deadline": s.deadline,
        "remaining_seconds": s.remaining_seconds,
        # Time run before the current run; while running add (now - run_started_at). Kept free of "now"
        # so that a section does not change just because time passes.
        "actual_seconds": s.elapsed_seconds,
        "run_started_at": s.run_started_at,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        # For a "gap" segment, the agreed priority (principle id) it works on; else null.
        "subject": s.subject,
    }


def agenda_section(ws: Workshop, segments: list[Segment]) -> dict[str, Any]:
    return {
        "version": ws.agenda_version,
        "current_id": ws.current_segment_id,
        "lock_on_timeout": ws.lock_on_timeout,
        "segments": [segment_item(s) for s in sorted(segments, key=lambda s: s.position)],
    }


def display_section(ws: Workshop) -> dict[str, Any]:
    return {
        "version": ws.display_version,
        "mode": ws.display_mode,
        "table_id": ws.display_table_id,
        "cell": ws.display_cell,
        "page": ws.display_page,
    }


def worksheet_section(w: Worksheet) -> dict[str, Any]:
    """A worksheet without its Yjs state (what every update carries)."""
    return {
        "id": w.id,
        "priority_id": w.priority_id,
        "table_id": w.table_id,
        "version": w.version,
        "text": dict(w.text),
        "updated_at": w.updated_at,
    }


def worksheet_with_state(w: Worksheet, with_state: bool) -> dict[str, Any]:
    """In a snapshot: plus ``state``, the whole Yjs document (base64), for the clients that edit it."""
    return {**worksheet_section(w), "state": b64encode(w.doc) if with_state else None}


def reasons_section(table_id: str, r: TableReasons | None) -> dict[str, Any]:
    """A table's reasons without their Yjs state (what every update carries): the reasons written, by principle
    id, shown or not (clients show those of the principles in the table's five). A table that has written none
    has no row: version 0, no reasons."""
    return {
        "table_id": table_id,
        "version": r.version if r else 0,
        "text": dict(r.text) if r else {},
        "updated_at": r.updated_at if r else None,
    }


def reasons_with_state(table_id: str, r: TableReasons | None, with_state: bool) -> dict[str, Any]:
    """In a snapshot: plus ``state``, the whole Yjs document (base64), for the clients that edit it."""
    state = b64encode(r.doc if r else empty_reasons()) if with_state else None
    return {**reasons_section(table_id, r), "state": state}


def plan_action_item(a: PlanAction) -> dict[str, Any]:
    return {
        "id": a.id,
        "action": a.action,
        "priority_id": a.priority_id,
        "recommendation": a.recommendation or "",
        "owner": a.owner,
        "due": a.due,
        "due_note": a.due_note or "",
        "review": a.review_date or "",
        "measure": a.measure or "",
        "status": a.status,
        "position": a.position,
    }


def plan_section(ws: Workshop, plan: WorkshopPlan | None, actions: list[PlanAction]) -> dict[str, Any]:
    """The next-steps plan; removed rows are left out (they can be restored). ``workshop_date`` (the day the
    workshop was made, in ``time_zone``) is what a due date before it is checked against; "today" for overdue
    actions is the client's, in ``time_zone``: a section never changes just because time passes."""
    kept = sorted((a for a in actions if not a.removed), key=lambda a: a.position)
    zone = time_zone_setting()
    return {
        "version": plan.version if plan else 0,
        "actions": [plan_action_item(a) for a in kept],
        "engagement_notes": plan.engagement_notes if plan else "",
        "redesign_date": plan.redesign_date if plan else "",
        "tables_may_edit": bool(plan and plan.tables_may_edit),
        "workshop_date": local_date(ws.created_at, zone).isoformat(),
        "time_zone": str(zone.key),
    }


def makeup_section(ws: Workshop, tables: Sequence[WorkshopTable]) -> dict[str, Any]:
    """Who was in the room, without names: the workshop's sector list, what each table said (its sectors and
    number of people), and the room's make-up added up (domain.plan.room_makeup)."""
    options = plan_rules.sector_options(ws.sector_options)
    ordered = sorted(tables, key=lambda t: t.position)
    said = [plan_rules.TableMakeup(t.id, tuple(t.sectors or ()), t.people) for t in ordered]
    return {
        "version": ws.makeup_version,
        "sectors": options,
        "tables": {t.table_id: {"sectors": list(t.sectors), "people": t.people} for t in said},
        "room": plan_rules.room_makeup(options, said),
    }


def report_status_of(ws: Workshop) -> report_status.ReportStatus:
    return report_status.from_stored(ws.report_final_at, ws.report_final_by, ws.report_history)


def report_section(ws: Workshop) -> dict[str, Any]:
    """The report's state (facilitators only): draft or final, since when and by whom, and its history."""
    from ..reports.data import (  # the report's own words (it imports this module)
        english_date,
        time_zone_setting,
    )

    status = report_status_of(ws)
    zone = time_zone_setting()
    final_on = ""
    if status.final_at is not None:
        final_on = english_date(dt.datetime.fromtimestamp(status.final_at, zone).date())
    return {
        "version": ws.report_version,
        "state": status.state,
        "final_at": status.final_at,
        "final_by": status.final_by,
        # As every format of the report says it: "Final, agreed on 7 December 2026", in the report's time zone.
        "final_on": final_on,
        "time_zone": zone.key,
        # While a draft that was final before: why it went back (shown on the console).
        "returned": report_status.last_return(status),
        "history": [dict(h) for h in status.history],
    }


def report_for_role(ws: Workshop, role: str) -> dict[str, Any] | None:
    return report_section(ws) if role in PRIVILEGED_ROLES else None


def ordered_ids(principles: list[Principle]) -> list[str]:
    return [p.principle_id for p in sorted(principles, key=lambda p: p.position)]


def agreed_ballots(
    tables: list[WorkshopTable], rankings: dict[str, Ranking]
) -> list[tally_rules.TableBallot]:
    ballots = []
    for t in sorted(tables, key=lambda t: t.position):
        r = rankings.get(t.id)
        if r is not None and r.agreed:
            ballots.append(tally_rules.TableBallot(table_id=t.id, ranking=tuple(r.items)))
    return ballots


def consensus_sections(
    ws: Workshop, principle_ids: Sequence[str], tables: list[WorkshopTable], rankings: dict[str, Ranking]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The consensus section as (facilitator view, everyone else's view); ``principle_ids`` in catalogue order.

    Others see the tally only once revealed, so the room is not herded by early results.
    """
    ballots = agreed_ballots(tables, rankings)
    full = _with_tally(_consensus_without_tally(ws, ballots), ws, principle_ids, ballots)
    if ws.results_revealed:
        return full, full
    return full, _consensus_without_tally(ws, ballots)


def _consensus_without_tally(ws: Workshop, ballots: list[tally_rules.TableBallot]) -> dict[str, Any]:
    return {
        "version": ws.consensus_version,
        "method": ws.tally_method,
        "revealed": ws.results_revealed,
        "agreed_tables": len(ballots),
        "tally": None,
        "comparison": None,
        "differs_from_borda": None,
        "confirmed": ws.confirmed,
    }


def _with_tally(
    section: dict[str, Any], ws: Workshop, ids: Sequence[str], ballots: list[tally_rules.TableBallot]
) -> dict[str, Any]:
    # Borda is 5…1 points whatever the number of principles (tables rank a top five).
    results = tally_rules.tally_all(ids, ballots, cut=tally_rules.DEFAULT_CUT)
    result = results[ws.tally_method]
    comparison = tally_rules.top_by_method(results)
    differs = [m for m, top in comparison.items() if m != "borda" and top != comparison["borda"]]
    return {**section, "tally": result.to_dict(), "comparison": comparison, "differs_from_borda": differs}


def consensus_for_role(ws, principle_ids, tables, rankings, role: str) -> dict[str, Any]:
    ballots = agreed_ballots(tables, rankings)
    section = _consensus_without_tally(ws, ballots)
    if role in PRIVILEGED_ROLES or ws.results_revealed:
        # The tally (and Schulze's strongest paths) only for those who see it: a phone joining gets none.
        return _with_tally(section, ws, principle_ids, ballots)
    return section
