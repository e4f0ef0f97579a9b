"""The 1EdTech Open Badges 3.0 service API (``/ims/ob/v3p0``) for learners' apps:

- ``GET /discovery``: the Service Description Document (OpenAPI 3, with the OAuth 2.0
  authorization-code flow and ``x-imssf-registrationUrl``); public.
- ``GET /credentials``: the learner's credentials (``credential.readonly``): those issued
  here to the learner's e-mail address, then those the learner's apps stored here; paged
  with ``limit``/``offset``, ``X-Total-Count`` and ``Link`` headers.
- ``POST /credentials``: store a credential for the learner (``credential.upsert``), once
  it verifies; 201 when new, 200 when it replaced one with the same ``id``.
- ``GET /profile`` / ``PUT /profile``: the learner's Profile (``profile.readonly`` /
  ``profile.update``; only ``name`` can be changed).

Callers present a user access token (``Authorization: Bearer``) obtained through
``/oauth/authorize`` and ``/oauth/token``. Errors here are ``imsx_StatusInfo`` JSON, as
the specification asks, not problem+json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.oauth import TOKEN_PATH
from openler.api.oauth_user import AUTHORIZE_PATH, REGISTER_PATH
from openler.services.auth import InvalidToken
from openler.services.issuing import recipient_lookup
from openler.services.oauth_apps import OB_SCOPES, UserGrant, verify_user_token
from openler.store.models import IssuedCredential, UserCredential

__all__ = ["PREFIX", "ImsxError", "install_imsx_handler", "router"]

PREFIX: Final = "/ims/ob/v3p0"
_OB: Final = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
SCOPE_CREDENTIAL_READ: Final = _OB + "credential.readonly"
SCOPE_CREDENTIAL_UPSERT: Final = _OB + "credential.upsert"
SCOPE_PROFILE_READ: Final = _OB + "profile.readonly"
SCOPE_PROFILE_UPDATE: Final = _OB + "profile.update"
_MAX_LIMIT: Final = 100
_MINOR_BY_STATUS: Final = {
    400: "invaliddata",
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    405: "forbidden",
    500: "internal_server_error",
}

router = APIRouter(prefix=PREFIX, tags=["Open Badges 3.0 service API"])


class ImsxError(Exception):
    """An error answered as ``imsx_StatusInfo`` JSON."""

    def __init__(
        self, status: int, description: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def imsx_status(status: int, description: str) -> dict[str, Any]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": _MINOR_BY_STATUS.get(status, "invaliddata"),
                }
            ]
        },
    }


async def _imsx_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImsxError)
    return JSONResponse(
        imsx_status(exc.status, exc.description), status_code=exc.status, headers=exc.headers
    )


def install_imsx_handler(app: FastAPI) -> None:
    app.add_exception_handler(ImsxError, _imsx_error)


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _learner(request: Request, session: DbSession) -> UserGrant:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    challenge = 'Bearer realm="openler"'
    if scheme.lower() != "bearer" or not token.strip():
        raise ImsxError(
            401, "A bearer access token is required.", headers={"WWW-Authenticate": challenge}
        )
    try:
        return verify_user_token(
            session,
            get_settings(request),
            get_keystore(request),
            token.strip(),
            now=_now(request),
        )
    except InvalidToken:
        raise ImsxError(
            401,
            "The access token is invalid or has expired.",
            headers={"WWW-Authenticate": challenge + ', error="invalid_token"'},
        ) from None


Learner = Annotated[UserGrant, Depends(_learner)]


def _need(grant: UserGrant, scope: str) -> None:
    if scope not in grant.scopes:
        raise ImsxError(
            403,
            f"This needs the scope {scope}.",
            headers={
                "WWW-Authenticate": f'Bearer realm="openler", error="insufficient_scope", '
                f'scope="{scope}"'
            },
        )


def _paging(request: Request) -> tuple[int, int]:
    def number(name: str, default: int, low: int) -> int:
        text = request.query_params.get(name)
        if text is None:
            return default
        if not text.isdigit() or int(text) < low:
            raise ImsxError(400, f"{name} must be an integer of at least {low}.")
        return int(text)

    return min(number("limit", _MAX_LIMIT, 1), _MAX_LIMIT), number("offset", 0, 0)


def _link_header(request: Request, limit: int, offset: int, total: int) -> str:
    base = str(request.url.replace(query=""))
    pages = {"first": 0, "last": max(0, (total - 1) // limit * limit)}
    if offset + limit < total:
        pages["next"] = offset + limit
    if offset > 0:
        pages["prev"] = max(0, offset - limit)
    return ", ".join(
        f'<{base}?{urlencode({"limit": limit, "offset": at})}>; rel="{rel}"'
        for rel, at in pages.items()
    )


# -- discovery ------------------------------------------------------------------------


@router.get("/discovery", summary="Service description document (discovery)")
def discovery(request: Request) -> JSONResponse:
    """An OpenAPI 3 document describing this service, its OAuth 2.0 endpoints and
    scopes, and where apps register (``x-imssf-registrationUrl``)."""
    base = get_settings(request).base_url
    secured: dict[str, list[str]] = {"OAuth2ACG": []}

    def op(op_id: str, scope: str, summary: str) -> dict[str, Any]:
        return {
            "operationId": op_id,
            "summary": summary,
            "tags": ["OpenBadgeCredentials"],
            "security": [{"OAuth2ACG": [scope]}],
            "responses": {"200": {"description": "OK"}, "default": {"description": "Error"}},
        }

    document = {
        "openapi": "3.0.1",
        "info": {
            "title": "openler Open Badges 3.0 API",
            "version": "3.0",
            "termsOfService": f"{base}/",
            "x-imssf-image": f"{base}/favicon.ico",
            "x-imssf-privacyPolicyUrl": f"{base}/",
        },
        "servers": [{"url": base + PREFIX}],
        "tags": [{"name": "OpenBadgeCredentials"}, {"name": "Discovery"}],
        "paths": {
            "/credentials": {
                "get": op("getCredentials", SCOPE_CREDENTIAL_READ, "Get the credentials"),
                "post": op("upsertCredential", SCOPE_CREDENTIAL_UPSERT, "Store a credential"),
            },
            "/profile": {
                "get": op("getProfile", SCOPE_PROFILE_READ, "Get the profile"),
                "put": op("putProfile", SCOPE_PROFILE_UPDATE, "Replace the profile"),
            },
            "/discovery": {
                "get": {
                    "operationId": "getServiceDescription",
                    "tags": ["Discovery"],
                    "security": [],
                    "responses": {"200": {"description": "This document"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 authorization code grant with PKCE (S256)",
                    "x-imssf-registrationUrl": base + REGISTER_PATH,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": base + AUTHORIZE_PATH,
                            "tokenUrl": base + TOKEN_PATH,
                            "scopes": dict(OB_SCOPES),
                        }
                    },
                }
            },
            "schemas": {},
        },
        "security": [secured],
    }
    return JSONResponse(document)


# -- credentials ----------------------------------------------------------------------


@router.get("/credentials", summary="getCredentials")
def get_credentials(request: Request, session: DbSession, learner: Learner) -> JSONResponse:
    """The learner's credentials: ``{"credential": [...], "compactJwsString": [...]}``."""
    _need(learner, SCOPE_CREDENTIAL_READ)
    limit, offset = _paging(request)
    lookup = recipient_lookup(learner.user.email)
    issued_where = IssuedCredential.recipient_lookup == lookup
    stored_where = UserCredential.user_id == learner.user.id
    issued_total = (
        session.scalar(sa.select(sa.func.count()).select_from(IssuedCredential).where(issued_where))
        or 0
    )
    stored_total = (
        session.scalar(sa.select(sa.func.count()).select_from(UserCredential).where(stored_where))
        or 0
    )
    rows: list[bytes] = []
    if offset < issued_total:
        rows += session.scalars(
            sa.select(IssuedCredential.credential_bytes)
            .where(issued_where)
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)
            .limit(limit)
            .offset(offset)
        ).all()
    if len(rows) < limit:
        rows += session.scalars(
            sa.select(UserCredential.credential_bytes)
            .where(stored_where)
            .order_by(UserCredential.created_at, UserCredential.id)
            .limit(limit - len(rows))
            .offset(max(0, offset - issued_total))
        ).all()
    credentials: list[Any] = []
    compact: list[str] = []
    for data in rows:
        document = json.loads(data)
        (compact if isinstance(document, str) else credentials).append(document)
    total = issued_total + stored_total
    headers = {"X-Total-Count": str(total), "Link": _link_header(request, limit, offset, total)}
    return JSONResponse({"credential": credentials, "compactJwsString": compact}, headers=headers)


