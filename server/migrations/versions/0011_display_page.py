"""the projector's page, stepped from the console (issue 14)

- ``workshop.display_page``: the page of long answers, a long plan or a long tally the facilitator stepped the
  projector to (0 = the first), or null while the pages turn by themselves. Existing workshops: null.

Revision ID: 0011_display_page
Revises: 0010_plan_makeup
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011_display_page"
down_revision: str | None = "0010_plan_makeup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_page", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("display_page")
