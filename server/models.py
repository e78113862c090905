"""Database tables. All workshop state lives here, so any worker, or the same one after a restart, sees it.

Times are UNIX epoch seconds (floats): the timer arithmetic in ``domain.agenda`` works on them directly.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, LargeBinary, MetaData, Text, UniqueConstraint
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
    # The worksheet column the projector shows in "answers" mode (services.worksheets.CELLS), else null.
    display_cell: str | None = Field(default=None, max_length=24)
    # The page of long answers, a long plan or a long tally the facilitator stepped the projector to (0 = the
    # first); null: the pages turn by themselves (services.display, "display.page").
    display_page: int | None = None
    # Optional second factor for the facilitator link: a salted scrypt hash (services.access), never the password.
    facilitator_password: str | None = Field(default=None, max_length=200)
    # The deadline whose running-out already locked the rankings (lock_on_timeout): the scheduler locks once
    # per deadline, so a facilitator who unlocks in overtime is not overruled; extending sets a new deadline.
    timeout_lock_deadline: float | None = None
    # In-app baseline scoring (services.scores): open to phones or not; by "table" (one score per table) or
    # "person"; and the version of the last change to either, or to an agreed score (the scores section).
    scoring_open: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    scoring_by: str = Field(default="table", max_length=8, sa_column_kwargs={"server_default": "table"})
    scores_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The report's state (domain.report_status): final since ``report_final_at`` (by that link), else a draft;
    # every change of state in ``report_history``; ``report_version`` the last change of the report section.
    report_final_at: float | None = None
    report_final_by: str | None = Field(default=None, max_length=16)
    report_history: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    report_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Who was in the room (services.makeup): the sectors a table may tick, as the facilitator edited them (null:
    # the default list, domain.plan.DEFAULT_SECTORS), and the version of the last change to the makeup section.
    sector_options: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    makeup_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


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
    # What the table says about itself (services.makeup), without names: the sectors at it (ids of the
    # workshop's sector list) and how many people sit at it (null: not said; a phone is not a person).
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    people: int | None = None


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
    # From a site's own THRIVE Assessment Tool (services.catalogues; docs/import.md): never shipped by us.
    statement: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    descriptors: list[str] = Field(  # the four descriptions, 1 (not yet met) to 4 (fully THRIVE-like), or []
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    notes: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    key_principles: list[str] = Field(  # ids of the eight key principles it links to
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # The score the room agreed in the app (services.scores), kept apart from the imported baseline_score.
    agreed_score: int | None = None


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
    # What the segment is about: for a "gap" segment, the principle id of the agreed priority it works on.
    subject: str | None = Field(default=None, max_length=64)


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


class Worksheet(SQLModel, table=True):
    """One gap-analysis worksheet: a table's (or, with ``table_id`` null, the consolidated one) for one agreed
    priority. ``doc`` is the merged Yjs document (one update holding the whole state); ``text`` is a plain copy
    of each cell for the console, the reports and search (``services.worksheets``)."""

    id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    priority_id: str = Field(max_length=64)
    table_id: str | None = Field(default=None, max_length=32)
    doc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    text: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    created_at: float
    updated_at: float | None = None


class PlanAction(SQLModel, table=True):
    """One row of the next-steps action plan. ``removed`` is a soft delete, so a removal can be undone."""

    __tablename__ = "plan_action"
    id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    position: int
    action: str = Field(max_length=500)
    priority_id: str | None = Field(default=None, max_length=64)
    owner: str = Field(default="", max_length=120)  # a role or organisation, never a person's contact details
    due: str = Field(default="", max_length=40)  # an ISO date, or "" (migration 0007 moved words to due_note)
    status: str = Field(default="not_started", max_length=16)
    removed: bool = False
    # A plan that can be governed (issue 17): what a due date said in words before dates were dates; the date
    # to review it (ISO or ""); how success is measured; the line of the priority's consolidated
    # recommendations it carries out ("" for none).
    due_note: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    review_date: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    measure: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    recommendation: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    created_at: float
    updated_at: float | None = None


class WorkshopPlan(SQLModel, table=True):
    """The next-steps notes of a workshop, and who may edit its plan. One row per workshop, made on first use."""

    __tablename__ = "workshop_plan"
    workshop_id: str = Field(primary_key=True, max_length=32, foreign_key="workshop.id", ondelete="CASCADE")
    version: int = 0
    engagement_notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    redesign_date: str = Field(default="", max_length=40)
    tables_may_edit: bool = False


class PrincipleScore(SQLModel, table=True):
    """One scorer's 1–4 score of one principle, in the app (services.scores).

    ``scorer`` is ``table:<table id>`` when tables score together, ``participant:<participant id>`` when each
    person scores; rows of the other kind stay, unused, if the facilitator switches.
    """

    __tablename__ = "principle_score"
    workshop_id: str = Field(primary_key=True, max_length=32, foreign_key="workshop.id", ondelete="CASCADE")
    principle_id: str = Field(primary_key=True, max_length=64)
    scorer: str = Field(primary_key=True, max_length=48)
    kind: str = Field(max_length=12)  # table | participant
    table_id: str = Field(max_length=32)  # the table, or the participant's table
    score: int | None = None  # None once cleared (the row stays: its version orders the section)
    updated_at: float
    version: int  # the workshop version that last wrote it


class SavedCatalogue(SQLModel, table=True):
    """A locality's imported catalogue, kept to start later workshops from (services.catalogues).

    Reading is secret-less on purpose: anyone setting up a workshop can list a locality's catalogues by its name.
    Saving needs the console of a workshop of that locality, which is recorded (``workshop_id`` and its title at
    the time): rows saved before that was recorded have neither.
    """

    __tablename__ = "saved_catalogue"
    id: str = Field(primary_key=True, max_length=32)
    locality: str = Field(max_length=200)
    locality_key: str = Field(max_length=200, index=True)  # the locality, case and spacing folded
    title: str = Field(max_length=200)
    principles: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    principle_count: int
    created_at: float = Field(index=True)  # when it was saved
    # The workshop whose console saved it; null once that workshop is deleted (or for rows saved before this
    # was recorded). Its title is kept as text, so the list still says where a catalogue came from.
    workshop_id: str | None = Field(
        default=None, max_length=32, index=True, foreign_key="workshop.id", ondelete="SET NULL"
    )
    workshop_title: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})


class TableReasons(SQLModel, table=True):
    """One table's reasons for its five (Exercise 1): a Yjs document with one text per principle
    (``domain.reasons``), and a plain copy of the reasons written, by principle id (``services.reasons``).
    Made on the first reason a table writes; a table without a row has written none."""

    __tablename__ = "table_reasons"
    table_id: str = Field(primary_key=True, max_length=32)
    workshop_id: str = Field(index=True, foreign_key="workshop.id", ondelete="CASCADE")
    doc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    text: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    updated_at: float | None = None


class WorkshopNote(SQLModel, table=True):
    """A note the facilitator (or a scribe with the co-facilitator link) keeps of how the room worked
    (services.notes): ``subject`` is ``review`` for the findings noted in the opening review of the top-line
    priorities, ``table:<table id>`` for what that table said when it shared its five in Exercise 2."""

    __tablename__ = "workshop_note"
    workshop_id: str = Field(primary_key=True, max_length=32, foreign_key="workshop.id", ondelete="CASCADE")
    subject: str = Field(primary_key=True, max_length=48)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int  # the workshop version that last wrote it: the notes section's version is the highest
    updated_at: float
