"""``openler bulk``: issue a roster from the command line, and look after bulk jobs.

``openler bulk issue ROSTER --achievement ID`` reads and checks every row (the error report
is written next to the roster when rows are invalid), starts the job, issues it with
``--workers`` processes (1: in this process) while drawing a progress bar, and writes the
result report (row -> credential id / claim link / error). Ctrl-C stops the workers; the
job stays running, and any ``openler worker`` (or ``openler serve``) finishes it.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
import typer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openler.cli._common import CliError, echo, read_json_object, write_file
from openler.config import Settings
from openler.services.audit import Actor
from openler.store.db import Database, display_url
from openler.store.models import ActorType, Organization

__all__ = ["bulk_app"]

bulk_app = typer.Typer(help="Bulk issuance from a roster (CSV or XLSX).", no_args_is_help=True)

CLI_ACTOR = Actor(ActorType.SYSTEM, "cli")
_BAR_WIDTH = 30


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    url = display_url(settings.sqlalchemy_url)
    database = Database.from_settings(settings)
    try:
        try:
            migrated = sa.inspect(database.engine).has_table("bulk_jobs")
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise CliError(
                f"Cannot reach the database at {url}: {reason}", "database_unavailable"
            ) from None
        if not migrated:
            raise CliError(
                f"The database at {url} is not up to date; run `openler db upgrade` first.",
                "database_not_migrated",
            )
        yield database
    finally:
        database.dispose()


def _organization(session: Session, slug: str | None) -> Organization:
    from openler.services.organizations import get_organization

    if slug is not None:
        return get_organization(session, slug)
    orgs = list(session.scalars(sa.select(Organization).limit(2)))
    if len(orgs) != 1:
        raise CliError(
            "Name the organization with --org SLUG"
            + (" (there is none yet)." if not orgs else " (there are several)."),
            "usage_error",
        )
    return orgs[0]


def _job_org(session: Session, job_id: str) -> tuple[Organization, uuid.UUID]:
    from openler.store.models.bulk import BulkJob

    try:
        key = uuid.UUID(job_id)
    except ValueError:
        raise CliError(f"{job_id!r} is not a job id.", "invalid_input") from None
    job = session.get(BulkJob, key)
    if job is None:
        raise CliError(f"No bulk job {job_id}.", "not_found")
    return job.organization, job.id


# -- progress -------------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on standard error (a line every few seconds when it is not
    a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def show(self, progress: Any, *, final: bool = False) -> None:
        moment = time.monotonic()
        if not final and not self.tty and moment - self._last < 5:
            return
        self._last = moment
        filled = int(_BAR_WIDTH * progress.percent / 100)
        rate = f"{progress.rate:,.0f}/s" if progress.rate else "…/s"
        eta = ""
        if progress.eta_seconds is not None and not final:
            minutes, seconds = divmod(int(progress.eta_seconds), 60)
            eta = f", ETA {minutes}:{seconds:02d}"
        failed = f", {progress.failed:,} failed" if progress.failed else ""
        line = (
            f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {progress.percent:5.1f}% "
            f"{progress.done:,}/{progress.total:,}{failed}, {rate}{eta}"
        )
        if self.tty:
            sys.stderr.write("\r" + line.ljust(79) + ("\n" if final else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _progress(database: Database, job_id: uuid.UUID) -> Any:
    from openler.services.bulk import job_progress
    from openler.store.models.bulk import BulkJob

    with database.session_scope() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        return job_progress(session, job, now=_now())


# -- issue ----------------------------------------------------------------------------------


def _write_report(database: Database, job_id: uuid.UUID, path: Path, kind: str) -> None:
    from openler.services.bulk import error_report, result_report
    from openler.store.models.bulk import BulkJob

    with database.session_scope() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        session.expunge(job)
    report = error_report if kind == "errors" else result_report
    text = "".join(report(lambda: database.session_scope(), job))
    write_file(path, text)


def _run_workers(database: Database, settings: Settings, job_id: uuid.UUID, workers: int) -> None:
    from openler.services.bulk.runner import Worker, WorkerPool
    from openler.services.keystore import KeyStore

    bar = ProgressBar()
    if workers == 1:
        worker = Worker(
            database,
            settings,
            KeyStore.for_settings(settings),
            job_id=job_id,
            until_done=True,
            on_chunk=lambda _outcome: bar.show(_progress(database, job_id)),
        )
        worker.run()
    else:
        pool = WorkerPool(workers, extra_args=["--job", str(job_id), "--until-done"])
        if workers:
            pool.start()
        try:
            while _progress(database, job_id).status == "running":
                bar.show(_progress(database, job_id))
                time.sleep(0.5)
        finally:
            pool.stop()
    bar.show(_progress(database, job_id), final=True)


@bulk_app.command("issue")
def issue_command(
    roster: Annotated[Path, typer.Argument(help="The roster: CSV (UTF-8) or XLSX.")],
    achievement: Annotated[
        str, typer.Option("--achievement", metavar="ID", help="The achievement's logical id.")
    ],
    org: Annotated[
        str | None, typer.Option("--org", metavar="SLUG", help="The issuing organization.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="MAPPING.json",
            help="Column mapping (default: the one saved for the achievement, else guessed).",
        ),
    ] = None,
    valid_rows_only: Annotated[
        bool,
        typer.Option("--valid-rows-only", help="Issue the valid rows of a roster with errors."),
    ] = False,
    claims: Annotated[
        str,
        typer.Option(
            "--claims",
            help="email: mail claim links; link: put them in the report only; none.",
        ),
    ] = "email",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            max=64,
            help="Worker processes (1: this one; 0: leave it to running workers).",
        ),
    ] = 1,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Result report (default: next to ROSTER)."),
    ] = None,
) -> None:
    """Validate a roster and issue one credential per valid row (a progress bar shows on
    standard error). The last line printed is the path of the result report."""
    from openler.services.achievements import latest_published
    from openler.services.bulk import ColumnMapping, JobOptions, create_job, start_job

    if claims not in ("email", "link", "none"):
        raise typer.BadParameter("one of email, link, none", param_hint="--claims")
    claims_mode: Literal["email", "link", "none"] = claims  # type: ignore[assignment]  # checked above
    settings = Settings()
    settings.check()
    _dispatch(settings)
    column_mapping = (
        ColumnMapping.from_json(read_json_object(mapping, "mapping")) if mapping else None
    )
    errors_path = roster.with_name(roster.stem + ".errors.csv")
    results_path = report or roster.with_name(roster.stem + ".results.csv")
    with _database(settings) as database:
        with database.session_scope() as session:
            organization = _organization(session, org)
            definition = latest_published(session, organization, achievement)
            if definition is None:
                raise CliError(
                    f"{organization.slug} has no published achievement {achievement!r}.",
                    "not_found",
                )
            session.expunge_all()
        try:
            handle = roster.open("rb")
        except OSError as exc:
            raise CliError(f"{roster}: {exc.strerror or exc}.", "file_not_found") from None
        with handle:
            job = create_job(
                database,
                settings,
                organization,
                definition,
                handle,
                roster_name=roster.name,
                mapping=column_mapping,
                options=JobOptions(claims=claims_mode),
                actor=CLI_ACTOR,
                now=_now(),
            )
        info = job.roster_info
        how = info["format"] + (
            f", delimiter {json.dumps(info['delimiter'])}" if info.get("delimiter") else ""
        )
        echo(
            f"Read {job.total_rows:,} rows ({how}): "
            f"{job.total_rows - job.invalid_rows:,} valid, {job.invalid_rows:,} invalid."
        )
        if job.invalid_rows:
            _write_report(database, job.id, errors_path, "errors")
            echo(f"Row errors: {errors_path}")
        with database.session_scope(immediate=True) as session:
            start_job(
                session,
                session.get(Organization, organization.id) or organization,
                job.id,
                valid_rows_only=valid_rows_only,
                actor=CLI_ACTOR,
                now=_now(),
            )
        echo(f"Job {job.id} started.")
        started = time.monotonic()
        try:
            _run_workers(database, settings, job.id, workers)
        except KeyboardInterrupt:
            raise CliError(
                f"Stopped. Job {job.id} stays running: `openler worker` finishes it, "
                f"`openler bulk cancel {job.id}` cancels it.",
                "interrupted",
                exit_code=130,
            ) from None
        done = _progress(database, job.id)
        _write_report(database, job.id, results_path, "results")
    seconds = time.monotonic() - started
    echo(
        f"Issued {done.issued:,} credentials ({done.failed:,} failed) in {seconds:.1f} s "
        f"({done.issued / seconds if seconds else 0:,.0f}/s); job {done.status}."
    )
    echo(str(results_path))


# -- looking after jobs ---------------------------------------------------------------------


def _show(database: Database, job_id: uuid.UUID) -> None:
    progress = _progress(database, job_id)
    for key, value in progress.to_json().items():
        echo(f"{key}: {value}")


@bulk_app.command("status")
def status_command(job: Annotated[str, typer.Argument(metavar="JOB_ID")]) -> None:
    """A job's progress: done / failed / total, rate, ETA."""
    settings = Settings()
    with _database(settings) as database:
        with database.session_scope() as session:
            _org, job_id = _job_org(session, job)
        _show(database, job_id)


