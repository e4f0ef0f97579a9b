"""The chunk engine: claiming chunks, issuing one chunk exactly once, finishing jobs.

One chunk goes through three steps::

    claim_chunk     (one short transaction) take a pending chunk, or one whose lease
                    lapsed, for lease_seconds; set aside its status-list entries once
                    (bulk_chunks.reservation: a retry reuses them, never takes new ones)
    process_chunk   sign every row outside any transaction, then in ONE transaction:
                    re-check the chunk is not done and the job still runs, insert the
                    credentials and their bulk_issued links, offer the claim links
                    (outbox e-mails), mark failed rows, mark the chunk done
    finish_job      after the commit: the job is completed when no chunk is left

A worker killed at any point loses at most its uncommitted transaction; the chunk's lease
lapses and another worker (or the same one, restarted) issues it, with the same status
entries. Two workers can never both commit a chunk: the write re-reads the chunk under a
row lock (PostgreSQL ``FOR UPDATE``; SQLite has a single writer) and finds it done, and
the unique ``(job_id, row_no)`` of ``bulk_issued`` refuses a second credential for a row
whatever happens. :func:`process_chunk` is idempotent, so a task queue (Celery with
``acks_late``) may call it for the same chunk twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.keys.keypair import LocalSigner
from openler.core.signing import default_cache
from openler.services.audit import SYSTEM, record
from openler.services.bulk._copy import insert_rows
from openler.services.bulk._tables import CHUNKS, CREDENTIALS, JOBS, LINKS, ROWS
from openler.services.bulk.build import CredentialFactory, IssuerContext, SignedRow, sign_row
from openler.services.bulk.errors import BulkJobNotFound
from openler.services.bulk.jobs import JobOptions
from openler.services.bulk.mapping import ColumnMapping, resolve
from openler.services.bulk.validate import RowChecker, RowIssue
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, org_did
from openler.store.db import Database
from openler.store.models._base import new_id, utcnow
from openler.store.models.bulk import BulkJob
from openler.store.models.credentials import IssuedCredential, StatusList
from openler.store.models.enums import (
    AuditAction,
    BulkChunkState,
    BulkJobStatus,
    BulkRowState,
    RecipientKind,
    SigningKeyStatus,
)
from openler.store.models.organizations import Organization, SigningKey
from openler.store.status import DEFAULT_LIST_LENGTH, allocate_status_entries

__all__ = [
    "ChunkOutcome",
    "ChunkRef",
    "claim_chunk",
    "finish_idle_jobs",
    "finish_job",
    "pending_chunks",
    "process_chunk",
]

log = logging.getLogger("openler.bulk")

_DONE: Final = BulkChunkState.DONE
#: A chunk claimed this often without finishing fails its job (a poison chunk).
MAX_ATTEMPTS: Final = 5

#: Decrypted signing keys, by signing key row (a key's material never changes).
_SIGNERS: LRUCache[tuple[uuid.UUID, str], LocalSigner] = LRUCache(maxsize=64)


@dataclass(frozen=True, slots=True)
class ChunkRef:
    job_id: uuid.UUID
    chunk_no: int


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    """What :func:`process_chunk` did: ``issued`` the chunk (with ``issued`` credentials and
    ``failed`` rows), or nothing: ``done`` (it was already), ``stopped`` (the job is not
    running), ``failed_job`` (a job-wide problem, recorded on the job)."""

    job_id: uuid.UUID
    chunk_no: int
    result: Literal["issued", "done", "stopped", "failed_job"]
    issued: int = 0
    failed: int = 0


# -- claiming -------------------------------------------------------------------------------


def claim_chunk(
    database: Database,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    job_id: uuid.UUID | None = None,
) -> ChunkRef | None:
    """Lease the next chunk of a running job (the oldest job first; only ``job_id``'s when
    given) and set aside its status-list entries. ``None`` when there is nothing to do.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on
    each other; SQLite: ``BEGIN IMMEDIATE`` (one writer at a time)."""
    with database.session_scope(immediate=True) as session:
        query = (
            sa.select(
                CHUNKS.c.id,
                CHUNKS.c.job_id,
                CHUNKS.c.chunk_no,
                CHUNKS.c.reservation,
                CHUNKS.c.attempts,
            )
            .join(JOBS, JOBS.c.id == CHUNKS.c.job_id)
            .where(
                JOBS.c.status == BulkJobStatus.RUNNING,
                sa.or_(
                    CHUNKS.c.state == BulkChunkState.PENDING,
                    sa.and_(CHUNKS.c.state == BulkChunkState.LEASED, CHUNKS.c.lease_until < now),
                ),
            )
            .order_by(JOBS.c.created_at, CHUNKS.c.job_id, CHUNKS.c.chunk_no)
            .limit(1)
            .with_for_update(of=CHUNKS, skip_locked=True)
        )
        if job_id is not None:
            query = query.where(CHUNKS.c.job_id == job_id)
        found = session.execute(query).one_or_none()
        if found is None:
            return None
        if found.attempts >= MAX_ATTEMPTS:
            # Taken and never finished this often: something crashes the workers on it.
            # Stop the job for a person to look at (resume tries again), not forever.
            message = (
                f"Chunk {found.chunk_no} was taken {found.attempts} times and never "
                "finished (see the workers' logs); resume the job to try again."
            )
            log.error("bulk job %s: %s", found.job_id, message)
            session.execute(
                sa.update(JOBS)
                .where(JOBS.c.id == found.job_id, JOBS.c.status == BulkJobStatus.RUNNING)
                .values(status=BulkJobStatus.FAILED, error=message, updated_at=now)
            )
            return None
        session.execute(
            sa.update(CHUNKS)
            .where(CHUNKS.c.id == found.id)
            .values(
                state=BulkChunkState.LEASED,
                lease_owner=worker_id[:100],
                lease_until=now + lease,
                attempts=CHUNKS.c.attempts + 1,
            )
        )
        if found.reservation is None:
            _reserve(session, found.job_id, found.chunk_no)
        return ChunkRef(found.job_id, found.chunk_no)


def _reserve(session: Session, job_id: uuid.UUID, chunk_no: int) -> list[list[Any]]:
    """Set aside the chunk's status-list entries (call with the chunk row locked, or under
    SQLite's write lock); the reservation already made when there is one."""
    chunk = session.execute(
        sa.select(CHUNKS)
        .where(CHUNKS.c.job_id == job_id, CHUNKS.c.chunk_no == chunk_no)
        .with_for_update()
    ).one()
    if chunk.reservation is not None:
        return list(chunk.reservation)
    job = session.get(BulkJob, job_id)
    assert job is not None
    options = JobOptions.from_json(job.options)
    wanted = _valid_rows(session, job_id, chunk.first_row, chunk.last_row)
    ranges = allocate_status_entries(
        session,
        job.organization,
        options.status_purpose,
        len(wanted),
        length=options.status_list_length or DEFAULT_LIST_LENGTH,
    )
    reservation = [[str(r.status_list.id), r.start, r.count] for r in ranges]
    session.execute(
        sa.update(CHUNKS).where(CHUNKS.c.id == chunk.id).values(reservation=reservation)
    )
    return reservation


