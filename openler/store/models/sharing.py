"""Sharing a learner's record (issue 4): self-asserted employment history, share links,
what each share holds, and who looked at it.

- ``employment_entries``: jobs a learner states themselves (employer, role, dates,
  description, skills used). They are *self-asserted* and never count as verified;
  employer-issued employment credentials live in the record like any other credential.
- ``shares``: a link a learner hands out. ``token`` is the public share id in the URL
  (``secrets.token_urlsafe(32)``: 256 bits); it is kept in clear so the owner can see the
  link and its QR code again (the shared credentials themselves are in the same database,
  so a hash would protect nothing more); it is never written to the audit or access log.
  A share ends at ``expires_at`` or when ``revoked_at`` is set.
- ``share_items``: what a share holds, in order: a credential of the learner's record (a
  reference into the record plus the credential's exact bytes at the time of sharing) or
  one of their employment entries (shown as it is now).
- ``share_access_log``: one row per view of the landing page or presentation request,
  with coarse client information only: the client's network (IPv4 /24, IPv6 /48; never a
  full address) and the browser family.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import (
    Base,
    CreatedMixin,
    IdMixin,
    JsonDocument,
    enum_type,
    utcnow,
)
from openler.store.models.enums import ShareAccessKind, ShareItemKind
from openler.store.models.organizations import User

__all__ = ["EmploymentEntry", "Share", "ShareAccess", "ShareItem"]

_CASCADE = "CASCADE"


class EmploymentEntry(IdMixin, CreatedMixin, Base):
    """A job the learner states themselves (self-asserted)."""

    __tablename__ = "employment_entries"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="date_order"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), index=True
    )
    employer: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(200))
    start_date: Mapped[date]
    #: ``None``: the learner still works there.
    end_date: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: Skills used, in the learner's words.
    skills: Mapped[list[str]] = mapped_column(default=list)
    #: Skills used, picked from a framework: OB 3.0 Alignment objects (targetName,
    #: targetUrl, targetFramework, targetCode), copied when chosen.
    framework_skills: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class Share(IdMixin, CreatedMixin, Base):
    """A share link (see the module docstring)."""

    __tablename__ = "shares"
    __table_args__ = (
        sa.CheckConstraint("view_count >= 0", name="view_count_positive"),
        sa.Index(None, "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete=_CASCADE))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The learner's own name for the share ("Application to Acme").
    title: Mapped[str | None] = mapped_column(sa.String(200))
    #: Shown to whoever opens the link.
    recipient_note: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    last_viewed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    items: Mapped[list[ShareItem]] = relationship(
        back_populates="share",
        order_by="ShareItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ShareItem(IdMixin, Base):
    """One credential or employment entry of a share."""

    __tablename__ = "share_items"
    __table_args__ = (
        sa.UniqueConstraint("share_id", "position"),
        sa.CheckConstraint(
            "(kind = 'credential' AND credential_ref IS NOT NULL "
            "AND credential_bytes IS NOT NULL) OR "
            "(kind = 'employment' AND employment_entry_id IS NOT NULL)",
            name="item_target",
        ),
    )

    share_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("shares.id", ondelete=_CASCADE), index=True
    )
    position: Mapped[int]
    kind: Mapped[ShareItemKind] = mapped_column(enum_type(ShareItemKind, "kind"))
    #: The credential's reference in the learner's record (``issued:<uuid>``, …).
    credential_ref: Mapped[str | None] = mapped_column(sa.String(100))
    #: The credential exactly as stored in the record when it was shared.
    credential_bytes: Mapped[bytes | None]
    employment_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("employment_entries.id", ondelete=_CASCADE), index=True
    )

    share: Mapped[Share] = relationship(back_populates="items")
    employment_entry: Mapped[EmploymentEntry | None] = relationship()


class ShareAccess(IdMixin, Base):
    """One access to a share, with coarse client information only."""

    __tablename__ = "share_access_log"
    __table_args__ = (sa.Index(None, "share_id", "at"),)

    share_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("shares.id", ondelete=_CASCADE))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[ShareAccessKind] = mapped_column(enum_type(ShareAccessKind, "kind"))
    #: The client's network: an IPv4 /24 or IPv6 /48 in CIDR form; never a full address.
    client_network: Mapped[str | None] = mapped_column(sa.String(64))
    #: The browser family and platform ("Firefox on Linux"), never the raw User-Agent.
    client_agent: Mapped[str | None] = mapped_column(sa.String(100))
