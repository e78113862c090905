"""gap analysis, next steps: worksheets, the action plan, a segment's subject, the projector's column

- ``worksheet``: one Yjs document per (workshop, agreed priority, table or consolidated), with a plain-text copy.
- ``plan_action`` and ``workshop_plan``: the next-steps action plan and its notes.
- ``segment.subject``: the priority a gap-analysis segment works on.
- ``workshop.display_cell``: the worksheet column the projector shows in "answers" mode.

Revision ID: 0005
Revises: 0004 (0003 until 0004 lands)
Create Date: 2026-11-27 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"  # re-pointed at 0004 (catalogue import) when 0004 landed
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worksheet",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("priority_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("table_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_worksheet_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worksheet")),
    )
    with op.batch_alter_table("worksheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worksheet_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "plan_action",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("priority_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("due", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_plan_action_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action")),
    )
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_action_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "workshop_plan",
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("engagement_notes", sa.Text(), server_default="", nullable=False),
        sa.Column("redesign_date", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tables_may_edit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_workshop_plan_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workshop_id", name=op.f("pk_workshop_plan")),
    )

    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_cell", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("display_cell")

    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_column("subject")

    op.drop_table("workshop_plan")

    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_workshop_id"))
    op.drop_table("plan_action")

    with op.batch_alter_table("worksheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worksheet_workshop_id"))
    op.drop_table("worksheet")
