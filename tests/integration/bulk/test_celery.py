"""Bulk issuance scaled out through Celery, for real: RabbitMQ and Redis on this machine, two
``openler worker`` processes, SQLite and PostgreSQL; one worker killed with SIGKILL in the
middle of a chunk, and the job still issues every row exactly once.

Each test uses a queue of its own (``openler-test-<random>``) and removes it afterwards, so
runs in parallel or left over from a crash never share messages; Redis uses database 14.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from celery import Celery
from kombu import Connection

from openler.config import Settings
from openler.services.achievements import create_achievement, publish_achievement
from openler.services.bulk import JobOptions, create_job, start_job
from openler.services.bulk.celery_app import Sweeper, install, queue_length, uninstall
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.db import Database
from openler.store.models.bulk import BulkChunk, BulkIssued, BulkJob
from openler.store.models.credentials import IssuedCredential, StatusList
from openler.store.models.enums import BulkChunkState, BulkJobStatus
from openler.store.models.learner import OutgoingEmail
from openler.store.models.organizations import Organization

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/14"
BROKERS = {"rabbitmq": RABBITMQ, "redis": REDIS}
SECRET = "an-encryption-secret-for-celery-tests-0123456789"
WORKER = [sys.executable, "-m", "openler.cli", "worker"]
#: Short leases, so a killed worker's chunk is taken over within seconds.
LEASE_SECONDS = 2
TIMEOUT = 45.0


@pytest.fixture(params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest) -> str:
    url = BROKERS[request.param]
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # a broker that is down fails the test (make services starts it)
        pytest.fail(f"{request.param} is not reachable at {url} ({exc}); run `make services`.")
    return url


@dataclass
class CeleryWorld:
    """An organization with a published achievement, the settings the workers get, the
    Celery app that dispatches, and the worker processes started so far."""

    settings: Settings
    database: Database
    app: Celery
    org: Organization
    achievement: Any
    env: dict[str, str]
    folder: Path
    workers: list[subprocess.Popen[bytes]]

    def worker(self) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.workers)}.log").open("wb")
        with log:
            process = subprocess.Popen(WORKER, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.folder.glob("*.log"))

    def job(
        self, rows: int, *, start: bool = True, list_length: int | None = None, chunk: int = 50
    ) -> BulkJob:
        roster = "E-mail,Name\n" + "".join(
            f"learner{n}@example.org,Learner {n}\n" for n in range(rows)
        )
        now = datetime.now(UTC).replace(microsecond=0)
        job = create_job(
            self.database,
            self.settings.model_copy(update={"bulk_chunk_size": chunk}),
            self.org,
            self.achievement,
            io.BytesIO(roster.encode()),
            roster_name="class-of-2026.csv",
            options=JobOptions(status_list_length=list_length),
            now=now,
        )
        assert job.status is BulkJobStatus.VALIDATED
        assert job.invalid_rows == 0
        if start:
            with self.database.session_scope() as session:
                org = session.get(Organization, self.org.id)
                assert org is not None
                job = start_job(session, org, job.id, now=now)
        return job

    def scalar(self, query: Any) -> Any:
        with self.database.session_scope() as session:
            return session.scalar(query)

    def wait(self, done: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            for process in self.workers:
                if process.poll() not in (None, -signal.SIGKILL):
                    pytest.fail(f"a worker exited ({process.returncode}):\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} took over {timeout:.0f} s; worker logs:\n{self.logs()}")
            time.sleep(0.02)

    def status(self, job: BulkJob) -> BulkJobStatus:
        status: BulkJobStatus = self.scalar(sa.select(BulkJob.status).where(BulkJob.id == job.id))
        return status


def _purge(url: str, queue: str) -> None:
    """Remove the test's queue and anything left of it on the broker."""
    if url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url)
        try:
            for key in client.scan_iter(match=f"*{queue}*"):
                client.delete(key)
            # Messages a killed worker held: kombu keeps them in the "unacked" hash.
            for tag, raw in client.hgetall("unacked").items():
                if queue.encode() in raw:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
        finally:
            client.close()
        return
    with Connection(url) as connection:
        channel = connection.default_channel
        channel.queue_delete(queue=queue)
        channel.exchange_delete(exchange=queue)


