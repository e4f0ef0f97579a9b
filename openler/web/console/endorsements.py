"""``/console/{slug}/endorsements``: endorsements given and received; give one about
another organization's published achievement or its profile (issuers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.endorsements import (
    EndorsementNotFound,
    EndorsementRequest,
    endorse,
    list_endorsements,
)
from openler.store.models import AchievementDefinition, Organization, PublicationStatus
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    Issuer,
    KeyStoreDep,
    Viewer,
    actor_of,
    clock,
    console_page,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.console.achievements import Form
from openler.web.templating import web_router

__all__ = ["router"]

router = web_router()


def _targets(session: Session, org: Organization) -> list[tuple[str, str]]:
    """What may be endorsed: other organizations' profiles and published achievements, as
    (value, label): ``profile:<slug>`` or ``achievement:<slug>/<logical id>``."""
    out: list[tuple[str, str]] = []
    others = list(
        session.scalars(
            sa.select(Organization).where(Organization.id != org.id).order_by(Organization.name)
        )
    )
    published = session.execute(
        sa.select(
            AchievementDefinition.logical_id, AchievementDefinition.achievement, Organization.slug
        )
        .join(Organization, Organization.id == AchievementDefinition.organization_id)
        .where(
            AchievementDefinition.organization_id != org.id,
            AchievementDefinition.status == PublicationStatus.PUBLISHED,
        )
        .order_by(
            Organization.slug, AchievementDefinition.logical_id, AchievementDefinition.version
        )
    )
    names: dict[tuple[str, str], str] = {}
    for logical_id, doc, slug in published:
        names[(slug, logical_id)] = str(doc.get("name", logical_id))
    for other in others:
        out.append((f"profile:{other.slug}", f"{other.name} (the organization)"))
        for (slug, logical_id), name in sorted(names.items()):
            if slug == other.slug:
                out.append((f"achievement:{slug}/{logical_id}", f"{other.name}: {name}"))
    return out


def _page(
    request: Request,
    session: Session,
    access: OrgAccess,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    org = access.org
    return console_page(
        request,
        access,
        "console/endorsements.html",
        "endorsements",
        {
            "title": "Endorsements",
            "given": list_endorsements(session, org, role="given"),
            "received": list_endorsements(session, org, role="received"),
            "targets": _targets(session, org),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/endorsements", response_class=HTMLResponse)
def endorsements(request: Request, session: DbSession, access: Viewer) -> HTMLResponse:
    return _page(request, session, access)


@router.post(
    "/console/{slug}/endorsements", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def give(
    request: Request, session: DbSession, access: Issuer, keystore: KeyStoreDep, form: Form
) -> Response:
    """Sign an EndorsementCredential about the chosen achievement or organization."""

    def get(name: str, limit: int) -> str:
        value = form.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    values = {"target": get("target", 300), "comment": get("comment", 10_000)}
    errors: dict[str, str] = {}
    kind, _, ref = values["target"].partition(":")
    request_args: dict[str, Any] = {}
    if kind == "profile" and ref:
        request_args["profile"] = ref
    elif kind == "achievement" and "/" in ref:
        slug, logical_id = ref.split("/", 1)
        request_args.update(org=slug, logical_id=logical_id)
    else:
        errors["target"] = "Choose what to endorse."
    if not values["comment"]:
        errors["comment"] = "Say what you endorse and why."
    if not errors:
        try:
            with savepoint(session):
                endorse(
                    session,
                    settings_of(request),
                    keystore,
                    access.org,
                    EndorsementRequest(comment=values["comment"], **request_args),
                    actor=actor_of(access),
                    now=clock(request),
                )
        except EndorsementNotFound:
            errors["target"] = "Choose one of the organizations or published achievements listed."
        except InvalidInput as exc:
            errors["target"] = exc.message
    if errors:
        return _page(request, session, access, values, errors, status_code=422)
    return redirect(f"/console/{access.org.slug}/endorsements?done=endorsed")
