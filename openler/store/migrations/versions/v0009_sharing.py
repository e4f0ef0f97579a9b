"""Sharing: self-asserted ``employment_entries``, ``shares``, their ``share_items`` and the
``share_access_log`` (issue 4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)
#: JSON on SQLite, JSONB on PostgreSQL (see openler.store.models.JsonDocument).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "employment_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("skills", JSON, nullable=False),
        sa.Column("framework_skills", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_employment_entries_date_order"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_employment_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_entries")),
    )
    op.create_index(op.f("ix_employment_entries_user_id"), "employment_entries", ["user_id"])
    op.create_table(
        "shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("recipient_note", sa.Text(), nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("last_viewed_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("view_count >= 0", name=op.f("ck_shares_view_count_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shares_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token", name=op.f("uq_shares_token")),
    )
    op.create_index(op.f("ix_shares_user_id_created_at"), "shares", ["user_id", "created_at"])
    op.create_table(
        "share_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("share_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("kind", "credential", "employment"), nullable=False),
        sa.Column("credential_ref", sa.String(length=100), nullable=True),
        sa.Column("credential_bytes", sa.LargeBinary(), nullable=True),
        sa.Column("employment_entry_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'credential' AND credential_ref IS NOT NULL "
            "AND credential_bytes IS NOT NULL) OR "
            "(kind = 'employment' AND employment_entry_id IS NOT NULL)",
            name=op.f("ck_share_items_item_target"),
        ),
        sa.ForeignKeyConstraint(
            ["employment_entry_id"],
            ["employment_entries.id"],
            name=op.f("fk_share_items_employment_entry_id_employment_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["shares.id"],
            name=op.f("fk_share_items_share_id_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_items")),
        sa.UniqueConstraint("share_id", "position", name=op.f("uq_share_items_share_id_position")),
    )
    op.create_index(
        op.f("ix_share_items_employment_entry_id"), "share_items", ["employment_entry_id"]
    )
    op.create_index(op.f("ix_share_items_share_id"), "share_items", ["share_id"])
    op.create_table(
        "share_access_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("share_id", sa.Uuid(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", _enum("kind", "view", "presentation"), nullable=False),
        sa.Column("client_network", sa.String(length=64), nullable=True),
        sa.Column("client_agent", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["shares.id"],
            name=op.f("fk_share_access_log_share_id_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_access_log")),
    )
    op.create_index(op.f("ix_share_access_log_share_id_at"), "share_access_log", ["share_id", "at"])


def downgrade() -> None:
    op.drop_table("share_access_log")
    op.drop_table("share_items")
    op.drop_table("shares")
    op.drop_table("employment_entries")
