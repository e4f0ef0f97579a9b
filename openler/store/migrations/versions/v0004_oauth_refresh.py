"""OAuth refresh tokens for the 1EdTech service APIs (issue 3): ``oauth_grants`` (what a
learner allowed an app: one family of tokens), ``oauth_refresh_tokens`` (hashed, rotated on
use) and ``user_credentials.kind`` (stored through the Open Badges or the CLR API).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)
#: JSON on SQLite, JSONB on PostgreSQL (see openler.store.models.JsonDocument).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "oauth_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_id", sa.Uuid(), nullable=True),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_grants_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["oauth_authorization_codes.id"],
            name=op.f("fk_oauth_grants_code_id_oauth_authorization_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_grants")),
        sa.UniqueConstraint("code_id", name=op.f("uq_oauth_grants_code_id")),
    )
    op.create_index(op.f("ix_oauth_grants_app_id"), "oauth_grants", ["app_id"])
    op.create_index(op.f("ix_oauth_grants_user_id"), "oauth_grants", ["user_id"])
    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("rotated_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["oauth_grants.id"],
            name=op.f("fk_oauth_refresh_tokens_grant_id_oauth_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oauth_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_oauth_refresh_tokens_grant_id"), "oauth_refresh_tokens", ["grant_id"])
    # Existing rows were all stored through the Open Badges API.
    with op.batch_alter_table("user_credentials") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "achievement",
                    "clr",
                    name="kind",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="achievement",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user_credentials") as batch:
        batch.drop_constraint(op.f("ck_user_credentials_kind"), type_="check")
        batch.drop_column("kind")
    op.drop_table("oauth_refresh_tokens")
    op.drop_table("oauth_grants")
