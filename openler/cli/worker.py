"""``openler worker``: issue bulk jobs' chunks from the database (the embedded runner).

Run as many as there are cores, on one machine or several sharing a PostgreSQL database;
each claims chunks with a lease, so a worker killed at any moment loses nothing and
duplicates nothing (see docs/bulk.md). SIGTERM or Ctrl-C finish the chunk in hand first.
With OPENLER_BROKER_URL set (or ``--celery``) it is a Celery worker on the bulk queue
instead, running the same chunk code (docs/bulk.md, "Scale-out with Celery").
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from typing import Annotated, Any

import typer

from openler.cli._common import CliError

__all__ = ["worker_command"]


def _configure_logging() -> None:
    level = logging.DEBUG if os.environ.get("OPENLER_DEBUG") == "1" else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def worker_command(
    job: Annotated[
        str | None, typer.Option("--job", metavar="JOB_ID", help="Work on this job only.")
    ] = None,
    until_done: Annotated[
        bool,
        typer.Option(
            "--until-done", help="Exit when there is no work left (with --job: when it ends)."
        ),
    ] = False,
    processes: Annotated[
        int,
        typer.Option("--processes", min=1, max=64, help="Run this many worker processes."),
    ] = 1,
    parent_pid: Annotated[
        int | None,
        typer.Option("--parent-pid", hidden=True, help="Exit when this process is gone."),
    ] = None,
    celery: Annotated[
        bool | None,
        typer.Option(
            "--celery/--embedded",
            help="Run a Celery worker on OPENLER_BROKER_URL (the default when it is set and "
            "neither --job nor --until-done is given), or the embedded runner.",
        ),
    ] = None,
) -> None:
    """Issue the chunks of running bulk jobs until stopped (SIGTERM, Ctrl-C).

    Configuration comes from OPENLER_* variables: the database, the secret key that opens
    the signing keys, OPENLER_BULK_LEASE_SECONDS and OPENLER_BULK_POLL_SECONDS."""
    from openler.config import Settings
    from openler.services.bulk.runner import Worker, WorkerPool
    from openler.services.keystore import KeyStore
    from openler.store.db import Database

    _configure_logging()
    settings = Settings()
    settings.check()
    job_id = None
    if job is not None:
        try:
            job_id = uuid.UUID(job)
        except ValueError:
            raise CliError(f"--job {job!r} is not a job id.", "invalid_input") from None
    if celery is None:  # --job and --until-done are the embedded runner's
        celery = settings.broker_url is not None and job_id is None and not until_done
    if celery and processes == 1:
        _celery_worker(settings, job_id, until_done, parent_pid)
        return
    if processes > 1:
        args = (["--job", str(job_id)] if job_id else []) + (["--until-done"] if until_done else [])
        args.append("--celery" if celery else "--embedded")
        pool = WorkerPool(processes, extra_args=args)
        pool.start()
        stopping = False

        def stop(_signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and any(p.poll() is None for p in pool.processes):
                time.sleep(0.5)
        finally:
            pool.stop()
        return
    database = Database.from_settings(settings)
    try:
        worker = Worker(
            database,
            settings,
            KeyStore.for_settings(settings),
            job_id=job_id,
            until_done=until_done,
            parent_pid=parent_pid,
        )
        worker.install_signal_handlers()
        worker.run()
    finally:
        database.dispose()


def _celery_worker(
    settings: Any, job_id: uuid.UUID | None, until_done: bool, parent_pid: int | None
) -> None:
    """A Celery worker on the bulk queue (openler.services.bulk.celery_app)."""
    if settings.broker_url is None:
        raise CliError("--celery needs OPENLER_BROKER_URL (amqp://… or redis://…).", "usage_error")
    if job_id is not None or until_done:
        raise CliError(
            "--job and --until-done are for the embedded runner (--embedded); a Celery "
            "worker serves the queue until stopped.",
            "usage_error",
        )
    from openler.services.bulk.celery_app import run_worker

    code = run_worker(settings, parent_pid=parent_pid)
    if code:
        raise typer.Exit(code)
