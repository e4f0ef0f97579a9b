"""Bulk jobs from upload to start: staging and validating a roster, changing its mapping,
starting (the chunks), cancelling and resuming.

The roster is read once, row by row, and staged in ``bulk_rows`` with each row's verdict,
in batches, so memory stays flat whatever its size. Functions that stage take a
:class:`~openler.store.db.Database` (a transaction per batch: a million-row roster does not
hold SQLite's write lock for minutes) or a :class:`~sqlalchemy.orm.Session` (everything in
the caller's transaction, as an API request does).

States::

    staging ─▶ validated ─start─▶ running ─(last chunk)─▶ completed
                  │  ▲ remap         │  ▲
                  │  └───────        cancel│  │resume
                  └─cancel─▶ cancelled ◀──┘  │          failed (job-wide problem) ─resume─▶
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.services.audit import Actor, record
from openler.services.bulk._copy import insert_rows
from openler.services.bulk._tables import CHUNKS, JOBS, ROWS
from openler.services.bulk.errors import (
    BulkJobConflict,
    BulkJobNotFound,
    MappingInvalid,
    RosterInvalid,
    RosterTooLarge,
)
from openler.services.bulk.mapping import ColumnMapping, resolve, suggest_mapping
from openler.services.bulk.roster import Roster, open_roster
from openler.services.bulk.validate import RowChecker, RowIssue
from openler.store.db import Database
from openler.store.models._base import new_id
from openler.store.models.bulk import BulkJob, BulkMapping
from openler.store.models.credentials import AchievementDefinition
from openler.store.models.enums import (
    ActorType,
    AuditAction,
    BulkChunkState,
    BulkJobStatus,
    BulkRowState,
    PublicationStatus,
    StatusPurpose,
)
from openler.store.models.organizations import Organization

__all__ = [
    "JobOptions",
    "Target",
    "cancel_job",
    "create_job",
    "get_job",
    "remap_job",
    "resume_job",
    "saved_mapping",
    "start_job",
    "transactions",
]

#: Roster rows written per INSERT batch (and per transaction when staging on a Database).
STAGE_BATCH: Final = 5000
_SUITES: Final = frozenset({"eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"})
_CLAIMS: Final = ("email", "link", "none")

#: Where staging writes: a Database (a transaction per batch) or one Session.
Target = Database | Session

#: Called as ``hook(session, job_id)`` in the transaction that starts or resumes a job; the
#: task-queue dispatcher (celery_app.install) registers one that enqueues the job's chunks
#: once it commits. Embedded workers need none: they find the chunks in the database.
RUN_HOOKS: list[Callable[[Session, uuid.UUID], None]] = []


def transactions(target: Target) -> Callable[[], AbstractContextManager[Session]]:
    """Units of work on ``target``: new transactions on a Database (``BEGIN IMMEDIATE``
    on SQLite), or the one Session itself (the caller commits)."""
    if isinstance(target, Session):
        return lambda: nullcontext(target)
    return lambda: target.session_scope(immediate=True)


@dataclass(frozen=True)
class JobOptions:
    """How a job issues. ``claims``: ``email`` (a claim link, mailed to e-mail recipients),
    ``link`` (the link only, in the result report) or ``none``. ``status_list_length``
    sizes the status lists the job starts (tests use tiny ones; default 131,072)."""

    suites: tuple[str, ...] = ("eddsa-rdfc-2022",)
    status_purpose: StatusPurpose = StatusPurpose.REVOCATION
    claims: Literal["email", "link", "none"] = "email"
    claim_ttl_days: int = 30
    status_list_length: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.suites or any(s not in _SUITES for s in self.suites):
            raise InvalidInput(
                f"Bulk issuance signs with {', '.join(sorted(_SUITES))} (one or two).",
                details={"suites": list(self.suites)},
            )
        if self.claims not in _CLAIMS:
            raise InvalidInput(f"claims is one of {', '.join(_CLAIMS)}.")
        if not 1 <= self.claim_ttl_days <= 365:
            raise InvalidInput("A claim link lasts 1 to 365 days.")
        if self.status_list_length is not None and self.status_list_length < 1:
            raise InvalidInput("A status list needs at least one entry.")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "suites": list(self.suites),
            "statusPurpose": self.status_purpose.value,
            "claims": self.claims,
            "claimTtlDays": self.claim_ttl_days,
        }
        if self.status_list_length is not None:
            out["statusListLength"] = self.status_list_length
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobOptions:
        return cls(
            suites=tuple(data.get("suites") or ("eddsa-rdfc-2022",)),
            status_purpose=StatusPurpose(data.get("statusPurpose", "revocation")),
            claims=data.get("claims", "email"),
            claim_ttl_days=int(data.get("claimTtlDays", 30)),
            status_list_length=data.get("statusListLength"),
        )


# -- reading jobs ---------------------------------------------------------------------------


def get_job(session: Session, org: Organization, job_id: uuid.UUID | str) -> BulkJob:
    """The organization's job ``job_id``; another organization's is not found."""
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise BulkJobNotFound("No such bulk job in this organization.") from None
    job = session.get(BulkJob, key)
    if job is None or job.organization_id != org.id:
        raise BulkJobNotFound("No such bulk job in this organization.")
    return job


def saved_mapping(session: Session, org: Organization, logical_id: str) -> ColumnMapping | None:
    """The mapping last saved for the achievement ``logical_id``, if any."""
    saved = session.scalar(
        sa.select(BulkMapping).where(
            BulkMapping.organization_id == org.id,
            BulkMapping.achievement_logical_id == logical_id,
        )
    )
    return ColumnMapping.from_json(saved.mapping) if saved is not None else None


def save_mapping(
    session: Session, org: Organization, logical_id: str, mapping: ColumnMapping
) -> None:
    """Remember ``mapping`` for the achievement (insert or replace)."""
    data = mapping.to_json()
    for _ in range(3):
        saved = session.scalar(
            sa.select(BulkMapping).where(
                BulkMapping.organization_id == org.id,
                BulkMapping.achievement_logical_id == logical_id,
            )
        )
        if saved is not None:
            saved.mapping = data
            session.flush()
            return
        try:
            with session.begin_nested():
                session.add(
                    BulkMapping(
                        organization_id=org.id, achievement_logical_id=logical_id, mapping=data
                    )
                )
        except IntegrityError:
            continue  # saved by a concurrent upload first: replace it


# -- staging --------------------------------------------------------------------------------


def _actor_columns(actor: Actor | None) -> dict[str, Any]:
    if actor is None:
        return {"created_by_type": ActorType.SYSTEM.value, "created_by_id": None}
    return {"created_by_type": actor.type.value, "created_by_id": actor.id}


def _issues_json(issues: list[RowIssue]) -> list[dict[str, Any]]:
    return [i.to_json() for i in issues]


def create_job(
    target: Target,
    settings: Settings,
    org: Organization,
    achievement: AchievementDefinition,
    roster: IO[bytes],
    *,
    roster_name: str,
    mapping: ColumnMapping | None = None,
    options: JobOptions | None = None,
    actor: Actor | None = None,
    now: datetime,
) -> BulkJob:
    """Read ``roster``, check every row for ``achievement`` (a published version) and
    stage the rows: the job comes back ``validated``, with its counts; the error report
    lists the invalid rows. Without ``mapping`` the one saved for the achievement is used,
    else one guessed from the headers. Nothing is issued until :func:`start_job`."""
    if achievement.organization_id != org.id:
        raise BulkJobNotFound("No such achievement in this organization.")
    if achievement.status is not PublicationStatus.PUBLISHED:
        raise MappingInvalid("Only a published achievement can be issued.")
    options = options or JobOptions()
    unit = transactions(target)
    with open_roster(roster) as opened:
        given = mapping is not None
        if mapping is None:
            with unit() as session:
                mapping = saved_mapping(session, org, achievement.logical_id)
            mapping = mapping or suggest_mapping(opened.headers, achievement.achievement)
        resolved = resolve(mapping, opened.headers, achievement.achievement)
        job = BulkJob(
            organization_id=org.id,
            achievement_id=achievement.id,
            status=BulkJobStatus.STAGING,
            roster_name=roster_name[:300],
            roster_info=opened.info.to_json(),
            headers=list(opened.headers),
            mapping=mapping.to_json(),
            options=options.to_json(),
            chunk_size=settings.bulk_chunk_size,
            created_at=now,
            updated_at=now,
            **_actor_columns(actor),
        )
        with unit() as session:
            session.add(job)
            session.flush()
        try:
            total, invalid = _stage(unit, job.id, opened, RowChecker(resolved, now=now), settings)
            with unit() as session:
                invalid += _mark_duplicates(session, job.id)
                staged = session.get(BulkJob, job.id)
                assert staged is not None
                staged.total_rows = total
                staged.invalid_rows = invalid
                staged.status = BulkJobStatus.VALIDATED
                staged.validated_at = now
                staged.updated_at = now
                if given:
                    save_mapping(session, org, achievement.logical_id, mapping)
                record(
                    session,
                    org,
                    actor,
                    AuditAction.BULK_JOB_CREATE,
                    str(job.id),
                    {
                        "achievement": achievement.logical_id,
                        "version": achievement.version,
                        "roster": job.roster_name,
                        "rows": total,
                        "invalidRows": invalid,
                    },
                )
                session.flush()
                job = staged
        except BaseException:
            if not isinstance(target, Session):
                with unit() as session:
                    session.execute(sa.delete(ROWS).where(ROWS.c.job_id == job.id))
                    session.execute(sa.delete(JOBS).where(JOBS.c.id == job.id))
            raise
    return job


def _stage(
    unit: Callable[[], AbstractContextManager[Session]],
    job_id: uuid.UUID,
    roster: Roster,
    checker: RowChecker,
    settings: Settings,
) -> tuple[int, int]:
    total = invalid = 0
    batch: list[dict[str, Any]] = []
    for row_no, cells in roster.rows():
        total += 1
        if total > settings.bulk_max_rows:
            raise RosterTooLarge(
                f"The roster has more than {settings.bulk_max_rows:,} rows; split it.",
                details={"maxRows": settings.bulk_max_rows},
            )
        verdict = checker.check(cells)
        if verdict.row is None:
            invalid += 1
        batch.append(
            {
                "id": new_id(),
                "job_id": job_id,
                "row_no": row_no,
                "cells": cells,
                "recipient": verdict.recipient[:500] if verdict.recipient else None,
                "state": BulkRowState.VALID if verdict.row else BulkRowState.INVALID,
                "errors": _issues_json(verdict.issues) if verdict.issues else None,
            }
        )
        if len(batch) >= STAGE_BATCH:
            with unit() as session:
                insert_rows(session, ROWS, batch)
            batch = []
    if batch:
        with unit() as session:
            insert_rows(session, ROWS, batch)
    return total, invalid


def _mark_duplicates(session: Session, job_id: uuid.UUID) -> int:
    """Flag every row whose recipient an earlier row has; the number newly made invalid."""
    repeated = (
        sa.select(ROWS.c.recipient)
        .where(ROWS.c.job_id == job_id, ROWS.c.recipient.is_not(None))
        .group_by(ROWS.c.recipient)
        .having(sa.func.count() > 1)
    )
    rows = session.execute(
        sa.select(ROWS.c.id, ROWS.c.row_no, ROWS.c.recipient, ROWS.c.state, ROWS.c.errors)
        .where(ROWS.c.job_id == job_id, ROWS.c.recipient.in_(repeated))
        .order_by(ROWS.c.recipient, ROWS.c.row_no)
    )
    first: dict[str, int] = {}
    updates: list[dict[str, Any]] = []
    newly_invalid = 0
    for row in rows:
        if row.recipient not in first:
            first = {row.recipient: row.row_no}  # sorted by recipient: one group at a time
            continue
        issue = RowIssue(
            "recipient",
            None,
            "duplicate_recipient",
            f"the same recipient as row {first[row.recipient]}",
        )
        if row.state == BulkRowState.VALID:
            newly_invalid += 1
        updates.append(
            {
                "b_id": row.id,
                "b_state": BulkRowState.INVALID,
                "b_errors": [*(row.errors or []), issue.to_json()],
            }
        )
    for start in range(0, len(updates), STAGE_BATCH):
        session.execute(
            sa.update(ROWS)
            .where(ROWS.c.id == sa.bindparam("b_id"))
            .values(state=sa.bindparam("b_state"), errors=sa.bindparam("b_errors")),
            updates[start : start + STAGE_BATCH],
        )
    return newly_invalid


def remap_job(
    target: Target,
    org: Organization,
    job_id: uuid.UUID,
    mapping: ColumnMapping,
    *,
    actor: Actor | None = None,
    now: datetime,
) -> BulkJob:
    """Check every staged row again under a new ``mapping`` (a ``validated`` job only),
    and save the mapping for the achievement."""
    unit = transactions(target)
    with unit() as session:
        job = get_job(session, org, job_id)
        if job.status is not BulkJobStatus.VALIDATED:
            raise BulkJobConflict(
                f"The job is {job.status.value}: only a validated job can be re-mapped.",
                details={"status": job.status.value},
            )
        achievement = job.achievement
        resolved = resolve(mapping, job.headers, achievement.achievement)
        logical_id = achievement.logical_id
    checker = RowChecker(resolved, now=now)
    invalid = 0
    for batch in _row_batches(unit, job_id):
        updates = []
        for row_id, cells in batch:
            verdict = checker.check(cells)
            invalid += verdict.row is None
            updates.append(
                {
                    "b_id": row_id,
                    "b_state": BulkRowState.VALID if verdict.row else BulkRowState.INVALID,
                    "b_errors": _issues_json(verdict.issues) if verdict.issues else None,
                    "b_recipient": verdict.recipient[:500] if verdict.recipient else None,
                }
            )
        with unit() as session:
            session.execute(
                sa.update(ROWS)
                .where(ROWS.c.id == sa.bindparam("b_id"))
                .values(
                    state=sa.bindparam("b_state"),
                    errors=sa.bindparam("b_errors"),
                    recipient=sa.bindparam("b_recipient"),
                ),
                updates,
            )
    with unit() as session:
        invalid += _mark_duplicates(session, job_id)
        job = get_job(session, org, job_id)
        job.mapping = mapping.to_json()
        job.invalid_rows = invalid
        job.validated_at = now
        job.updated_at = now
        save_mapping(session, org, logical_id, mapping)
        session.flush()
    return job


def _row_batches(
    unit: Callable[[], AbstractContextManager[Session]], job_id: uuid.UUID
) -> Iterator[list[tuple[uuid.UUID, list[str]]]]:
    """The job's rows (id, cells) in row order, a batch per read (keyset paging)."""
    after = 0
    while True:
        with unit() as session:
            rows = session.execute(
                sa.select(ROWS.c.id, ROWS.c.cells, ROWS.c.row_no)
                .where(ROWS.c.job_id == job_id, ROWS.c.row_no > after)
                .order_by(ROWS.c.row_no)
                .limit(STAGE_BATCH)
            ).all()
        if not rows:
            return
        after = rows[-1].row_no
        yield [(row.id, row.cells) for row in rows]


