"""The VC-API exchange a wallet (the Learner Credential Wallet) plays to pick up an offer.

1. ``POST /exchanges/{id}`` with ``{}``: the answer is a ``verifiablePresentationRequest``
   with a ``DIDAuthentication`` query, the offer's challenge, the deployment's domain and
   an ``interact`` section naming this same URL.
2. ``POST /exchanges/{id}`` with ``{"verifiablePresentation": VP}``: the VP, signed by the
   holder's did:key for ``authentication`` with that challenge and domain, is verified
   (offline: only did:key resolves, so nothing is fetched); the credential is then bound
   to that DID (re-issued, see :mod:`~openler.services.delivery.binding`) and returned in
   ``{"verifiablePresentation": {"verifiableCredential": [credential]}}``.

The offer delivers once; a replay, a wrong challenge, an expired or cancelled offer or a
revoked credential are refused, each with an ``offer.refuse`` audit event. Refusals that
fail authentication count towards the offer's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.keys.did_key import is_did_key
from openler.core.results import VerificationResult
from openler.core.signing import default_cache
from openler.core.verification import Verifier, verify_presentation_with
from openler.services.audit import record
from openler.services.delivery.binding import LEGACY_WALLET_SUITE, reissue_to_holder
from openler.services.delivery.offers import (
    WALLET,
    OfferUnavailable,
    check_usable,
    exchange_url,
    find_offer,
    offer_state,
    record_refusal,
)
from openler.services.keystore import KeyStore
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import AuditAction, RecipientKind
from openler.store.models.exchanges import CredentialOffer

__all__ = [
    "ACCEPTED_DID_AUTH_SUITES",
    "DidAuthFailed",
    "ExchangeRefused",
    "HolderMismatch",
    "deliver_to_holder",
    "did_auth_domain",
    "exchange_status",
    "participate",
    "presentation_request",
]

#: Proof suites a wallet may sign its DIDAuthentication presentation with.
ACCEPTED_DID_AUTH_SUITES: Final = ("eddsa-rdfc-2022", "Ed25519Signature2020")
_VIA: Final = "vcapi"


class ExchangeRefused(OpenlerError):
    """A wallet's answer is refused (401: it did not authenticate)."""

    code = "unauthorized"


class DidAuthFailed(ExchangeRefused):
    code = "did_auth_failed"


class _Forbidden(OpenlerError):
    code = "forbidden"


class HolderMismatch(_Forbidden):
    """The credential names a holder DID, and the wallet proved another one (403)."""

    code = "holder_mismatch"