def _valid_rows(session: Session, job_id: uuid.UUID, first: int, last: int) -> list[Any]:
    return list(
        session.execute(
            sa.select(ROWS.c.id, ROWS.c.row_no, ROWS.c.cells)
            .where(
                ROWS.c.job_id == job_id,
                ROWS.c.row_no >= first,
                ROWS.c.row_no <= last,
                ROWS.c.state == BulkRowState.VALID,
            )
            .order_by(ROWS.c.row_no)
        )
    )


def pending_chunks(session: Session, job_id: uuid.UUID) -> list[int]:
    """The numbers of the job's chunks not done yet (what a task queue dispatches)."""
    return list(
        session.scalars(
            sa.select(CHUNKS.c.chunk_no)
            .where(CHUNKS.c.job_id == job_id, CHUNKS.c.state != _DONE)
            .order_by(CHUNKS.c.chunk_no)
        )
    )


# -- issuing one chunk ----------------------------------------------------------------------


class _JobProblem(Exception):
    """A problem no row can get past (no active signing key …): the job fails."""


def _signer(
    session: Session, settings: Settings, keystore: KeyStore, org: Organization
) -> tuple[SigningKey, LocalSigner]:
    keys = list(
        session.scalars(
            sa.select(SigningKey)
            .where(
                SigningKey.organization_id == org.id,
                SigningKey.status == SigningKeyStatus.ACTIVE,
            )
            .order_by(SigningKey.created_at, SigningKey.key_id)
        )
    )
    if not keys:
        raise _JobProblem(f"{org.slug} has no active signing key; rotate to create one.")
    key = keys[-1]
    vm = f"{org_did(settings, org.slug)}#{key.key_id}"
    signer = _SIGNERS.get((key.id, vm))
    if signer is None:
        pair = keystore.decrypt_private_key(
            key.private_key_ciphertext,
            org_id=str(org.id),
            key_id=key.key_id,
            algorithm=key.algorithm,
        )
        signer = pair.signer(vm)
        _SIGNERS[(key.id, vm)] = signer
    return key, signer


