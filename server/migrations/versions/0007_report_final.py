"""the report's final state (issue 16)

- ``workshop.report_final_at``, ``.report_final_by``: when the report was marked final and by which link
  (facilitator or cofacilitator); null while it is a draft.
- ``workshop.report_history``: every change of the report's state (marked final, returned to draft, returned
  by an edit after it was final), as JSON.
- ``workshop.report_version``: the version of the last change of the report section.

Existing workshops' reports are drafts, as they were.

Revision ID: 0007_report_final
Revises: 0006
Create Date: 2026-12-07 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0007_report_final"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_final_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("report_final_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("report_history", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("report_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("report_version")
        batch_op.drop_column("report_history")
        batch_op.drop_column("report_final_by")
        batch_op.drop_column("report_final_at")