@bulk_app.command("cancel")
def cancel_command(job: Annotated[str, typer.Argument(metavar="JOB_ID")]) -> None:
    """Stop issuing a job (resumable)."""
    from openler.services.bulk import cancel_job

    settings = Settings()
    with _database(settings) as database:
        with database.session_scope(immediate=True) as session:
            organization, job_id = _job_org(session, job)
            cancel_job(session, organization, job_id, actor=CLI_ACTOR, now=_now())
        _show(database, job_id)


def _dispatch(settings: Settings) -> None:
    """With OPENLER_BROKER_URL set, started and resumed jobs are also sent to Celery."""
    from openler.services.bulk.celery_app import install

    install(settings)


@bulk_app.command("resume")
def resume_command(job: Annotated[str, typer.Argument(metavar="JOB_ID")]) -> None:
    """Run a cancelled or failed job again (workers pick it up)."""
    from openler.services.bulk import resume_job

    settings = Settings()
    _dispatch(settings)
    with _database(settings) as database:
        with database.session_scope(immediate=True) as session:
            organization, job_id = _job_org(session, job)
            resume_job(session, organization, job_id, actor=CLI_ACTOR, now=_now())
        _show(database, job_id)


@bulk_app.command("report")
def report_command(
    job: Annotated[str, typer.Argument(metavar="JOB_ID")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Where ('-': stdout).")],
    errors: Annotated[
        bool, typer.Option("--errors", help="The validation error report instead.")
    ] = False,
) -> None:
    """Write a job's result report (or, with --errors, its validation error report)."""
    settings = Settings()
    with _database(settings) as database:
        with database.session_scope() as session:
            _org, job_id = _job_org(session, job)
        _write_report(database, job_id, out, "errors" if errors else "results")
