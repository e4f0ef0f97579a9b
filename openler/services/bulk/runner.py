"""The embedded runner: worker processes that claim chunks from the database and issue
them, with no service besides the database.

:class:`Worker` is one loop (``openler worker`` runs one per process): claim a chunk,
process it, repeat; when there is nothing to claim it completes jobs whose chunks are all
done and waits ``bulk_poll_seconds``. SIGTERM/SIGINT let it finish the chunk in hand and
exit. Database trouble (a locked SQLite file, a PostgreSQL restart) is logged in one line
and retried; a database without the bulk tables yet is waited for.

:class:`WorkerPool` is what ``openler serve`` starts: N ``openler worker`` subprocesses,
restarted when one dies, stopped with the server. Each child exits on its own when the
server process is gone (it watches its parent), so none is left behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import Final

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from openler.config import Settings
from openler.services.bulk.engine import (
    ChunkOutcome,
    claim_chunk,
    finish_idle_jobs,
    process_chunk,
)
from openler.services.keystore import KeyStore
from openler.store.db import Database
from openler.store.models._base import utcnow
from openler.store.models.bulk import BulkJob
from openler.store.models.enums import BulkJobStatus

__all__ = ["Worker", "WorkerPool", "worker_id"]

log = logging.getLogger("openler.bulk")

_RESTART_DELAY: Final = 2.0


def worker_id() -> str:
    """``host:pid:random``: who holds a lease (shown in logs)."""
    return f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """One worker loop over ``database``. ``job_id`` limits it to one job; with
    ``until_done`` it returns once that job (or, without ``job_id``, all work) is over."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        keystore: KeyStore,
        *,
        job_id: uuid.UUID | None = None,
        until_done: bool = False,
        parent_pid: int | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_chunk: Callable[[ChunkOutcome], None] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.keystore = keystore
        self.job_id = job_id
        self.until_done = until_done
        self.parent_pid = parent_pid
        self.clock = clock
        self.on_chunk = on_chunk
        self.id = worker_id()
        self.stop = threading.Event()
        self._warned: set[str] = set()

    def run_once(self) -> ChunkOutcome | None:
        """Claim and process one chunk; ``None`` when there was none to claim."""
        ref = claim_chunk(
            self.database,
            worker_id=self.id,
            now=self.clock(),
            lease=timedelta(seconds=self.settings.bulk_lease_seconds),
            job_id=self.job_id,
        )
        if ref is None:
            finish_idle_jobs(self.database, now=self.clock())
            return None
        outcome = process_chunk(
            self.database,
            self.settings,
            self.keystore,
            ref.job_id,
            ref.chunk_no,
            worker_id=self.id,
            clock=self.clock,
        )
        log.info(
            "chunk %s of job %s: %s (%d issued, %d failed)",
            outcome.chunk_no,
            outcome.job_id,
            outcome.result,
            outcome.issued,
            outcome.failed,
        )
        if self.on_chunk is not None:
            self.on_chunk(outcome)
        return outcome

    def _job_over(self) -> bool:
        if self.job_id is None:
            return True
        with self.database.session_scope() as session:
            status = session.scalar(sa.select(BulkJob.status).where(BulkJob.id == self.job_id))
        return status is not BulkJobStatus.RUNNING

    def _orphaned(self) -> bool:
        return self.parent_pid is not None and os.getppid() != self.parent_pid

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self._orphaned():
                self.stop.set()
                return
            self.stop.wait(min(0.25, max(deadline - time.monotonic(), 0)))

    def _trouble(self, exc: Exception) -> None:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        key = type(exc).__name__ + text[:60]
        if "no such table" in text or "does not exist" in text:
            if key not in self._warned:
                log.warning("bulk worker: the database has no bulk tables yet (%s)", text)
                self._warned.add(key)
            return
        log.warning("bulk worker: database problem, retrying: %s", text)

    def run(self) -> None:
        """Work until stopped (or, with ``until_done``, until the work is over)."""
        log.info("bulk worker %s started", self.id)
        while not self.stop.is_set():
            if self._orphaned():
                log.info("bulk worker %s: the process that started it is gone", self.id)
                break
            try:
                outcome = self.run_once()
            except (OperationalError, ProgrammingError, DBAPIError) as exc:
                self._trouble(exc)
                self._wait(self.settings.bulk_poll_seconds)
                continue
            except Exception:
                # A bug, not bad data (rows fail one by one): the chunk stays leased and
                # is tried again when the lease lapses, up to engine.MAX_ATTEMPTS times.
                log.exception("bulk worker %s: a chunk failed", self.id)
                self._wait(self.settings.bulk_poll_seconds)
                continue
            if outcome is not None:
                continue
            if self.until_done:
                try:
                    if self._job_over():
                        break
                except (OperationalError, ProgrammingError, DBAPIError) as exc:
                    self._trouble(exc)
            self._wait(self.settings.bulk_poll_seconds)
        log.info("bulk worker %s stopped", self.id)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT finish the chunk in hand, then stop."""

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("bulk worker %s: signal %d, stopping after this chunk", self.id, signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


class WorkerPool:
    """``count`` worker subprocesses (``python -m openler.cli worker``); one that dies
    (a non-zero exit, a signal) is replaced."""

    def __init__(
        self,
        count: int,
        *,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.count = count
        self.extra_args = list(extra_args)
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "openler.cli",
            "worker",
            "--parent-pid",
            str(os.getpid()),
            *self.extra_args,
        ]
        return subprocess.Popen(command, env=self.env)  # noqa: S603 - our own interpreter and module

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, name="bulk-workers", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(_RESTART_DELAY):
            for position, process in enumerate(self.processes):
                code = process.poll()
                # 0: it finished its work (--until-done); anything else: it died.
                if code not in (None, 0) and not self._stopping.is_set():
                    log.warning(
                        "bulk worker %d exited with %s; starting another",
                        process.pid,
                        process.returncode,
                    )
                    self.processes[position] = self._spawn()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every worker (each finishes its chunk), then SIGKILL what is left."""
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