# -- running --------------------------------------------------------------------------------


def start_job(
    session: Session,
    org: Organization,
    job_id: uuid.UUID,
    *,
    valid_rows_only: bool = False,
    actor: Actor | None = None,
    now: datetime,
) -> BulkJob:
    """Hand a validated job's valid rows to the workers, in chunks. A roster with invalid
    rows is refused (:class:`RosterInvalid`) unless ``valid_rows_only``."""
    job = _locked(session, org, job_id)
    if job.status is not BulkJobStatus.VALIDATED:
        raise BulkJobConflict(
            f"The job is {job.status.value}; only a validated job can be started.",
            details={"status": job.status.value},
        )
    if job.invalid_rows and not valid_rows_only:
        raise RosterInvalid(
            f"{job.invalid_rows:,} of {job.total_rows:,} rows are invalid: fix them and "
            "upload the roster again, or choose to issue the valid rows only.",
            details={"invalidRows": job.invalid_rows, "totalRows": job.total_rows},
        )
    chunk_no = (ROWS.c.row_no - 2) // job.chunk_size
    groups = session.execute(
        sa.select(
            chunk_no.label("chunk_no"),
            sa.func.min(ROWS.c.row_no).label("first_row"),
            sa.func.max(ROWS.c.row_no).label("last_row"),
            sa.func.count().label("rows"),
        )
        .where(ROWS.c.job_id == job.id, ROWS.c.state == BulkRowState.VALID)
        .group_by(chunk_no)
        .order_by(chunk_no)
    ).all()
    chunks = [
        {
            "id": new_id(),
            "job_id": job.id,
            "chunk_no": int(g.chunk_no),
            "first_row": g.first_row,
            "last_row": g.last_row,
            "rows": g.rows,
            "state": BulkChunkState.PENDING,
            "attempts": 0,
            "issued": 0,
            "failed": 0,
        }
        for g in groups
    ]
    for start in range(0, len(chunks), STAGE_BATCH):
        session.execute(sa.insert(CHUNKS), chunks[start : start + STAGE_BATCH])
    job.queued_rows = sum(c["rows"] for c in chunks)
    job.valid_rows_only = valid_rows_only
    job.status = BulkJobStatus.RUNNING if chunks else BulkJobStatus.COMPLETED
    job.started_at = job.run_started_at = now
    if not chunks:
        job.finished_at = now
    job.updated_at = now
    save_mapping(session, org, job.achievement.logical_id, ColumnMapping.from_json(job.mapping))
    record(
        session,
        org,
        actor,
        AuditAction.BULK_JOB_START,
        str(job.id),
        {"rows": job.queued_rows, "chunks": len(chunks), "validRowsOnly": valid_rows_only},
    )
    session.flush()
    for hook in RUN_HOOKS if chunks else ():
        hook(session, job.id)
    return job


