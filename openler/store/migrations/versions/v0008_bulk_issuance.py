"""Bulk issuance jobs, rows and mappings (issue 5).

``bulk_mappings`` (the roster column mapping saved per achievement), ``bulk_jobs``,
``bulk_rows`` (the staged roster), ``bulk_chunks`` (what workers claim) and
``bulk_issued`` (row -> credential, unique per row: the exactly-once guarantee).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
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
        "bulk_mappings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_logical_id", sa.String(length=100), nullable=False),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bulk_mappings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_mappings")),
        sa.UniqueConstraint(
            "organization_id",
            "achievement_logical_id",
            name=op.f("uq_bulk_mappings_organization_id_achievement_logical_id"),
        ),
    )
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            _enum("status", "staging", "validated", "running", "cancelled", "completed", "failed"),
            nullable=False,
        ),
        sa.Column("roster_name", sa.String(length=300), nullable=False),
        sa.Column("roster_info", JSON, nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("invalid_rows", sa.Integer(), nullable=False),
        sa.Column("queued_rows", sa.Integer(), nullable=False),
        sa.Column("valid_rows_only", sa.Boolean(), nullable=False),
        sa.Column("created_by_type", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.String(length=100), nullable=True),
        sa.Column("validated_at", TIMESTAMP, nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("run_started_at", TIMESTAMP, nullable=True),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("chunk_size > 0", name=op.f("ck_bulk_jobs_chunk_size_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bulk_jobs_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievement_definitions.id"],
            name=op.f("fk_bulk_jobs_achievement_id_achievement_definitions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index(op.f("ix_bulk_jobs_achievement_id"), "bulk_jobs", ["achievement_id"])
    op.create_index(
        op.f("ix_bulk_jobs_organization_id_created_at"),
        "bulk_jobs",
        ["organization_id", "created_at"],
    )
    op.create_index(op.f("ix_bulk_jobs_status"), "bulk_jobs", ["status"])
    op.create_table(
        "bulk_rows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("cells", JSON, nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("state", _enum("state", "valid", "invalid", "failed"), nullable=False),
        sa.Column("errors", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_rows_job_id_bulk_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_rows")),
        sa.UniqueConstraint("job_id", "row_no", name=op.f("uq_bulk_rows_job_id_row_no")),
    )
    op.create_table(
        "bulk_chunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("state", _enum("state", "pending", "leased", "done"), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reservation", JSON, nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_chunks_job_id_bulk_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_chunks")),
        sa.UniqueConstraint("job_id", "chunk_no", name=op.f("uq_bulk_chunks_job_id_chunk_no")),
    )
    op.create_index(op.f("ix_bulk_chunks_state"), "bulk_chunks", ["state"])
    op.create_table(
        "bulk_issued",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("claim_url", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_issued_job_id_bulk_jobs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["issued_credentials.id"],
            name=op.f("fk_bulk_issued_credential_id_issued_credentials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_issued")),
        sa.UniqueConstraint("job_id", "row_no", name=op.f("uq_bulk_issued_job_id_row_no")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_bulk_issued_credential_id")),
    )


def downgrade() -> None:
    op.drop_table("bulk_issued")
    op.drop_table("bulk_chunks")
    op.drop_table("bulk_rows")
    op.drop_index(op.f("ix_bulk_jobs_status"), table_name="bulk_jobs")
    op.drop_index(op.f("ix_bulk_jobs_organization_id_created_at"), table_name="bulk_jobs")
    op.drop_index(op.f("ix_bulk_jobs_achievement_id"), table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
    op.drop_table("bulk_mappings")
