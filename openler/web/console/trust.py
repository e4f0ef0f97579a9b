"""``/console/{slug}/trust``: the deployment's issuer trust registry (list, add, withdraw
trust). Only admins of an operator organization (``OPENLER_OPERATOR_ORGS``; in
development and test, when it is unset, any organization's admins) may see and change it:
for everyone else the page is 403."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.trust import (
    TrustEntryExists,
    TrustEntryNotFound,
    TrustEntryRequest,
    add_entry,
    deactivate_entry,
    list_entries,
)
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    Admin,
    actor_of,
    console_page,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.console.achievements import Form
from openler.web.templating import WebError, web_router

__all__ = ["router"]

router = web_router()


def _curator(request: Request, access: OrgAccess) -> OrgAccess:
    if not settings_of(request).may_curate_trust(access.org.slug):
        raise WebError(
            403,
            "Not allowed",
            "Only the admins of the organization that operates this platform curate the "
            "trust registry.",
            code="forbidden",
        )
    return access


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
        "console/trust.html",
        "trust",
        {
            "title": "Trust registry",
            "entries": list_entries(session),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/trust", response_class=HTMLResponse)
def registry(request: Request, session: DbSession, access: Admin) -> HTMLResponse:
    return _page(request, session, _curator(request, access))


@router.post("/console/{slug}/trust", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add(request: Request, session: DbSession, access: Admin, form: Form) -> Response:
    _curator(request, access)

    def get(name: str, limit: int) -> str:
        value = form.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    values = {
        "issuer_id": get("issuer_id", 500),
        "name": get("name", 200),
        "accreditation": get("accreditation", 5000),
        "notes": get("notes", 5000),
    }
    errors: dict[str, str] = {}
    if not values["issuer_id"]:
        errors["issuer_id"] = "Enter the issuer's DID or web address, as credentials name it."
    if not values["name"]:
        errors["name"] = "Enter the issuer's name."
    if not errors:
        try:
            with savepoint(session):
                add_entry(
                    session,
                    access.org,
                    TrustEntryRequest(
                        issuer_id=values["issuer_id"],
                        name=values["name"],
                        accreditation=values["accreditation"] or None,
                        notes=values["notes"] or None,
                    ),
                    actor=actor_of(access),
                )
        except TrustEntryExists:
            errors["issuer_id"] = "This issuer is in the registry already."
        except InvalidInput as exc:
            errors["issuer_id" if "issuer" in exc.message.lower() else "name"] = exc.message
    if errors:
        return _page(request, session, access, values, errors, status_code=422)
    return redirect(f"/console/{access.org.slug}/trust?done=trust-added")


@router.post(
    "/console/{slug}/trust/{entry_id}/remove",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def remove(request: Request, session: DbSession, access: Admin, entry_id: str) -> Response:
    """Withdraw trust (the entry is kept, inactive, for the record)."""
    _curator(request, access)
    try:
        with savepoint(session):
            deactivate_entry(session, access.org, entry_id[:100], actor=actor_of(access))
    except TrustEntryNotFound:
        raise WebError(
            404, "Not found", "There is no such registry entry.", code="not_found"
        ) from None
    return redirect(f"/console/{access.org.slug}/trust?done=trust-removed")
