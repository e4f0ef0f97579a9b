"""Indexes for finding a learner's credentials across organizations (the 1EdTech service
APIs and the learner record look them up by recipient digest alone).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_issued_credentials_recipient_lookup"), "issued_credentials", ["recipient_lookup"]
    )
    op.create_index(
        op.f("ix_clr_credentials_recipient_lookup"), "clr_credentials", ["recipient_lookup"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_clr_credentials_recipient_lookup"), table_name="clr_credentials")
    op.drop_index(op.f("ix_issued_credentials_recipient_lookup"), table_name="issued_credentials")
