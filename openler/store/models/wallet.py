"""Learners' side of the 1EdTech service APIs (Open Badges 3.0 / CLR 2.0 REST):
dynamically registered OAuth 2.0 apps (RFC 7591), their authorization codes (RFC 6749
4.1 with PKCE, RFC 7636), the grants a learner made to an app with their refresh tokens
(RFC 6749 6, rotated on use) and credentials a learner's wallet stored here (upsert)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import Base, CreatedMixin, IdMixin, enum_type, utcnow
from openler.store.models.credentials import SignedDocumentMixin
from openler.store.models.enums import UserCredentialKind
from openler.store.models.organizations import User

__all__ = [
    "OAuthApp",
    "OAuthAuthorizationCode",
    "OAuthGrant",
    "OAuthRefreshToken",
    "UserCredential",
]

_CASCADE = "CASCADE"


class OAuthApp(IdMixin, CreatedMixin, Base):
    """A client registered through ``POST /oauth/register``. ``secret_hash`` is ``None``
    for a public client (``token_endpoint_auth_method: none``), which must use PKCE."""

    __tablename__ = "oauth_apps"

    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(sa.String(255))
    client_name: Mapped[str] = mapped_column(sa.String(200))
    redirect_uris: Mapped[list[str]]
    scopes: Mapped[list[str]]
    #: The registration request's other metadata (client_uri, logo_uri, ...), as sent.
    client_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OAuthAuthorizationCode(IdMixin, CreatedMixin, Base):
    """One authorization code, stored as its SHA-256; single use."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    app_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("oauth_apps.id", ondelete=_CASCADE), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), index=True
    )
    scopes: Mapped[list[str]]
    redirect_uri: Mapped[str] = mapped_column(sa.String(2000))
    #: BASE64URL(SHA256(code_verifier)) (RFC 7636, S256 only).
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(default=False)

    app: Mapped[OAuthApp] = relationship()
    user: Mapped[User] = relationship()


class OAuthGrant(IdMixin, CreatedMixin, Base):
    """What a learner allowed an app: made when an authorization code is exchanged. Every
    access token and refresh token issued from it belongs to it (a token *family*);
    revoking it (``revoked_at``) ends them all at once: the learner or the app revoked a
    token (RFC 7009), a rotated refresh token or a used code was presented again."""

    __tablename__ = "oauth_grants"

    app_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("oauth_apps.id", ondelete=_CASCADE), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), index=True
    )
    #: The code it was made from (so that presenting that code again revokes it).
    code_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("oauth_authorization_codes.id", ondelete="SET NULL"), unique=True
    )
    #: What the learner allowed; a refresh may ask for less, never for more.
    scopes: Mapped[list[str]]
    revoked_at: Mapped[datetime | None]
    #: Why: ``revoked`` (RFC 7009), ``refresh_token_reuse`` or ``code_reuse``.
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))

    app: Mapped[OAuthApp] = relationship()
    user: Mapped[User] = relationship()


class OAuthRefreshToken(IdMixin, CreatedMixin, Base):
    """One refresh token, stored as its SHA-256. Using it rotates it: ``rotated_at`` is set
    and a successor issued; a rotated token presented again revokes its grant."""

    __tablename__ = "oauth_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("oauth_grants.id", ondelete=_CASCADE), index=True
    )
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]

    grant: Mapped[OAuthGrant] = relationship()


class UserCredential(IdMixin, CreatedMixin, SignedDocumentMixin, Base):
    """A credential a learner's app stored here (``POST /ims/ob/v3p0/credentials`` or
    ``/ims/clr/v2p0/credentials``), verified before it was accepted; kept as the exact
    bytes received (a VC-JWT as a JSON string)."""

    __tablename__ = "user_credentials"
    __table_args__ = (sa.UniqueConstraint("user_id", "credential_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), index=True
    )
    credential_id: Mapped[str] = mapped_column(sa.String(500))
    #: Which API stored it (and lists it); added in revision 0004.
    kind: Mapped[UserCredentialKind] = mapped_column(
        enum_type(UserCredentialKind, "kind"),
        default=UserCredentialKind.ACHIEVEMENT,
        server_default=UserCredentialKind.ACHIEVEMENT.value,
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