def _locked(session: Session, org: Organization, job_id: uuid.UUID) -> BulkJob:
    """The job, its row locked against workers finishing a chunk meanwhile (PostgreSQL)."""
    job = get_job(session, org, job_id)
    session.execute(
        sa.select(BulkJob.id).where(BulkJob.id == job.id).with_for_update(key_share=True)
    )
    session.refresh(job)
    return job


def cancel_job(
    session: Session,
    org: Organization,
    job_id: uuid.UUID,
    *,
    actor: Actor | None = None,
    now: datetime,
) -> BulkJob:
    """Stop a running job (or drop a validated one). A chunk being written waits for this
    to commit or is written first; after it, no chunk of the job commits until resumed."""
    job = _locked(session, org, job_id)
    if job.status not in (BulkJobStatus.RUNNING, BulkJobStatus.VALIDATED):
        raise BulkJobConflict(
            f"The job is {job.status.value}; only a running or validated job can be cancelled.",
            details={"status": job.status.value},
        )
    job.status = BulkJobStatus.CANCELLED
    job.cancelled_at = now
    job.updated_at = now
    record(session, org, actor, AuditAction.BULK_JOB_CANCEL, str(job.id), {})
    session.flush()
    return job


def resume_job(
    session: Session,
    org: Organization,
    job_id: uuid.UUID,
    *,
    actor: Actor | None = None,
    now: datetime,
) -> BulkJob:
    """Run a cancelled (after it was started) or failed job again from where it stopped."""
    job = _locked(session, org, job_id)
    if job.status not in (BulkJobStatus.CANCELLED, BulkJobStatus.FAILED) or (
        job.started_at is None
    ):
        raise BulkJobConflict(
            f"The job is {job.status.value}; only a started job that was cancelled or failed "
            "can be resumed.",
            details={"status": job.status.value},
        )
    # Claims of the last run are void: let any worker take the chunks at once.
    session.execute(
        sa.update(CHUNKS)
        .where(CHUNKS.c.job_id == job.id, CHUNKS.c.state != BulkChunkState.DONE)
        .values(state=BulkChunkState.PENDING, lease_owner=None, lease_until=None, attempts=0)
    )
    job.status = BulkJobStatus.RUNNING
    job.run_started_at = now
    job.cancelled_at = None
    job.error = None
    job.updated_at = now
    record(session, org, actor, AuditAction.BULK_JOB_RESUME, str(job.id), {})
    session.flush()
    for hook in RUN_HOOKS:
        hook(session, job.id)
    return job
