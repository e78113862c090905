"""Creating a workshop, joining a table, and telling who a token belongs to."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import and_, bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import statements
from ..catalogue import default_principles
from ..domain import agenda as agenda_rules
from ..domain.room import MAX_PARTICIPANTS_PER_TABLE, MAX_TABLES
from ..models import Credential, Participant, Principle, Ranking, Segment, Workshop, WorkshopTable
from ..text import CleanedModel
from . import access, tokens
from .commands import Actor
from .errors import CommandError, invalid_payload, not_found, unauthenticated
from .guesses import Guesses
from .state import load_tables

PRINCIPLE_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
Level = Literal["macro", "meso", "micro"]


class _Strict(CleanedModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PrincipleSpec(_Strict):
    id: str = Field(pattern=PRINCIPLE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(default="", max_length=500)
    level: Level | None = None
    baseline_score: int | None = Field(default=None, ge=1, le=4)
    # A site's own THRIVE Assessment Tool texts (docs/import.md): the statement, the four descriptions from
    # 1 (not yet met) to 4 (fully THRIVE-like), notes or evidence, and the key principles it links to.
    statement: str = Field(default="", max_length=2000)
    descriptors: list[Annotated[str, Field(max_length=1000)]] = Field(default_factory=list, max_length=4)
    notes: str = Field(default="", max_length=2000)
    key_principles: list[Annotated[str, Field(pattern=PRINCIPLE_ID_PATTERN)]] = Field(
        default_factory=list, max_length=8
    )

    @model_validator(mode="after")
    def _four_or_none(self):
        if self.descriptors and len(self.descriptors) != 4:
            raise ValueError("descriptors: give all four descriptions (1 to 4), or none")
        if len(set(self.key_principles)) != len(self.key_principles):
            raise ValueError("key_principles: each once")
        return self


class SegmentSpec(_Strict):
    kind: Literal[agenda_rules.SEGMENT_KINDS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=120)
    instructions: str = Field(default="", max_length=1000)
    planned_seconds: int = Field(ge=60, le=14400)


class Durations(_Strict):
    rank: int | None = Field(default=None, ge=1, le=240)
    share: int | None = Field(default=None, ge=1, le=240)
    consensus: int | None = Field(default=None, ge=1, le=240)
    # The opening segments (issue 17): 0 or absent leaves them out (the set-up form asks for the review).
    review: int | None = Field(default=None, ge=0, le=240)
    discuss: int | None = Field(default=None, ge=0, le=240)


class CreateWorkshop(_Strict):
    title: str = Field(min_length=1, max_length=200)
    locality: str = Field(default="", max_length=200)
    tables: list[str] | None = Field(default=None, min_length=1, max_length=MAX_TABLES)
    table_count: int | None = Field(default=None, ge=1, le=MAX_TABLES)
    principles: list[PrincipleSpec] | None = Field(default=None, min_length=1, max_length=60)
    baseline_scores: dict[str, int] | None = Field(default=None, max_length=60)
    durations_minutes: Durations | None = None
    agenda: list[SegmentSpec] | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _consistent(self):
        if self.tables is None and self.table_count is None:
            raise ValueError("give 'tables' (names) or 'table_count'")
        if self.tables is not None:
            names = [n.strip() for n in self.tables]
            if any(not (1 <= len(n) <= 60) for n in names):
                raise ValueError("tables: each name is 1 to 60 characters")
            if len({n.casefold() for n in names}) != len(names):
                raise ValueError("tables: names must be different")
            self.tables = names
        if self.principles is not None and len({p.id for p in self.principles}) != len(self.principles):
            raise ValueError("principles: ids must be different")
        for pid, score in (self.baseline_scores or {}).items():
            if not 1 <= score <= 4:
                raise ValueError(f"baseline_scores: {pid[:64]!r} must be 1 to 4")
        return self

    def table_names(self) -> list[str]:
        return (
            self.tables if self.tables is not None else [f"Table {i}" for i in range(1, self.table_count + 1)]
        )


# What to tell a facilitator about a field the set-up form got wrong (the API adds the technical detail).
FIELD_HELP = {
    "title": "Give the workshop a title (up to 200 characters).",
    "locality": "The locality can be up to 200 characters.",
    "tables": "Give 1 to 30 tables, one name per line, each up to 60 characters and all different.",
    "table_count": "Choose between 1 and 30 tables.",
    "baseline_scores": "Baseline scores are whole numbers from 1 to 4, for the workshop's principles.",
    "durations_minutes": "Each exercise lasts between 1 and 240 minutes (the opening review and discussion 0 to "
    "240: 0 leaves them out).",
    "principles": "Each principle needs an id (letters, digits, '-', '_' or '.'), a name, and ids must differ; "
    "statements and notes are at most 2000 characters, each of the four descriptions at most 1000.",
    "agenda": "Each agenda part needs a kind, a title and 1 to 240 minutes.",
}


def parse_create(raw: object) -> CreateWorkshop:
    if not isinstance(raw, dict):
        raise invalid_payload("The request must be a JSON object.")
    try:
        return CreateWorkshop.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        detail = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        field = loc[0] if loc else detail.split(":", 1)[0]
        message = FIELD_HELP.get(field, detail)
        raise CommandError(
            "invalid_payload", message, status=422, extra={"field": ".".join(loc) or field, "detail": detail}
        ) from None


@dataclass(frozen=True)
class CreatedWorkshop:
    workshop: Workshop
    facilitator_token: str
    projector_token: str


def _principles(spec: CreateWorkshop) -> list[dict]:
    items = [p.model_dump() for p in spec.principles] if spec.principles else default_principles()
    known = {p["id"] for p in items}
    for pid, score in (spec.baseline_scores or {}).items():
        if pid not in known:
            detail = f"{pid[:64]!r} is not one of the principles"
            raise CommandError(
                "invalid_payload",
                f"baseline_scores: {detail}",
                status=422,
                extra={"field": f"baseline_scores.{pid[:64]}", "detail": detail},
            )
        next(p for p in items if p["id"] == pid)["baseline_score"] = score
    return items


def _segments(spec: CreateWorkshop) -> list[SegmentSpec]:
    if spec.agenda:
        return spec.agenda
    given = spec.durations_minutes.model_dump() if spec.durations_minutes else {}
    minutes = {kind: value for kind, value in given.items() if value is not None}
    return [
        SegmentSpec(kind=kind, title=title, instructions=instructions, planned_seconds=planned)
        for kind, title, instructions, planned in agenda_rules.default_phase1_agenda(minutes)
    ]


async def insert_workshop(
    session: AsyncSession, now: float, *, created_at: float | None = None, **fields
) -> tuple[Workshop, str, str]:
    """Add a workshop with a fresh join code, and its facilitator and projector links made at ``now``.

    Returns the workshop and the two tokens (only their hashes are stored). Used by creation and by import
    (which keeps the original ``created_at``).
    """
    created_at = now if created_at is None else created_at
    for _attempt in range(5):  # a join-code collision is rare; draw again
        workshop = Workshop(
            id=tokens.new_id(), join_code=tokens.new_join_code(), created_at=created_at, **fields
        )
        session.add(workshop)
        try:
            await session.flush()
            break
        except IntegrityError:
            await session.rollback()
    else:
        raise CommandError("server_error", "Could not make a join code. Try again.", status=500)
    facilitator_token, projector_token = tokens.new_token(), tokens.new_token()
    for token, role in ((facilitator_token, "facilitator"), (projector_token, "projector")):
        session.add(
            Credential(
                token_hash=tokens.hash_token(token), workshop_id=workshop.id, role=role, created_at=now
            )
        )
    return workshop, facilitator_token, projector_token


async def create_workshop(
    session: AsyncSession, spec: CreateWorkshop, now: float | None = None
) -> CreatedWorkshop:
    now = time.time() if now is None else now
    principles = _principles(spec)
    workshop, facilitator_token, projector_token = await insert_workshop(
        session, now, title=spec.title, locality=spec.locality
    )
    for position, name in enumerate(spec.table_names()):
        table = WorkshopTable(id=tokens.new_id(), workshop_id=workshop.id, name=name, position=position)
        session.add(table)
        session.add(Ranking(table_id=table.id, workshop_id=workshop.id, items=[], updated_at=now))
    for position, p in enumerate(principles):
        session.add(
            Principle(
                workshop_id=workshop.id,
                principle_id=p["id"],
                name=p["name"],
                summary=p.get("summary", ""),
                level=p.get("level"),
                baseline_score=p.get("baseline_score"),
                position=position,
                statement=p.get("statement", ""),
                descriptors=list(p.get("descriptors") or []),
                notes=p.get("notes", ""),
                key_principles=list(p.get("key_principles") or []),
            )
        )
    for position, seg in enumerate(_segments(spec)):
        session.add(
            Segment(
                id=tokens.new_id(),
                workshop_id=workshop.id,
                position=position,
                kind=seg.kind,
                title=seg.title,
                instructions=seg.instructions,
                planned_seconds=seg.planned_seconds,
                remaining_seconds=float(seg.planned_seconds),
            )
        )
    await session.commit()
    return CreatedWorkshop(workshop, facilitator_token, projector_token)


async def workshop_by_code(session: AsyncSession, raw_code: str) -> Workshop:
    code = tokens.normalise_join_code(raw_code or "")[:12]
    rows = await session.exec(select(Workshop).where(Workshop.join_code == code))
    workshop = rows.first()
    if workshop is None:
        raise _no_workshop()
    return workshop


async def public_join_info(session: AsyncSession, raw_code: str) -> dict:
    workshop = await workshop_by_code(session, raw_code)
    tables = await load_tables(session, workshop.id)
    return {
        "workshop": {"title": workshop.title, "locality": workshop.locality, "join_code": workshop.join_code},
        "tables": [{"id": t.id, "name": t.name} for t in tables],
    }


class JoinRequest(_Strict):
    table_id: str = Field(min_length=1, max_length=32)
    display_name: str = Field(default="", max_length=40)


@dataclass(frozen=True)
class Joined:
    participant_token: str
    participant_id: str
    table_id: str


def join_request(raw: object) -> JoinRequest:
    """The body of ``POST /api/join/{code}``, validated (before the writer's turn: it needs no database)."""
    if not isinstance(raw, dict):
        raise invalid_payload("The request must be a JSON object.")
    try:
        return JoinRequest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise invalid_payload(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


async def join_table(
    session: statements.Executor, raw_code: str, raw: object, now: float | None = None
) -> Joined:
    """A phone joins a table: on any executor (an ORM session, a connection, SQLite's synchronous one)."""
    return await join_in_turn(session, raw_code, join_request(raw), time.time() if now is None else now)


async def join_in_turn(connection: statements.Executor, raw_code: str, request: JoinRequest, now: float) -> Joined:
    """The join's transaction, statements only (``CommandBus.write`` runs it in the writer's turn: on SQLite with
    the commands waiting for it, ``statements.TakingTurns``): the workshop by its code, the table, the table's
    cap counted under the table row's lock, the participant and its credential written, committed."""
    code = tokens.normalise_join_code(raw_code or "")[:12]
    try:
        found = await statements.first(connection, _JOIN_TABLE, {"join_code": code, "table_id": request.table_id})
        if found is None:
            await statements.rollback(connection)
            if await statements.first(connection, _WORKSHOP_BY_CODE, {"join_code": code}) is None:
                raise _no_workshop()
            raise not_found("That table")
        # Counted under the table row's lock (a write), so joins at the same moment cannot pass the cap together.
        await statements.execute(connection, _LOCK_TABLE, {"table_id": found.table_id})
        joined = await statements.first(connection, _COUNT_JOINED, {"table_id": found.table_id})
        if joined.n >= MAX_PARTICIPANTS_PER_TABLE:
            raise CommandError(
                "table_full",
                f"{MAX_PARTICIPANTS_PER_TABLE} phones have joined this table already. Join another table, or ask "
                "the facilitator.",
                status=409,
            )
        participant_id, token = tokens.new_id(), tokens.new_token()
        values = {"workshop_id": found.workshop_id, "table_id": found.table_id, "created_at": now}
        await statements.execute(
            connection, _ADD_PARTICIPANT, {**values, "id": participant_id, "display_name": request.display_name}
        )
        await statements.execute(
            connection,
            _ADD_CREDENTIAL,
            {
                "token_hash": tokens.hash_token(token),
                "workshop_id": found.workshop_id,
                "role": "participant",
                "participant_id": participant_id,
                "revoked": False,
                "created_at": now,
            },
        )
        await statements.commit(connection)
    except BaseException:
        await statements.rollback(connection)
        raise
    return Joined(token, participant_id, found.table_id)


def _no_workshop() -> CommandError:
    return CommandError("not_found", "No workshop has that code. Check the code on the projector.", status=404)


_WORKSHOPS, _TABLES = Workshop.__table__, WorkshopTable.__table__
_PARTICIPANTS, _CREDENTIALS = Participant.__table__, Credential.__table__
_WORKSHOP_BY_CODE = select(_WORKSHOPS.c.id).where(_WORKSHOPS.c.join_code == bindparam("join_code"))
_JOIN_TABLE = (
    select(_TABLES.c.id.label("table_id"), _TABLES.c.workshop_id)
    .join(_WORKSHOPS, _WORKSHOPS.c.id == _TABLES.c.workshop_id)
    .where(_WORKSHOPS.c.join_code == bindparam("join_code"), _TABLES.c.id == bindparam("table_id"))
)
_LOCK_TABLE = _TABLES.update().where(_TABLES.c.id == bindparam("table_id")).values(id=_TABLES.c.id)
_COUNT_JOINED = select(func.count().label("n")).where(_PARTICIPANTS.c.table_id == bindparam("table_id"))
_ADD_PARTICIPANT = _PARTICIPANTS.insert().values({c.name: bindparam(c.name) for c in _PARTICIPANTS.columns})
_ADD_CREDENTIAL = _CREDENTIALS.insert().values({c.name: bindparam(c.name) for c in _CREDENTIALS.columns})
# A token's credential, its participant and (for the facilitator link) its workshop's password: one statement.
_READ_CREDENTIAL = (
    select(
        _CREDENTIALS.c.token_hash,
        _CREDENTIALS.c.workshop_id,
        _CREDENTIALS.c.role,
        _CREDENTIALS.c.revoked,
        _PARTICIPANTS.c.id.label("participant_id"),
        _PARTICIPANTS.c.table_id,
        _WORKSHOPS.c.id.label("password_workshop_id"),
        _WORKSHOPS.c.facilitator_password,
    )
    .select_from(_CREDENTIALS)
    .outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.id == _CREDENTIALS.c.participant_id)
    .outerjoin(
        _WORKSHOPS, and_(_WORKSHOPS.c.id == _CREDENTIALS.c.workshop_id, _CREDENTIALS.c.role == "facilitator")
    )
    .where(_CREDENTIALS.c.token_hash == bindparam("token_hash"))
)


async def read_credential(executor: statements.Executor, token_hash: str):
    """The row ``authenticate`` decides on (None for an unknown token)."""
    return await statements.first(executor, _READ_CREDENTIAL, {"token_hash": token_hash})


async def authenticate(
    session: statements.Executor | None,
    token: object,
    password: object = None,
    *,
    guesses: Guesses,
    address: str,
    read: Callable[..., Awaitable[Any]] | None = None,
) -> Actor:
    """Who holds this token. Raises ``unauthenticated`` for anything else, and ``password_required`` or
    ``wrong_password`` for a facilitator link whose workshop has a password and a missing or wrong one
    (``rate_limited`` after too many wrong ones from ``address`` or for the workshop: services.guesses).

    The token is looked up by its SHA-256 hash (the hash of a 256-bit random token leaks nothing through the
    index's timing), then the stored hash is compared in constant time all the same. One statement, on
    ``session``, or through ``read`` (``CommandBus.read``: on SQLite one call on the loop's reading connection).
    """
    if not isinstance(token, str) or not (16 <= len(token) <= 256):
        raise unauthenticated()
    token_hash = tokens.hash_token(token)
    row = await (read(read_credential, token_hash) if read is not None else read_credential(session, token_hash))
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, token_hash):
        raise unauthenticated()
    if row.role != "participant":
        if row.role == "facilitator":
            if row.password_workshop_id is None:
                raise unauthenticated()
            await access.check_password(
                _PasswordOf(row.workshop_id, row.facilitator_password), password, guesses, address
            )
        role, link = ("facilitator", "cofacilitator") if row.role == "cofacilitator" else (row.role, None)
        return Actor(workshop_id=row.workshop_id, role=role, link=link, credential_hash=token_hash)
    if row.participant_id is None:
        raise unauthenticated()
    return Actor(
        workshop_id=row.workshop_id,
        role="participant",
        participant_id=row.participant_id,
        table_id=row.table_id,
        credential_hash=token_hash,
    )


@dataclass(frozen=True)
class _PasswordOf:
    """What ``access.check_password`` reads of a workshop."""

    id: str
    facilitator_password: str | None
