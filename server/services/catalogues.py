"""A site's own THRIVE Assessment Tool catalogue: previewing and importing a file, exporting it, and keeping it
for the locality's later workshops (docs/import.md).

Previews and imports are pure (``server.catalogue``): nothing is stored until a workshop is created with the
principles, or the facilitator saves the catalogue. Saved catalogues are deliberately secret-less: each is kept
under its locality's name with an id, anyone setting up a workshop can list a locality's catalogues and use one,
and nobody but the operator (in the database) can change or delete one.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..catalogue import mapping as mapping_rules
from ..catalogue import writers
from ..catalogue.importing import file_error, import_principles, preview  # noqa: F401  (this service's API)
from ..models import SavedCatalogue
from . import tokens
from .errors import CommandError, invalid_payload
from .workshops import PrincipleSpec, _Strict

MAX_PER_LOCALITY = 100  # saved catalogues one locality may have
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
    locality: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    principles: list[PrincipleSpec] = Field(min_length=1, max_length=mapping_rules.MAX_PRINCIPLES)


def locality_key(locality: str) -> str:
    return " ".join(str(locality).split()).casefold()[:200]


def summary(c: SavedCatalogue) -> dict[str, Any]:
    return {
        "id": c.id,
        "locality": c.locality,
        "title": c.title,
        "principle_count": c.principle_count,
        "created_at": c.created_at,
    }


async def save(session: AsyncSession, raw: Any, now: float | None = None) -> dict[str, Any]:
    request = _validated(SaveRequest, raw)
    ids = [p.id for p in request.principles]
    if len(set(ids)) != len(ids):
        raise invalid_payload("principles: ids must be different")
    key = locality_key(request.locality)
    count = (
        await session.exec(select(func.count()).select_from(SavedCatalogue).where(SavedCatalogue.locality_key == key))
    ).one()
    if count >= MAX_PER_LOCALITY:
        raise CommandError(
            "too_many", f"This locality already has {count} saved catalogues, the most kept. Reuse one of them.",
            status=409,
        )
    principles = [p.model_dump() for p in request.principles]
    catalogue = SavedCatalogue(
        id=tokens.new_id(),
        locality=" ".join(request.locality.split()),
        locality_key=key,
        title=request.title,
        principles=principles,
        principle_count=len(principles),
        created_at=time.time() if now is None else now,
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
