"""The initial schema: organizations, keys, users, clients, achievements, credentials,
status lists, endorsements, the trust registry and the audit log.

Enum CHECK constraints are named by the models' naming convention (``ck_<table>_<name>``),
which env.py supplies through ``target_metadata``.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 04:46:52.833812
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)
#: JSON on SQLite, JSONB on PostgreSQL (see openler.store.models.JsonDocument).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "k12_district",
                "k12_school",
                "college",
                "training_provider",
                "employer",
                "union_apprenticeship",
                "licensing_board",
                "industry_association",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "trusted_issuers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("accreditation", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_issuers")),
        sa.UniqueConstraint("issuer_id", name=op.f("uq_trusted_issuers_issuer_id")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "achievement_definitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("logical_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("achievement", JSON, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_achievement_definitions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_definitions")),
        sa.UniqueConstraint(
            "organization_id",
            "logical_id",
            "version",
            name=op.f("uq_achievement_definitions_organization_id_logical_id_version"),
        ),
    )
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_clients_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_clients_client_id")),
    )
    op.create_index(op.f("ix_api_clients_organization_id"), "api_clients", ["organization_id"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_organization_id"), "api_keys", ["organization_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column(
            "actor_type",
            sa.Enum(
                "user",
                "api_client",
                "api_key",
                "system",
                name="actor_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=500), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_events_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(
        op.f("ix_audit_events_organization_id_at"), "audit_events", ["organization_id", "at"]
    )
    op.create_index(op.f("ix_audit_events_subject_id"), "audit_events", ["subject_id"])

    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "issuer",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "user_id", "organization_id", name=op.f("uq_memberships_user_id_organization_id")
        ),
    )
    op.create_index(op.f("ix_memberships_organization_id"), "memberships", ["organization_id"])

    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=200), nullable=False),
        sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("encryption_scheme", sa.String(length=32), nullable=False),
        sa.Column("encryption_key_version", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "retired",
                "revoked",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_signing_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint(
            "organization_id", "key_id", name=op.f("uq_signing_keys_organization_id_key_id")
        ),
    )
    op.create_index(op.f("ix_signing_keys_organization_id"), "signing_keys", ["organization_id"])

    op.create_table(
        "status_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "revocation",
                "suspension",
                name="purpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("url_path", sa.String(length=300), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("signed_credential", sa.LargeBinary(), nullable=True),
        sa.Column("signed_version", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("length > 0", name=op.f("ck_status_lists_length_positive")),
        sa.CheckConstraint(
            "next_index >= 0 AND next_index <= length",
            name=op.f("ck_status_lists_next_index_range"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_status_lists_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
        sa.UniqueConstraint(
            "organization_id",
            "purpose",
            "sequence",
            name=op.f("uq_status_lists_organization_id_purpose_sequence"),
        ),
        sa.UniqueConstraint("url_path", name=op.f("uq_status_lists_url_path")),
    )
    op.create_table(
        "endorsements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endorser_organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "target_kind",
            sa.Enum(
                "achievement",
                "profile",
                name="target_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.String(length=500), nullable=False),
        sa.Column("target_achievement_id", sa.Uuid(), nullable=True),
        sa.Column("target_organization_id", sa.Uuid(), nullable=True),
        sa.Column("credential_id", sa.String(length=200), nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("credential_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("credential_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["endorser_organization_id"],
            ["organizations.id"],
            name=op.f("fk_endorsements_endorser_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_achievement_id"],
            ["achievement_definitions.id"],
            name=op.f("fk_endorsements_target_achievement_id_achievement_definitions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_organization_id"],
            ["organizations.id"],
            name=op.f("fk_endorsements_target_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsements")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_endorsements_credential_id")),
    )
    op.create_index(
        op.f("ix_endorsements_endorser_organization_id"),
        "endorsements",
        ["endorser_organization_id"],
    )
    op.create_index(
        op.f("ix_endorsements_target_achievement_id"), "endorsements", ["target_achievement_id"]
    )
    op.create_index(op.f("ix_endorsements_target_id"), "endorsements", ["target_id"])
    op.create_index(
        op.f("ix_endorsements_target_organization_id"), "endorsements", ["target_organization_id"]
    )

    op.create_table(
        "issued_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("signing_key_id", sa.Uuid(), nullable=True),
        sa.Column("credential_id", sa.String(length=200), nullable=False),
        sa.Column(
            "recipient_kind",
            sa.Enum(
                "email",
                "did",
                "institutional_id",
                name="recipient_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recipient_identifier", sa.String(length=500), nullable=False),
        sa.Column("recipient_hashed", sa.Boolean(), nullable=False),
        sa.Column("recipient_salt", sa.String(length=100), nullable=True),
        sa.Column("recipient_lookup", sa.String(length=128), nullable=True),
        sa.Column("revocation_list_id", sa.Uuid(), nullable=True),
        sa.Column("revocation_index", sa.Integer(), nullable=True),
        sa.Column("suspension_list_id", sa.Uuid(), nullable=True),
        sa.Column("suspension_index", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "revoked",
                "suspended",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", TIMESTAMP, nullable=True),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("valid_until", TIMESTAMP, nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("credential_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("credential_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievement_definitions.id"],
            name=op.f("fk_issued_credentials_achievement_id_achievement_definitions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_issued_credentials_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revocation_list_id"],
            ["status_lists.id"],
            name=op.f("fk_issued_credentials_revocation_list_id_status_lists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_issued_credentials_signing_key_id_signing_keys"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["suspension_list_id"],
            ["status_lists.id"],
            name=op.f("fk_issued_credentials_suspension_list_id_status_lists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_issued_credentials_credential_id")),
        sa.UniqueConstraint(
            "organization_id",
            "idempotency_key",
            name=op.f("uq_issued_credentials_organization_id_idempotency_key"),
        ),
        sa.UniqueConstraint(
            "revocation_list_id",
            "revocation_index",
            name=op.f("uq_issued_credentials_revocation_list_id_revocation_index"),
        ),
        sa.UniqueConstraint(
            "suspension_list_id",
            "suspension_index",
            name=op.f("uq_issued_credentials_suspension_list_id_suspension_index"),
        ),
    )
    op.create_index(
        op.f("ix_issued_credentials_achievement_id"), "issued_credentials", ["achievement_id"]
    )
    op.create_index(
        op.f("ix_issued_credentials_organization_id_issued_at"),
        "issued_credentials",
        ["organization_id", "issued_at"],
    )
    op.create_index(
        op.f("ix_issued_credentials_organization_id_recipient_lookup"),
        "issued_credentials",
        ["organization_id", "recipient_lookup"],
    )
    op.create_index(
        op.f("ix_issued_credentials_signing_key_id"), "issued_credentials", ["signing_key_id"]
    )


def downgrade() -> None:
    op.drop_table("issued_credentials")
    op.drop_table("endorsements")
    op.drop_table("status_lists")
    op.drop_table("signing_keys")
    op.drop_table("memberships")
    op.drop_table("audit_events")
    op.drop_table("api_keys")
    op.drop_table("api_clients")
    op.drop_table("achievement_definitions")
    op.drop_table("users")
    op.drop_table("trusted_issuers")
    op.drop_table("organizations")
