"""CLR 2.0 transcripts: ClrCredentials an organization issued, bundling several of its
issued credentials for one learner. Kept apart from ``issued_credentials``, whose rows each
belong to one achievement; the signed bytes are stored exactly as issued."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openler.store.models._base import Base, CreatedMixin, IdMixin, utcnow
from openler.store.models.credentials import SignedDocumentMixin
from openler.store.models.organizations import Organization, SigningKey

__all__ = ["ClrCredential"]


class ClrCredential(IdMixin, CreatedMixin, SignedDocumentMixin, Base):
    """A signed ClrCredential; ``included_credential_ids`` lists the ``id`` of each
    credential it embeds (in order)."""

    __tablename__ = "clr_credentials"
    __table_args__ = (
        sa.Index(None, "organization_id", "recipient_lookup"),
        # A learner's transcripts from every organization (the CLR service API, the record).
        sa.Index(None, "recipient_lookup"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    signing_key_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("signing_keys.id", ondelete="RESTRICT"), index=True
    )
    #: The ClrCredential's ``id`` (``urn:uuid:…``).
    credential_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: The same digest as ``IssuedCredential.recipient_lookup`` for the learner.
    recipient_lookup: Mapped[str] = mapped_column(sa.String(128))
    included_credential_ids: Mapped[list[str]]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()
