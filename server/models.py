"""Database tables. All workshop state lives here, so any worker, or the same one after a restart, sees it.

Times are UNIX epoch seconds (floats): the timer arithmetic in ``domain.agenda`` works on them directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# Named constraints let Alembic's batch mode alter SQLite tables.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


class Workshop(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    locality: str = Field(default="", max_length=200)
    join_code: str = Field(max_length=12, unique=True, index=True)
    created_at: float
    # Bumped by every change, under a row lock: it serialises writers per workshop across workers
    # and orders the updates clients receive.
    version: int = 0
    # The version of the change that last wrote each section (clients drop older updates).
    workshop_version: int = 0
    agenda_version: int = 0
    consensus_version: int = 0
    display_version: int = 0
    rankings_locked: bool = False
    current_segment_id: str | None = Field(default=None, max_length=32)
    lock_on_timeout: bool = False
    tally_method: str = Field(default="borda", max_length=16)
    results_revealed: bool = False
    confirmed: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    display_mode: str = Field(default="auto", max_length=16)
    display_table_id: str | None = Field(default=None, max_length=32)
    # Optional second factor for the facilitator link: a salted scrypt hash (services.access), never the password.
    facilitator_password: str | None = Field(default=None, max_length=200)
    # The deadline whose running-out already locked the rankings (lock_on_timeout): the scheduler locks once
    # per deadline, so a facilitator who unlocks in overtime is not overruled; extending sets a new deadline.
    timeout_lock_deadline: float | None = None


class Credential(SQLModel, table=True):
    """A secret token, kept only as its SHA-256 hash.

    ``role`` is the link it belongs to: ``facilitator``, ``cofacilitator``, ``projector`` or ``participant``.
    """

    token_hash: str = Field(primary_key=True, max_length=64)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    role: str = Field(max_length=16)
    participant_id: str | None = Field(default=None, max_length=32)
    revoked: bool = False
    created_at: float


class WorkshopTable(SQLModel, table=True):
    __tablename__ = "workshop_table"
    id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    name: str = Field(max_length=60)
    position: int


class Principle(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workshop_id", "principle_id"),)
    pk: int | None = Field(default=None, primary_key=True)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    principle_id: str = Field(max_length=64)
    name: str = Field(max_length=120)
    summary: str = Field(default="", max_length=500)
    level: str | None = Field(default=None, max_length=8)
    baseline_score: int | None = None
    position: int


class Participant(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    table_id: str = Field(max_length=32)
    display_name: str = Field(default="", max_length=40)
    created_at: float


class Ranking(SQLModel, table=True):
    """One table's shared top five."""

    table_id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revision: int = 0
    agreed: bool = False
    agreed_at: float | None = None
    updated_at: float | None = None
    version: int = 0


class Segment(SQLModel, table=True):
    """One agenda segment and its timer (deadlines, not ticks)."""

    id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=16)
    title: str = Field(max_length=120)
    instructions: str = Field(default="", max_length=1000)
    planned_seconds: int
    status: str = Field(default="pending", max_length=12)
    deadline: float | None = None
    remaining_seconds: float
    elapsed_seconds: float = 0.0
    run_started_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None


class CommandRecord(SQLModel, table=True):
    """The first answer to a command, so a resent command (same command_id) is applied once."""

    __tablename__ = "command_record"
    workshop_id: str = Field(primary_key=True, max_length=32, foreign_key="workshop.id", ondelete="CASCADE")
    command_id: str = Field(primary_key=True, max_length=64)
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: float
    # Who sent it and which event: a command_id answers only its own sender, for the same event.
    actor: str = Field(default="", max_length=48, sa_column_kwargs={"server_default": ""})
    event: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class Presence(SQLModel, table=True):
    """One live connection, held by one worker. Rows of a worker that stopped beating are swept by the others
    (see ``services.presence``)."""

    sid: str = Field(primary_key=True, max_length=64)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    role: str = Field(max_length=16)
    table_id: str | None = Field(default=None, max_length=32)
    worker_id: str = Field(max_length=64, index=True)
    seen_at: float
    # The token hash the connection authenticated with: revoking it finds the connections to close.
    credential_hash: str | None = Field(default=None, max_length=64, index=True)


class CreationRecord(SQLModel, table=True):
    """A workshop was created from an address (keyed hash, never the address), for the per-hour limit.

    Rows older than an hour are deleted; nothing links a row to the workshop it made.
    """

    __tablename__ = "creation_record"
    id: int | None = Field(default=None, primary_key=True)
    client_key: str = Field(max_length=64, index=True)
    created_at: float = Field(index=True)


class Worker(SQLModel, table=True):
    """A server process that is alive: it beats (``last_seen``) every few seconds. The others sweep the presence
    rows of a worker that stopped beating (killed, host lost), so counts stay right."""

    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(default="", max_length=255)
    pid: int = 0
    started_at: float
    last_seen: float = Field(index=True)
