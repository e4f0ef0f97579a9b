"""The chunk engine's guarantees, on SQLite and PostgreSQL: a chunk is issued once however
often it is processed, leases hand a stalled chunk over with the same status entries,
concurrent workers and jobs never share a status-list index, and lists grow when full."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from openler.services.bulk import JobOptions, claim_chunk, pending_chunks, process_chunk
from openler.services.bulk.runner import Worker
from openler.store.models import IssuedCredential, StatusList, StatusPurpose
from openler.store.models.bulk import BulkChunk, BulkIssued
from openler.store.status import allocate_status_entries, allocate_status_entry
from tests.integration.bulk.conftest import KEYSTORE, World, learners, make_world, now, roster

LEASE = timedelta(seconds=60)


def test_processing_a_chunk_twice_issues_it_once(world: World) -> None:
    job = world.job(roster(learners(7)))
    world.start(job)
    with world.database.session_scope() as session:
        assert pending_chunks(session, job.id) == [0, 1]
    # A task queue may deliver the same task twice: no claim, no lease, same call.
    first = process_chunk(world.database, world.settings, KEYSTORE, job.id, 0)
    again = process_chunk(world.database, world.settings, KEYSTORE, job.id, 0)
    assert (first.result, first.issued) == ("issued", 5)
    assert (again.result, again.issued) == ("done", 0)
    assert len(world.issued(job)) == 5
    process_chunk(world.database, world.settings, KEYSTORE, job.id, 1)
    assert world.reload(job).status.value == "completed"
    assert sorted(world.status_entries()) == [(1, i) for i in range(7)]


def test_the_database_refuses_a_second_credential_for_a_row(world: World) -> None:
    job = world.job(roster(learners(1)))
    world.start(job)
    world.run(job)
    ((row_no, credential),) = world.issued(job)
    with world.database.session_scope() as session:
        session.add(BulkIssued(job_id=job.id, row_no=row_no, credential_id=credential.id))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    with world.database.session_scope() as session:
        other = session.get(IssuedCredential, credential.id)
        assert other is not None
        copy = IssuedCredential(
            **{
                c.key: getattr(other, c.key)
                for c in sa.inspect(IssuedCredential).column_attrs
                if c.key not in ("id", "credential_id", "revocation_index")
            },
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            revocation_index=9999,
        )
        session.add(copy)  # same (organization, idempotency key "bulk:<job>:<row>")
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_a_lapsed_lease_hands_the_chunk_over_with_its_reservation(world: World) -> None:
    job = world.job(roster(learners(4)))
    world.start(job)
    start = now()
    mine = claim_chunk(world.database, worker_id="a", now=start, lease=LEASE, job_id=job.id)
    assert mine is not None
    assert mine.job_id == job.id
    reservation = world.scalar(sa.select(BulkChunk.reservation).where(BulkChunk.job_id == job.id))
    assert [r[1:] for r in reservation] == [[0, 4]]
    # Still leased: nobody else gets it (the job has no other chunk).
    assert (
        claim_chunk(
            world.database, worker_id="b", now=start + LEASE / 2, lease=LEASE, job_id=job.id
        )
        is None
    )
    # Worker "a" died; once the lease lapses "b" takes the same chunk and entries.
    taken = claim_chunk(
        world.database, worker_id="b", now=start + LEASE * 2, lease=LEASE, job_id=job.id
    )
    assert taken == mine
    assert (
        world.scalar(sa.select(BulkChunk.reservation).where(BulkChunk.job_id == job.id))
        == reservation
    )
    assert world.scalar(sa.select(BulkChunk.attempts).where(BulkChunk.job_id == job.id)) == 2
    process_chunk(world.database, world.settings, KEYSTORE, job.id, taken.chunk_no)
    assert sorted(world.status_entries()) == [(1, i) for i in range(4)]


def test_concurrent_workers_on_concurrent_jobs_never_share_an_index(
    bulk_url: str, bulk_database: object
) -> None:
    world = make_world(bulk_url, bulk_database, bulk_chunk_size=4)  # type: ignore[arg-type]
    options = JobOptions(status_list_length=7, claims="none")
    jobs = [world.job(roster(learners(23, start=100 * j)), options=options) for j in range(2)]
    for job in jobs:
        world.start(job)
    # Single issuance keeps allocating meanwhile, from the same lists.
    errors: list[BaseException] = []

    def single() -> None:
        try:
            for _ in range(5):
                with world.database.session_scope(immediate=True) as session:
                    allocate_status_entry(session, world.org, StatusPurpose.REVOCATION, length=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def work() -> None:
        try:
            Worker(world.database, world.settings, KEYSTORE, until_done=True).run()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)] + [threading.Thread(target=single)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    for job in jobs:
        assert world.reload(job).status.value == "completed"
        issued = world.issued(job)
        assert [row for row, _ in issued] == list(range(2, 25))  # every row, once
    entries = world.status_entries()
    assert len(entries) == 46
    assert not [e for e, n in Counter(entries).items() if n > 1]  # no index used twice
    lists = world.rows(
        sa.select(StatusList.sequence, StatusList.next_index, StatusList.length)
        .where(StatusList.organization_id == world.org.id)
        .order_by(StatusList.sequence)
    )
    # 46 bulk entries + 5 single ones = 51 = 7 full lists of 7, and 2 in the eighth.
    assert [tuple(r) for r in lists] == [(s, 7, 7) for s in range(1, 8)] + [(8, 2, 7)]


def test_batch_allocation_takes_runs_and_grows_lists(world: World) -> None:
    with world.database.session_scope(immediate=True) as session:
        first = allocate_status_entries(session, world.org, StatusPurpose.SUSPENSION, 3, length=4)
        second = allocate_status_entries(session, world.org, StatusPurpose.SUSPENSION, 6, length=4)
        none = allocate_status_entries(session, world.org, StatusPurpose.SUSPENSION, 0, length=4)
        single = allocate_status_entry(session, world.org, StatusPurpose.SUSPENSION, length=4)
        runs = [(r.status_list.sequence, r.start, r.count) for r in first + second]
        taken = (single[0].sequence, single[1])
    assert runs == [(1, 0, 3), (1, 3, 1), (2, 0, 4), (3, 0, 1)]
    assert none == []
    assert taken == (3, 1)
    assert list(first[0].indexes) == [0, 1, 2]


def test_concurrent_batch_allocations_never_overlap(world: World) -> None:
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def allocate() -> None:
        try:
            for size in (3, 5, 1, 4):
                with world.database.session_scope(immediate=True) as session:
                    runs = allocate_status_entries(
                        session, world.org, StatusPurpose.REVOCATION, size, length=6
                    )
                    got = [(r.status_list.sequence, i) for r in runs for i in r.indexes]
                assert len(got) == size
                with lock:
                    taken.extend(got)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(taken) == 52 == len(set(taken))
    assert sorted(taken) == [(s, i) for s in range(1, 10) for i in range(6)][:52]


def test_a_chunk_that_never_finishes_fails_its_job(world: World) -> None:
    from openler.services.bulk.engine import MAX_ATTEMPTS
    from openler.services.bulk.jobs import resume_job

    job = world.job(roster(learners(2)))
    world.start(job)
    moment = now()
    for attempt in range(MAX_ATTEMPTS):  # each claimant "crashes" and its lease lapses
        moment += LEASE * 2
        claimed = claim_chunk(
            world.database, worker_id=f"w{attempt}", now=moment, lease=LEASE, job_id=job.id
        )
        assert claimed is not None
    moment += LEASE * 2
    last = claim_chunk(world.database, worker_id="last", now=moment, lease=LEASE, job_id=job.id)
    assert last is None
    failed = world.reload(job)
    assert failed.status.value == "failed"
    assert "taken 5 times" in (failed.error or "")
    with world.database.session_scope(immediate=True) as session:
        resume_job(session, world.org, job.id, now=now())
    world.run(job)
    assert len(world.issued(job)) == 2