@dataclass
class _Prepared:
    job: BulkJob
    options: JobOptions
    context: IssuerContext
    checker: RowChecker
    rows: list[Any]
    slots: list[tuple[uuid.UUID, int]]
    urls: dict[uuid.UUID, str]


def _prepare(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    job: BulkJob,
    chunk: Any,
    reservation: Sequence[Sequence[Any]],
    now: datetime,
) -> _Prepared:
    options = JobOptions.from_json(job.options)
    achievement = job.achievement
    org = job.organization
    try:
        resolved = resolve(
            ColumnMapping.from_json(job.mapping), job.headers, achievement.achievement
        )
    except OpenlerError as exc:
        raise _JobProblem(exc.message) from None
    key, signer = _signer(session, settings, keystore, org)
    rows = _valid_rows(session, job.id, chunk.first_row, chunk.last_row)
    slots = [
        (uuid.UUID(str(list_id)), start + k)
        for list_id, start, count in reservation
        for k in range(int(count))
    ]
    if len(slots) < len(rows):  # pragma: no cover - a reservation covers the chunk's rows
        raise RuntimeError(f"chunk {chunk.chunk_no} of {job.id}: reservation too small")
    list_ids = {list_id for list_id, _ in slots}
    urls = {
        row.id: settings.base_url + row.url_path
        for row in session.execute(
            sa.select(StatusList.id, StatusList.url_path).where(StatusList.id.in_(list_ids))
        )
    }
    context = IssuerContext(
        organization_id=org.id,
        achievement_id=achievement.id,
        issuer=issuer_profile(settings, org),
        achievement=achievement.achievement,
        signing_key_id=key.id,
        signer=signer,
        suites=options.suites,
        purpose=options.status_purpose,
        identifier_type=resolved.identifier_type,
        cache=default_cache(),
    )
    return _Prepared(job, options, context, RowChecker(resolved, now=now), rows, slots, urls)


