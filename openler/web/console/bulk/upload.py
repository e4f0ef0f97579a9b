"""``/console/{slug}/bulk/new``: choose a published achievement and upload a roster, which
is read, staged and checked at once (nothing is issued); the mapping page comes next. A
fixed roster uploaded from a validation report (``replaces``) discards that upload and,
when the columns are the same, goes straight to its own report."""

from __future__ import annotations

from typing import IO, Final, Literal

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.bulk import (
    BulkJobNotFound,
    ColumnMapping,
    JobOptions,
    MappingInvalid,
    cancel_job,
    create_job,
    get_job,
    open_roster,
    saved_mapping,
)
from openler.services.bulk.jobs import save_mapping
from openler.store.models import StatusPurpose
from openler.store.models.bulk import BulkJob, BulkMapping
from openler.store.models.credentials import AchievementDefinition
from openler.store.models.enums import BulkJobStatus
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    Issuer,
    actor_of,
    clock,
    console_page,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.console.achievements import Form
from openler.web.console.bulk._common import (
    CLAIMS,
    PURPOSES,
    UNMAPPED,
    form_text,
    is_unmapped,
    job_url,
)
from openler.web.console.credentials import published_achievements
from openler.web.templating import web_router

__all__ = ["router"]

router = web_router()

#: Files people upload by mistake, told apart by their first bytes.
_NOT_ROSTERS: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"<svg", "an SVG image"),
)
_CLAIM_KINDS: Final[dict[str, Literal["email", "link", "none"]]] = {
    "email": "email",
    "link": "link",
    "none": "none",
}


def _new_page(
    request: Request,
    session: Session,
    access: OrgAccess,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cap = settings_of(request).max_roster_bytes
    return console_page(
        request,
        access,
        "console/bulk/new.html",
        "bulk",
        {
            "title": "New bulk issue",
            "values": values,
            "errors": errors or {},
            "options": published_achievements(session, access.org),
            "claims": CLAIMS,
            "purposes": PURPOSES,
            "max_size": f"{cap / (1024 * 1024):,.0f} MB" if cap >= 1024 * 1024 else f"{cap} bytes",
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/bulk/new", response_class=HTMLResponse)
def new_job(
    request: Request, session: DbSession, access: Issuer, achievement: str = ""
) -> Response:
    values = {
        "achievement": achievement[:100],
        "claims": "email",
        "status_purpose": "revocation",
        "replaces": "",
    }
    return _new_page(request, session, access, values)


def _not_a_roster(source: IO[bytes]) -> str | None:
    """What the file is when it is plainly no roster (an image, a PDF …)."""
    start = source.read(8)
    source.seek(0)
    if not start:
        return "The file is empty: upload a CSV (UTF-8) or .xlsx roster."
    for magic, what in _NOT_ROSTERS:
        if start.startswith(magic):
            return f"This file is {what}, not a roster: upload a CSV (UTF-8) or .xlsx file."
    return None


def _unmapped_placeholder(source: IO[bytes]) -> ColumnMapping:
    with open_roster(source) as roster:
        first = roster.headers[0]
    source.seek(0)
    return ColumnMapping(
        {"recipientDid": first, "recipientEmail": first, "evidenceUrl": first},
        identifier_type=UNMAPPED,
    )


def _stage(
    request: Request,
    session: Session,
    access: OrgAccess,
    achievement: AchievementDefinition,
    upload: UploadFile,
    options: JobOptions,
    mapping: ColumnMapping | None,
) -> BulkJob:
    """Stage the roster (a roster whose columns cannot be matched: see the package docstring)."""
    settings, org, now = settings_of(request), access.org, clock(request)

    def stage(mapping: ColumnMapping | None) -> BulkJob:
        upload.file.seek(0)
        with savepoint(session):
            return create_job(
                session,
                settings,
                org,
                achievement,
                upload.file,
                roster_name=upload.filename or "roster",
                mapping=mapping,
                options=options,
                actor=actor_of(access),
                now=now,
            )

    if mapping is not None:
        try:
            return stage(mapping)
        except MappingInvalid:
            pass  # the replaced upload's mapping does not fit the fixed roster
    try:
        return stage(None)
    except MappingInvalid:
        pass
    upload.file.seek(0)
    previous = saved_mapping(session, org, achievement.logical_id)
    with savepoint(session):
        job = stage(_unmapped_placeholder(upload.file))
        if previous is not None:
            save_mapping(session, org, achievement.logical_id, previous)
        else:
            session.execute(
                sa.delete(BulkMapping).where(
                    BulkMapping.organization_id == org.id,
                    BulkMapping.achievement_logical_id == achievement.logical_id,
                )
            )
    return job


@router.post("/console/{slug}/bulk/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def upload(request: Request, session: DbSession, access: Issuer, form: Form) -> Response:
    """Read and check every row (nothing is issued); then the mapping page."""
    org = access.org
    fields = ("achievement", "claims", "status_purpose", "replaces")
    values = {name: form_text(form, name) for name in fields}
    errors: dict[str, str] = {}
    chosen = next(
        (d for d in published_achievements(session, org) if d.logical_id == values["achievement"]),
        None,
    )
    if chosen is None:
        errors["achievement"] = (
            "Choose one of the published achievements."
            if values["achievement"]
            else "Choose the achievement to award."
        )
    file = form.get("roster")
    roster = file if isinstance(file, UploadFile) and file.filename else None
    if roster is None:
        errors["roster"] = "Choose the roster file: CSV (UTF-8) or .xlsx."
    else:
        problem = _not_a_roster(roster.file)
        if problem:
            errors["roster"] = problem
    if values["claims"] not in _CLAIM_KINDS:
        errors["claims"] = "Choose how learners get their credentials."
    if values["status_purpose"] not in PURPOSES:
        errors["status_purpose"] = "Choose whether the credentials can be suspended."
    replaced = None
    if values["replaces"]:
        try:
            replaced = get_job(session, org, values["replaces"][:64])
        except BulkJobNotFound:
            values["replaces"] = ""
    if errors:
        return _new_page(request, session, access, values, errors, status_code=422)
    assert chosen is not None
    assert roster is not None
    options = JobOptions(
        status_purpose=StatusPurpose(values["status_purpose"]),
        claims=_CLAIM_KINDS[values["claims"]],
    )
    reuse = None
    if replaced is not None and not is_unmapped(replaced):
        reuse = ColumnMapping.from_json(replaced.mapping)
    try:
        job = _stage(request, session, access, chosen, roster, options, reuse)
    except InvalidInput as exc:
        errors["roster"] = exc.message
        code = 413 if exc.code == "input_too_large" else 422
        return _new_page(request, session, access, values, errors, status_code=code)
    if replaced is not None and replaced.status is BulkJobStatus.VALIDATED:
        with savepoint(session):
            cancel_job(session, org, replaced.id, actor=actor_of(access), now=clock(request))
        if reuse is not None and not is_unmapped(job):
            return redirect(job_url(org, job))  # same columns: straight to the report
    return redirect(job_url(org, job, "/mapping"))
