"""The ``scores`` section (docs/protocol.md): in-app baseline scores, their spread and the agreed scores.

Facilitators and the projector get the whole room's spread; a phone gets its own table's scores (by table: the
table's shared score; by person: each person at the table), so a tap at one table goes to that table's phones
only. Each view's ``version`` is the last change it shows, so a snapshot and the updates after it agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..models import Principle, PrincipleScore, Workshop

KIND_FOR = {"table": "table", "person": "participant"}
PRIVILEGED_ROLES = frozenset({"facilitator", "projector"})


# Built once: every snapshot runs it (see state.py).
_SCORES = (
    select(PrincipleScore)
    .where(PrincipleScore.workshop_id == bindparam("workshop_id"))
    .order_by(PrincipleScore.principle_id, PrincipleScore.scorer)
)


async def load_scores(session: AsyncSession, workshop_id: str) -> list[PrincipleScore]:
    return list(await session.exec(_SCORES, params={"workshop_id": workshop_id}))


def _agreed(principles: list[Principle]) -> dict[str, int]:
    ordered = sorted(principles, key=lambda p: p.position)
    return {p.principle_id: p.agreed_score for p in ordered if p.agreed_score is not None}


def room_section(ws: Workshop, principles: list[Principle], scores: list[PrincipleScore]) -> dict[str, Any]:
    """What facilitators and the projector hold: per principle, how many scorers gave 1, 2, 3 and 4."""
    kind = KIND_FOR[ws.scoring_by]
    live = [s for s in scores if s.kind == kind and s.score is not None]
    items: dict[str, Any] = {}
    for p in sorted(principles, key=lambda p: p.position):
        counts = [0, 0, 0, 0]
        for s in live:
            if s.principle_id == p.principle_id and 1 <= s.score <= 4:
                counts[s.score - 1] += 1
        n = sum(counts)
        mean = round(sum((i + 1) * c for i, c in enumerate(counts)) / n, 2) if n else None
        items[p.principle_id] = {"counts": counts, "n": n, "mean": mean}
    tables: dict[str, dict[str, int]] = {}
    if kind == "table":
        for s in live:
            tables.setdefault(s.table_id, {})[s.principle_id] = s.score
    return {
        "version": max([ws.scores_version, *(s.version for s in scores)]),
        "open": ws.scoring_open,
        "by": ws.scoring_by,
        "agreed": _agreed(principles),
        "principles": items,
        "scorers": len({s.scorer for s in live}),
        "tables": tables,
    }


def table_section(
    ws: Workshop, principles: list[Principle], scores: list[PrincipleScore], table_id: str | None
) -> dict[str, Any]:
    """What a table's phones hold: the agreed scores and their own table's scores."""
    kind = KIND_FOR[ws.scoring_by]
    mine = [s for s in scores if s.table_id == table_id]
    table: dict[str, int] = {}
    people: dict[str, dict[str, int]] = {}
    for s in mine:
        if s.score is None or s.kind != kind:
            continue
        if kind == "table":
            table[s.principle_id] = s.score
        else:
            people.setdefault(s.scorer.split(":", 1)[1], {})[s.principle_id] = s.score
    return {
        "version": max([ws.scores_version, *(s.version for s in mine)]),
        "open": ws.scoring_open,
        "by": ws.scoring_by,
        "agreed": _agreed(principles),
        "table": table,
        "people": people,
    }


def scores_for(
    ws: Workshop, principles: list[Principle], scores: list[PrincipleScore], role: str, table_id: str | None
) -> dict[str, Any]:
    if role in PRIVILEGED_ROLES:
        return room_section(ws, principles, scores)
    return table_section(ws, principles, scores, table_id)
