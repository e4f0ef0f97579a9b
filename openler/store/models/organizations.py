"""Tenants and who may act for them: organizations, their signing keys, users and their
memberships, OAuth2 API clients and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from openler.store.models._base import Base, CreatedMixin, IdMixin, enum_type, utcnow
from openler.store.models.enums import OrganizationKind, Role, SigningKeyStatus

if TYPE_CHECKING:
    from openler.store.models.credentials import AchievementDefinition, StatusList

__all__ = ["ApiClient", "ApiKey", "Membership", "Organization", "SigningKey", "User"]

_CASCADE = "CASCADE"


class Organization(IdMixin, CreatedMixin, Base):
    """A tenant that issues (or endorses) credentials. Its DID is
    ``did:web:<host>:orgs:<slug>``, derived from the settings, never stored."""

    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganizationKind] = mapped_column(enum_type(OrganizationKind, "kind"))
    #: The Open Badges 3.0 Profile (JSON) presented as the issuer.
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Whether a learner who claims one of its credentials gets it re-issued to their own
    #: DID (credentialSubject.id); otherwise the credential is kept as issued, matched by
    #: its e-mail IdentityObject (openler.services.claims). Added in revision 0006.
    reissue_on_claim: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    signing_keys: Mapped[list[SigningKey]] = relationship(
        back_populates="organization", passive_deletes=True, order_by="SigningKey.created_at"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", passive_deletes=True
    )
    achievements: Mapped[list[AchievementDefinition]] = relationship(
        back_populates="organization", passive_deletes=True
    )
    status_lists: Mapped[list[StatusList]] = relationship(
        back_populates="organization", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class SigningKey(IdMixin, CreatedMixin, Base):
    """A key an organization signs with. The private key is stored only encrypted (by
    ``openler.services.keystore``); retired keys stay in the DID document."""

    __tablename__ = "signing_keys"
    __table_args__ = (sa.UniqueConstraint("organization_id", "key_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE), index=True
    )
    #: The fragment of the verification method in the DID document (``key-1``).
    key_id: Mapped[str] = mapped_column(sa.String(100))
    algorithm: Mapped[str] = mapped_column(sa.String(32), default="Ed25519")
    public_key_multibase: Mapped[str] = mapped_column(sa.String(200))
    #: The encrypted private key and how to decrypt it (the keystore's business).
    private_key_ciphertext: Mapped[bytes]
    #: ``openler-keystore-v1`` envelopes carry their nonce and key version inside; the
    #: version is repeated here so a rotation job can find what still needs rewrapping.
    encryption_scheme: Mapped[str] = mapped_column(sa.String(32))
    encryption_key_version: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[SigningKeyStatus] = mapped_column(
        enum_type(SigningKeyStatus, "status"), default=SigningKeyStatus.ACTIVE
    )
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(back_populates="signing_keys")


class User(IdMixin, CreatedMixin, Base):
    """A person who signs in to the platform. E-mail addresses are stored lower-cased."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", passive_deletes=True
    )

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return value.strip().lower()


class Membership(IdMixin, CreatedMixin, Base):
    """A user's role in one organization."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete=_CASCADE))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class ApiClient(IdMixin, CreatedMixin, Base):
    """An OAuth 2.0 client-credentials client; its tokens act for one organization."""

    __tablename__ = "api_clients"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE), index=True
    )
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    scopes: Mapped[list[str]] = mapped_column(default=list)
    revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()


class ApiKey(IdMixin, CreatedMixin, Base):
    """A static API key: looked up by its public ``prefix``, checked against ``key_hash``."""

    __tablename__ = "api_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(255))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    revoked: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
