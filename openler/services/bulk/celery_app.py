"""Scale-out: bulk chunks through Celery, with RabbitMQ or Redis as the broker
(``OPENLER_BROKER_URL``), issued by ``openler worker`` processes on any number of machines.

::

    start_job / resume_job ──commit──▶ dispatch: one issue_chunk(job, chunk) message per
                                      chunk not done, on OPENLER_BULK_QUEUE
    openler worker (Celery, one task thread, prefetch 1, acks late)
        issue_chunk ──▶ lease_chunk (a conditional UPDATE) ──▶ process_chunk ──▶ ack

The database stays the source of truth, exactly as for the embedded runner: a message
only says "chunk n of job j may need issuing". :func:`issue_chunk` takes the chunk's lease
in the database (the same ``bulk_chunks.lease_owner`` / ``lease_until`` that
:func:`~openler.services.bulk.engine.claim_chunk` sets) and calls the engine's
:func:`~openler.services.bulk.engine.process_chunk`, the code the embedded runner runs:
exactly-once comes from the engine's one transaction per chunk and the unique
``bulk_issued (job_id, row_no)``, never from the broker. So embedded workers and Celery
workers can serve the same database at once, a message delivered twice is harmless, and a
message for a chunk someone else holds is dropped.

A worker killed mid-chunk leaves its message unacknowledged (``acks_late``,
``reject_on_worker_lost``): RabbitMQ hands it to another worker at once; Redis after its
visibility timeout (an hour). Neither is relied on: every worker also runs a
:class:`Sweeper` that, every few seconds, re-enqueues chunks whose lease lapsed, enqueues
the pending chunks of running jobs when the queue is empty (a dispatch lost between the
commit and the broker), and completes jobs whose chunks are all done. No result backend:
progress lives in the database.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from celery import Celery, bootsteps
from kombu.entity import Exchange, Queue
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.services.bulk import jobs
from openler.services.bulk._tables import CHUNKS, JOBS
from openler.services.bulk.engine import (
    MAX_ATTEMPTS,
    finish_idle_jobs,
    pending_chunks,
    process_chunk,
)
from openler.services.bulk.runner import worker_id
from openler.services.keystore import KeyStore
from openler.store.db import Database
from openler.store.models._base import utcnow
from openler.store.models.enums import BulkChunkState, BulkJobStatus

__all__ = [
    "ISSUE_CHUNK",
    "Sweeper",
    "create_app",
    "dispatch",
    "install",
    "lease_chunk",
    "queue_length",
    "run_worker",
]

log = logging.getLogger("openler.bulk")

#: The task's name on the wire (stable: messages outlive deployments).
ISSUE_CHUNK: Final = "openler.bulk.issue_chunk"
_INFO_KEY: Final = "openler.bulk.dispatch"
_HOOKED: Final = "openler.bulk.dispatch_hooked"
#: At most this many chunks are enqueued by one sweep.
_SWEEP_LIMIT: Final = 10_000


def create_app(settings: Settings) -> Celery:
    """A Celery app on ``settings.broker_url`` with the ``issue_chunk`` task, routed to
    ``settings.bulk_queue``. Needs ``OPENLER_BROKER_URL``."""
    if settings.broker_url is None:
        raise ValueError("OPENLER_BROKER_URL is not set: bulk issuance runs embedded.")
    url = settings.broker_url.get_secret_value()
    name = settings.bulk_queue
    app = Celery("openler", broker=url, set_as_current=False)
    transport: dict[str, Any] = {}
    if url.startswith(("amqp", "pyamqp")):
        transport["confirm_publish"] = True  # dispatch returns once RabbitMQ has them
    app.conf.update(
        task_default_queue=name,
        task_default_exchange=name,
        task_default_routing_key=name,
        task_queues=[_queue(name)],
        task_serializer="json",
        accept_content=["json"],
        # Redelivery after a crash: ack only once the chunk is done, and a worker takes
        # one message at a time, so a killed worker strands one chunk, not a prefetch.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_ignore_result=True,
        result_backend=None,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport,
        worker_hijack_root_logger=False,
        # No remote-control mailbox: progress is in the database, and a killed worker
        # would leave its mailbox binding behind on Redis.
        worker_enable_remote_control=False,
        worker_disable_rate_limits=True,
        enable_utc=True,
    )
    runtime = _Runtime(settings)

    def issue_chunk(task: Any, job_id: str, chunk_no: int) -> str:
        """Issue chunk ``chunk_no`` of job ``job_id`` unless it is done or held."""
        try:
            return runtime.issue(uuid.UUID(job_id), int(chunk_no))
        except (OperationalError, DBAPIError) as exc:
            # Database trouble: try again shortly; after the last try the lease lapses and
            # a sweep enqueues the chunk again.
            log.warning("chunk %s of job %s: database problem, retrying: %s", chunk_no, job_id, exc)
            raise task.retry(exc=exc, countdown=2 ** min(task.request.retries, 4)) from None

    app.task(
        name=ISSUE_CHUNK,
        bind=True,
        shared=False,  # this app's, not every Celery app's in the process
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=5,
    )(issue_chunk)
    return app


def _queue(name: str) -> Queue:
    return Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]  # kombu is untyped


@dataclass
class _Runtime:
    """What a worker process needs to issue: made on first use (after any fork)."""

    settings: Settings
    database: Database | None = None
    keystore: KeyStore | None = None
    id: str = field(default_factory=worker_id)

    def open(self) -> tuple[Database, KeyStore]:
        if self.database is None or self.keystore is None:
            self.database = Database.from_settings(self.settings)
            self.keystore = KeyStore.for_settings(self.settings)
        return self.database, self.keystore

    def issue(self, job_id: uuid.UUID, chunk_no: int) -> str:
        database, keystore = self.open()
        lease = timedelta(seconds=self.settings.bulk_lease_seconds)
        if not lease_chunk(database, job_id, chunk_no, worker=self.id, now=utcnow(), lease=lease):
            log.info("chunk %s of job %s: done, held or not running; skipped", chunk_no, job_id)
            return "skipped"
        outcome = process_chunk(
            database, self.settings, keystore, job_id, chunk_no, worker_id=self.id
        )
        log.info(
            "chunk %s of job %s: %s (%d issued, %d failed)",
            chunk_no,
            job_id,
            outcome.result,
            outcome.issued,
            outcome.failed,
        )
        return outcome.result


def lease_chunk(
    database: Database,
    job_id: uuid.UUID,
    chunk_no: int,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
) -> bool:
    """Take chunk ``chunk_no`` of a running job for ``lease``, as
    :func:`~openler.services.bulk.engine.claim_chunk` takes the next one: when it is
    pending, its lease lapsed, or ``worker`` holds it already; whether it was taken. Not
    when another claimer has the row locked at this moment (PostgreSQL ``SKIP LOCKED``;
    SQLite: ``BEGIN IMMEDIATE``, one writer at a time). A chunk taken
    :data:`~openler.services.bulk.engine.MAX_ATTEMPTS` times without finishing fails its
    job, as with the embedded runner."""
    owner = worker[:100]
    busy = sa.and_(
        CHUNKS.c.state == BulkChunkState.LEASED,
        CHUNKS.c.lease_until >= now,
        sa.func.coalesce(CHUNKS.c.lease_owner, "") != owner,
    )
    with database.session_scope(immediate=True) as session:
        found = session.execute(
            sa.select(CHUNKS.c.id, CHUNKS.c.state, CHUNKS.c.attempts, busy.label("busy"))
            .join(JOBS, JOBS.c.id == CHUNKS.c.job_id)
            .where(
                CHUNKS.c.job_id == job_id,
                CHUNKS.c.chunk_no == chunk_no,
                JOBS.c.status == BulkJobStatus.RUNNING,
            )
            .with_for_update(of=CHUNKS, skip_locked=True)
        ).one_or_none()
        if found is None or found.state == BulkChunkState.DONE or found.busy:
            return False
        if found.attempts >= MAX_ATTEMPTS:
            message = (
                f"Chunk {chunk_no} was taken {found.attempts} times and never finished (see "
                "the workers' logs); resume the job to try again."
            )
            log.error("bulk job %s: %s", job_id, message)
            session.execute(
                sa.update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.status == BulkJobStatus.RUNNING)
                .values(status=BulkJobStatus.FAILED, error=message, updated_at=now)
            )
            return False
        session.execute(
            sa.update(CHUNKS)
            .where(CHUNKS.c.id == found.id)
            .values(
                state=BulkChunkState.LEASED,
                lease_owner=owner,
                lease_until=now + lease,
                attempts=CHUNKS.c.attempts + 1,
            )
        )
        return True


# -- dispatching ----------------------------------------------------------------------------


def dispatch(app: Celery, chunks: Iterable[tuple[uuid.UUID, int]]) -> int:
    """Enqueue ``issue_chunk`` for each ``(job_id, chunk_no)`` on one connection; how many."""
    task = app.tasks[ISSUE_CHUNK]
    sent = 0
    with app.producer_or_acquire() as producer:
        for job_id, chunk_no in chunks:
            task.apply_async((str(job_id), int(chunk_no)), producer=producer)
            sent += 1
    return sent


def queue_length(app: Celery, queue: str) -> int:
    """Messages ready in ``queue`` (not those a worker holds); 0 when it does not exist."""
    with app.connection_for_write() as connection:
        try:
            return int(connection.default_channel.queue_declare(queue=queue, passive=True)[1])
        except connection.channel_errors:
            return 0


def install(settings: Settings) -> Celery | None:
    """In a process that starts jobs (``openler serve``, ``openler bulk``): with
    ``OPENLER_BROKER_URL`` set, make :func:`~openler.services.bulk.jobs.start_job` and
    :func:`~openler.services.bulk.jobs.resume_job` enqueue the job's chunks once their
    transaction commits. The app, or ``None`` (no broker: nothing to do). Idempotent."""
    if settings.broker_url is None:
        return None
    for hook in jobs.RUN_HOOKS:
        if isinstance(hook, _AfterCommit) and hook.settings == settings:
            return hook.app
    hook = _AfterCommit(settings, create_app(settings))
    jobs.RUN_HOOKS.append(hook)
    return hook.app


def uninstall() -> None:
    """Remove what :func:`install` added (tests)."""
    jobs.RUN_HOOKS[:] = [h for h in jobs.RUN_HOOKS if not isinstance(h, _AfterCommit)]


@dataclass(eq=False)
class _AfterCommit:
    """A run hook: note the job's chunks in the session, enqueue them after commit."""

    settings: Settings
    app: Celery

    def __call__(self, session: Session, job_id: uuid.UUID) -> None:
        if not session.info.get(_HOOKED):  # once per session; a session is short-lived
            session.info[_HOOKED] = True
            event.listen(session, "after_commit", self._after_commit)
            event.listen(session, "after_rollback", _forget)
        session.info.setdefault(_INFO_KEY, {})[job_id] = pending_chunks(session, job_id)

    def _after_commit(self, session: Session) -> None:
        queued: dict[uuid.UUID, list[int]] = session.info.pop(_INFO_KEY, None) or {}
        chunks = [(job_id, n) for job_id, numbers in queued.items() for n in numbers]
        if not chunks:
            return
        try:
            sent = dispatch(self.app, chunks)
        except Exception as exc:  # committed already: the workers' sweep recovers
            log.warning(
                "bulk: could not enqueue %d chunks (%s); the workers will find them",
                len(chunks),
                exc,
            )
            return
        log.info("bulk: enqueued %d chunks on %s", sent, self.settings.bulk_queue)


