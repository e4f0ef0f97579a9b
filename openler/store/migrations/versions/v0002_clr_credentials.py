"""CLR 2.0 transcripts: the ``clr_credentials`` table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)
#: JSON on SQLite, JSONB on PostgreSQL (see openler.store.models.JsonDocument).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "clr_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("signing_key_id", sa.Uuid(), nullable=True),
        sa.Column("credential_id", sa.String(length=200), nullable=False),
        sa.Column("recipient_lookup", sa.String(length=128), nullable=False),
        sa.Column("included_credential_ids", JSON, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("credential_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("credential_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_clr_credentials_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_clr_credentials_signing_key_id_signing_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clr_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_clr_credentials_credential_id")),
    )
    op.create_index(
        op.f("ix_clr_credentials_organization_id_recipient_lookup"),
        "clr_credentials",
        ["organization_id", "recipient_lookup"],
    )
    op.create_index(
        op.f("ix_clr_credentials_signing_key_id"), "clr_credentials", ["signing_key_id"]
    )


def downgrade() -> None:
    op.drop_table("clr_credentials")
