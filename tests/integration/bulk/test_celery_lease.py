"""The Celery task's lease on one chunk (no broker needed): the same rules as the
embedded runner's claim, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from openler.services.bulk.celery_app import lease_chunk
from openler.services.bulk.engine import MAX_ATTEMPTS, claim_chunk, process_chunk
from openler.store.models.bulk import BulkChunk, BulkJob
from openler.store.models.enums import BulkChunkState, BulkJobStatus
from tests.integration.bulk.conftest import KEYSTORE, World, learners, roster

LEASE = timedelta(seconds=30)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _chunk(world: World, job: BulkJob, chunk_no: int) -> BulkChunk:
    chunk = world.scalar(
        sa.select(BulkChunk).where(BulkChunk.job_id == job.id, BulkChunk.chunk_no == chunk_no)
    )
    assert chunk is not None
    return chunk


def test_a_chunk_is_leased_once_until_its_lease_lapses(world: World) -> None:
    job = world.start(world.job(roster(learners(10))))  # two chunks of five
    database = world.database

    def take(worker: str, now: datetime, chunk_no: int = 0) -> bool:
        return lease_chunk(database, job.id, chunk_no, worker=worker, now=now, lease=LEASE)

    assert take("a", NOW)
    held = _chunk(world, job, 0)
    assert (held.state, held.lease_owner, held.attempts) == (BulkChunkState.LEASED, "a", 1)
    assert not take("b", NOW + timedelta(seconds=29))  # a holds it
    assert take("a", NOW + timedelta(seconds=29))  # a again (a retried task)
    assert take("b", NOW + timedelta(seconds=60))  # a's lease lapsed
    assert _chunk(world, job, 0).attempts == 3
    # The embedded runner does not take what a Celery worker holds, and the reverse.
    ref = claim_chunk(database, worker_id="embedded", now=NOW + timedelta(seconds=61), lease=LEASE)
    assert ref is not None
    assert ref.chunk_no == 1
    assert not take("b", NOW + timedelta(seconds=62), chunk_no=1)
    # Issued: nobody takes it again.
    outcome = process_chunk(database, world.settings, KEYSTORE, job.id, 0, worker_id="b")
    assert outcome.result == "issued"
    assert not take("c", NOW + timedelta(days=1))


def test_no_lease_on_a_job_that_is_not_running(world: World) -> None:
    job = world.job(roster(learners(3)))  # validated, not started: no chunks yet
    assert not lease_chunk(world.database, job.id, 0, worker="a", now=NOW, lease=LEASE)


def test_a_chunk_taken_too_often_fails_its_job(world: World) -> None:
    job = world.start(world.job(roster(learners(5))))
    now = NOW
    for _ in range(MAX_ATTEMPTS):
        assert lease_chunk(world.database, job.id, 0, worker="crashy", now=now, lease=LEASE)
        now += LEASE * 2  # the worker died every time; its lease lapsed
    assert not lease_chunk(world.database, job.id, 0, worker="next", now=now, lease=LEASE)
    failed = world.reload(job)
    assert failed.status is BulkJobStatus.FAILED
    assert failed.error is not None
    assert f"taken {MAX_ATTEMPTS} times" in failed.error