@router.post("/credentials", summary="upsertCredential")
async def upsert_credential(request: Request, learner: Learner, session: DbSession) -> Response:
    """Store a credential (an OpenBadgeCredential as JSON) for the learner, once it
    verifies: 201 when it is new, 200 when it replaces the one with the same ``id``."""
    _need(learner, SCOPE_CREDENTIAL_UPSERT)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "application/ld+json", "application/vc+ld+json"):
        raise ImsxError(400, "Send the credential as application/json.")
    body = await request.body()
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ImsxError(400, "The body is not valid JSON.") from None
    credential_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(credential_id, str) or not credential_id or len(credential_id) > 500:
        raise ImsxError(400, "The credential needs an id (a URI of at most 500 characters).")
    result = request.app.state.verifier.verify(document, now=_now(request))
    if not result.verified:
        reasons = "; ".join(f"{c.name}: {c.message}" for c in result.errors)[:500]
        raise ImsxError(400, f"The credential does not verify ({reasons}).")
    row = session.scalar(
        sa.select(UserCredential).where(
            UserCredential.user_id == learner.user.id,
            UserCredential.credential_id == credential_id,
        )
    )
    created = row is None
    if row is None:
        row = UserCredential(user_id=learner.user.id, credential_id=credential_id)
        session.add(row)
    row.set_signed_document(body)
    session.flush()
    return Response(body, status_code=201 if created else 200, media_type="application/json")


# -- profile --------------------------------------------------------------------------


def _profile(grant: UserGrant) -> dict[str, Any]:
    user = grant.user
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{user.id}",
        "type": ["Profile"],
        "name": user.display_name,
        "email": user.email,
    }


@router.get("/profile", summary="getProfile")
def get_profile(learner: Learner) -> JSONResponse:
    """The learner's Profile (name and e-mail address)."""
    _need(learner, SCOPE_PROFILE_READ)
    return JSONResponse(_profile(learner))


@router.put("/profile", summary="putProfile")
async def put_profile(request: Request, learner: Learner, session: DbSession) -> JSONResponse:
    """Replace the learner's Profile; only ``name`` can change (the e-mail address is
    how the learner signs in and is matched to credentials)."""
    _need(learner, SCOPE_PROFILE_UPDATE)
    try:
        document = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise ImsxError(400, "The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise ImsxError(400, "The body must be a Profile object.")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ImsxError(400, "name is required (at most 200 characters).")
    email = document.get("email")
    if email is not None and (
        not isinstance(email, str) or email.strip().lower() != learner.user.email
    ):
        raise ImsxError(400, "The e-mail address cannot be changed through this API.")
    learner.user.display_name = name.strip()
    session.flush()
    return JSONResponse(_profile(learner))
