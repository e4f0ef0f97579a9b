"""The learner record: learners and their holder keys, sign-in links, claim links, imported
credentials, the outgoing e-mail outbox, and ``organizations.reissue_on_claim`` (issue 4).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)
#: JSON on SQLite, JSONB on PostgreSQL (see openler.store.models.JsonDocument).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("reissue_on_claim", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("did", sa.String(length=200), nullable=False),
        sa.Column("key_algorithm", sa.String(length=32), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=200), nullable=False),
        sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("encryption_scheme", sa.String(length=32), nullable=False),
        sa.Column("encryption_key_version", sa.String(length=32), nullable=False),
        sa.Column("email_verified_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learners_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("did", name=op.f("uq_learners_did")),
        sa.UniqueConstraint("user_id", name=op.f("uq_learners_user_id")),
    )
    op.create_table(
        "learner_sign_in_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_learner_sign_in_links_token_hash")),
    )
    op.create_index(op.f("ix_learner_sign_in_links_email"), "learner_sign_in_links", ["email"])
    op.create_table(
        "credential_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("emailed", sa.Boolean(), nullable=False),
        sa.Column("redeemed_at", TIMESTAMP, nullable=True),
        sa.Column("redeemed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("claimed_credential_id", sa.Uuid(), nullable=True),
        sa.Column("reissued_credential_id", sa.Uuid(), nullable=True),
        sa.Column("mode", _enum("mode", "reissued", "matched"), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["claimed_credential_id"],
            ["issued_credentials.id"],
            name=op.f("fk_credential_claims_claimed_credential_id_issued_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["issued_credentials.id"],
            name=op.f("fk_credential_claims_credential_id_issued_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by_user_id"],
            ["users.id"],
            name=op.f("fk_credential_claims_redeemed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reissued_credential_id"],
            ["issued_credentials.id"],
            name=op.f("fk_credential_claims_reissued_credential_id_issued_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_claims")),
        sa.UniqueConstraint(
            "claimed_credential_id", name=op.f("uq_credential_claims_claimed_credential_id")
        ),
        sa.UniqueConstraint(
            "reissued_credential_id", name=op.f("uq_credential_claims_reissued_credential_id")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credential_claims_token_hash")),
    )
    op.create_index(
        op.f("ix_credential_claims_credential_id"), "credential_claims", ["credential_id"]
    )
    op.create_index(
        op.f("ix_credential_claims_redeemed_by_user_id"),
        "credential_claims",
        ["redeemed_by_user_id"],
    )
    op.create_table(
        "imported_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source_format", _enum("source_format", "json", "jwt", "png", "svg"), nullable=False
        ),
        sa.Column("source_filename", sa.String(length=255), nullable=True),
        sa.Column("source_bytes", sa.LargeBinary(), nullable=True),
        sa.Column("credential_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("credential_sha256", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=500), nullable=True),
        sa.Column("issuer_id", sa.String(length=500), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification", JSON, nullable=False),
        sa.Column("verified_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_imported_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_credentials")),
        sa.UniqueConstraint(
            "user_id",
            "credential_sha256",
            name=op.f("uq_imported_credentials_user_id_credential_sha256"),
        ),
    )
    op.create_index(op.f("ix_imported_credentials_user_id"), "imported_credentials", ["user_id"])
    op.create_table(
        "outgoing_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column(
            "status", _enum("status", "pending", "sending", "sent", "failed"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_emails")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outgoing_emails_idempotency_key")),
    )
    op.create_index(
        op.f("ix_outgoing_emails_status_next_attempt_at"),
        "outgoing_emails",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_table("outgoing_emails")
    op.drop_table("imported_credentials")
    op.drop_table("credential_claims")
    op.drop_table("learner_sign_in_links")
    op.drop_table("learners")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("reissue_on_claim")
