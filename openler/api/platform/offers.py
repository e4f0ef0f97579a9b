"""``/api/v1/credentials/{id}/offers``: offer an issued credential to an external wallet
(a VC-API exchange for the Learner Credential Wallet and an OpenID4VCI credential offer,
one offer, delivered once), list a credential's offers, cancel one.

The offer's secrets (the exchange URL, the credential offer URI, the PIN) are in the
creation answer only; listing shows states, never secrets. QR codes (SVG) are at the
``qr`` URLs of the answer."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, get_settings, require_scope
from openler.api.platform._common import current_org, iso, now
from openler.api.platform.credentials import find_credential
from openler.api.problems import NotFound
from openler.config import Settings
from openler.services.delivery.offers import (
    DEFAULT_OFFER_TTL,
    MAX_OFFER_TTL,
    MIN_OFFER_TTL,
    Offer,
    cancel_offer,
    create_offer,
    list_offers,
    offer_state,
)
from openler.store.models.exchanges import CredentialOffer

__all__ = ["offer_view", "router"]

router = APIRouter(prefix="/credentials", tags=["wallet delivery"])

Issuer = Annotated[Principal, Depends(require_scope("credentials:issue"))]
Reader = Annotated[Principal, Depends(require_scope("credentials:read"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_NO_STORE: Final = {"Cache-Control": "no-store"}


class OfferBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"expiresIn": 900, "txCode": True}]}
    )

    expiresIn: int = Field(
        default=int(DEFAULT_OFFER_TTL.total_seconds()),
        ge=int(MIN_OFFER_TTL.total_seconds()),
        le=int(MAX_OFFER_TTL.total_seconds()),
        description="Seconds the offer stays open (default 15 minutes, at most 7 days).",
    )
    txCode: bool = Field(
        default=False,
        description="Also require a 6-digit PIN (OpenID4VCI tx_code), returned once here; "
        "give it to the learner by another channel than the QR code.",
    )


def offer_view(offer: Offer) -> dict[str, Any]:
    """The creation answer: every link of the offer, and its QR codes."""
    links = offer.links
    qr = offer.qr_urls()
    return {
        "id": str(offer.id),
        "credentialId": offer.credential_id,
        "state": "pending",
        "expiresAt": iso(offer.expires_at),
        "vcApi": {
            "exchangeUrl": links.exchange_url,
            "interactionUrl": links.interaction_url,
            "lcwDeepLink": links.lcw_deep_link,
            "dccRequestLink": links.dcc_request_link,
            "qr": {"lcw": qr["lcw"], "interaction": qr["interaction"]},
        },
        "oid4vci": {
            "credentialIssuer": links.credential_issuer,
            "credentialOfferUri": links.credential_offer_uri,
            "credentialOffer": links.credential_offer_link,
            "txCodeRequired": offer.tx_code is not None,
            "txCode": offer.tx_code,
            "qr": qr["oid4vci"],
        },
    }


def _summary(offer: CredentialOffer, at: Any) -> dict[str, Any]:
    return {
        "id": str(offer.id),
        "state": offer_state(offer, at),
        "createdAt": iso(offer.created_at),
        "expiresAt": iso(offer.expires_at),
        "txCodeRequired": offer.tx_code_hash is not None,
        "failedAttempts": offer.failed_attempts,
        "deliveredAt": iso(offer.delivered_at),
        "deliveredVia": offer.delivered_via,
        "holder": offer.holder_did,
        "cancelledAt": iso(offer.cancelled_at),
    }


@router.post(
    "/{credential_id}/offers",
    status_code=201,
    summary="Offer a credential to an external wallet (VC-API exchange + OpenID4VCI)",
    responses={
        201: {"description": "The offer: its links, QR code URLs and PIN (shown once)."},
        404: {"description": "No such credential in this organization."},
        409: {"description": "The credential is revoked or suspended (credential_not_active)."},
    },
)
def post_offer(
    request: Request,
    session: DbSession,
    principal: Issuer,
    settings: SettingsDep,
    credential_id: str,
    body: Annotated[OfferBody | None, Body()] = None,
) -> JSONResponse:
    """One offer, picked up once by whichever wallet comes first: the Learner Credential
    Wallet (``vcApi.lcwDeepLink`` or its QR code) or any OpenID4VCI wallet
    (``oid4vci.credentialOffer`` or its QR code). The wallet receives the credential
    re-issued to its own DID."""
    body = body or OfferBody()
    org = current_org(session, principal)
    issued = find_credential(session, org, credential_id)
    offer = create_offer(
        session,
        issued,
        now=now(request),
        base_url=settings.base_url,
        ttl=timedelta(seconds=body.expiresIn),
        tx_code=body.txCode,
        actor=principal.actor,
    )
    return JSONResponse(
        offer_view(offer),
        status_code=201,
        headers={**_NO_STORE, "Location": f"/api/v1/credentials/{credential_id}/offers"},
    )


@router.get("/{credential_id}/offers", summary="A credential's offers (no secrets)")
def get_offers(
    request: Request, session: DbSession, principal: Reader, credential_id: str
) -> dict[str, Any]:
    """Newest first, each with its state (``pending``, ``complete``, ``expired``,
    ``cancelled``, ``locked``, ``invalid``) and, once delivered, the holder's DID."""
    issued = find_credential(session, current_org(session, principal), credential_id)
    at = now(request)
    return {"items": [_summary(o, at) for o in list_offers(session, issued)]}


@router.post("/{credential_id}/offers/{offer_id}/cancel", summary="Cancel an offer")
def post_cancel(
    request: Request,
    session: DbSession,
    principal: Issuer,
    credential_id: str,
    offer_id: uuid.UUID,
) -> dict[str, Any]:
    """Withdraw an offer that has not delivered (a delivered one is a 409 ``offer_used``)."""
    issued = find_credential(session, current_org(session, principal), credential_id)
    offer = session.get(CredentialOffer, offer_id)
    if offer is None or offer.credential_id != issued.id:
        raise NotFound("No such offer for this credential.")
    at = now(request)
    return _summary(cancel_offer(session, offer, now=at, actor=principal.actor), at)