@pytest.fixture
def celery_world(bulk_url: str, broker: str, tmp_path: Path) -> Iterator[CeleryWorld]:
    queue = f"openler-test-{secrets.token_hex(6)}"
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        base_url="https://issuer.example",
        database_url=bulk_url,
        secret_key=SECRET,
        broker_url=broker,
        bulk_queue=queue,
        bulk_chunk_size=50,
        bulk_lease_seconds=LEASE_SECONDS,
    )
    env = {
        **os.environ,
        "OPENLER_ENV": "test",
        "OPENLER_DATA_DIR": str(tmp_path),
        "OPENLER_BASE_URL": settings.base_url,
        "OPENLER_DATABASE_URL": bulk_url,
        "OPENLER_SECRET_KEY": SECRET,
        "OPENLER_BROKER_URL": broker,
        "OPENLER_BULK_QUEUE": queue,
        "OPENLER_BULK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    database = Database.from_url(bulk_url)
    keystore = KeyStore.for_settings(settings)
    with database.session_scope() as session:
        slug = f"celery-{secrets.token_hex(4)}"
        org = create_organization(session, settings, keystore, slug=slug, name="Lakeshore")
        create_achievement(
            session,
            settings,
            org,
            {
                "name": "Diploma",
                "description": "High school diploma.",
                "criteria": {"narrative": "Graduate."},
            },
            logical_id="diploma",
        )
        achievement = publish_achievement(session, org, "diploma")
    app = install(settings)
    assert app is not None
    world = CeleryWorld(settings, database, app, org, achievement, env, tmp_path, [])
    try:
        yield world
    finally:
        uninstall()
        for process in world.workers:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        _purge(broker, queue)
        app.close()
        database.dispose()


def _check_exactly_once(world: CeleryWorld, job: BulkJob, rows: int) -> None:
    """Every row issued once, one credential each, no status index twice, one claim
    e-mail per credential; and the status lists handed out exactly ``rows`` indexes."""
    org_id = world.org.id
    with world.database.session_scope() as session:
        links = session.execute(
            sa.select(BulkIssued.row_no, BulkIssued.credential_id).where(
                BulkIssued.job_id == job.id
            )
        ).all()
        assert sorted(r.row_no for r in links) == list(range(2, rows + 2))
        assert len({r.credential_id for r in links}) == rows
        credentials = session.execute(
            sa.select(IssuedCredential.revocation_list_id, IssuedCredential.revocation_index).where(
                IssuedCredential.organization_id == org_id
            )
        ).all()
        assert len(credentials) == rows
        assert len({(c.revocation_list_id, c.revocation_index) for c in credentials}) == rows
        allocated = session.scalar(
            sa.select(sa.func.sum(StatusList.next_index)).where(
                StatusList.organization_id == org_id
            )
        )
        assert allocated == rows
        emails = session.scalar(
            sa.select(sa.func.count())
            .select_from(OutgoingEmail)
            .join(
                IssuedCredential,
                OutgoingEmail.idempotency_key
                == sa.literal("claim:") + IssuedCredential.credential_id,
            )
            .join(BulkIssued, BulkIssued.credential_id == IssuedCredential.id)
            .where(BulkIssued.job_id == job.id)
        )
        assert emails == rows
        chunks = session.scalars(sa.select(BulkChunk).where(BulkChunk.job_id == job.id)).all()
        assert {c.state for c in chunks} == {BulkChunkState.DONE}
        assert sum(c.issued for c in chunks) == rows


def test_a_job_is_enqueued_on_start_and_issued_by_two_workers(celery_world: CeleryWorld) -> None:
    rows = 300
    job = celery_world.job(rows)
    # The start hook enqueued one message per chunk once the transaction committed.
    assert queue_length(celery_world.app, celery_world.settings.bulk_queue) == 6
    first, second = celery_world.worker(), celery_world.worker()
    celery_world.wait(
        lambda: celery_world.status(job) is BulkJobStatus.COMPLETED, "issuing 300 rows"
    )
    _check_exactly_once(celery_world, job, rows)
    with celery_world.database.session_scope() as session:
        owners = session.execute(
            sa.select(BulkChunk.chunk_no, BulkChunk.attempts).where(BulkChunk.job_id == job.id)
        ).all()
    assert all(attempts == 1 for _, attempts in owners)  # no chunk issued twice
    # SIGTERM: a warm shutdown, exit status 0.
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    assert [first.wait(timeout=20), second.wait(timeout=20)] == [0, 0]


def test_a_worker_killed_mid_chunk_loses_nothing_and_duplicates_nothing(
    celery_world: CeleryWorld,
) -> None:
    rows = 3000
    # Chunks of 300 rows take a worker a few tenths of a second to sign; status lists of
    # 1024 entries: the job also fills two lists and starts a third.
    job = celery_world.job(rows, list_length=1024, chunk=300)
    victim, survivor = celery_world.worker(), celery_world.worker()
    marker = f":{victim.pid}:"

    def held_by_victim() -> tuple[int, datetime] | None:
        """The chunk the victim is signing, once two chunks are done."""
        with celery_world.database.session_scope() as session:
            done = session.scalar(
                sa.select(sa.func.count())
                .select_from(BulkChunk)
                .where(BulkChunk.job_id == job.id, BulkChunk.state == BulkChunkState.DONE)
            )
            held = session.execute(
                sa.select(BulkChunk.chunk_no, BulkChunk.lease_until).where(
                    BulkChunk.job_id == job.id,
                    BulkChunk.state == BulkChunkState.LEASED,
                    BulkChunk.lease_owner.contains(marker),
                    BulkChunk.reservation.is_not(None),  # its status entries set aside
                )
            ).first()
        return (held.chunk_no, held.lease_until) if held is not None and done >= 2 else None

    seen: dict[str, Any] = {}

    def fresh_lease() -> bool:
        """Whether the victim took a chunk under 0.15 s ago: it is signing it now."""
        held = held_by_victim()
        if held is None:
            return False
        taken = held[1] - timedelta(seconds=LEASE_SECONDS)
        if datetime.now(UTC) - taken > timedelta(seconds=0.15):
            return False
        seen["held"] = held
        return True

    celery_world.wait(fresh_lease, "the victim leasing a chunk")
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=10) == -signal.SIGKILL
    chunk_no = seen["held"][0]
    with celery_world.database.session_scope() as session:
        killed = session.scalar(
            sa.select(BulkChunk).where(BulkChunk.job_id == job.id, BulkChunk.chunk_no == chunk_no)
        )
        assert killed is not None
        left = session.scalar(
            sa.select(sa.func.count())
            .select_from(BulkChunk)
            .where(BulkChunk.job_id == job.id, BulkChunk.state != BulkChunkState.DONE)
        )
    assert left > 1, "the job was nearly over: not mid-job"
    # Killed while signing: the chunk is still leased to it, its status entries set aside.
    assert killed.state is BulkChunkState.LEASED
    assert marker in (killed.lease_owner or "")
    celery_world.wait(
        lambda: celery_world.status(job) is BulkJobStatus.COMPLETED, "finishing after the kill"
    )
    _check_exactly_once(celery_world, job, rows)
    with celery_world.database.session_scope() as session:
        retried = session.scalar(
            sa.select(BulkChunk).where(BulkChunk.job_id == job.id, BulkChunk.chunk_no == chunk_no)
        )
        lists = session.scalar(
            sa.select(sa.func.count())
            .select_from(StatusList)
            .where(StatusList.organization_id == celery_world.org.id)
        )
    assert lists == 3
    assert retried is not None
    assert retried.state is BulkChunkState.DONE
    # The survivor took the lapsed lease over and issued the chunk with the same entries.
    assert retried.attempts >= 2
    assert retried.reservation == killed.reservation
    assert survivor.poll() is None


def test_the_sweep_enqueues_chunks_whose_message_was_lost(celery_world: CeleryWorld) -> None:
    uninstall()  # as if the process that started the job died before the broker heard of it
    job = celery_world.job(120)
    queue = celery_world.settings.bulk_queue
    assert queue_length(celery_world.app, queue) == 0
    sweeper = Sweeper(celery_world.app, celery_world.database, celery_world.settings, interval=0.0)
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert sweeper.sweep(later) == 3
    assert queue_length(celery_world.app, queue) == 3
    # Queued already: the same sweeper does not send them again, nor does one that sees
    # the queue is not empty.
    assert sweeper.sweep(later) == 0
    assert Sweeper(celery_world.app, celery_world.database, celery_world.settings).sweep(later) == 0
    celery_world.worker()
    celery_world.wait(
        lambda: celery_world.status(job) is BulkJobStatus.COMPLETED, "issuing after the sweep"
    )
    _check_exactly_once(celery_world, job, 120)
