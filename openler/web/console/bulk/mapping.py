"""``/console/{slug}/bulk/{id}/mapping``: what each roster column holds, one select per
column (a field, one of the achievement's result descriptions, or nothing), prefilled from
the job's mapping (the one saved for the achievement, else a guess from the headers). A
changed mapping checks every row again (:func:`~openler.services.bulk.remap_job`); the
confirmed mapping is saved for the achievement's next roster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from openler.api.deps import DbSession
from openler.services.bulk import (
    FIELDS,
    BulkJobConflict,
    ColumnMapping,
    MappingInvalid,
    remap_job,
    saved_mapping,
    suggest_mapping,
)
from openler.services.bulk.jobs import save_mapping
from openler.services.bulk.mapping import RECIPIENT_FIELDS, result_descriptions
from openler.store.models import Organization
from openler.store.models.bulk import BulkJob, BulkRow
from openler.store.models.enums import BulkJobStatus
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    Issuer,
    actor_of,
    clock,
    console_page,
    redirect,
    savepoint,
)
from openler.web.console.achievements import Form
from openler.web.console.bulk._common import (
    FIELD_LABELS,
    IDENTIFIER_TYPES,
    UNMAPPED,
    achievement_name,
    find_job,
    form_text,
    header_key,
    is_unmapped,
    job_url,
)
from openler.web.templating import web_router

__all__ = ["router"]

router = web_router()

#: Roster rows whose values the mapping page shows under each column.
_SAMPLE_ROWS: Final = 3


def _choices_of(
    mapping: ColumnMapping, headers: Sequence[str], descriptions: Sequence[Mapping[str, Any]]
) -> dict[int, str]:
    """Column position -> the mapping page's choice (a field name or ``result-N``)."""
    positions = {header_key(h): i for i, h in enumerate(headers)}
    choices: dict[int, str] = {}
    for name, header in mapping.columns.items():
        position = positions.get(header_key(header))
        if position is not None and position not in choices:
            choices[position] = name
    for wanted, header in mapping.results.items():
        position = positions.get(header_key(header))
        for n, d in enumerate(descriptions):
            if d["id"] == wanted or header_key(str(d.get("name", ""))) == header_key(wanted):
                if position is not None and position not in choices:
                    choices[position] = f"result-{n}"
                break
    return choices


def _samples(session: Session, job: BulkJob) -> list[list[str]]:
    """Each column's values in the roster's first rows (for the mapping page)."""
    rows = session.scalars(
        sa.select(BulkRow.cells)
        .where(BulkRow.job_id == job.id)
        .order_by(BulkRow.row_no)
        .limit(_SAMPLE_ROWS)
    ).all()
    return [
        [str(cells[i])[:60] for cells in rows if i < len(cells) and str(cells[i]).strip()]
        for i in range(len(job.headers))
    ]


