"""Delivery to external wallets (issue 4): credential offers and the copies they deliver.

- ``credential_offers``: one offer of one issued credential to whichever wallet picks it up
  first, by a VC-API exchange (the Learner Credential Wallet) or the OpenID4VCI
  pre-authorized code flow. Its secrets are stored only as SHA-256 digests: the offer
  secret (the exchange id in ``/exchanges/{id}`` and in the credential offer URI), the
  pre-authorized code, the optional transaction code (PIN) and the access token. An offer
  delivers once (``delivered_at``), expires (``expires_at``), can be cancelled, and locks
  after too many failed attempts (``failed_attempts``).
- ``bound_credentials``: which issued credential is a copy of which, re-issued with
  ``credentialSubject.id`` = a holder's DID (by an offer, or by another flow that binds a
  credential to its holder). Revoking or suspending the original does the same to its
  copies (openler.services.delivery.binding).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import Base, CreatedMixin, IdMixin
from openler.store.models.credentials import IssuedCredential
from openler.store.models.organizations import Organization

__all__ = ["BoundCredential", "CredentialOffer"]

_CASCADE = "CASCADE"
_SET_NULL = "SET NULL"


class CredentialOffer(IdMixin, CreatedMixin, Base):
    """An offer of ``credential`` to one external wallet (VC-API exchange or OpenID4VCI)."""

    __tablename__ = "credential_offers"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE), index=True
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_CASCADE), index=True
    )
    #: SHA-256 (hex) of the offer secret: the exchange id and the credential offer id.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: SHA-256 (hex) of the OpenID4VCI pre-authorized code.
    pre_authorized_code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: SHA-256 (hex) of ``<offer id>:<PIN>`` when the offer asks for a transaction code.
    tx_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: The DIDAuthentication challenge of the VC-API exchange (not a secret: it is sent
    #: to whoever holds the exchange URL; it binds the holder's proof to this exchange).
    challenge: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime]
    #: Refused wallet attempts (wrong PIN, a presentation or proof that does not verify).
    failed_attempts: Mapped[int] = mapped_column(default=0)
    #: The OpenID4VCI access token (SHA-256), once the pre-authorized code was redeemed.
    access_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    access_token_expires_at: Mapped[datetime | None]
    token_issued_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    #: ``vcapi`` or ``oid4vci``: how the credential left.
    delivered_via: Mapped[str | None] = mapped_column(sa.String(16))
    #: The DID the delivered credential is bound to.
    holder_did: Mapped[str | None] = mapped_column(sa.String(500))
    cancelled_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
    credential: Mapped[IssuedCredential] = relationship()


class BoundCredential(IdMixin, CreatedMixin, Base):
    """``copy`` is ``original`` re-issued with ``credentialSubject.id`` = ``holder_did``."""

    __tablename__ = "bound_credentials"

    original_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_CASCADE), index=True
    )
    copy_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_CASCADE), unique=True
    )
    holder_did: Mapped[str] = mapped_column(sa.String(500))
    #: What bound it: ``vcapi``, ``oid4vci`` (an offer), or another flow's name.
    via: Mapped[str] = mapped_column(sa.String(16))
    offer_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("credential_offers.id", ondelete=_SET_NULL), unique=True
    )

    original: Mapped[IssuedCredential] = relationship(foreign_keys=[original_id])
    copy: Mapped[IssuedCredential] = relationship(foreign_keys=[copy_id])
    offer: Mapped[CredentialOffer | None] = relationship()
