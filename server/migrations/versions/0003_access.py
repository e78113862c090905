"""access: co-facilitator links, revocation, facilitator password, command_id scoping, creation limit

- ``presence.credential_hash``: which token a live connection used, so revoking a token closes its connections.
- ``command_record.actor`` / ``.event``: a resent ``command_id`` answers only its own sender, for the same event.
- ``workshop.facilitator_password``: the optional salted scrypt hash of the facilitator's password.
- ``creation_record``: workshops created per (keyed hash of the) address in the last hour.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creation_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_record")),
    )
    with op.batch_alter_table("creation_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_creation_record_client_key"), ["client_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_creation_record_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("command_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=48), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=64), server_default="", nullable=False)
        )

    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credential_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_presence_credential_hash"), ["credential_hash"], unique=False)

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("facilitator_password", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("facilitator_password")

    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_credential_hash"))
        batch_op.drop_column("credential_hash")

    with op.batch_alter_table("command_record", schema=None) as batch_op:
        batch_op.drop_column("event")
        batch_op.drop_column("actor")

    with op.batch_alter_table("creation_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creation_record_created_at"))
        batch_op.drop_index(batch_op.f("ix_creation_record_client_key"))

    op.drop_table("creation_record")
