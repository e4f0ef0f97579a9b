"""OpenID4VCI (pre-authorized code flow) for generic wallets: each organization is a
Credential Issuer at ``/orgs/{slug}/oid4vci`` (see :mod:`openler.services.delivery.oid4vci`).

Metadata is served at both places wallets look: appended to the issuer identifier
(draft 13: ``/orgs/{slug}/oid4vci/.well-known/openid-credential-issuer``) and inserted
after the host (1.0, RFC 8414: ``/.well-known/openid-credential-issuer/orgs/{slug}/oid4vci``),
and likewise ``oauth-authorization-server``.

Errors of the token, nonce and credential endpoints are OAuth 2.0 JSON
(``{"error", "error_description"}``), as wallets expect; ``invalid_token`` is a 401 with
``WWW-Authenticate: Bearer``; proof errors carry a fresh ``c_nonce``. Refusals are
committed with their audit event. Every answer carries ``Cache-Control: no-store`` except
the metadata.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from openler.api.auth import bearer_token
from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.exchanges import refusal
from openler.api.oauth import read_form
from openler.api.platform._common import now
from openler.api.problems import NotFound
from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.limits import parse_json
from openler.services.delivery.offers import OfferNotFound, OfferUnavailable
from openler.services.delivery.oid4vci import (
    NONCE_TTL,
    PRE_AUTHORIZED_GRANT,
    Oid4vciError,
    authorization_server_metadata,
    credential_offer,
    issue_for_token,
    issuer_metadata,
    new_nonce,
    redeem_pre_authorized_code,
)
from openler.services.keystore import KeyStore
from openler.store.models.organizations import Organization

__all__ = ["PUBLIC_PREFIXES", "router"]

#: Paths of this router outside ``/orgs/`` (public: rate-limited per client).
PUBLIC_PREFIXES: Final = (
    "/.well-known/openid-credential-issuer/",
    "/.well-known/oauth-authorization-server/orgs/",
)

_FORM: Final = "application/x-www-form-urlencoded"
_MAX_JSON_BYTES: Final = 64 * 1024
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_METADATA_CACHE: Final = {"Cache-Control": "public, max-age=300"}

router = APIRouter(tags=["OpenID4VCI"])

SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]


def _org(session: DbSession, slug: str) -> Organization:
    org = session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"No credential issuer {slug!r}.")
    return org


def _error(exc: Oid4vciError, keystore: KeyStore, request: Request) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.error, "error_description": exc.message}
    if exc.c_nonce or exc.error == "invalid_proof":
        body["c_nonce"] = new_nonce(keystore, now=now(request))
        body["c_nonce_expires_in"] = int(NONCE_TTL.total_seconds())
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return JSONResponse(body, status_code=exc.status, headers=headers)


# -- metadata -------------------------------------------------------------------------------


def _issuer_metadata(session: DbSession, settings: SettingsDep, slug: str) -> JSONResponse:
    return JSONResponse(issuer_metadata(settings, _org(session, slug)), headers=_METADATA_CACHE)


def _as_metadata(session: DbSession, settings: SettingsDep, slug: str) -> JSONResponse:
    document = authorization_server_metadata(settings, _org(session, slug))
    return JSONResponse(document, headers=_METADATA_CACHE)


for _path in (
    "/orgs/{slug}/oid4vci/.well-known/openid-credential-issuer",
    "/.well-known/openid-credential-issuer/orgs/{slug}/oid4vci",
):
    router.add_api_route(
        _path,
        _issuer_metadata,
        methods=["GET"],
        summary="Credential Issuer Metadata (OpenID4VCI)",
        response_class=JSONResponse,
    )
for _path in (
    "/orgs/{slug}/oid4vci/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/orgs/{slug}/oid4vci",
    "/orgs/{slug}/oid4vci/.well-known/openid-configuration",
):
    router.add_api_route(
        _path,
        _as_metadata,
        methods=["GET"],
        summary="Authorization Server Metadata (RFC 8414) of the credential issuer",
        response_class=JSONResponse,
    )


@router.get("/orgs/{slug}/oid4vci/offers/{offer_id}", summary="A credential offer (by URI)")
def get_credential_offer(
    request: Request, session: DbSession, settings: SettingsDep, slug: str, offer_id: str
) -> Response:
    """The credential offer a ``credential_offer_uri`` names: the issuer, the
    ``OpenBadgeCredential`` configuration and the pre-authorized code grant (with a
    ``tx_code`` description when a PIN is needed). 404 / 409 problems once it is not open."""
    try:
        offer = credential_offer(session, settings, slug, offer_id, now=now(request))
    except (OfferNotFound, OfferUnavailable) as exc:
        return refusal(exc)
    return JSONResponse(offer, headers=_NO_STORE)


# -- token ----------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str] | Oid4vciError:
    form = await read_form(request)
    return Oid4vciError("invalid_request", form) if isinstance(form, str) else form


@router.post(
    "/orgs/{slug}/oid4vci/token",
    summary="Token endpoint (pre-authorized code grant)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "pre-authorized_code"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": [PRE_AUTHORIZED_GRANT]},
                            "pre-authorized_code": {"type": "string"},
                            "tx_code": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
def token(
    request: Request,
    form: Annotated[dict[str, str] | Oid4vciError, Depends(_form)],
    session: DbSession,
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    slug: str,
) -> JSONResponse:
    """Redeem the offer's pre-authorized code (once; with ``tx_code`` when the offer has a
    PIN) for a bearer access token (10 minutes) and a ``c_nonce``."""
    try:
        if isinstance(form, Oid4vciError):
            raise form
        grant = redeem_pre_authorized_code(session, keystore, slug, form, now=now(request))
    except Oid4vciError as exc:
        return _error(exc, keystore, request)
    return JSONResponse(grant.response(), headers=dict(_NO_STORE))


@router.post("/orgs/{slug}/oid4vci/nonce", summary="Nonce endpoint (OpenID4VCI 1.0)")
def nonce(request: Request, session: DbSession, keystore: KeyStoreDep, slug: str) -> Response:
    """A fresh ``c_nonce`` for the proof of possession."""
    _org(session, slug)
    return JSONResponse({"c_nonce": new_nonce(keystore, now=now(request))}, headers=_NO_STORE)


# -- credential -----------------------------------------------------------------------------


async def _json(request: Request) -> Any:
    body = await request.body()
    if len(body) > _MAX_JSON_BYTES:
        return Oid4vciError("invalid_credential_request", "The request body is too large.")
    try:
        return parse_json(body)
    except OpenlerError:
        return Oid4vciError("invalid_credential_request", "The request body is not JSON.")


@router.post("/orgs/{slug}/oid4vci/credential", summary="Credential endpoint")
def credential(
    request: Request,
    body: Annotated[Any, Depends(_json)],
    session: DbSession,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    slug: str,
) -> Response:
    """With the access token, ``{"credential_configuration_id": "OpenBadgeCredential",
    "proofs": {"jwt": [proof]}}`` (1.0) answers ``{"credentials": [{"credential": …}]}``;
    ``{"format": "ldp_vc", "credential_definition": …, "proof": {"proof_type": "jwt",
    "jwt": proof}}`` (draft 13) answers ``{"credential": …, "c_nonce": …}``. The
    credential is bound to the DID of the proof's key."""
    try:
        try:
            access_token = bearer_token(request)
        except OpenlerError:
            raise Oid4vciError(
                "invalid_token", "The bearer token is malformed.", status=401
            ) from None
        # The token is checked before the body: an unauthenticated caller learns nothing.
        grant = issue_for_token(
            session,
            settings,
            keystore,
            slug,
            access_token,
            None if isinstance(body, Oid4vciError) else body,
            now=now(request),
        )
    except Oid4vciError as exc:
        return _error(exc, keystore, request)
    signed = grant.credential.credential_bytes
    if grant.shape == "1.0":
        payload = b'{"credentials":[{"credential":' + signed + b"}]}"
    else:
        fresh = {
            "c_nonce": new_nonce(keystore, now=now(request)),
            "c_nonce_expires_in": int(NONCE_TTL.total_seconds()),
        }
        tail = json.dumps(fresh, separators=(",", ":"))[1:]
        payload = b'{"credential":' + signed + b"," + tail.encode()
    return Response(payload, media_type="application/json", headers=dict(_NO_STORE))
