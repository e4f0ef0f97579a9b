"""``/api/v1/bulk``: bulk issuance from a roster (CSV or XLSX).

1. ``POST /bulk/jobs`` (multipart: ``roster``, ``achievement``, optional ``mapping`` JSON
   and options) reads and checks every row: the job comes back ``validated`` with its
   counts; ``GET /bulk/jobs/{id}/errors.csv`` lists the invalid rows (fix and upload
   again, or ``PUT …/mapping`` to map the columns differently).
2. ``POST /bulk/jobs/{id}/start`` hands the rows to the workers; a roster with invalid
   rows needs ``{"validRowsOnly": true}``.
3. ``GET /bulk/jobs/{id}/progress`` (done / failed / total, rate, ETA) while it runs;
   ``…/cancel`` and ``…/resume``.
4. ``GET /bulk/jobs/{id}/results.csv``: row -> credential id / claim link / error.

Reading needs ``credentials:read``; uploading, starting, cancelling and the result
report (it holds claim links) need ``credentials:issue``. Another organization's jobs are
404. The roster must fit the request size cap (``OPENLER_MAX_REQUEST_BYTES``); larger ones
go through ``openler bulk issue``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Final, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, Principal, get_database, get_settings, require_scope
from openler.api.platform._common import (
    DEFAULT_PAGE_SIZE,
    PageSize,
    current_org,
    iso,
    now,
)
from openler.config import Settings
from openler.services.achievements import get_achievement, latest_published
from openler.services.bulk import (
    FIELDS,
    ColumnMapping,
    JobOptions,
    MappingInvalid,
    cancel_job,
    create_job,
    error_report,
    get_job,
    job_progress,
    remap_job,
    result_report,
    resume_job,
    saved_mapping,
    start_job,
)
from openler.services.bulk.jobs import save_mapping
from openler.services.bulk.mapping import RECIPIENT_FIELDS, suggest_mapping
from openler.store.db import Database
from openler.store.models import Organization, StatusPurpose
from openler.store.models.bulk import BulkJob
from openler.store.paging import decode_cursor, keyset_page

__all__ = ["job_view", "router"]

router = APIRouter(prefix="/bulk", tags=["bulk issuance"])

Issuer = Annotated[Principal, Depends(require_scope("credentials:issue"))]
Reader = Annotated[Principal, Depends(require_scope("credentials:read"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    validRowsOnly: bool = Field(
        default=False,
        description="Issue the valid rows of a roster that has invalid ones (else refused).",
    )


def job_view(session: Session, job: BulkJob, *, at: Any) -> dict[str, Any]:
    """A job as the API shows it: what it issues, how it was read, its counts and links."""
    base = f"/api/v1/bulk/jobs/{job.id}"
    achievement = job.achievement
    return {
        "id": str(job.id),
        "status": job.status.value,
        "achievement": {
            "logicalId": achievement.logical_id,
            "version": achievement.version,
            "id": achievement.achievement.get("id"),
        },
        "roster": {"name": job.roster_name, **job.roster_info},
        "headers": list(job.headers),
        "mapping": job.mapping,
        "options": job.options,
        "validation": {
            "rows": job.total_rows,
            "validRows": job.total_rows - job.invalid_rows,
            "invalidRows": job.invalid_rows,
        },
        "validRowsOnly": job.valid_rows_only,
        "progress": job_progress(session, job, now=at).to_json(),
        "error": job.error,
        "createdAt": iso(job.created_at),
        "validatedAt": iso(job.validated_at),
        "startedAt": iso(job.started_at),
        "cancelledAt": iso(job.cancelled_at),
        "finishedAt": iso(job.finished_at),
        "links": {
            "self": base,
            "progress": f"{base}/progress",
            "errors": f"{base}/errors.csv",
            "results": f"{base}/results.csv",
        },
    }


def _mapping_from_form(text: str | None) -> ColumnMapping | None:
    if text is None or not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingInvalid(f"The mapping is not JSON: {exc.msg}.") from None
    return ColumnMapping.from_json(data)


@router.get("/fields", summary="The fields a roster column can be mapped to")
def fields(principal: Reader) -> dict[str, Any]:
    """Each field's name and what it becomes in the credential, for mapping screens."""
    return {
        "fields": [{"name": name, "description": text} for name, text in FIELDS.items()],
        "results": "Map each of the achievement's resultDescriptions (by id) to a column "
        "under `results`.",
    }


