"""``/console/{slug}/bulk``: the jobs; one job (a validated job's validation report, a
started job's progress: a block htmx polls every second while the job runs), starting,
cancelling and resuming (after a confirmation page), and the two CSV reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Final

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_database
from openler.services.bulk import (
    BulkJobConflict,
    ColumnMapping,
    RosterInvalid,
    cancel_job,
    error_report,
    job_progress,
    result_report,
    resume_job,
    start_job,
)
from openler.services.bulk.reports import Progress
from openler.store.db import Database
from openler.store.models import Organization
from openler.store.models.bulk import BulkChunk, BulkJob, BulkRow
from openler.store.models.enums import BulkJobStatus, BulkRowState, Role
from openler.store.paging import keyset_page
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    PAGE_SIZE,
    Issuer,
    Viewer,
    actor_of,
    clock,
    console_page,
    decode_cursor,
    redirect,
    savepoint,
)
from openler.web.console.achievements import Form
from openler.web.console.bulk._common import (
    CLAIMS,
    ERROR_ROWS,
    FLASH,
    PURPOSES,
    achievement_name,
    creators_of,
    find_job,
    form_text,
    is_unmapped,
    job_url,
    label_map,
)
from openler.web.templating import WebError, render, web_router

__all__ = ["router"]

router = web_router()
DatabaseDep = Annotated[Database, Depends(get_database)]

#: Confirmed changes of a job: the action in the path -> the flash key afterwards.
_ACTIONS: Final = {"cancel": "cancelled", "resume": "resumed"}


def _duration(seconds: float | None) -> str | None:
    """``about 2 min 5 s`` (``None`` for unknown)."""
    if seconds is None:
        return None
    left = max(round(seconds), 0)
    if left < 1:
        return "under a second"
    if left < 60:
        return f"about {left} s"
    if left < 3600:
        return f"about {left // 60} min {left % 60} s"
    return f"about {left // 3600} h {left % 3600 // 60} min"


def _progress_view(progress: Progress) -> dict[str, Any]:
    """The progress as the templates show it (``p``: the counts)."""
    return {
        "p": progress,
        "percent": f"{progress.percent:g}",
        "rate": f"{progress.rate:,.1f}" if progress.rate else None,
        "eta": _duration(progress.eta_seconds),
    }


# -- the list -------------------------------------------------------------------------------


@router.get("/console/{slug}/bulk", response_class=HTMLResponse)
def list_jobs(request: Request, session: DbSession, access: Viewer, cursor: str = "") -> Response:
    """The organization's jobs, newest first, :data:`PAGE_SIZE` a page."""
    org = access.org
    query = sa.select(BulkJob).where(BulkJob.organization_id == org.id)
    after = decode_cursor(cursor)
    page, next_cursor = keyset_page(
        session, query, at=BulkJob.created_at, row_id=BulkJob.id, after=after, limit=PAGE_SIZE
    )
    done = {
        job_id: (int(issued or 0), int(failed or 0))
        for job_id, issued, failed in session.execute(
            sa.select(
                BulkChunk.job_id, sa.func.sum(BulkChunk.issued), sa.func.sum(BulkChunk.failed)
            )
            .where(BulkChunk.job_id.in_([j.id for j in page]))
            .group_by(BulkChunk.job_id)
        )
    }
    creators = creators_of(session, page)
    items = [
        {
            "job": job,
            "name": achievement_name(job.achievement),
            "issued": done.get(job.id, (0, 0))[0],
            "failed": done.get(job.id, (0, 0))[1],
            "by": creators[job.id],
            "unmapped": is_unmapped(job),
        }
        for job in page
    ]
    next_url = None
    if next_cursor is not None:
        next_url = f"/console/{org.slug}/bulk?cursor={next_cursor}"
    return console_page(
        request,
        access,
        "console/bulk/list.html",
        "bulk",
        {
            "title": "Bulk issuance",
            "items": items,
            "next_url": next_url,
            "first_url": f"/console/{org.slug}/bulk" if after is not None else None,
        },
    )


# -- the validation report and the job page -------------------------------------------------


