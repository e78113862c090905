"""A site's own THRIVE Assessment Tool catalogue: previewing and importing a file, exporting it, and keeping it
for the locality's later workshops (docs/import.md).

Previews and imports are pure (``server.catalogue``): nothing is stored until a workshop is created with the
principles, or the facilitator saves the catalogue. Reading saved catalogues is deliberately secret-less: each is
kept under its locality's name with an id, and anyone setting up a workshop can list a locality's catalogues and
use one. Saving is not: it needs the console of a workshop of that locality (the route authenticates it), the
catalogue goes under that workshop's own locality, the list says when and from which workshop each was saved,
and each workshop may save only a few, so a stranger can neither plant one under a locality nor fill its cap
without creating workshops of it (which is limited per address). Nobody but the operator (in the database) can
change or delete one.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..catalogue import mapping as mapping_rules
from ..catalogue import writers
from ..catalogue.importing import file_error, import_principles, preview  # noqa: F401  (this service's API)
from ..models import Principle, SavedCatalogue, Workshop
from . import tokens
from .errors import CommandError, forbidden, invalid_payload, invalid_state, unauthenticated
from .state import load_principles
from .workshops import PrincipleSpec, _Strict

MAX_PER_LOCALITY = 100  # saved catalogues one locality may have
MAX_PER_WORKSHOP = 10  # saved catalogues one workshop may save
LIST_LIMIT = 50


# --- export -----------------------------------------------------------------------------------------------


class ExportRequest(_Strict):
    format: str = Field(pattern=r"^(csv|xlsx|json|docx)$")
    title: str = Field(default="", max_length=200)
    locality: str = Field(default="", max_length=200)
    principles: list[PrincipleSpec] = Field(min_length=1, max_length=mapping_rules.MAX_PRINCIPLES)


def _validated(model, raw: Any):
    if not isinstance(raw, dict):
        raise invalid_payload("The request must be a JSON object.")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        raise invalid_payload(f"{where[:80]}: {str(first.get('msg', 'invalid value'))[:200]}") from None


def file_name(title: str, kind: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "thrive-catalogue"
    return f"{stem}.{kind}"


def export(raw: Any) -> tuple[bytes, str, str]:
    """(content, media type, file name) for principles given in a request."""
    request = _validated(ExportRequest, raw)
    principles = [p.model_dump() for p in request.principles]
    content = writers.write(request.format, principles, title=request.title, locality=request.locality)
    return content, writers.MEDIA_TYPES[request.format], file_name(request.title or request.locality, request.format)


def template(kind: str) -> tuple[bytes, str, str]:
    if kind not in writers.WRITERS:
        raise CommandError("not_found", f"There is no template for {kind[:20]!r}: csv, xlsx, json or docx.", status=404)
    return writers.template(kind), writers.MEDIA_TYPES[kind], f"thrive-catalogue-template.{kind}"


# --- saved catalogues -------------------------------------------------------------------------------------


class SaveRequest(_Strict):
    title: str = Field(min_length=1, max_length=200)
    # The principles to save; the workshop's own when left out (what the set-up page's links page saves).
    principles: list[PrincipleSpec] | None = Field(default=None, min_length=1, max_length=mapping_rules.MAX_PRINCIPLES)
    # Optional, for a client that says which locality it means: it must be the workshop's own.
    locality: str | None = Field(default=None, max_length=200)


def locality_key(locality: str) -> str:
    return " ".join(str(locality).split()).casefold()[:200]


def iso_time(seconds: float) -> str:
    """``2026-12-07T12:30:05Z``: when, in UTC, to the second."""
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def summary(c: SavedCatalogue) -> dict[str, Any]:
    """What the list shows: the title, when and from which workshop it was saved, how many principles.

    ``saved_from`` is the workshop's title when it saved (kept after the workshop is deleted, when
    ``workshop_id`` turns null), or null for a catalogue saved before that was recorded.
    """
    return {
        "id": c.id,
        "locality": c.locality,
        "title": c.title,
        "principle_count": c.principle_count,
        "created_at": c.created_at,
        "saved_at": iso_time(c.created_at),
        "saved_from": c.workshop_title or None,
        "workshop_id": c.workshop_id,
    }


def _workshop_principles(rows: list[Principle]) -> list[dict[str, Any]]:
    """The workshop's principles as ``PrincipleSpec`` dumps them (the same keys, in the same order)."""
    return [
        {
            "id": r.principle_id, "name": r.name, "summary": r.summary, "level": r.level,
            "baseline_score": r.baseline_score, "statement": r.statement, "descriptors": list(r.descriptors or []),
            "notes": r.notes, "key_principles": list(r.key_principles or []),
        }
        for r in rows
    ]


