"""a plan that can be governed, and who was in the room (issue 17)

- ``plan_action``: ``due_note`` (what a due date said in words), ``review_date`` (ISO or ""), ``measure`` (of
  success) and ``recommendation`` (the line of the priority's consolidated recommendations it carries out).
  Existing free-text due dates move: what plainly is a date becomes an ISO date in ``due``; anything else
  ("spring", "end of March") goes to ``due_note`` unchanged, so it stays visible and nothing is lost.
- ``workshop_table``: ``sectors`` (ids of the workshop's sector list) and ``people`` (the number the table gave).
- ``workshop``: ``sector_options`` (the facilitator's list; null for the default) and ``makeup_version``.

Revision ID: 0010_plan_makeup
Revises: 0009_method_notes
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

from server.domain.plan import split_due

revision: str = "0010_plan_makeup"
down_revision: str | None = "0009_method_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        for name, length in (("due_note", 120), ("review_date", 10), ("measure", 500), ("recommendation", 500)):
            batch_op.add_column(
                sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), server_default="", nullable=False)
            )
    with op.batch_alter_table("workshop_table", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sectors", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("people", sa.Integer(), nullable=True))
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sector_options", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("makeup_version", sa.Integer(), server_default="0", nullable=False))

    actions = sa.table(
        "plan_action", sa.column("id", sa.String), sa.column("due", sa.String), sa.column("due_note", sa.String)
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(actions.c.id, actions.c.due).where(actions.c.due != "")).all()
    for action_id, typed in rows:
        due, note = split_due(typed)
        if (due, note) != (typed, ""):
            bind.execute(actions.update().where(actions.c.id == action_id).values(due=due, due_note=note))


def downgrade() -> None:
    actions = sa.table("plan_action", sa.column("due", sa.String), sa.column("due_note", sa.String))
    # Words go back where they were typed.
    op.get_bind().execute(actions.update().where(actions.c.due_note != "").values(due=actions.c.due_note))
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("makeup_version")
        batch_op.drop_column("sector_options")
    with op.batch_alter_table("workshop_table", schema=None) as batch_op:
        batch_op.drop_column("people")
        batch_op.drop_column("sectors")
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        for name in ("recommendation", "measure", "review_date", "due_note"):
            batch_op.drop_column(name)