def _forget(session: Session) -> None:
    # The chunks stay queued for the next commit only if the job's transaction commits.
    session.info.pop(_INFO_KEY, None)


# -- the sweep ------------------------------------------------------------------------------


class Sweeper:
    """What keeps a Celery deployment going when a message is lost or stranded (see the
    module docstring). Runs :meth:`sweep` every ``interval`` seconds in a thread; a chunk
    is enqueued again by the same sweeper only after it was leased since, or after
    ``forget_after`` seconds."""

    def __init__(
        self,
        app: Celery,
        database: Database,
        settings: Settings,
        *,
        interval: float | None = None,
        parent_pid: int | None = None,
    ) -> None:
        self.app = app
        self.database = database
        self.settings = settings
        lease = settings.bulk_lease_seconds
        self.interval = interval if interval is not None else min(max(lease / 4, 0.5), 15.0)
        self.forget_after = max(10 * lease, 60.0)
        self.parent_pid = parent_pid
        self.stop = threading.Event()
        self._sent: dict[tuple[uuid.UUID, int, int], float] = {}
        self._thread: threading.Thread | None = None

    def sweep(self, now: datetime | None = None) -> int:
        """One pass; how many chunks it enqueued."""
        now = now or utcnow()
        finish_idle_jobs(self.database, now=now)
        running = JOBS.c.status == BulkJobStatus.RUNNING
        columns = (CHUNKS.c.job_id, CHUNKS.c.chunk_no, CHUNKS.c.attempts)
        lapsed = sa.and_(CHUNKS.c.state == BulkChunkState.LEASED, CHUNKS.c.lease_until < now)
        wanted = lapsed
        if queue_length(self.app, self.settings.bulk_queue) == 0:
            # Nothing queued, yet chunks wait: their messages were lost (or never sent).
            settled = now - timedelta(seconds=self.interval)
            wanted = sa.or_(
                lapsed,
                sa.and_(CHUNKS.c.state == BulkChunkState.PENDING, JOBS.c.run_started_at < settled),
            )
        with self.database.session_scope() as session:
            found = session.execute(
                sa.select(*columns)
                .join(JOBS, JOBS.c.id == CHUNKS.c.job_id)
                .where(running, wanted)
                .order_by(JOBS.c.created_at, CHUNKS.c.chunk_no)
                .limit(_SWEEP_LIMIT)
            ).all()
        clock = time.monotonic()
        self._sent = {k: t for k, t in self._sent.items() if clock - t < self.forget_after}
        fresh = [(r.job_id, r.chunk_no, r.attempts) for r in found]
        fresh = [key for key in fresh if key not in self._sent]
        if not fresh:
            return 0
        sent = dispatch(self.app, [(job_id, chunk_no) for job_id, chunk_no, _ in fresh])
        self._sent.update((key, clock) for key in fresh)
        log.info("bulk sweep: enqueued %d chunks again", sent)
        return sent

    def _orphaned(self) -> bool:
        return self.parent_pid is not None and os.getppid() != self.parent_pid

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            if self._orphaned():
                log.info("bulk worker: the process that started it is gone; stopping")
                os.kill(os.getpid(), signal.SIGTERM)  # Celery's warm shutdown
                return
            try:
                self.sweep()
            except Exception as exc:  # a broker or database hiccup: next pass
                log.warning("bulk sweep: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bulk-sweep", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)