def process_chunk(
    database: Database,
    settings: Settings,
    keystore: KeyStore,
    job_id: uuid.UUID,
    chunk_no: int,
    *,
    worker_id: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ChunkOutcome:
    """Issue chunk ``chunk_no`` of job ``job_id`` exactly once (see the module docstring);
    safe to call again, from anywhere, at any time."""
    now = clock().replace(microsecond=0)  # credentials carry whole seconds
    with database.session_scope() as session:
        job = session.get(BulkJob, job_id)
        chunk = session.execute(
            sa.select(CHUNKS).where(CHUNKS.c.job_id == job_id, CHUNKS.c.chunk_no == chunk_no)
        ).one_or_none()
        if job is None or chunk is None:
            raise BulkJobNotFound(f"No chunk {chunk_no} of bulk job {job_id}.")
        if chunk.state == _DONE:
            return ChunkOutcome(job_id, chunk_no, "done")
        if job.status is not BulkJobStatus.RUNNING:
            return ChunkOutcome(job_id, chunk_no, "stopped")
        reservation = chunk.reservation
    if reservation is None:  # a task queue called us without claim_chunk
        with database.session_scope(immediate=True) as session:
            reservation = _reserve(session, job_id, chunk_no)
    with database.session_scope() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        try:
            prepared = _prepare(session, settings, keystore, job, chunk, reservation, now)
        except _JobProblem as exc:
            _fail_job(database, job_id, str(exc), now)
            return ChunkOutcome(job_id, chunk_no, "failed_job")
        org_slug = job.organization.slug
    signed, failures = _sign(prepared, now)
    return _write(
        database, settings, prepared, chunk.id, chunk_no, signed, failures, now, org_slug, clock
    )


def _sign(
    prepared: _Prepared, now: datetime
) -> tuple[list[SignedRow], list[tuple[uuid.UUID, list[dict[str, Any]]]]]:
    signed: list[SignedRow] = []
    failures: list[tuple[uuid.UUID, list[dict[str, Any]]]] = []
    job_id = prepared.job.id
    factory = CredentialFactory(prepared.context)
    for position, row in enumerate(prepared.rows):
        verdict = prepared.checker.check(row.cells)
        if verdict.row is None:
            failures.append((row.id, [i.to_json() for i in verdict.issues]))
            continue
        list_id, index = prepared.slots[position]
        try:
            signed.append(
                sign_row(
                    factory,
                    row.row_no,
                    verdict.row,
                    status_list_id=list_id,
                    status_list_url=prepared.urls[list_id],
                    index=index,
                    now=now,
                    job_id=job_id,
                )
            )
        except OpenlerError as exc:
            issue = RowIssue("row", None, f"issue_{exc.code}", exc.message)
            failures.append((row.id, [issue.to_json()]))
    return signed, failures


def _write(
    database: Database,
    settings: Settings,
    prepared: _Prepared,
    chunk_id: uuid.UUID,
    chunk_no: int,
    signed: list[SignedRow],
    failures: list[tuple[uuid.UUID, list[dict[str, Any]]]],
    now: datetime,
    org_slug: str,
    clock: Callable[[], datetime],
) -> ChunkOutcome:
    job_id = prepared.job.id
    with database.session_scope(immediate=True) as session:
        # FOR SHARE: cancel_job (FOR NO KEY UPDATE) waits for chunks being written, and
        # chunks written after a cancel see it.
        status = session.execute(
            sa.select(JOBS.c.status).where(JOBS.c.id == job_id).with_for_update(read=True)
        ).scalar_one()
        if status != BulkJobStatus.RUNNING:
            return ChunkOutcome(job_id, chunk_no, "stopped")
        state = session.execute(
            sa.select(CHUNKS.c.state).where(CHUNKS.c.id == chunk_id).with_for_update()
        ).scalar_one()
        if state == _DONE:
            return ChunkOutcome(job_id, chunk_no, "done")
        if signed:
            insert_rows(session, CREDENTIALS, [s.values for s in signed])
        links, claim_problems = _claims(session, settings, prepared, signed, now)
        if links:
            insert_rows(session, LINKS, links)
        row_errors = failures + claim_problems
        if row_errors:
            failed_ids = {row_id for row_id, _ in failures}
            session.execute(
                sa.update(ROWS)
                .where(ROWS.c.id == sa.bindparam("b_id"))
                .values(state=sa.bindparam("b_state"), errors=sa.bindparam("b_errors")),
                [
                    {
                        "b_id": row_id,
                        "b_state": BulkRowState.FAILED
                        if row_id in failed_ids
                        else BulkRowState.VALID,
                        "b_errors": errors,
                    }
                    for row_id, errors in row_errors
                ],
            )
        session.execute(
            sa.update(CHUNKS)
            .where(CHUNKS.c.id == chunk_id)
            .values(
                state=_DONE,
                issued=len(signed),
                failed=len(failures),
                finished_at=clock(),
                lease_owner=None,
                lease_until=None,
            )
        )
        org = session.get(Organization, prepared.context.organization_id)
        record(
            session,
            org,
            SYSTEM,
            AuditAction.CREDENTIAL_ISSUE_BULK,
            str(job_id),
            {
                "chunk": chunk_no,
                "issued": len(signed),
                "failed": len(failures),
                "organization": org_slug,
            },
        )
    finish_job(database, job_id, now=now)
    return ChunkOutcome(job_id, chunk_no, "issued", len(signed), len(failures))


def _claims(
    session: Session,
    settings: Settings,
    prepared: _Prepared,
    signed: list[SignedRow],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[tuple[uuid.UUID, list[dict[str, Any]]]]]:
    """The bulk_issued links, with a claim link for each credential that gets one:
    e-mail recipients (mailed when the job's ``claims`` is ``email``) and identifier
    recipients (``link`` or ``email``: the link is for the issuer to hand out); a
    credential bound to a DID needs none."""
    mode = prepared.options.claims
    links: list[dict[str, Any]] = []
    problems: list[tuple[uuid.UUID, list[dict[str, Any]]]] = []
    row_ids = {row.row_no: row.id for row in prepared.rows}
    wanted: list[tuple[SignedRow, Any]] = []
    if mode != "none":
        from openler.services.claims import ClaimItem, offer_claims

        for item in signed:
            kind = item.values["recipient_kind"]
            if kind is RecipientKind.DID:
                continue
            mail = mode == "email" and kind is RecipientKind.EMAIL
            wanted.append(
                (
                    item,
                    ClaimItem(
                        IssuedCredential(**item.values),  # transient: only read
                        email=item.email if mail else None,
                    ),
                )
            )
    # One multi-row INSERT of claim links and one of e-mails for the whole chunk.
    offers = (
        offer_claims(
            session,
            [claim for _, claim in wanted],
            now=now,
            base_url=settings.base_url,
            ttl=timedelta(days=prepared.options.claim_ttl_days),
        )
        if wanted
        else []
    )
    urls: dict[int, str] = {}
    for (item, _), offer in zip(wanted, offers, strict=True):
        if isinstance(offer, OpenlerError):
            issue = RowIssue("claim", None, "claim_failed", offer.message)
            problems.append((row_ids[item.row_no], [issue.to_json()]))
        else:
            urls[item.row_no] = offer.url
    for item in signed:
        links.append(
            {
                "id": new_id(),
                "job_id": prepared.job.id,
                "row_no": item.row_no,
                "credential_id": item.id,
                "claim_url": urls.get(item.row_no),
            }
        )
    return links, problems


# -- finishing ------------------------------------------------------------------------------


def _fail_job(database: Database, job_id: uuid.UUID, message: str, now: datetime) -> None:
    log.warning("bulk job %s failed: %s", job_id, message)
    with database.session_scope(immediate=True) as session:
        job = session.get(BulkJob, job_id)
        if job is not None and job.status is BulkJobStatus.RUNNING:
            job.status = BulkJobStatus.FAILED
            job.error = message
            job.updated_at = now
            record(
                session,
                job.organization,
                SYSTEM,
                AuditAction.BULK_JOB_FINISH,
                str(job_id),
                {"status": "failed", "error": message},
            )


def finish_job(database: Database, job_id: uuid.UUID, *, now: datetime) -> bool:
    """Mark a running job ``completed`` when none of its chunks is left (idempotent);
    whether it did."""
    with database.session_scope(immediate=True) as session:
        left = session.scalar(
            sa.select(sa.func.count())
            .select_from(CHUNKS)
            .where(CHUNKS.c.job_id == job_id, CHUNKS.c.state != _DONE)
        )
        if left:
            return False
        done = session.execute(
            sa.update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.status == BulkJobStatus.RUNNING)
            .values(status=BulkJobStatus.COMPLETED, finished_at=now, updated_at=now)
        )
        if not getattr(done, "rowcount", 0):
            return False
        totals = session.execute(
            sa.select(sa.func.sum(CHUNKS.c.issued), sa.func.sum(CHUNKS.c.failed)).where(
                CHUNKS.c.job_id == job_id
            )
        ).one()
        job = session.get(BulkJob, job_id)
        assert job is not None
        record(
            session,
            job.organization,
            SYSTEM,
            AuditAction.BULK_JOB_FINISH,
            str(job_id),
            {"status": "completed", "issued": int(totals[0] or 0), "failed": int(totals[1] or 0)},
        )
        return True


def finish_idle_jobs(database: Database, *, now: datetime) -> int:
    """Complete running jobs whose chunks are all done (a worker that died between its
    last commit and :func:`finish_job` leaves one); how many."""
    with database.session_scope() as session:
        candidates = list(
            session.scalars(
                sa.select(JOBS.c.id).where(
                    JOBS.c.status == BulkJobStatus.RUNNING,
                    ~sa.exists().where(CHUNKS.c.job_id == JOBS.c.id, CHUNKS.c.state != _DONE),
                )
            )
        )
    return sum(finish_job(database, job_id, now=now) for job_id in candidates)
