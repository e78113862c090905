"""saved catalogues belong to someone (issue 13)

- ``saved_catalogue.workshop_id``: the workshop whose console saved it (null once the workshop is deleted, and for
  rows saved before this was recorded), indexed for the per-workshop cap.
- ``saved_catalogue.workshop_title``: that workshop's title when it saved (kept after the workshop is deleted);
  empty for older rows, which the list shows as saved before provenance was recorded.

Existing rows are kept as they are: neither column can be known for them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("saved_catalogue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("workshop_title", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="",
                      nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_saved_catalogue_workshop_id"), ["workshop_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_saved_catalogue_workshop_id_workshop"), "workshop", ["workshop_id"], ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_catalogue", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_saved_catalogue_workshop_id_workshop"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_saved_catalogue_workshop_id"))
        batch_op.drop_column("workshop_title")
        batch_op.drop_column("workshop_id")
