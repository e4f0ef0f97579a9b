"""The learner record (issue 4): learners and their holder keys, sign-in links, claim
links, imported credentials, and the transactional outbox of e-mail.

- ``learners``: one row per learner account (a :class:`User`): the holder key (an Ed25519
  ``did:key``, its private key only as a keystore envelope) and when the e-mail address
  was shown to be the learner's.
- ``learner_sign_in_links``: one-time magic links, stored as the SHA-256 of the token.
- ``credential_claims``: one-time claim links for issued credentials, stored as the
  SHA-256 of the token; ``claimed_credential_id`` is set (unique) when one is redeemed, so a
  credential is claimed at most once whatever the number of links offered for it.
- ``imported_credentials``: credentials a learner brought from elsewhere, kept as the exact
  bytes received with the verification report made on arrival.
- ``outgoing_emails``: messages written in the caller's transaction and delivered after
  commit, at most once per ``idempotency_key``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import Base, CreatedMixin, IdMixin, enum_type, utcnow
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import ClaimMode, ImportFormat, OutgoingEmailStatus
from openler.store.models.organizations import User

__all__ = [
    "CredentialClaim",
    "ImportedCredential",
    "Learner",
    "OutgoingEmail",
    "SignInLink",
]

_CASCADE = "CASCADE"
_SET_NULL = "SET NULL"


class Learner(IdMixin, CreatedMixin, Base):
    """A learner account: the user, their holder key and e-mail verification.

    The holder key signs the learner's presentations; its DID (``did:key:z6Mk…``) is what
    re-issued credentials name as ``credentialSubject.id``. The private key is stored only
    as a keystore envelope bound to ``learner:<user id>`` and the DID."""

    __tablename__ = "learners"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), unique=True
    )
    did: Mapped[str] = mapped_column(sa.String(200), unique=True)
    key_algorithm: Mapped[str] = mapped_column(sa.String(32), default="Ed25519")
    public_key_multibase: Mapped[str] = mapped_column(sa.String(200))
    private_key_ciphertext: Mapped[bytes]
    encryption_scheme: Mapped[str] = mapped_column(sa.String(32))
    encryption_key_version: Mapped[str] = mapped_column(sa.String(32))
    #: When the learner showed they receive mail at the account's address (a sign-in link
    #: or a claim link sent there was used); ``None``: not yet.
    email_verified_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SignInLink(IdMixin, CreatedMixin, Base):
    """A one-time magic sign-in link sent to ``email`` (the account may not exist yet)."""

    __tablename__ = "learner_sign_in_links"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class CredentialClaim(IdMixin, CreatedMixin, Base):
    """A claim link for one issued credential. Redeeming it binds the credential to a
    learner: ``mode`` says how, ``reissued_credential_id`` names the re-issued credential
    when there is one."""

    __tablename__ = "credential_claims"

    credential_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_CASCADE), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    #: Whether the link was e-mailed to the credential's recipient address (then using it
    #: shows that the learner receives mail there).
    emailed: Mapped[bool] = mapped_column(default=False)
    redeemed_at: Mapped[datetime | None]
    redeemed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_SET_NULL), index=True
    )
    #: ``credential_id`` again, set only on the redeemed link: unique, so one credential is
    #: claimed at most once (two links redeemed at the same time: one fails).
    claimed_credential_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_CASCADE), unique=True
    )
    reissued_credential_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_SET_NULL), unique=True
    )
    mode: Mapped[ClaimMode | None] = mapped_column(enum_type(ClaimMode, "mode"))

    credential: Mapped[IssuedCredential] = relationship(foreign_keys=[credential_id])
    reissued_credential: Mapped[IssuedCredential | None] = relationship(
        foreign_keys=[reissued_credential_id]
    )
    redeemed_by: Mapped[User | None] = relationship(foreign_keys=[redeemed_by_user_id])


class ImportedCredential(IdMixin, CreatedMixin, Base):
    """A credential a learner imported, verified on arrival.

    ``credential_bytes`` is the credential exactly as received (JSON text, or a compact
    JWS in ASCII); for a baked image ``source_bytes`` is the whole image as uploaded.
    ``verified`` is the verdict of ``verification`` (the report, as
    ``VerificationResult.to_dict()``); an unverified import is kept and shown as such."""

    __tablename__ = "imported_credentials"
    __table_args__ = (sa.UniqueConstraint("user_id", "credential_sha256"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete=_CASCADE), index=True
    )
    source_format: Mapped[ImportFormat] = mapped_column(enum_type(ImportFormat, "source_format"))
    source_filename: Mapped[str | None] = mapped_column(sa.String(255))
    source_bytes: Mapped[bytes | None]
    credential_bytes: Mapped[bytes]
    credential_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: From the (possibly unverified) document, for display and search only.
    credential_id: Mapped[str | None] = mapped_column(sa.String(500))
    issuer_id: Mapped[str | None] = mapped_column(sa.String(500))
    name: Mapped[str | None] = mapped_column(sa.String(500))
    verified: Mapped[bool] = mapped_column(default=False)
    verification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    verified_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class OutgoingEmail(IdMixin, CreatedMixin, Base):
    """One message of the transactional outbox (see :mod:`openler.services.outbox`)."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (sa.Index(None, "status", "next_attempt_at"),)

    #: What the message is for (``claim:<credential id>``): it is sent at most once.
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[OutgoingEmailStatus] = mapped_column(
        enum_type(OutgoingEmailStatus, "status"), default=OutgoingEmailStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    #: While ``sending``: when the delivery run's claim on the message lapses.
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]
