"""catalogue import and in-app scoring

- ``principle.statement``, ``.descriptors``, ``.notes``, ``.key_principles``: a site's own THRIVE Assessment Tool
  texts, imported (docs/import.md); ``principle.agreed_score``: the score the room agreed in the app.
- ``principle_score``: each table's or person's 1–4 score of a principle, in the app.
- ``workshop.scoring_open``, ``.scoring_by`` and ``.scores_version``: whether and how the room scores (by table or by
  person), and the version of the last change to that or to an agreed score.
- ``saved_catalogue``: catalogues kept per locality for later workshops.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_catalogue",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("locality", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("locality_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("principles", sa.JSON(), nullable=False),
        sa.Column("principle_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_catalogue")),
    )
    with op.batch_alter_table("saved_catalogue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_catalogue_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_catalogue_locality_key"), ["locality_key"], unique=False)

    op.create_table(
        "principle_score",
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("principle_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scorer", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("table_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_principle_score_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workshop_id", "principle_id", "scorer", name=op.f("pk_principle_score")),
    )

    with op.batch_alter_table("principle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(length=2000), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("descriptors", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("key_principles", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("agreed_score", sa.Integer(), nullable=True))

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scoring_open", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("scoring_by", sqlmodel.sql.sqltypes.AutoString(length=8), server_default="table", nullable=False)
        )
        batch_op.add_column(sa.Column("scores_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("scores_version")
        batch_op.drop_column("scoring_by")
        batch_op.drop_column("scoring_open")

    with op.batch_alter_table("principle", schema=None) as batch_op:
        batch_op.drop_column("agreed_score")
        batch_op.drop_column("key_principles")
        batch_op.drop_column("notes")
        batch_op.drop_column("descriptors")
        batch_op.drop_column("statement")

    op.drop_table("principle_score")
    with op.batch_alter_table("saved_catalogue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_catalogue_locality_key"))
        batch_op.drop_index(batch_op.f("ix_saved_catalogue_created_at"))
    op.drop_table("saved_catalogue")
