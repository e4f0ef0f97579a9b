"""What a job shows: its progress (done / failed / total, rate, ETA), the validation error
report and the result report, both CSV, streamed a batch of rows at a time (a report of a
million rows never sits in memory).

Error report columns: ``row, column, field, code, message, value`` (one line per problem;
``row`` is the spreadsheet row number, so the roster can be fixed and uploaded again).
Result report columns: ``row, recipient, status, credential_id, claim_url, error`` where
``status`` is ``issued``, ``failed`` (valid, but issuing failed), ``invalid`` (refused by
validation), ``cancelled`` (not issued: the job stopped) or ``pending`` (not yet).
Cells that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.services.bulk._tables import CHUNKS, CREDENTIALS, LINKS, ROWS
from openler.store.models.bulk import BulkJob
from openler.store.models.enums import BulkChunkState, BulkJobStatus, BulkRowState

__all__ = [
    "ERROR_REPORT_COLUMNS",
    "RESULT_REPORT_COLUMNS",
    "Progress",
    "error_report",
    "job_progress",
    "result_report",
]

ERROR_REPORT_COLUMNS: Final = ("row", "column", "field", "code", "message", "value")
RESULT_REPORT_COLUMNS: Final = (
    "row",
    "recipient",
    "status",
    "credential_id",
    "claim_url",
    "error",
)
_BATCH: Final = 5000
#: Progress rates are measured over this window (or since the run started, if later).
RATE_WINDOW: Final = timedelta(seconds=60)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Progress:
    """A job's counts. ``total`` is the rows handed to the workers (0 before the start);
    ``rate`` is credentials (issued or failed) per second, recently; ``eta_seconds`` the
    time left at that rate (``None`` when unknown or not running)."""

    status: str
    roster_rows: int
    invalid_rows: int
    total: int
    issued: int
    failed: int
    remaining: int
    chunks: int
    chunks_done: int
    rate: float | None
    eta_seconds: float | None

    @property
    def done(self) -> int:
        return self.issued + self.failed

    @property
    def percent(self) -> float:
        if self.status in ("staging", "validated"):
            return 0.0
        return 100.0 if self.total == 0 else round(100.0 * self.done / self.total, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "rosterRows": self.roster_rows,
            "invalidRows": self.invalid_rows,
            "total": self.total,
            "done": self.done,
            "issued": self.issued,
            "failed": self.failed,
            "remaining": self.remaining,
            "percent": self.percent,
            "chunks": self.chunks,
            "chunksDone": self.chunks_done,
            "rate": None if self.rate is None else round(self.rate, 1),
            "etaSeconds": None if self.eta_seconds is None else round(self.eta_seconds),
        }


def job_progress(session: Session, job: BulkJob, *, now: datetime) -> Progress:
    """The job's progress, from its chunks (one aggregate query)."""
    totals = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(CHUNKS.c.issued), 0),
            sa.func.coalesce(sa.func.sum(CHUNKS.c.failed), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((CHUNKS.c.state == BulkChunkState.DONE, 1), else_=0)), 0
            ),
        ).where(CHUNKS.c.job_id == job.id)
    ).one()
    chunks, issued, failed, chunks_done = (int(v) for v in totals)
    total = job.queued_rows
    remaining = max(total - issued - failed, 0)
    rate = eta = None
    if job.status is BulkJobStatus.RUNNING and job.run_started_at is not None:
        since = max(now - RATE_WINDOW, job.run_started_at)
        recent = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(CHUNKS.c.issued + CHUNKS.c.failed), 0)).where(
                CHUNKS.c.job_id == job.id, CHUNKS.c.finished_at >= since
            )
        )
        elapsed = (now - since).total_seconds()
        if elapsed > 0:
            rate = int(recent or 0) / elapsed
            eta = remaining / rate if rate > 0 else None
    elif job.started_at is not None and job.finished_at is not None:
        elapsed = (job.finished_at - job.started_at).total_seconds()
        rate = (issued + failed) / elapsed if elapsed > 0 else None
    return Progress(
        status=job.status.value,
        roster_rows=job.total_rows,
        invalid_rows=job.invalid_rows,
        total=total,
        issued=issued,
        failed=failed,
        remaining=remaining,
        chunks=chunks,
        chunks_done=chunks_done,
        rate=rate,
        eta_seconds=eta,
    )