@router.post(
    "/jobs",
    status_code=201,
    summary="Upload a roster: read and validate every row",
    responses={
        201: {"description": "Validated: counts, mapping and links to the reports."},
        404: {"description": "No such achievement."},
        413: {"description": "The roster is larger than allowed."},
        422: {"description": "Unreadable roster, a mapping that does not fit, or a draft."},
    },
)
def upload(
    request: Request,
    session: DbSession,
    principal: Issuer,
    settings: SettingsDep,
    roster: Annotated[UploadFile, File(description="The roster: CSV (UTF-8) or XLSX.")],
    achievement: Annotated[str, Form(description="The achievement's logical id.")],
    achievementVersion: Annotated[int | None, Form(ge=1)] = None,
    mapping: Annotated[
        str | None,
        Form(description="JSON: field -> column header (default: saved, else guessed)."),
    ] = None,
    claims: Annotated[Literal["email", "link", "none"], Form()] = "email",
    statusPurpose: Annotated[Literal["revocation", "suspension"], Form()] = "revocation",
    suites: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    """Nothing is issued yet: the job comes back ``validated`` with row counts; the
    invalid rows are in ``errors.csv``. Start it with ``POST …/start``."""
    org = current_org(session, principal)
    definition = (
        get_achievement(session, org, achievement, achievementVersion)
        if achievementVersion is not None
        else latest_published(session, org, achievement)
        or get_achievement(session, org, achievement)
    )
    options = JobOptions(
        suites=tuple(suites or ("eddsa-rdfc-2022",)),
        status_purpose=StatusPurpose(statusPurpose),
        claims=claims,
    )
    job = create_job(
        session,
        settings,
        org,
        definition,
        roster.file,
        roster_name=roster.filename or "roster",
        mapping=_mapping_from_form(mapping),
        options=options,
        actor=principal.actor,
        now=now(request),
    )
    return job_view(session, job, at=now(request))


@router.get("/jobs", summary="List bulk jobs")
def list_jobs(
    request: Request,
    session: DbSession,
    principal: Reader,
    cursor: str | None = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Newest first; ``nextCursor`` fetches the next page (null on the last)."""
    org = current_org(session, principal)
    query = sa.select(BulkJob).where(BulkJob.organization_id == org.id)
    page, next_cursor = keyset_page(
        session,
        query,
        at=BulkJob.created_at,
        row_id=BulkJob.id,
        after=decode_cursor(cursor),
        limit=limit,
    )
    at_now = now(request)
    return {
        "items": [job_view(session, job, at=at_now) for job in page],
        "nextCursor": next_cursor,
    }


@router.get("/jobs/{job_id}", summary="One bulk job")
def get_one(request: Request, session: DbSession, principal: Reader, job_id: str) -> dict[str, Any]:
    job = get_job(session, current_org(session, principal), job_id)
    return job_view(session, job, at=now(request))


@router.get("/jobs/{job_id}/progress", summary="Progress: done / failed / total, rate, ETA")
def progress(
    request: Request, session: DbSession, principal: Reader, job_id: str
) -> dict[str, Any]:
    """Cheap enough to poll every second (one aggregate query over the job's chunks)."""
    job = get_job(session, current_org(session, principal), job_id)
    return job_progress(session, job, now=now(request)).to_json()


@router.put("/jobs/{job_id}/mapping", summary="Map the columns again and re-validate")
def put_mapping(
    request: Request,
    session: DbSession,
    principal: Issuer,
    job_id: str,
    body: Annotated[dict[str, Any], Body(examples=[{"recipientEmail": "E-mail"}])],
) -> dict[str, Any]:
    """Every row is checked again under the new mapping (a validated job only); the
    mapping is saved for the achievement."""
    org = current_org(session, principal)
    job = get_job(session, org, job_id)
    remap_job(
        session,
        org,
        job.id,
        ColumnMapping.from_json(body),
        actor=principal.actor,
        now=now(request),
    )
    session.refresh(job)
    return job_view(session, job, at=now(request))


def _read_unit(database: Database) -> Any:
    return lambda: database.session_scope()


def _csv_response(chunks: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in chunks),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/jobs/{job_id}/errors.csv",
    summary="The validation error report (CSV)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def errors_csv(
    session: DbSession, principal: Reader, database: DatabaseDep, job_id: str
) -> StreamingResponse:
    """``row, column, field, code, message, value``: one line per problem, ``row`` as the
    spreadsheet numbers it."""
    job = get_job(session, current_org(session, principal), job_id)
    session.expunge(job)
    return _csv_response(error_report(_read_unit(database), job), f"bulk-{job.id}-errors.csv")


@router.get(
    "/jobs/{job_id}/results.csv",
    summary="The result report (CSV): row -> credential / claim link / error",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def results_csv(
    session: DbSession, principal: Issuer, database: DatabaseDep, job_id: str
) -> StreamingResponse:
    """``row, recipient, status, credential_id, claim_url, error``. Claim links are
    secrets that give the credential to whoever uses them: hand them out with care."""
    job = get_job(session, current_org(session, principal), job_id)
    session.expunge(job)
    return _csv_response(result_report(_read_unit(database), job), f"bulk-{job.id}-results.csv")


@router.post("/jobs/{job_id}/start", summary="Start issuing")
def start(
    request: Request,
    session: DbSession,
    principal: Issuer,
    job_id: str,
    body: Annotated[StartBody | None, Body()] = None,
) -> dict[str, Any]:
    """The valid rows go to the workers in chunks. Refused (422 ``roster_invalid``) when
    rows are invalid, unless ``validRowsOnly``."""
    org = current_org(session, principal)
    job = get_job(session, org, job_id)
    job = start_job(
        session,
        org,
        job.id,
        valid_rows_only=body.validRowsOnly if body is not None else False,
        actor=principal.actor,
        now=now(request),
    )
    return job_view(session, job, at=now(request))


@router.post("/jobs/{job_id}/cancel", summary="Cancel (stop issuing; resumable)")
def cancel(request: Request, session: DbSession, principal: Issuer, job_id: str) -> dict[str, Any]:
    """No chunk of the job commits after this answers; what was issued stays issued."""
    org = current_org(session, principal)
    job = cancel_job(
        session, org, get_job(session, org, job_id).id, actor=principal.actor, now=now(request)
    )
    return job_view(session, job, at=now(request))


@router.post("/jobs/{job_id}/resume", summary="Resume a cancelled or failed job")
def resume(request: Request, session: DbSession, principal: Issuer, job_id: str) -> dict[str, Any]:
    org = current_org(session, principal)
    job = resume_job(
        session, org, get_job(session, org, job_id).id, actor=principal.actor, now=now(request)
    )
    return job_view(session, job, at=now(request))


def _achievement_logical_id(session: Session, org: Organization, logical_id: str) -> str:
    return get_achievement(session, org, logical_id).logical_id  # 404 when unknown


@router.get("/mappings/{achievement}", summary="The saved column mapping of an achievement")
def get_mapping(
    session: DbSession,
    principal: Reader,
    achievement: str,
    headers: Annotated[
        list[str] | None,
        Query(description="A roster's headers: without a saved mapping, a guess for them."),
    ] = None,
) -> dict[str, Any]:
    org = current_org(session, principal)
    definition = get_achievement(session, org, achievement)
    saved = saved_mapping(session, org, definition.logical_id)
    if saved is not None:
        return {"achievement": definition.logical_id, "saved": True, "mapping": saved.to_json()}
    guess = suggest_mapping(headers or [], definition.achievement) if headers else None
    return {
        "achievement": definition.logical_id,
        "saved": False,
        "mapping": guess.to_json() if guess is not None else None,
    }


@router.put("/mappings/{achievement}", summary="Save the column mapping of an achievement")
def put_saved_mapping(
    session: DbSession,
    principal: Issuer,
    achievement: str,
    body: Annotated[dict[str, Any], Body(examples=[{"recipientEmail": "E-mail"}])],
) -> dict[str, Any]:
    org = current_org(session, principal)
    logical_id = _achievement_logical_id(session, org, achievement)
    mapping = ColumnMapping.from_json(body)
    if not any(mapping.columns.get(f) for f in RECIPIENT_FIELDS):
        raise MappingInvalid(
            "Map a recipient column: recipientEmail, recipientIdentifier or recipientDid."
        )
    save_mapping(session, org, logical_id, mapping)
    return {"achievement": logical_id, "saved": True, "mapping": mapping.to_json()}
