"""each table's reasons for its five: ``table_reasons``, one Yjs document per table (services.reasons)

Revision ID: 0008_reasons
Revises: 0007_report_final
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "0008_reasons"
down_revision: str | None = "0007_report_final"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "table_reasons",
        sa.Column("table_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_table_reasons_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("table_id", name=op.f("pk_table_reasons")),
    )
    with op.batch_alter_table("table_reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_table_reasons_workshop_id"), ["workshop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("table_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_table_reasons_workshop_id"))
    op.drop_table("table_reasons")
