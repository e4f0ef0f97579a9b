"""``/console/{slug}/achievements``: the list, a draft's form (create and edit), the
detail with its JSON, publishing (with a confirmation step) and new versions of a
published achievement; ``/console/{slug}/skills``: the skills search (an htmx fragment)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.achievements import (
    AchievementConflict,
    achievement_url,
    create_achievement,
    edit_achievement,
    get_achievement,
    latest_versions,
    publish_achievement,
)
from openler.store.models import AchievementDefinition, PublicationStatus
from openler.web.auth import CsrfChecked
from openler.web.console._common import (
    Issuer,
    Viewer,
    actor_of,
    console_page,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.console.achievement_form import (
    ACHIEVEMENT_TYPES,
    MAX_IMAGE_BYTES,
    MAX_RESULT_SLOTS,
    RESULT_TYPES,
    AchievementForm,
    ResultSlot,
    search_skills,
)
from openler.web.templating import render, web_router

__all__ = ["latest_versions", "router"]

router = web_router()

_LOGICAL_ID_HINT = (
    "Letters, digits, '.', '_' or '-', e.g. welding-1. It is part of the achievement's "
    "web address and never changes. Leave empty to have one made up."
)


async def form_data(request: Request) -> AsyncIterator[FormData]:
    """The submitted form (read once: the CSRF check has read it already); its uploaded
    files are closed after the route."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


Form = Annotated[FormData, Depends(form_data)]


