"""``/wallet/employment``: the learner's jobs. Entries the learner writes (add, edit,
delete) are labelled *self-asserted* everywhere; employment credentials issued by an
employer (OB 3.0 credentials whose achievementType is ``ext:Employment``, see
docs/sharing.md) come from the record and show their verification state.
"""

from __future__ import annotations

import re
import uuid
from itertools import groupby
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.employment import (
    EmploymentInput,
    EmploymentNotFound,
    add_entry,
    delete_entry,
    employment_history,
    get_entry,
    skill_choices,
    update_entry,
)
from openler.store.models.organizations import User
from openler.store.models.sharing import EmploymentEntry
from openler.web.auth import CsrfChecked, SignedInUser
from openler.web.templating import web_router
from openler.web.wallet._common import (
    Form,
    clock,
    form_text,
    not_found,
    parse_day,
    redirect,
    savepoint,
    wallet_page,
)

__all__ = ["router"]

router = web_router()

_FIELDS: Final = ("employer", "role", "start_date", "end_date", "description", "skills")
_SPLIT = re.compile(r"[,\n;]+")


@router.get("/wallet/employment", response_class=HTMLResponse)
def history(request: Request, session: DbSession, user: SignedInUser) -> HTMLResponse:
    """Self-asserted entries and employer-issued employment credentials, current first."""
    jobs = employment_history(session, user, now=clock(request))
    return wallet_page(
        request,
        "wallet/employment.html",
        "employment",
        {"title": "Employment history", "jobs": jobs},
    )


def _choices() -> list[tuple[str, list[dict[str, str]]]]:
    return [
        (framework, list(items))
        for framework, items in groupby(skill_choices(), key=lambda c: c["framework"])
    ]


def _values(entry: EmploymentEntry | None) -> dict[str, Any]:
    if entry is None:
        return dict.fromkeys(_FIELDS, "") | {"framework_skills": []}
    return {
        "employer": entry.employer,
        "role": entry.role,
        "start_date": entry.start_date.isoformat(),
        "end_date": entry.end_date.isoformat() if entry.end_date else "",
        "description": entry.description or "",
        "skills": "\n".join(entry.skills or []),
        "framework_skills": [
            key
            for key, a in _framework_keys().items()
            if any(s.get("targetUrl") == a for s in entry.framework_skills or [])
        ],
    }


def _framework_keys() -> dict[str, str]:
    from openler.services.seed import framework_items

    return {key: str(item["url"]) for key, item in framework_items().items()}


def _form_page(
    request: Request,
    values: dict[str, Any],
    *,
    entry_id: uuid.UUID | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    editing = entry_id is not None
    return wallet_page(
        request,
        "wallet/employment_form.html",
        "employment",
        {
            "title": "Edit a job" if editing else "Add a job",
            "values": values,
            "errors": errors or {},
            "choices": _choices(),
            "action": f"/wallet/employment/{entry_id}/edit"
            if editing
            else "/wallet/employment/new",
        },
        status_code=status_code,
    )


def _entry(session: Session, user: User, entry_id: str) -> EmploymentEntry:
    try:
        return get_entry(session, user, entry_id[:64])
    except EmploymentNotFound:
        raise not_found("There is no such job in your employment history.") from None


def _read(form: Any) -> tuple[dict[str, Any], EmploymentInput | None, dict[str, str]]:
    values: dict[str, Any] = {name: form_text(form, name, 6000) for name in _FIELDS}
    values["framework_skills"] = [
        str(v)[:100] for v in form.getlist("framework_skills") if isinstance(v, str)
    ][:100]
    errors: dict[str, str] = {}
    if not values["employer"]:
        errors["employer"] = "Enter the employer's name."
    if not values["role"]:
        errors["role"] = "Enter your role or job title."
    start = parse_day(values["start_date"])
    end = parse_day(values["end_date"])
    if start is None:
        errors["start_date"] = "Enter the start date, like 2024-09-01."
    if values["end_date"] and end is None:
        errors["end_date"] = "Enter the end date like 2025-06-30, or leave it empty."
    elif start is not None and end is not None and end < start:
        errors["end_date"] = "The end date is before the start date."
    if errors or start is None:
        return values, None, errors
    skills = [s.strip() for s in _SPLIT.split(values["skills"]) if s.strip()]
    data = EmploymentInput(
        employer=values["employer"],
        role=values["role"],
        start_date=start,
        end_date=end,
        description=values["description"] or None,
        skills=skills,
        framework_skills=values["framework_skills"],
    )
    return values, data, errors


def _field_of(exc: InvalidInput) -> str:
    field = (exc.details or {}).get("field")
    return field if isinstance(field, str) and field in (*_FIELDS, "framework_skills") else "_form"


@router.get("/wallet/employment/new", response_class=HTMLResponse)
def new_form(request: Request, user: SignedInUser) -> HTMLResponse:
    del user
    return _form_page(request, _values(None))


@router.post("/wallet/employment/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create(request: Request, session: DbSession, user: SignedInUser, form: Form) -> Response:
    values, data, errors = _read(form)
    if data is not None:
        try:
            with savepoint(session):
                add_entry(session, user, data)
        except InvalidInput as exc:
            errors[_field_of(exc)] = exc.message
    if errors:
        return _form_page(request, values, errors=errors, status_code=422)
    return redirect("/wallet/employment?done=job-added")


@router.get("/wallet/employment/{entry_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, session: DbSession, user: SignedInUser, entry_id: str
) -> HTMLResponse:
    entry = _entry(session, user, entry_id)
    return _form_page(request, _values(entry), entry_id=entry.id)


@router.post(
    "/wallet/employment/{entry_id}/edit", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def edit(
    request: Request, session: DbSession, user: SignedInUser, form: Form, entry_id: str
) -> Response:
    entry = _entry(session, user, entry_id)
    values, data, errors = _read(form)
    if data is not None:
        try:
            with savepoint(session):
                update_entry(session, user, entry.id, data)
        except InvalidInput as exc:
            errors[_field_of(exc)] = exc.message
    if errors:
        return _form_page(request, values, entry_id=entry.id, errors=errors, status_code=422)
    return redirect("/wallet/employment?done=job-saved")


@router.get("/wallet/employment/{entry_id}/delete", response_class=HTMLResponse)
def delete_form(
    request: Request, session: DbSession, user: SignedInUser, entry_id: str
) -> HTMLResponse:
    entry = _entry(session, user, entry_id)
    return wallet_page(
        request,
        "wallet/employment_delete.html",
        "employment",
        {"title": "Delete a job", "entry": entry},
    )


@router.post("/wallet/employment/{entry_id}/delete", dependencies=[CsrfChecked])
def delete(request: Request, session: DbSession, user: SignedInUser, entry_id: str) -> Response:
    entry = _entry(session, user, entry_id)
    delete_entry(session, user, entry.id)
    return redirect("/wallet/employment?done=job-deleted")
