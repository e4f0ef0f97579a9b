"""VC-API exchanges for external wallets (the Learner Credential Wallet): public, the
exchange id in the path is the capability (see :mod:`openler.services.delivery`).

- ``POST /exchanges/{id}``: ``{}`` starts the exchange (a DIDAuthentication
  ``verifiablePresentationRequest``); ``{"verifiablePresentation": VP}`` completes it
  (``{"verifiablePresentation": {"verifiableCredential": [credential]}}``).
- ``GET /exchanges/{id}``: the exchange's state, for a page waiting on the wallet.
- ``GET /exchanges/{id}/protocols``: the interaction URL (``?iuv=1``): ``{"protocols":
  {"vcapi": …, "OID4VCI": …}}``.
- ``GET /exchanges/{id}/qr/{lcw|interaction|oid4vci}.svg``: QR codes of the offer's links.

Refusals are problem+json (401 ``did_auth_failed``, 403 ``holder_mismatch``, 404, 409
``offer_used`` / ``offer_expired`` / …) and are committed with their audit event. Every
answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.platform._common import now
from openler.api.problems import problem_response, status_for
from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.model.common import VC_V2_CONTEXT
from openler.services.delivery.exchange import (
    ExchangeRefused,
    HolderMismatch,
    exchange_status,
    participate,
)
from openler.services.delivery.offers import (
    OfferNotFound,
    OfferUnavailable,
    find_offer,
    offer_links,
)
from openler.services.delivery.qr import SVG_MEDIA_TYPE, qr_svg
from openler.services.keystore import KeyStore

__all__ = ["PUBLIC_PREFIXES", "router"]

#: Paths of this router (public: rate-limited per client).
PUBLIC_PREFIXES: Final = ("/exchanges/",)

NO_STORE: Final = {"Cache-Control": "no-store"}

router = APIRouter(prefix="/exchanges", tags=["wallet delivery"])

SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]

_REFUSALS: Final = (OfferNotFound, OfferUnavailable, ExchangeRefused, HolderMismatch)


def refusal(exc: OpenlerError) -> Response:
    """The problem+json answer to a refused wallet request, *returned* (not raised) so that
    the request's transaction commits the refusal's audit event and failure count."""
    return problem_response(
        status_for(exc), exc.code, exc.message, details=exc.details or None, headers=NO_STORE
    )


def _presentation_response(credential: bytes) -> Response:
    # The signed credential goes out byte for byte as stored.
    head = (
        '{"verifiablePresentation":{"@context":["' + VC_V2_CONTEXT + '"],'
        '"type":["VerifiablePresentation"],"verifiableCredential":['
    )
    body = head.encode() + credential + b"]}}"
    return Response(body, media_type="application/json", headers=NO_STORE)


@router.post(
    "/{exchange_id}",
    summary="Participate in an exchange (DIDAuthentication, then the credential)",
    responses={
        200: {"description": "A presentation request, or the credential in a presentation."},
        401: {"description": "The presentation does not authenticate (did_auth_failed)."},
        403: {"description": "The credential is bound to another DID (holder_mismatch)."},
        404: {"description": "No such exchange."},
        409: {
            "description": "offer_used, offer_expired, offer_cancelled, offer_locked, "
            "credential_not_active."
        },
    },
)
def post_exchange(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    exchange_id: str,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Response:
    """``{}`` answers ``{"verifiablePresentationRequest": {"query": [{"type":
    "DIDAuthentication"}], "challenge", "domain", "interact"}}``. ``{"verifiablePresentation":
    VP}`` — the VP signed by the wallet's did:key for ``authentication`` with that
    challenge and domain — answers the credential, bound to that DID, once."""
    try:
        step = participate(session, settings, keystore, exchange_id, body or {}, now=now(request))
    except _REFUSALS as exc:
        return refusal(exc)
    if step.credential is not None:
        return _presentation_response(step.credential.credential_bytes)
    return JSONResponse({"verifiablePresentationRequest": step.request}, headers=NO_STORE)


@router.get("/{exchange_id}", summary="The state of an exchange")
def get_exchange(request: Request, session: DbSession, exchange_id: str) -> Response:
    """``{"state": "pending" | "complete" | "expired" | "cancelled" | "locked" |
    "invalid", "expires": …}``."""
    try:
        state = exchange_status(session, exchange_id, now=now(request))
    except OfferNotFound as exc:
        return refusal(exc)
    return JSONResponse(state, headers=NO_STORE)


@router.get("/{exchange_id}/protocols", summary="The protocols a wallet may use (interaction URL)")
def get_protocols(session: DbSession, settings: SettingsDep, exchange_id: str) -> Response:
    """``{"protocols": {"vcapi": <exchange URL>, "OID4VCI": <openid-credential-offer link>}}``
    (the VC-API interaction URL, ``?iuv=1``)."""
    try:
        offer = find_offer(session, exchange_id)
    except OfferNotFound as exc:
        return refusal(exc)
    links = offer_links(settings.base_url, offer.organization.slug, exchange_id)
    return JSONResponse({"protocols": links.protocols()}, headers=NO_STORE)


@router.get(
    "/{exchange_id}/qr/{target}.svg",
    summary="A QR code of one of the offer's links",
    response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {}}}},
)
def get_qr(
    session: DbSession,
    settings: SettingsDep,
    exchange_id: str,
    target: Literal["lcw", "interaction", "oid4vci"],
) -> Response:
    """``lcw``: the Learner Credential Wallet deep link; ``interaction``: the VC-API
    interaction URL; ``oid4vci``: the ``openid-credential-offer://`` link."""
    try:
        offer = find_offer(session, exchange_id)
    except OfferNotFound as exc:
        return refusal(exc)
    links = offer_links(settings.base_url, offer.organization.slug, exchange_id)
    titles = {
        "lcw": "Add to the Learner Credential Wallet",
        "interaction": "Add to a wallet (VC-API)",
        "oid4vci": "Add to a wallet (OpenID4VCI)",
    }
    svg = qr_svg(links.qr_content(target), title=titles[target])
    return Response(svg, media_type=SVG_MEDIA_TYPE, headers=NO_STORE)
