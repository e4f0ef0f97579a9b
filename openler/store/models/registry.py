"""Deployment-wide records: the issuer trust registry and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from openler.store.models._base import Base, CreatedMixin, IdMixin, enum_type, utcnow
from openler.store.models.enums import ActorType

__all__ = ["AuditEvent", "TrustedIssuer"]


class TrustedIssuer(IdMixin, CreatedMixin, Base):
    """An issuer this deployment vouches for, consulted by verification and shown in
    reports."""

    __tablename__ = "trusted_issuers"

    #: The issuer's DID or URL, as it appears in credentials.
    issuer_id: Mapped[str] = mapped_column(sa.String(500), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    accreditation: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(IdMixin, Base):
    """Who did what, when. Actors and subjects are recorded by id, not by foreign key, so
    the log outlives what it mentions; deleting an organization keeps its events."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index(None, "organization_id", "at"),)

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType, "actor_type"))
    actor_id: Mapped[str | None] = mapped_column(sa.String(100))
    #: ``credential.issue``, ``key.rotate``, … (see :class:`~.enums.AuditAction`).
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_id: Mapped[str | None] = mapped_column(sa.String(500), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
