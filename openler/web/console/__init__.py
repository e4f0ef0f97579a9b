"""The issuer console: ``/console`` (pick one of your organizations), then
``/console/{slug}/…``: dashboard, achievements, issuing, issued credentials, keys and the
DID document, endorsements, the trust registry, the audit log and members.

Roles (see :mod:`openler.web.auth`): a *viewer* sees everything of the organization; an
*issuer* also defines and publishes achievements, issues, revokes and suspends
credentials and gives endorsements; an *admin* also rotates keys, manages members and
(in an operator organization, ``OPENLER_OPERATOR_ORGS``) the trust registry. Pages of an
organization the user is not a member of are 404, too low a role is 403.

Every form works without JavaScript (htmx only enhances: the skills search, the result
fields of the chosen achievement), carries the CSRF token, labels every control and shows
errors next to the field and in a summary at the top. A failed submission changes
nothing: each change runs in a SAVEPOINT that is rolled back when the service refuses it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from openler.api.deps import DbSession
from openler.store.models import (
    AchievementDefinition,
    AuditEvent,
    CredentialStatus,
    IssuedCredential,
    PublicationStatus,
)
from openler.web.auth import SignedInUser
from openler.web.console import (
    achievements,
    audit,
    bulk,
    credentials,
    endorsements,
    keys,
    members,
    trust,
)
from openler.web.console._common import Viewer, console_page, redirect
from openler.web.templating import render, web_router

__all__ = ["router"]

router = web_router()


@router.get("/console", response_class=HTMLResponse)
def picker(request: Request, user: SignedInUser) -> Response:
    """The organizations the user belongs to (straight to the only one)."""
    memberships = request.state.memberships
    if len(memberships) == 1:
        return redirect(f"/console/{memberships[0].slug}")
    return render(
        request, "console/picker.html", {"title": "Issuer console", "memberships": memberships}
    )


def _count(session: Any, query: Any) -> int:
    return int(session.scalar(query) or 0)


@router.get("/console/{slug}", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, access: Viewer) -> HTMLResponse:
    """Counts at a glance and the latest activity."""
    org = access.org
    by_status = dict(
        session.execute(
            sa.select(IssuedCredential.status, sa.func.count())
            .where(IssuedCredential.organization_id == org.id)
            .group_by(IssuedCredential.status)
        ).all()
    )
    latest = achievements.latest_versions(session, org)
    recent = list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.organization_id == org.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(8)
        )
    )
    counts = {
        "issued": sum(by_status.values()),
        "active": by_status.get(CredentialStatus.ACTIVE, 0),
        "revoked": by_status.get(CredentialStatus.REVOKED, 0),
        "suspended": by_status.get(CredentialStatus.SUSPENDED, 0),
        "published": sum(1 for a in latest if a.status is PublicationStatus.PUBLISHED),
        "drafts": sum(1 for a in latest if a.status is PublicationStatus.DRAFT),
        "versions": _count(
            session,
            sa.select(sa.func.count())
            .select_from(AchievementDefinition)
            .where(AchievementDefinition.organization_id == org.id),
        ),
    }
    return console_page(
        request,
        access,
        "console/dashboard.html",
        "dashboard",
        {
            "title": org.name,
            "counts": counts,
            "recent": audit.describe(session, recent),
        },
    )


for _module in (achievements, credentials, keys, endorsements, trust, audit, members, bulk):
    router.include_router(_module.router)
