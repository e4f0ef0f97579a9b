"""Bulk issuance (issue 5): jobs, their staged roster rows, the chunks workers claim, the
link from each issued row to its credential, and the column mapping saved per achievement.

Exactly-once rests on the database, not on the workers' good behaviour:

- ``bulk_issued`` is unique on ``(job_id, row_no)`` (and on ``credential_id``), so a roster
  row can yield at most one credential, ever, whatever a worker does twice;
- a chunk's status-list indexes are reserved once (``bulk_chunks.reservation``) and
  reused by whichever worker finally issues the chunk, so a retry never takes new ones;
- credentials, links and the chunk's ``done`` are written in one transaction.

See :mod:`openler.services.bulk` for the flow."""

from __future__ import annotations

import uuid
from datetime import datetime
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
from openler.store.models.credentials import AchievementDefinition
from openler.store.models.enums import BulkChunkState, BulkJobStatus, BulkRowState
from openler.store.models.organizations import Organization

__all__ = ["BulkChunk", "BulkIssued", "BulkJob", "BulkMapping", "BulkRow"]

_CASCADE = "CASCADE"
_RESTRICT = "RESTRICT"


class BulkMapping(IdMixin, CreatedMixin, Base):
    """The roster column mapping an organization last used for an achievement (by its
    logical id, so it carries over to new versions), offered again on the next upload."""

    __tablename__ = "bulk_mappings"
    __table_args__ = (sa.UniqueConstraint("organization_id", "achievement_logical_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_CASCADE)
    )
    achievement_logical_id: Mapped[str] = mapped_column(sa.String(100))
    #: The mapping as the API shows it (``{"recipientEmail": "E-mail", "results": {…}}``).
    mapping: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BulkJob(IdMixin, CreatedMixin, Base):
    """One roster to issue: its mapping, options, counts and where it is."""

    __tablename__ = "bulk_jobs"
    __table_args__ = (
        sa.Index(None, "organization_id", "created_at"),
        sa.CheckConstraint("chunk_size > 0", name="chunk_size_positive"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete=_RESTRICT)
    )
    #: The published achievement version every row is issued for.
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("achievement_definitions.id", ondelete=_RESTRICT), index=True
    )
    status: Mapped[BulkJobStatus] = mapped_column(
        enum_type(BulkJobStatus, "status"), default=BulkJobStatus.STAGING, index=True
    )
    roster_name: Mapped[str] = mapped_column(sa.String(300))
    #: How the roster was read: ``{"format": "csv", "delimiter": ";", "bom": true}``.
    roster_info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headers: Mapped[list[str]]
    #: The mapping in force (as :class:`BulkMapping` stores it).
    mapping: Mapped[dict[str, Any]]
    #: ``suites``, ``statusPurpose``, ``sendClaims``, ``claimTtlSeconds`` …
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    chunk_size: Mapped[int]
    total_rows: Mapped[int] = mapped_column(default=0)
    invalid_rows: Mapped[int] = mapped_column(default=0)
    #: Rows handed to the workers when the job was started.
    queued_rows: Mapped[int] = mapped_column(default=0)
    valid_rows_only: Mapped[bool] = mapped_column(default=False)
    created_by_type: Mapped[str] = mapped_column(sa.String(32))
    created_by_id: Mapped[str | None] = mapped_column(sa.String(100))
    validated_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    #: When the job last started or resumed (progress rates count from here).
    run_started_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: Why a job failed as a whole (no active signing key, achievement gone …).
    error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    achievement: Mapped[AchievementDefinition] = relationship()


class BulkRow(IdMixin, Base):
    """One data row of a roster, as read (every cell as text), with its verdict.

    ``row_no`` is the row's number in the spreadsheet (the header is row 1)."""

    __tablename__ = "bulk_rows"
    __table_args__ = (sa.UniqueConstraint("job_id", "row_no"),)

    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bulk_jobs.id", ondelete=_CASCADE))
    row_no: Mapped[int]
    cells: Mapped[list[str]]
    #: The normalized recipient (duplicates within a roster are refused).
    recipient: Mapped[str | None] = mapped_column(sa.String(500))
    state: Mapped[BulkRowState] = mapped_column(enum_type(BulkRowState, "state"))
    #: ``[{"field", "column", "code", "message"}, …]`` for an invalid or failed row.
    errors: Mapped[list[Any] | None] = mapped_column(JsonDocument)


class BulkChunk(IdMixin, Base):
    """A run of rows of a started job that one worker issues in one transaction."""

    __tablename__ = "bulk_chunks"
    __table_args__ = (sa.UniqueConstraint("job_id", "chunk_no"),)

    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bulk_jobs.id", ondelete=_CASCADE))
    chunk_no: Mapped[int]
    first_row: Mapped[int]
    last_row: Mapped[int]
    #: Valid rows in the chunk when the job started.
    rows: Mapped[int]
    state: Mapped[BulkChunkState] = mapped_column(
        enum_type(BulkChunkState, "state"), default=BulkChunkState.PENDING, index=True
    )
    lease_owner: Mapped[str | None] = mapped_column(sa.String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    #: Status-list entries set aside for the chunk's rows, in row order:
    #: ``[[status_list_id, first_index, count], …]``; reused by every retry.
    reservation: Mapped[list[Any] | None] = mapped_column(JsonDocument)
    issued: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]


class BulkIssued(IdMixin, Base):
    """The credential a roster row yielded (at most one per row: the unique constraint
    is the guarantee) and its claim link, for the result report."""

    __tablename__ = "bulk_issued"
    __table_args__ = (sa.UniqueConstraint("job_id", "row_no"),)

    #: RESTRICT: a job that issued anything is kept, with the provenance of its credentials.
    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bulk_jobs.id", ondelete=_RESTRICT))
    row_no: Mapped[int]
    credential_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("issued_credentials.id", ondelete=_RESTRICT), unique=True
    )
    claim_url: Mapped[str | None] = mapped_column(sa.String(2000))