def _problems(session: Session, job: BulkJob) -> list[dict[str, Any]]:
    """The problems of the first :data:`ERROR_ROWS` invalid rows."""
    labels = label_map(job.achievement)
    positions = {h: i for i, h in enumerate(job.headers)}
    rows = session.execute(
        sa.select(BulkRow.row_no, BulkRow.cells, BulkRow.errors)
        .where(BulkRow.job_id == job.id, BulkRow.state == BulkRowState.INVALID)
        .order_by(BulkRow.row_no)
        .limit(ERROR_ROWS)
    ).all()
    out = []
    for row in rows:
        for problem in row.errors or []:
            column = problem.get("column")
            position = positions.get(column) if column else None
            cells = row.cells or []
            value = cells[position] if position is not None and position < len(cells) else ""
            field = str(problem.get("field") or "")
            out.append(
                {
                    "row": row.row_no,
                    "column": column or labels.get(field, field),
                    "message": problem.get("message", ""),
                    "code": problem.get("code", ""),
                    "value": str(value)[:200],
                }
            )
    return out


def _report_page(
    request: Request,
    session: Session,
    access: OrgAccess,
    job: BulkJob,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    definition = job.achievement
    labels = label_map(definition)
    mapping = ColumnMapping.from_json(job.mapping)
    mapped = [(header, labels.get(name, name)) for name, header in mapping.columns.items()]
    mapped += [(header, labels.get(rid, rid)) for rid, header in mapping.results.items()]
    return console_page(
        request,
        access,
        "console/bulk/report.html",
        "bulk",
        {
            "title": "Validation report",
            "job": job,
            "name": achievement_name(definition),
            "valid": job.total_rows - job.invalid_rows,
            "problems": _problems(session, job),
            "shown_rows": min(job.invalid_rows, ERROR_ROWS),
            "mapped": mapped,
            "unmapped": is_unmapped(job),
            "options": job.options,
            "claims": CLAIMS,
            "purposes": PURPOSES,
            "errors": errors or {},
            "flash": FLASH.get(request.query_params.get("done") or ""),
        },
        status_code=status_code,
    )


def _job_context(
    session: Session, request: Request, org: Organization, job: BulkJob
) -> dict[str, Any]:
    """What the progress block shows (the job page's and the polled fragment's)."""
    progress = job_progress(session, job, now=clock(request))
    took = None
    if job.started_at is not None and job.finished_at is not None:
        took = _duration((job.finished_at - job.started_at).total_seconds())
    return {
        "job": job,
        "org": org,
        "polling": job.status in (BulkJobStatus.RUNNING, BulkJobStatus.STAGING),
        "took": took,
        **_progress_view(progress),
    }


@router.get("/console/{slug}/bulk/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, session: DbSession, access: Viewer, job_id: str) -> Response:
    """A validated job: its validation report; a started one: its progress."""
    org = access.org
    job = find_job(session, org, job_id)
    if job.status is BulkJobStatus.VALIDATED:
        if is_unmapped(job) and access.may(Role.ISSUER):
            return redirect(job_url(org, job, "/mapping"))
        return _report_page(request, session, access, job)
    creators = creators_of(session, [job])
    return console_page(
        request,
        access,
        "console/bulk/job.html",
        "bulk",
        {
            "title": f"Bulk issue: {achievement_name(job.achievement)}",
            "name": achievement_name(job.achievement),
            "by": creators[job.id],
            "claims": CLAIMS,
            "purposes": PURPOSES,
            "flash": FLASH.get(request.query_params.get("done") or ""),
            **_job_context(session, request, org, job),
        },
    )


@router.get("/console/{slug}/bulk/{job_id}/progress", response_class=HTMLResponse)
def progress_fragment(
    request: Request, session: DbSession, access: Viewer, job_id: str
) -> Response:
    """The progress block (an htmx fragment, polled while the job runs). The answer that
    finds the job over has no trigger (polling stops) and also replaces the actions and
    announces the outcome (out-of-band swaps)."""
    org = access.org
    job = find_job(session, org, job_id)
    context = _job_context(session, request, org, job)
    return render(
        request,
        "console/bulk/_progress.html",
        {
            **context,
            "oob": not context["polling"],
            "may_issue": access.may(Role.ISSUER),
        },
    )


@router.post(
    "/console/{slug}/bulk/{job_id}/start", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def start(
    request: Request, session: DbSession, access: Issuer, job_id: str, form: Form
) -> Response:
    """Hand the valid rows to the workers. A roster with invalid rows starts only when
    "issue only the valid rows" is ticked."""
    org = access.org
    job = find_job(session, org, job_id)
    if job.status is not BulkJobStatus.VALIDATED:
        return redirect(job_url(org, job))
    if is_unmapped(job):
        return redirect(job_url(org, job, "/mapping"))
    valid_only = form_text(form, "valid_rows_only") == "1"
    errors: dict[str, str] = {}
    if job.total_rows == job.invalid_rows:
        errors["_form"] = "No row of this roster is valid: fix it and upload it again."
    elif job.invalid_rows and not valid_only:
        errors["valid_rows_only"] = (
            f"{job.invalid_rows:,} rows are invalid: fix them and upload the roster again, "
            "or tick this box to issue only the valid rows."
        )
    if not errors:
        try:
            with savepoint(session):
                start_job(
                    session,
                    org,
                    job.id,
                    valid_rows_only=valid_only,
                    actor=actor_of(access),
                    now=clock(request),
                )
        except RosterInvalid as exc:
            errors["valid_rows_only"] = exc.message
        except BulkJobConflict:
            return redirect(job_url(org, job))
    if errors:
        session.refresh(job)
        return _report_page(request, session, access, job, errors, status_code=422)
    return redirect(job_url(org, job, "?done=started"))


# -- the reports ----------------------------------------------------------------------------


def _csv(chunks: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in chunks),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/console/{slug}/bulk/{job_id}/errors.csv")
def errors_csv(
    session: DbSession, access: Viewer, database: DatabaseDep, job_id: str
) -> StreamingResponse:
    """Every problem of every invalid row: ``row, column, field, code, message, value``."""
    job = find_job(session, access.org, job_id)
    session.expunge(job)
    return _csv(error_report(lambda: database.session_scope(), job), f"bulk-{job.id}-errors.csv")


@router.get("/console/{slug}/bulk/{job_id}/results.csv")
def results_csv(
    session: DbSession, access: Issuer, database: DatabaseDep, job_id: str
) -> StreamingResponse:
    """Row -> credential id / claim link / error (issuers only: claim links are secrets)."""
    job = find_job(session, access.org, job_id)
    session.expunge(job)
    return _csv(result_report(lambda: database.session_scope(), job), f"bulk-{job.id}-results.csv")


# -- cancel and resume ----------------------------------------------------------------------


def _action(action: str) -> str:
    if action not in _ACTIONS:
        raise WebError(404, "Not found", "There is no such page.", code="not_found")
    return action


def _confirm_page(
    request: Request,
    session: Session,
    access: OrgAccess,
    job: BulkJob,
    action: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    discard = action == "cancel" and job.started_at is None
    verb = "Discard" if discard else action.capitalize()
    return console_page(
        request,
        access,
        "console/bulk/confirm.html",
        "bulk",
        {
            "title": f"{verb} this {'upload' if discard else 'bulk job'}?",
            "job": job,
            "name": achievement_name(job.achievement),
            "action": action,
            "verb": verb,
            "discard": discard,
            "errors": errors or {},
            **_progress_view(job_progress(session, job, now=clock(request))),
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/bulk/{job_id}/{action}", response_class=HTMLResponse)
def confirm(
    request: Request, session: DbSession, access: Issuer, job_id: str, action: str
) -> Response:
    """Ask before cancelling (or discarding an upload) or resuming."""
    action = _action(action)
    job = find_job(session, access.org, job_id)
    return _confirm_page(request, session, access, job, action)


@router.post(
    "/console/{slug}/bulk/{job_id}/{action}",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def change(
    request: Request, session: DbSession, access: Issuer, job_id: str, action: str
) -> Response:
    """Cancel (no chunk commits after this) or resume from where the job stopped."""
    action = _action(action)
    org = access.org
    job = find_job(session, org, job_id)
    discard = job.started_at is None
    change_job = cancel_job if action == "cancel" else resume_job
    try:
        with savepoint(session):
            change_job(session, org, job.id, actor=actor_of(access), now=clock(request))
    except BulkJobConflict as exc:
        session.refresh(job)
        return _confirm_page(
            request, session, access, job, action, {"_form": exc.message}, status_code=409
        )
    done = "discarded" if action == "cancel" and discard else _ACTIONS[action]
    return redirect(job_url(org, job, f"?done={done}"))
