"""``/console/{slug}/members`` (admins): the organization's people and their roles; add
someone (a new user gets an account, with a password when one is given), change a role,
remove a member (after a confirmation page). The last admin can be neither demoted nor
removed."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.users import (
    MIN_PASSWORD_LENGTH,
    LastAdmin,
    MemberExists,
    MemberNotFound,
    add_member,
    change_role,
    create_user,
    find_user,
    get_member,
    members,
    remove_member,
)
from openler.store.models import Role
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import Admin, actor_of, console_page, redirect, savepoint
from openler.web.console.achievements import Form
from openler.web.templating import WebError, web_router

__all__ = ["router"]

router = web_router()
_ROLES = [r.value for r in (Role.VIEWER, Role.ISSUER, Role.ADMIN)]


def _page(
    request: Request,
    session: Session,
    access: OrgAccess,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return console_page(
        request,
        access,
        "console/members.html",
        "members",
        {
            "title": "Members",
            "members": members(session, access.org),
            "roles": _ROLES,
            "values": values or {"role": "viewer"},
            "errors": errors or {},
            "min_password": MIN_PASSWORD_LENGTH,
        },
        status_code=status_code,
    )


def _get(form: Form, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.get("/console/{slug}/members", response_class=HTMLResponse)
def list_members(request: Request, session: DbSession, access: Admin) -> HTMLResponse:
    return _page(request, session, access)


@router.post("/console/{slug}/members", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add(request: Request, session: DbSession, access: Admin, form: Form) -> Response:
    values = {
        "email": _get(form, "email", 320),
        "role": _get(form, "role", 20),
        "name": _get(form, "name", 200),
    }
    password = form.get("password")
    password = password if isinstance(password, str) and password else None
    errors: dict[str, str] = {}
    if not values["email"]:
        errors["email"] = "Enter the person's e-mail address."
    if values["role"] not in _ROLES:
        errors["role"] = "Choose a role."
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if not errors:
        try:
            with savepoint(session):
                user = find_user(session, values["email"])
                if user is None:
                    user = create_user(
                        session,
                        email=values["email"],
                        display_name=values["name"] or None,
                        password=password,
                    )
                add_member(session, access.org, user, values["role"], actor_of(access))
        except MemberExists:
            errors["email"] = "This person is a member already; change their role below."
        except InvalidInput as exc:
            errors["email" if "mail" in exc.message else "_form"] = exc.message
    if errors:
        return _page(request, session, access, values, errors, status_code=422)
    return redirect(f"/console/{access.org.slug}/members?done=member-added")


def _member(session: Session, access: OrgAccess, user_id: str) -> object:
    try:
        return get_member(session, access.org, user_id[:100])
    except MemberNotFound:
        raise WebError(404, "Not found", "There is no such member.", code="not_found") from None


@router.post(
    "/console/{slug}/members/{user_id}/role",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def set_role(
    request: Request, session: DbSession, access: Admin, user_id: str, form: Form
) -> Response:
    _member(session, access, user_id)
    role = _get(form, "role", 20)
    if role not in _ROLES:
        return _page(request, session, access, errors={"_form": "Choose a role."}, status_code=422)
    try:
        with savepoint(session):
            change_role(session, access.org, user_id, role, actor_of(access))
    except LastAdmin as exc:
        return _page(request, session, access, errors={"_form": exc.message}, status_code=409)
    return redirect(f"/console/{access.org.slug}/members?done=member-changed")


@router.get("/console/{slug}/members/{user_id}/remove", response_class=HTMLResponse)
def remove_confirm(
    request: Request, session: DbSession, access: Admin, user_id: str
) -> HTMLResponse:
    membership = _member(session, access, user_id)
    return console_page(
        request,
        access,
        "console/member_remove.html",
        "members",
        {"title": "Remove this member?", "membership": membership, "errors": {}},
    )


@router.post(
    "/console/{slug}/members/{user_id}/remove",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def remove(request: Request, session: DbSession, access: Admin, user_id: str) -> Response:
    membership = _member(session, access, user_id)
    try:
        with savepoint(session):
            remove_member(session, access.org, user_id, actor_of(access))
    except LastAdmin as exc:
        return console_page(
            request,
            access,
            "console/member_remove.html",
            "members",
            {
                "title": "Remove this member?",
                "membership": membership,
                "errors": {"_form": exc.message},
            },
            status_code=409,
        )
    return redirect(f"/console/{access.org.slug}/members?done=member-removed")