def _mapping_page(
    request: Request,
    session: Session,
    access: OrgAccess,
    job: BulkJob,
    choices: dict[int, str],
    identifier_type: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    definition = job.achievement
    descriptions = result_descriptions(definition.achievement)
    options = [("", "— not used —")]
    options += [(name, FIELD_LABELS[name]) for name in FIELDS]
    options += [
        (f"result-{n}", f"Result: {d.get('name') or d['id']}") for n, d in enumerate(descriptions)
    ]
    types = list(IDENTIFIER_TYPES)
    if identifier_type not in types and identifier_type != UNMAPPED:
        types.append(identifier_type)
    saved = saved_mapping(session, access.org, definition.logical_id)
    return console_page(
        request,
        access,
        "console/bulk/mapping.html",
        "bulk",
        {
            "title": "Map the roster's columns",
            "job": job,
            "name": achievement_name(definition),
            "columns": list(zip(job.headers, _samples(session, job), strict=True)),
            "choices": {f"column-{i}": v for i, v in choices.items()},
            "options": options,
            "identifier_type": identifier_type if identifier_type != UNMAPPED else "identifier",
            "identifier_types": [(t, t) for t in types],
            "unmapped": is_unmapped(job),
            "from_saved": saved is not None and saved.to_json() == job.mapping,
            "has_saved": saved is not None,
            "fields": [(FIELD_LABELS[name], text) for name, text in FIELDS.items()],
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _initial_mapping(session: Session, org: Organization, job: BulkJob) -> ColumnMapping:
    if not is_unmapped(job):
        return ColumnMapping.from_json(job.mapping)
    guess = suggest_mapping(job.headers, job.achievement.achievement)
    saved = saved_mapping(session, org, job.achievement.logical_id)
    if saved is None:
        return guess
    keys = {header_key(h) for h in job.headers}
    return ColumnMapping(
        {**guess.columns, **{k: v for k, v in saved.columns.items() if header_key(v) in keys}},
        {**guess.results, **{k: v for k, v in saved.results.items() if header_key(v) in keys}},
        saved.identifier_type,
    )


@router.get("/console/{slug}/bulk/{job_id}/mapping", response_class=HTMLResponse)
def mapping_form(request: Request, session: DbSession, access: Issuer, job_id: str) -> Response:
    job = find_job(session, access.org, job_id)
    if job.status is not BulkJobStatus.VALIDATED:
        return redirect(job_url(access.org, job))
    mapping = _initial_mapping(session, access.org, job)
    descriptions = result_descriptions(job.achievement.achievement)
    choices = _choices_of(mapping, job.headers, descriptions)
    return _mapping_page(request, session, access, job, choices, mapping.identifier_type)


def _mapping_from_form(
    form: FormData, job: BulkJob, errors: dict[str, str]
) -> tuple[ColumnMapping | None, dict[int, str], str]:
    descriptions = result_descriptions(job.achievement.achievement)
    labels = {**FIELD_LABELS}
    labels.update(
        {f"result-{n}": f"Result: {d.get('name') or d['id']}" for n, d in enumerate(descriptions)}
    )
    columns: dict[str, str] = {}
    results: dict[str, str] = {}
    choices: dict[int, str] = {}
    taken: dict[str, int] = {}
    for i, header in enumerate(job.headers):
        choice = form_text(form, f"column-{i}", 40)
        if not choice:
            continue
        choices[i] = choice
        if choice not in labels:
            errors[f"column-{i}"] = "Choose one of the listed fields."
            continue
        if choice in taken:
            errors[f"column-{i}"] = (
                f"{labels[choice]} is chosen for column {job.headers[taken[choice]]!r} already: "
                "choose it for one column only."
            )
            continue
        taken[choice] = i
        if choice in FIELDS:
            columns[choice] = header
        else:
            results[str(descriptions[int(choice.removeprefix("result-"))]["id"])] = header
    identifier_type = form_text(form, "identifier_type", 80) or "identifier"
    current = job.mapping.get("identifierType")
    if identifier_type not in IDENTIFIER_TYPES and identifier_type != current:
        errors["identifier_type"] = "Choose one of the listed identifier types."
    elif identifier_type == UNMAPPED:
        identifier_type = "identifier"
    if not any(f in columns for f in RECIPIENT_FIELDS) and "recipient" not in errors:
        errors["recipient"] = (
            "Choose the column that names the recipient: an e-mail address, an identifier or a DID."
        )
    if errors:
        return None, choices, identifier_type
    previous = job.mapping.get("required")
    required = None
    if isinstance(previous, list) and not is_unmapped(job):
        mapped = set(columns) | set(results)
        required = tuple(r for r in previous if r in mapped)
    return ColumnMapping(columns, results, identifier_type, required), choices, identifier_type


@router.post(
    "/console/{slug}/bulk/{job_id}/mapping",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def save_job_mapping(
    request: Request, session: DbSession, access: Issuer, job_id: str, form: Form
) -> Response:
    """Check every row again under the chosen mapping (saved for the achievement)."""
    org = access.org
    job = find_job(session, org, job_id)
    if job.status is not BulkJobStatus.VALIDATED:
        return redirect(job_url(org, job))
    errors: dict[str, str] = {}
    mapping, choices, identifier_type = _mapping_from_form(form, job, errors)
    if mapping is None:
        return _mapping_page(
            request, session, access, job, choices, identifier_type, errors, status_code=422
        )
    if mapping.to_json() == job.mapping:  # the rows were checked with it already
        save_mapping(session, org, job.achievement.logical_id, mapping)
        return redirect(job_url(org, job))
    try:
        with savepoint(session):
            remap_job(session, org, job.id, mapping, actor=actor_of(access), now=clock(request))
    except (MappingInvalid, BulkJobConflict) as exc:
        session.refresh(job)
        errors["_form"] = exc.message
        return _mapping_page(
            request, session, access, job, choices, identifier_type, errors, status_code=422
        )
    return redirect(job_url(org, job, "?done=mapped"))
