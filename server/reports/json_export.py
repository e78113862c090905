"""Everything about a workshop as JSON, to keep or to import into another instance as a new workshop.

The export names no ids, tokens, token hashes, addresses or passwords: tables are referred to by their place,
segments by theirs. Importing it creates a workshop equal in content (the same export comes out again, but for
``exported_at``) with new ids, new tokens and a new join code. Participants come back as anonymous places that
nobody can log in with, so attendance is kept. Everything imported is checked as if typed in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..domain import reasons as reason_rules
from ..domain import worksheet as doc_rules
from ..domain.errors import DomainError
from ..models import (
    Participant,
    PlanAction,
    Principle,
    Ranking,
    Segment,
    TableReasons,
    Worksheet,
    WorkshopNote,
    WorkshopPlan,
    WorkshopTable,
)
from ..services import notes as note_rules
from ..services import tokens
from ..services.workshops import CreatedWorkshop, insert_workshop
from ..text import clean_value
from .data import ReportData, ReportRows, assemble
from .json_import import FORMAT, FORMAT_VERSION, MAX_IMPORT_BYTES, WorksheetIn, parse_export, refused  # noqa: F401


def _report_dict(report: ReportData) -> dict[str, Any]:
    return dataclasses.asdict(report)


def export(rows: ReportRows) -> dict[str, Any]:
    # Cleaned as any text from outside is (server.text): what was stored before the cleaning was in place too.
    return clean_value(_export(rows))


def _export(rows: ReportRows) -> dict[str, Any]:
    ws = rows.workshop
    tables = sorted(rows.tables, key=lambda t: t.position)
    place = {t.id: i for i, t in enumerate(tables)}
    segments = sorted(rows.segments, key=lambda s: s.position)
    segment_place = {s.id: i for i, s in enumerate(segments)}
    principle_fields = [f for f in Principle.model_fields if f not in ("pk", "workshop_id")]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": rows.now,
        "workshop": {
            "title": ws.title,
            "locality": ws.locality,
            "created_at": ws.created_at,
            "rankings_locked": ws.rankings_locked,
            "lock_on_timeout": ws.lock_on_timeout,
            "tally_method": ws.tally_method,
            "results_revealed": ws.results_revealed,
            # "reason" and "settled_tie" always present (records from before they were kept have neither), so an
            # import gives the same back.
            "confirmed": {**ws.confirmed, "reason": ws.confirmed.get("reason"),
                          "settled_tie": bool(ws.confirmed.get("settled_tie"))} if ws.confirmed else None,
            "display_mode": ws.display_mode,
            "display_table": place.get(ws.display_table_id),
            "display_cell": ws.display_cell,
            "display_page": ws.display_page,
            "current_segment": segment_place.get(ws.current_segment_id),
            # The report's state (domain.report_status): final since final_at, by final_by; every change.
            "report": {
                "final_at": ws.report_final_at,
                "final_by": ws.report_final_by if ws.report_final_at is not None else None,
                "history": list(ws.report_history or []),
            },
            # Who was in the room (issue 17): the facilitator's list of sectors, null for the default list.
            "sector_options": ws.sector_options,
        },
        "principles": [
            {f: getattr(p, f) for f in principle_fields}
            for p in sorted(rows.principles, key=lambda p: p.position)
        ],
        "tables": [
            {"name": t.name, "participants": rows.attendance.get(t.id, 0), "sectors": list(t.sectors or []),
             "people": t.people}
            for t in tables
        ],
        "rankings": [
            {
                "table": place[r.table_id],
                "items": list(r.items),
                "revision": r.revision,
                "agreed": r.agreed,
                "agreed_at": r.agreed_at,
                "updated_at": r.updated_at,
            }
            for r in sorted(rows.rankings.values(), key=lambda r: place.get(r.table_id, 0))
            if r.table_id in place
        ],
        "agenda": [
            {
                "kind": s.kind,
                "title": s.title,
                "instructions": s.instructions,
                "subject": s.subject,
                "planned_seconds": s.planned_seconds,
                "status": s.status,
                "deadline": s.deadline,
                "remaining_seconds": s.remaining_seconds,
                "elapsed_seconds": s.elapsed_seconds,
                "run_started_at": s.run_started_at,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
            }
            for s in segments
        ],
        "worksheets": [
            {
                "priority_id": w.priority_id,
                "table": place.get(w.table_id) if w.table_id is not None else None,
                "text": {cell: w.text.get(cell, "") for cell in doc_rules.CELLS},
                "state": doc_rules.b64encode(w.doc),
                "created_at": w.created_at,
                "updated_at": w.updated_at,
            }
            for w in sorted(
                rows.worksheets,
                key=lambda w: (w.priority_id, -1 if w.table_id is None else place.get(w.table_id, 10**6)),
            )
            if w.table_id is None or w.table_id in place
        ],
        # Each table's reasons for its five: the texts by principle id (shown or not) and the Yjs document.
        "reasons": [
            {
                "table": place[table_id],
                "text": dict(sorted(texts.items())),
                "state": doc_rules.b64encode(rows.reason_docs[table_id]) if table_id in rows.reason_docs else None,
                "updated_at": rows.reason_times.get(table_id),
            }
            for table_id, texts in sorted(rows.reasons.items(), key=lambda kv: place.get(kv[0], 0))
            if table_id in place
        ],
        "plan": {
            "engagement_notes": rows.plan.engagement_notes if rows.plan else "",
            "redesign_date": rows.plan.redesign_date if rows.plan else "",
            "tables_may_edit": bool(rows.plan and rows.plan.tables_may_edit),
            "actions": [
                {
                    "action": a.action,
                    "priority_id": a.priority_id,
                    "recommendation": a.recommendation,
                    "owner": a.owner,
                    "due": a.due,
                    "due_note": a.due_note,
                    "review": a.review_date,
                    "measure": a.measure,
                    "status": a.status,
                    "created_at": a.created_at,
                    "updated_at": a.updated_at,
                }
                for a in sorted(rows.actions, key=lambda a: a.position)
            ],
        },
        # The facilitators' notes (services.notes): the opening review's findings, what each table said.
        "notes": _notes(rows, place),
        # The report as every other format says it (for readers of the JSON); ignored on import.
        "report": _report_dict(assemble(rows)),
    }


def _notes(rows: ReportRows, place: dict[str, int]) -> dict[str, Any]:
    review = None
    tables = []
    for n in rows.notes:
        if n.subject == note_rules.REVIEW:
            review = {"text": n.text, "updated_at": n.updated_at}
        elif n.subject.startswith(note_rules.TABLE_PREFIX):
            table = place.get(n.subject[len(note_rules.TABLE_PREFIX):])
            if table is not None:
                tables.append({"table": table, "text": n.text, "updated_at": n.updated_at})
    return {"review": review, "tables": sorted(tables, key=lambda t: t["table"])}


# --- import (the rules: json_import) ------------------------------------------------------------------------


async def import_workshop(session, raw: object, now: float | None = None) -> CreatedWorkshop:
    """Store an export as a new workshop. ``raw`` is ``json_import.canonical_export``'s answer (the parser
    child's), checked here again; its worksheet documents are already merged."""
    # Megabytes of models to check: in a thread, so the live workshops' event loop is not held meanwhile.
    data = await asyncio.to_thread(parse_export, raw)
    now = time.time() if now is None else now
    w = data.workshop
    workshop, facilitator_token, projector_token = await insert_workshop(
        session,
        now,
        created_at=w.created_at,
        title=w.title,
        locality=w.locality,
        rankings_locked=w.rankings_locked,
        lock_on_timeout=w.lock_on_timeout,
        tally_method=w.tally_method,
        results_revealed=w.results_revealed,
        confirmed=w.confirmed.model_dump() if w.confirmed is not None else None,
        display_mode=w.display_mode,
        display_cell=w.display_cell,
        display_page=w.display_page,
        # An export from before the report could be final has no "report": it imports as a draft.
        report_final_at=w.report.final_at if w.report else None,
        report_final_by=w.report.final_by if w.report and w.report.final_at is not None else None,
        report_history=[h.model_dump(exclude_none=True) for h in w.report.history] if w.report else [],
        sector_options=[o.model_dump() for o in w.sector_options] if w.sector_options is not None else None,
    )
    table_ids = []
    for position, t in enumerate(data.tables):
        table = WorkshopTable(
            id=tokens.new_id(), workshop_id=workshop.id, name=t.name, position=position, sectors=list(t.sectors),
            people=t.people,
        )
        table_ids.append(table.id)
        session.add(table)
        for _ in range(t.participants):
            # A place at the table with no credential: attendance is kept, nobody can log in with it.
            session.add(
                Participant(id=tokens.new_id(), workshop_id=workshop.id, table_id=table.id, created_at=now)
            )
    rankings = {r.table: r for r in data.rankings}
    for index, table_id in enumerate(table_ids):
        r = rankings.get(index)
        session.add(
            Ranking(
                table_id=table_id,
                workshop_id=workshop.id,
                items=list(r.items) if r else [],
                revision=r.revision if r else 0,
                agreed=r.agreed if r else False,
                agreed_at=r.agreed_at if r else None,
                updated_at=(r.updated_at if r else None) or now,
            )
        )
    principle_fields = set(Principle.model_fields) - {"pk", "workshop_id"}
    for p in data.principles:
        values = {k: v for k, v in p.model_dump().items() if k in principle_fields}
        session.add(Principle(workshop_id=workshop.id, **values))
    segment_ids = []
    for position, s in enumerate(data.agenda):
        segment = Segment(id=tokens.new_id(), workshop_id=workshop.id, position=position, **s.model_dump())
        segment_ids.append(segment.id)
        session.add(segment)
    if w.current_segment is not None:
        workshop.current_segment_id = segment_ids[w.current_segment]
    if w.display_table is not None and w.display_table < len(table_ids):
        workshop.display_table_id = table_ids[w.display_table]
    for sheet in data.worksheets:
        state, text = _stored_worksheet(sheet)
        session.add(
            Worksheet(
                id=tokens.new_id(),
                workshop_id=workshop.id,
                priority_id=sheet.priority_id,
                table_id=None if sheet.table is None else table_ids[sheet.table],
                doc=state,
                text=text,
                created_at=sheet.created_at,
                updated_at=sheet.updated_at,
            )
        )
    ids = [p.principle_id for p in data.principles]
    for reasons in data.reasons:
        session.add(
            TableReasons(
                table_id=table_ids[reasons.table],
                workshop_id=workshop.id,
                doc=doc_rules.b64decode(reasons.state, limit=reason_rules.MAX_DOC_BYTES)
                if reasons.state
                else reason_rules.new_document(reasons.text, ids),
                text=dict(reasons.text),
                updated_at=reasons.updated_at,
            )
        )
    plan = data.plan
    session.add(
        WorkshopPlan(
            workshop_id=workshop.id,
            engagement_notes=plan.engagement_notes,
            redesign_date=plan.redesign_date,
            tables_may_edit=plan.tables_may_edit,
        )
    )
    for position, a in enumerate(plan.actions):
        values = a.model_dump()
        values["review_date"] = values.pop("review")
        session.add(PlanAction(id=tokens.new_id(), workshop_id=workshop.id, position=position, **values))
    if data.notes.review is not None:
        r = data.notes.review
        session.add(WorkshopNote(workshop_id=workshop.id, subject=note_rules.REVIEW, text=r.text, version=0,
                                 updated_at=r.updated_at))
    for n in data.notes.tables:
        session.add(WorkshopNote(workshop_id=workshop.id, subject=note_rules.table_subject(table_ids[n.table]),
                                 text=n.text, version=0, updated_at=n.updated_at))
    await session.commit()
    return CreatedWorkshop(workshop, facilitator_token, projector_token)


def _stored_worksheet(sheet: WorksheetIn) -> tuple[bytes, dict[str, str]]:
    """The document as the parser child merged it, and the cells' texts; one made from the text if none."""
    if sheet.state:
        try:
            return doc_rules.b64decode(sheet.state, limit=doc_rules.MAX_DOC_BYTES), dict(sheet.text)
        except DomainError:
            raise refused("worksheets.state", "not a worksheet document") from None
    state = doc_rules.new_document({cell: sheet.text.get(cell, "") for cell in doc_rules.CELLS})
    return state, doc_rules.texts_of(state)