# -- the worker -----------------------------------------------------------------------------


def run_worker(
    settings: Settings,
    *,
    parent_pid: int | None = None,
    loglevel: str = "INFO",
) -> int:
    """Run a Celery worker on ``settings.bulk_queue`` until SIGTERM/SIGINT (the chunk in
    hand is finished first: Celery's warm shutdown); its exit status.

    One process issues one chunk at a time, in one task thread beside the thread that talks
    to the broker (signing is CPU-bound Python: run a worker per core, on as many machines
    as wanted). Not the solo pool, which runs the task inside the broker callback: with
    RabbitMQ the next delivery then sometimes waited up to 10 s (the event loop's longest
    sleep).
    """
    app = create_app(settings)
    app.steps["worker"].add(_Tick)
    sweeper = Sweeper(app, Database.from_settings(settings), settings, parent_pid=parent_pid)
    worker = app.Worker(
        hostname=f"openler-bulk@{os.uname().nodename}.{os.getpid()}",
        pool="threads",
        concurrency=1,
        queues=[settings.bulk_queue],
        loglevel=loglevel,
        quiet=True,
        redirect_stdouts=False,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
    )
    sweeper.start()
    try:
        worker.start()
    finally:
        sweeper.close()
        sweeper.database.dispose()
    return int(getattr(worker, "exitcode", 0) or 0)


class _Tick(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """Wake the worker's event loop every second: it sleeps up to 10 s between broker
    events, and a SIGTERM's warm shutdown begins only when it wakes."""

    requires = ("celery.worker.components:Hub",)

    def __init__(self, w: Any, **kwargs: Any) -> None:
        self.tref: Any = None
        super().__init__(w, **kwargs)

    def include_if(self, w: Any) -> bool:
        return bool(w.use_eventloop)

    def start(self, w: Any) -> None:
        self.tref = w.hub.call_repeatedly(1.0, _nothing)

    def stop(self, w: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()


def _nothing() -> None:
    return None