def did_auth_domain(base_url: str) -> str:
    """The ``domain`` a DIDAuthentication proof must name: this deployment's origin."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def presentation_request(offer: CredentialOffer, secret: str, base_url: str) -> dict[str, Any]:
    """The ``verifiablePresentationRequest`` that asks the wallet to authenticate."""
    endpoint = exchange_url(base_url, secret)
    return {
        "query": [
            {
                "type": "DIDAuthentication",
                "acceptedMethods": [{"method": "key"}],
                "acceptedCryptosuites": [{"cryptosuite": s} for s in ACCEPTED_DID_AUTH_SUITES],
            }
        ],
        "challenge": offer.challenge,
        "domain": did_auth_domain(base_url),
        "interact": {
            "service": [
                {"type": "VerifiableCredentialApiExchangeService", "serviceEndpoint": endpoint},
                {"type": "UnmediatedPresentationService2021", "serviceEndpoint": endpoint},
            ]
        },
    }


def exchange_status(session: Session, secret: str, *, now: datetime) -> dict[str, Any]:
    """What a page polling the exchange shows: its state and expiry."""
    offer = find_offer(session, secret)
    return {
        "state": offer_state(offer, now),
        "expires": offer.expires_at.isoformat().replace("+00:00", "Z"),
    }


@dataclass(frozen=True, slots=True)
class ExchangeStep:
    """What the exchange answers: a presentation request, or the delivered credential."""

    request: dict[str, Any] | None = None
    credential: IssuedCredential | None = None


@cache
def _did_key_verifier() -> Verifier:
    # No resolver: only did:key resolves (offline), so verifying a wallet's proof never
    # fetches anything on the network.
    return Verifier(cache=default_cache())


def participate(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    secret: str,
    body: Mapping[str, Any],
    *,
    now: datetime,
) -> ExchangeStep:
    """One step of the exchange (see the module docstring). Raises
    :class:`~openler.services.delivery.offers.OfferNotFound`,
    :class:`~openler.services.delivery.offers.OfferUnavailable`, :class:`DidAuthFailed`
    or :class:`HolderMismatch` *before* writing anything but the refusal's audit event
    (and failure count): the caller commits them and answers the error."""
    offer = find_offer(session, secret, for_update=True)
    presentation = body.get("verifiablePresentation")
    if presentation is None and "VerifiablePresentation" in _types(body):
        presentation = body  # a bare presentation, as some wallets post it
    try:
        check_usable(offer, now)
    except OfferUnavailable as exc:
        if presentation is not None:
            record_refusal(session, offer, exc.code, via=_VIA, count=False)
        raise
    if presentation is None:
        if body:
            _refuse(session, offer, 'Post {} to start, then {"verifiablePresentation": …}.')
        return ExchangeStep(request=presentation_request(offer, secret, settings.base_url))
    if not isinstance(presentation, Mapping):
        _refuse(session, offer, "verifiablePresentation must be a JSON object.")
    if presentation.get("verifiableCredential"):
        _refuse(session, offer, "A DIDAuthentication presentation carries no credentials.")
    result = verify_presentation_with(
        _did_key_verifier(),
        presentation,
        challenge=offer.challenge,
        domain=did_auth_domain(settings.base_url),
        now=now,
    )
    holder = _authenticated_holder(result)
    if not result.verified or holder is None:
        errors = [{"code": c.code, "message": c.message} for c in result.errors]
        if not errors:
            errors = [{"code": "holder_unknown", "message": "The holder must be a did:key."}]
        _refuse(session, offer, "The DIDAuthentication presentation does not verify.", errors)
    assert holder is not None
    wallet_suites = {
        str(p.get("type")) for p in _proofs(presentation) if isinstance(p.get("type"), str)
    }
    legacy = LEGACY_WALLET_SUITE in wallet_suites
    delivered = deliver_to_holder(
        session,
        settings,
        keystore,
        offer,
        holder,
        via=_VIA,
        now=now,
        extra_suites=(LEGACY_WALLET_SUITE,) if legacy else (),
    )
    return ExchangeStep(credential=delivered)


def deliver_to_holder(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    offer: CredentialOffer,
    holder: str,
    *,
    via: str,
    now: datetime,
    extra_suites: tuple[str, ...] = (),
) -> IssuedCredential:
    """Complete ``offer`` for the authenticated ``holder``: a credential issued to a DID
    goes as issued, and only to that DID; any other is re-issued bound to ``holder``."""
    original = offer.credential
    if original.recipient_kind is RecipientKind.DID:
        if holder != original.recipient_identifier:
            record_refusal(session, offer, "holder_mismatch", via=via, details={"holder": holder})
            raise HolderMismatch(
                "This credential is issued to another DID than the one the wallet proved.",
                details={"holder": holder},
            )
        delivered = original
    else:
        delivered = reissue_to_holder(
            session,
            settings,
            keystore,
            original,
            holder,
            now=now,
            via=via,
            actor=WALLET,
            offer=offer,
            extra_suites=extra_suites,
        )
    offer.delivered_at = now
    offer.delivered_via = via
    offer.holder_did = holder
    record(
        session,
        offer.organization,
        WALLET,
        AuditAction.OFFER_DELIVER,
        original.credential_id,
        {
            "offer": str(offer.id),
            "via": via,
            "holder": holder,
            "credential": delivered.credential_id,
        },
    )
    session.flush()
    return delivered


def _refuse(
    session: Session,
    offer: CredentialOffer,
    message: str,
    errors: list[dict[str, str]] | None = None,
) -> None:
    record_refusal(
        session,
        offer,
        "did_auth_failed",
        via=_VIA,
        details={"errors": [e["code"] for e in errors]} if errors else None,
    )
    raise DidAuthFailed(message, details={"errors": errors} if errors else None)


def _authenticated_holder(result: VerificationResult) -> str | None:
    """The one did:key whose key made the presentation's valid proof(s)."""
    controllers = {
        str(c.details["verificationMethod"]).partition("#")[0]
        for c in result.checks
        if c.name == "proof" and c.code == "proof_valid" and "verificationMethod" in c.details
    }
    if len(controllers) != 1:
        return None
    holder = controllers.pop()
    return holder if is_did_key(holder) else None


def _types(doc: Mapping[str, Any]) -> list[str]:
    value = doc.get("type")
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _proofs(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    proofs = doc.get("proof")
    items = proofs if isinstance(proofs, list) else [proofs]
    return [p for p in items if isinstance(p, Mapping)]