def _form_page(
    request: Request,
    access: Any,
    form: AchievementForm,
    *,
    definition: AchievementDefinition | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    slots = list(form.results)
    wanted = int(request.query_params.get("slots", "0") or 0) if request.method == "GET" else 0
    while len(slots) < max(1, wanted) and len(slots) < MAX_RESULT_SLOTS:
        slots.append(ResultSlot())
    if definition is None:
        title, action = "New achievement", f"/console/{access.org.slug}/achievements/new"
    else:
        title = f"Edit {definition.achievement.get('name', definition.logical_id)}"
        action = f"/console/{access.org.slug}/achievements/{definition.logical_id}/edit"
    return console_page(
        request,
        access,
        "console/achievement_form.html",
        "achievements",
        {
            "title": title,
            "form": form,
            "slots": slots,
            "definition": definition,
            "new_version": definition is not None
            and definition.status is PublicationStatus.PUBLISHED,
            "action": action,
            "errors": errors or {},
            "achievement_types": ACHIEVEMENT_TYPES,
            "result_types": RESULT_TYPES,
            "skills": search_skills(form.skill_q, exclude=frozenset(form.alignments)),
            "chosen_skills": form.chosen_skills(),
            "max_image_kb": MAX_IMAGE_BYTES // 1024,
            "logical_id_hint": _LOGICAL_ID_HINT,
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/achievements", response_class=HTMLResponse)
def list_achievements(request: Request, session: DbSession, access: Viewer) -> HTMLResponse:
    return console_page(
        request,
        access,
        "console/achievements.html",
        "achievements",
        {"title": "Achievements", "items": latest_versions(session, access.org)},
    )


@router.get("/console/{slug}/skills", response_class=HTMLResponse)
def skills(request: Request, access: Viewer, skill_q: str = "") -> HTMLResponse:
    """The skills search results (for htmx; the form shows the same without JavaScript)."""
    return render(
        request,
        "console/_skills.html",
        {"skills": search_skills(skill_q[:200]), "skill_q": skill_q[:200]},
    )


@router.get("/console/{slug}/achievements/new", response_class=HTMLResponse)
def new_form(request: Request, access: Issuer) -> HTMLResponse:
    return _form_page(request, access, AchievementForm(in_language="en"), definition=None)


def _submitted(
    request: Request, access: Any, form: FormData, definition: AchievementDefinition | None
) -> tuple[AchievementForm, dict[str, str], str]:
    """The form as submitted with its image taken in, the errors so far, and the action."""
    base = definition.achievement if definition is not None else {}
    values, upload = AchievementForm.from_form(form, base)
    errors: dict[str, str] = {}
    values.accept_image(upload, errors)
    action = form.get("action")
    return values, errors, action if isinstance(action, str) else "save"


def _rerender(
    request: Request,
    access: Any,
    values: AchievementForm,
    action: str,
    errors: dict[str, str],
    definition: AchievementDefinition | None,
) -> HTMLResponse | None:
    """The form again for the buttons that only change the form (search, add a result)."""
    if action == "add_result":
        if len(values.results) < MAX_RESULT_SLOTS:
            values.results.append(ResultSlot())
        return _form_page(request, access, values, definition=definition, errors=errors)
    if action == "search":
        return _form_page(request, access, values, definition=definition, errors=errors)
    return None


@router.post(
    "/console/{slug}/achievements/new", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def create(request: Request, session: DbSession, access: Issuer, form: Form) -> Response:
    """Save a new draft (version 1)."""
    values, errors, action = _submitted(request, access, form, None)
    again = _rerender(request, access, values, action, errors, None)
    if again is not None:
        return again
    settings = settings_of(request)
    logical_id = values.logical_id or f"ach-{secrets.token_hex(6)}"
    doc = values.to_document({}, achievement_url(settings, access.org, logical_id), errors)
    if not errors:
        try:
            with savepoint(session):
                create_achievement(
                    session,
                    settings,
                    access.org,
                    doc,
                    logical_id=logical_id,
                    actor=actor_of(access),
                )
        except AchievementConflict:
            errors["logical_id"] = "An achievement with this id exists already; choose another."
        except InvalidInput as exc:
            key = "logical_id" if "logical id" in exc.message else "_form"
            errors[key] = exc.message
    if errors:
        return _form_page(request, access, values, definition=None, errors=errors, status_code=422)
    return redirect(f"/console/{access.org.slug}/achievements/{logical_id}?done=created")


@router.get("/console/{slug}/achievements/{logical_id}", response_class=HTMLResponse)
def detail(
    request: Request,
    session: DbSession,
    access: Viewer,
    logical_id: str,
    version: int | None = None,
) -> HTMLResponse:
    definition = get_achievement(session, access.org, logical_id, version)
    versions = list(
        session.scalars(
            sa.select(AchievementDefinition)
            .where(
                AchievementDefinition.organization_id == access.org.id,
                AchievementDefinition.logical_id == logical_id,
            )
            .order_by(AchievementDefinition.version)
        )
    )
    return console_page(
        request,
        access,
        "console/achievement.html",
        "achievements",
        {
            "title": definition.achievement.get("name", logical_id),
            "definition": definition,
            "doc": definition.achievement,
            "json": json.dumps(definition.achievement, indent=2, ensure_ascii=False),
            "versions": versions,
            "is_latest": definition.version == versions[-1].version,
        },
    )


@router.get("/console/{slug}/achievements/{logical_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, session: DbSession, access: Issuer, logical_id: str
) -> HTMLResponse:
    """The latest version in the form (a published one: the form starts the next version)."""
    definition = get_achievement(session, access.org, logical_id)
    values = AchievementForm.from_document(definition.achievement, logical_id)
    return _form_page(request, access, values, definition=definition)


@router.post(
    "/console/{slug}/achievements/{logical_id}/edit",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def edit(
    request: Request, session: DbSession, access: Issuer, logical_id: str, form: Form
) -> Response:
    """Change the draft in place, or start the next version of a published one."""
    definition = get_achievement(session, access.org, logical_id)
    values, errors, action = _submitted(request, access, form, definition)
    values.logical_id = logical_id
    again = _rerender(request, access, values, action, errors, definition)
    if again is not None:
        return again
    achievement_id = str(
        definition.achievement.get("id")
        or achievement_url(settings_of(request), access.org, logical_id)
    )
    doc = values.to_document(definition.achievement, achievement_id, errors)
    was_published = definition.status is PublicationStatus.PUBLISHED
    if not errors:
        try:
            with savepoint(session):
                edit_achievement(
                    session,
                    settings_of(request),
                    access.org,
                    logical_id,
                    doc,
                    actor=actor_of(access),
                )
        except InvalidInput as exc:
            errors["_form"] = exc.message
    if errors:
        return _form_page(
            request, access, values, definition=definition, errors=errors, status_code=422
        )
    done = "new-version" if was_published else "saved"
    return redirect(f"/console/{access.org.slug}/achievements/{logical_id}?done={done}")


@router.get("/console/{slug}/achievements/{logical_id}/publish", response_class=HTMLResponse)
def publish_confirm(
    request: Request, session: DbSession, access: Issuer, logical_id: str
) -> HTMLResponse:
    """Publishing cannot be undone: say so, and ask."""
    definition = get_achievement(session, access.org, logical_id)
    return console_page(
        request,
        access,
        "console/publish.html",
        "achievements",
        {"title": "Publish this achievement?", "definition": definition},
    )


@router.post(
    "/console/{slug}/achievements/{logical_id}/publish",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def publish(request: Request, session: DbSession, access: Issuer, logical_id: str) -> Response:
    definition = get_achievement(session, access.org, logical_id)
    try:
        with savepoint(session):
            publish_achievement(session, access.org, logical_id, actor=actor_of(access))
    except AchievementConflict as exc:
        return console_page(
            request,
            access,
            "console/publish.html",
            "achievements",
            {
                "title": "Publish this achievement?",
                "definition": definition,
                "errors": {"_form": exc.message},
            },
            status_code=409,
        )
    return redirect(f"/console/{access.org.slug}/achievements/{logical_id}?done=published")
