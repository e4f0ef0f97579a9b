"""``/console/{slug}/keys``: the signing keys and the DID document; rotation (admins,
after a confirmation page)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from openler.api.deps import DbSession
from openler.services.organizations import did_document, org_did, rotate_key
from openler.store.models import SigningKey
from openler.web.auth import CsrfChecked
from openler.web.console._common import (
    Admin,
    KeyStoreDep,
    Viewer,
    actor_of,
    console_page,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.templating import web_router

__all__ = ["router"]

router = web_router()


@router.get("/console/{slug}/keys", response_class=HTMLResponse)
def keys(request: Request, session: DbSession, access: Viewer) -> HTMLResponse:
    """Every key (active, retired, revoked) and the DID document verifiers resolve."""
    settings = settings_of(request)
    org = access.org
    rows = list(
        session.scalars(
            sa.select(SigningKey)
            .where(SigningKey.organization_id == org.id)
            .order_by(SigningKey.created_at, SigningKey.key_id)
        )
    )
    document = did_document(session, settings, org)
    return console_page(
        request,
        access,
        "console/keys.html",
        "keys",
        {
            "title": "Signing keys",
            "keys": rows,
            "did": org_did(settings, org.slug),
            "did_url": f"{settings.base_url}/orgs/{org.slug}/did.json",
            "did_json": json.dumps(document, indent=2),
        },
    )


@router.get("/console/{slug}/keys/rotate", response_class=HTMLResponse)
def rotate_confirm(request: Request, access: Admin) -> HTMLResponse:
    return console_page(
        request, access, "console/rotate.html", "keys", {"title": "Rotate the signing key?"}
    )


@router.post("/console/{slug}/keys/rotate", dependencies=[CsrfChecked])
def rotate(request: Request, session: DbSession, access: Admin, keystore: KeyStoreDep) -> Response:
    """Retire the active key (it stays in the DID document) and make a new one active."""
    with savepoint(session):
        rotate_key(session, settings_of(request), keystore, access.org, actor=actor_of(access))
    return redirect(f"/console/{access.org.slug}/keys?done=rotated")