def _safe(value: str | None) -> str:
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value or ""


def _csv(rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


Unit = Callable[[], AbstractContextManager[Session]]


def error_report(unit: Unit, job: BulkJob) -> Iterator[str]:
    """The validation error report of ``job`` as CSV text, a batch at a time (with a BOM,
    so that spreadsheet programs read it as UTF-8)."""
    yield "\ufeff" + _csv([ERROR_REPORT_COLUMNS])
    headers = list(job.headers)
    positions = {h: i for i, h in enumerate(headers)}
    after = 0
    while True:
        with unit() as session:
            batch = session.execute(
                sa.select(ROWS.c.row_no, ROWS.c.cells, ROWS.c.errors)
                .where(
                    ROWS.c.job_id == job.id,
                    ROWS.c.row_no > after,
                    ROWS.c.errors.is_not(None),
                    ROWS.c.state != BulkRowState.VALID,
                )
                .order_by(ROWS.c.row_no)
                .limit(_BATCH)
            ).all()
        if not batch:
            return
        after = batch[-1].row_no
        lines = []
        for row in batch:
            for problem in row.errors or []:
                column = problem.get("column")
                position = positions.get(column) if column else None
                cells = row.cells or []
                value = cells[position] if position is not None and position < len(cells) else ""
                lines.append(
                    (
                        row.row_no,
                        column or "",
                        problem.get("field", ""),
                        problem.get("code", ""),
                        problem.get("message", ""),
                        _safe(value),
                    )
                )
        yield _csv(lines)


def _recipient_column(job: BulkJob) -> int | None:
    mapping = job.mapping
    positions = {h.casefold(): i for i, h in enumerate(job.headers)}
    for name in ("recipientDid", "recipientEmail", "recipientIdentifier"):
        header = mapping.get(name)
        if isinstance(header, str) and " ".join(header.split()).casefold() in positions:
            return positions[" ".join(header.split()).casefold()]
    return None


def result_report(unit: Unit, job: BulkJob) -> Iterator[str]:
    """Row -> credential id / claim link / error, as CSV text, a batch at a time."""
    yield "\ufeff" + _csv([RESULT_REPORT_COLUMNS])
    recipient_at = _recipient_column(job)
    stopped = job.status in (BulkJobStatus.CANCELLED, BulkJobStatus.FAILED)
    query = (
        sa.select(
            ROWS.c.row_no,
            ROWS.c.cells,
            ROWS.c.state,
            ROWS.c.errors,
            CREDENTIALS.c.credential_id,
            LINKS.c.claim_url,
        )
        .select_from(
            ROWS.outerjoin(
                LINKS, sa.and_(LINKS.c.job_id == ROWS.c.job_id, LINKS.c.row_no == ROWS.c.row_no)
            ).outerjoin(CREDENTIALS, CREDENTIALS.c.id == LINKS.c.credential_id)
        )
        .order_by(ROWS.c.row_no)
        .limit(_BATCH)
    )
    after = 0
    while True:
        with unit() as session:
            batch = session.execute(
                query.where(ROWS.c.job_id == job.id, ROWS.c.row_no > after)
            ).all()
        if not batch:
            return
        after = batch[-1].row_no
        lines = []
        for row in batch:
            cells = row.cells or []
            recipient = (
                cells[recipient_at]
                if recipient_at is not None and recipient_at < len(cells)
                else ""
            )
            errors = "; ".join(
                f"{e.get('column') or e.get('field')}: {e.get('message')}" for e in row.errors or []
            )
            if row.credential_id is not None:
                status = "issued"
            elif row.state == BulkRowState.INVALID:
                status = "invalid"
            elif row.state == BulkRowState.FAILED:
                status = "failed"
            else:
                status = "cancelled" if stopped else "pending"
            lines.append(
                (
                    row.row_no,
                    _safe(recipient.strip()),
                    status,
                    row.credential_id or "",
                    row.claim_url or "",
                    _safe(errors),
                )
            )
        yield _csv(lines)
