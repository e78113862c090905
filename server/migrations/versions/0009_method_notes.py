"""the method as it happens: notes from the opening review and from Exercise 2 (issue 17)

- ``workshop_note``: one row per note of a workshop: ``review`` (the findings from pathway mapping and data noted
  in the opening review of the top-line priorities) or ``table:<table id>`` (what a table said when it shared its
  five). Workshops made before have none, and read as having no notes.

The new agenda kinds (``review``, ``discuss``) are values of ``segment.kind``, which needs no change.

Revision ID: 0009_method_notes
Revises: 0008_reasons
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0009_method_notes"
down_revision: str | None = "0008_reasons"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workshop_note",
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_workshop_note_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workshop_id", "subject", name=op.f("pk_workshop_note")),
    )


def downgrade() -> None:
    op.drop_table("workshop_note")
