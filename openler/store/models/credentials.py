"""What organizations publish and issue: achievement definitions, issued credentials,
status lists and endorsements.

Signed documents are stored exactly as they were signed (``credential_bytes``: the UTF-8
JSON serialization that was handed out) and parsed on read; never re-serialize them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import (
    Base,
    CreatedMixin,
    IdMixin,
    enum_type,
    sha256_hex,
    utcnow,
)
from openler.store.models.enums import (
    CredentialStatus,
    EndorsementTarget,
    PublicationStatus,
    RecipientKind,
    StatusPurpose,
)
from openler.store.models.organizations import Organization, SigningKey

__all__ = [
    "AchievementDefinition",
    "Endorsement",
    "ImmutableRecordError",
    "IssuedCredential",
    "StatusList",
]

_RESTRICT = "RESTRICT"
_CASCADE = "CASCADE"


class ImmutableRecordError(Exception):
    """A published achievement definition was changed; publish a new version instead."""


class SignedDocumentMixin:
    """The signed JSON exactly as issued, its SHA-256, and a parsed view of it."""

    credential_bytes: Mapped[bytes]
    credential_sha256: Mapped[str] = mapped_column(sa.String(64))

    def set_signed_document(self, data: bytes) -> None:
        """Store ``data`` (the serialization that was signed and handed out) verbatim."""
        if not isinstance(data, bytes):
            raise TypeError("store the signed document as the exact bytes that were issued")
        self.credential_bytes = data
        self.credential_sha256 = sha256_hex(data)

    @property
    def document(self) -> Any:
        """The signed document, parsed (a fresh object on every call)."""
        return json.loads(self.credential_bytes)


class AchievementDefinition(IdMixin, CreatedMixin, Base):
    """One version of an Open Badges 3.0 Achievement. Published versions are immutable."""

    __tablename__ = "achievement_definitions"
    __table_args__ = (sa.UniqueConstraint("organization_id", "logical_id", "version"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE)
    )
    #: Stable across versions (a slug chosen by the organization).
    logical_id: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[PublicationStatus] = mapped_column(
        enum_type(PublicationStatus, "status"), default=PublicationStatus.DRAFT
    )
    #: The OB 3.0 Achievement (JSON).
    achievement: Mapped[dict[str, Any]]
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="achievements")


@event.listens_for(AchievementDefinition, "before_update")
def _published_is_immutable(_mapper: Any, _connection: Any, target: AchievementDefinition) -> None:
    state = sa.inspect(target)
    was = state.attrs.status.history.deleted or state.attrs.status.history.unchanged
    if PublicationStatus.PUBLISHED not in (was or ()):
        return
    changed = [
        attr.key
        for attr in state.attrs
        if attr.key not in ("updated_at", "organization") and attr.history.has_changes()
    ]
    if changed:
        raise ImmutableRecordError(
            f"achievement {target.logical_id!r} version {target.version} is published; "
            f"changing {', '.join(sorted(changed))} needs a new version"
        )


class StatusList(IdMixin, CreatedMixin, Base):
    """A Bitstring Status List of one purpose for one organization, published at
    ``url_path``. ``bits`` holds the uncompressed bitstring; ``next_index`` is the next
    unallocated entry (see :mod:`openler.store.status`); ``version`` grows with every
    change of a bit, for ETags and cache headers."""

    __tablename__ = "status_lists"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "purpose", "sequence"),
        sa.CheckConstraint("length > 0", name="length_positive"),
        sa.CheckConstraint("next_index >= 0 AND next_index <= length", name="next_index_range"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE)
    )
    purpose: Mapped[StatusPurpose] = mapped_column(enum_type(StatusPurpose, "purpose"))
    #: 1 for an organization's first list of a purpose, 2 for the next when it fills up, …
    sequence: Mapped[int] = mapped_column(default=1)
    url_path: Mapped[str] = mapped_column(sa.String(300), unique=True)
    length: Mapped[int]
    bits: Mapped[bytes]
    next_index: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: The last signed BitstringStatusListCredential (exact bytes) and the version it shows.
    signed_credential: Mapped[bytes | None]
    signed_version: Mapped[int | None]

    organization: Mapped[Organization] = relationship(back_populates="status_lists")

    @property
    def is_full(self) -> bool:
        return self.next_index >= self.length


class IssuedCredential(IdMixin, SignedDocumentMixin, Base):
    """An AchievementCredential as issued, with its recipient, status entries and the
    idempotency key of the request that issued it."""

    __tablename__ = "issued_credentials"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "idempotency_key"),
        sa.UniqueConstraint("revocation_list_id", "revocation_index"),
        sa.UniqueConstraint("suspension_list_id", "suspension_index"),
        sa.Index(None, "organization_id", "issued_at"),
        sa.Index(None, "organization_id", "recipient_lookup"),
        # A learner's credentials from every organization (the OB service API, the record).
        sa.Index(None, "recipient_lookup"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_RESTRICT)
    )
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("achievement_definitions.id", ondelete=_RESTRICT), index=True
    )
    signing_key_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("signing_keys.id", ondelete=_RESTRICT), index=True
    )
    #: The credential's ``id`` (``urn:uuid:…``).
    credential_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        enum_type(RecipientKind, "recipient_kind")
    )
    #: As it appears in the credential: plain, or ``sha256$…`` when hashed with a salt.
    recipient_identifier: Mapped[str] = mapped_column(sa.String(500))
    recipient_hashed: Mapped[bool] = mapped_column(default=False)
    recipient_salt: Mapped[str | None] = mapped_column(sa.String(100))
    #: A deployment-keyed digest of the normalized identifier, to find a learner's
    #: credentials even when the credential carries only a salted hash.
    recipient_lookup: Mapped[str | None] = mapped_column(sa.String(128))

    revocation_list_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("status_lists.id", ondelete=_RESTRICT)
    )
    revocation_index: Mapped[int | None]
    suspension_list_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("status_lists.id", ondelete=_RESTRICT)
    )
    suspension_index: Mapped[int | None]
    status: Mapped[CredentialStatus] = mapped_column(
        enum_type(CredentialStatus, "status"), default=CredentialStatus.ACTIVE
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_changed_at: Mapped[datetime | None]

    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: SHA-256 of the canonical request, to tell a replay (same hash) from a conflict.
    request_hash: Mapped[str | None] = mapped_column(sa.String(64))

    organization: Mapped[Organization] = relationship()
    achievement: Mapped[AchievementDefinition] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()
    revocation_list: Mapped[StatusList | None] = relationship(foreign_keys=[revocation_list_id])
    suspension_list: Mapped[StatusList | None] = relationship(foreign_keys=[suspension_list_id])


class Endorsement(IdMixin, CreatedMixin, SignedDocumentMixin, Base):
    """An EndorsementCredential one organization issued about an achievement or a profile
    (its own platform's, linked by the optional foreign keys, or anyone's, by URI)."""

    __tablename__ = "endorsements"

    endorser_organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_RESTRICT), index=True
    )
    target_kind: Mapped[EndorsementTarget] = mapped_column(
        enum_type(EndorsementTarget, "target_kind")
    )
    #: The ``id`` of the endorsed Achievement or Profile.
    target_id: Mapped[str] = mapped_column(sa.String(500), index=True)
    target_achievement_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("achievement_definitions.id", ondelete="SET NULL"), index=True
    )
    target_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    credential_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    endorser: Mapped[Organization] = relationship(foreign_keys=[endorser_organization_id])
    target_achievement: Mapped[AchievementDefinition | None] = relationship()
    target_organization: Mapped[Organization | None] = relationship(
        foreign_keys=[target_organization_id]
    )
