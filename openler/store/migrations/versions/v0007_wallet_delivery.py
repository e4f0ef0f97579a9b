"""Delivery to external wallets: VC-API exchanges and OpenID4VCI offers (issue 4).

``credential_offers`` (one offer of an issued credential to one wallet, its secrets as
SHA-256 digests) and ``bound_credentials`` (which credential is a copy of which, re-issued
to a holder's DID).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Timestamps are stored in UTC (see openler.store.models.UTCDateTime).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credential_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("pre_authorized_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("access_token_expires_at", TIMESTAMP, nullable=True),
        sa.Column("token_issued_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_via", sa.String(length=16), nullable=True),
        sa.Column("holder_did", sa.String(length=500), nullable=True),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_credential_offers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["issued_credentials.id"],
            name=op.f("fk_credential_offers_credential_id_issued_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offers")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_credential_offers_secret_hash")),
        sa.UniqueConstraint(
            "pre_authorized_code_hash",
            name=op.f("uq_credential_offers_pre_authorized_code_hash"),
        ),
        sa.UniqueConstraint(
            "access_token_hash", name=op.f("uq_credential_offers_access_token_hash")
        ),
    )
    op.create_index(
        op.f("ix_credential_offers_organization_id"), "credential_offers", ["organization_id"]
    )
    op.create_index(
        op.f("ix_credential_offers_credential_id"), "credential_offers", ["credential_id"]
    )
    op.create_table(
        "bound_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("original_id", sa.Uuid(), nullable=False),
        sa.Column("copy_id", sa.Uuid(), nullable=False),
        sa.Column("holder_did", sa.String(length=500), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["issued_credentials.id"],
            name=op.f("fk_bound_credentials_original_id_issued_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["copy_id"],
            ["issued_credentials.id"],
            name=op.f("fk_bound_credentials_copy_id_issued_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_bound_credentials_offer_id_credential_offers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bound_credentials")),
        sa.UniqueConstraint("copy_id", name=op.f("uq_bound_credentials_copy_id")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_bound_credentials_offer_id")),
    )
    op.create_index(op.f("ix_bound_credentials_original_id"), "bound_credentials", ["original_id"])


def downgrade() -> None:
    op.drop_table("bound_credentials")
    op.drop_table("credential_offers")