async def _count(session: AsyncSession, *where) -> int:
    return (await session.exec(select(func.count()).select_from(SavedCatalogue).where(*where))).one()


async def save(session: AsyncSession, workshop_id: str, raw: Any, now: float | None = None) -> dict[str, Any]:
    """Save a catalogue for the locality of the workshop ``workshop_id``, whose console asked (authenticated by
    the caller). Refused when the workshop has no locality, names another one, or has saved its share."""
    request = _validated(SaveRequest, raw)
    # Saves are counted one at a time: a write that changes nothing takes the workshop's row lock on PostgreSQL
    # and SQLite's write lock (its first write opens the transaction), held until the commit or rollback; the
    # counts below then see every save committed before. The version is left alone: clients order updates by it.
    locked = await session.exec(update(Workshop).where(Workshop.id == workshop_id).values(version=Workshop.version))
    if locked.rowcount != 1:
        raise unauthenticated()
    workshop = await session.get(Workshop, workshop_id)
    locality = " ".join(workshop.locality.split())
    key = locality_key(locality)
    if not key:
        raise invalid_state(
            "This workshop has no locality, so there is none to save its catalogue for. Set the locality when you "
            "create the workshop (on the set-up page), then save from its links page or with its console link."
        )
    if request.locality is not None and locality_key(request.locality) != key:
        raise forbidden(
            f"This workshop is for {locality}: it can save catalogues for {locality} only. To save for another "
            "locality, use the console link of a workshop of that locality."
        )
    if request.principles is None:
        principles = _workshop_principles(await load_principles(session, workshop_id))
    else:
        ids = [p.id for p in request.principles]
        if len(set(ids)) != len(ids):
            raise invalid_payload("principles: ids must be different")
        principles = [p.model_dump() for p in request.principles]
    mine = await _count(session, SavedCatalogue.workshop_id == workshop_id)
    if mine >= MAX_PER_WORKSHOP:
        raise CommandError(
            "too_many",
            f"This workshop has already saved {mine} catalogues, the most one workshop may save. Reuse one of them "
            f"from the list for {locality}.",
            status=409,
        )
    count = await _count(session, SavedCatalogue.locality_key == key)
    if count >= MAX_PER_LOCALITY:
        raise CommandError(
            "too_many", f"This locality already has {count} saved catalogues, the most kept. Reuse one of them.",
            status=409,
        )
    catalogue = SavedCatalogue(
        id=tokens.new_id(),
        locality=locality,
        locality_key=key,
        title=request.title,
        principles=principles,
        principle_count=len(principles),
        created_at=time.time() if now is None else now,
        workshop_id=workshop.id,
        workshop_title=workshop.title,
    )
    session.add(catalogue)
    await session.commit()
    return summary(catalogue)


async def list_for(session: AsyncSession, locality: str) -> list[dict[str, Any]]:
    key = locality_key(locality)
    if not key:
        return []
    rows = await session.exec(
        select(SavedCatalogue)
        .where(SavedCatalogue.locality_key == key)
        .order_by(SavedCatalogue.created_at.desc(), SavedCatalogue.id)
        .limit(LIST_LIMIT)
    )
    return [summary(c) for c in rows]


async def get(session: AsyncSession, catalogue_id: str) -> SavedCatalogue:
    catalogue = await session.get(SavedCatalogue, catalogue_id[:32]) if catalogue_id else None
    if catalogue is None:
        raise CommandError("not_found", "No saved catalogue has that id.", status=404)
    return catalogue


def full(c: SavedCatalogue) -> dict[str, Any]:
    return {**summary(c), "principles": c.principles}


async def export_saved(session: AsyncSession, catalogue_id: str, kind: str) -> tuple[bytes, str, str]:
    if kind not in writers.WRITERS:
        raise CommandError("not_found", f"There is no export as {kind[:20]!r}: csv, xlsx, json or docx.", status=404)
    catalogue = await get(session, catalogue_id)
    content = writers.write(kind, catalogue.principles, title=catalogue.title, locality=catalogue.locality)
    return content, writers.MEDIA_TYPES[kind], file_name(catalogue.title, kind)
