"""Web sign-in (issue 4): server-side sessions and the sign-in throttle.

- ``web_sessions``: one row per signed-in browser. The cookie carries a random 256-bit
  token; only its SHA-256 (``token_hash``) is stored, so a copy of the database does not
  let anyone sign in. A session ends at ``expires_at`` (absolute) or when it was idle
  longer than the configured idle time since ``last_seen_at``; signing out deletes it.
- ``web_sign_in_throttles``: failed sign-ins counted per account and per client (``key``
  is ``account:<sha256 of the address>`` or ``client:<sha256 of the client address>``),
  so that password guessing is slowed down across every worker process.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import Base, CreatedMixin, IdMixin
from openler.store.models.organizations import User

__all__ = ["SignInThrottle", "WebSession"]


class WebSession(IdMixin, CreatedMixin, Base):
    """A signed-in browser (see the module docstring)."""

    __tablename__ = "web_sessions"

    #: SHA-256 (hex) of the cookie's token.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: What the browser said it was, for the user's own list of sessions (truncated).
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship()


class SignInThrottle(IdMixin, Base):
    """Recent failed sign-ins for one account or one client (see the module docstring)."""

    __tablename__ = "web_sign_in_throttles"

    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    #: Start of the counting window; failures older than the window are forgotten.
    window_started_at: Mapped[datetime]
    #: No attempt is checked before this time (``None``: not blocked).
    blocked_until: Mapped[datetime | None]
