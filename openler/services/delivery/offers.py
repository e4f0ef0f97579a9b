"""Offers of one issued credential to an external wallet: create, find by secret, check,
cancel, list.

An offer is a capability: whoever holds its URL (or QR code) can have the credential
delivered to a wallet, once. It carries two ways in, sharing one state:

- a VC-API exchange, ``<base>/exchanges/<secret>`` (the Learner Credential Wallet);
- an OpenID4VCI credential offer, ``openid-credential-offer://?credential_offer_uri=
  <base>/orgs/<slug>/oid4vci/offers/<secret>``, with a pre-authorized code.

Secrets are 256-bit random values stored only as SHA-256 digests, so the database alone
does not yield a usable offer. The plain values exist once, in the :class:`Offer` that
:func:`create_offer` returns.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.errors import InvalidInput, OpenlerError
from openler.core.keys.did_key import is_did_key
from openler.services.audit import Actor, record
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import ActorType, AuditAction, CredentialStatus, RecipientKind
from openler.store.models.exchanges import CredentialOffer

__all__ = [
    "DEFAULT_OFFER_TTL",
    "MAX_FAILED_ATTEMPTS",
    "MAX_OFFER_TTL",
    "MIN_OFFER_TTL",
    "WALLET",
    "CredentialNotActive",
    "Offer",
    "OfferCancelled",
    "OfferExpired",
    "OfferLinks",
    "OfferLocked",
    "OfferNotFound",
    "OfferUnavailable",
    "OfferUsed",
    "cancel_offer",
    "check_usable",
    "create_offer",
    "credential_issuer_url",
    "credential_offer_uri",
    "digest",
    "exchange_url",
    "find_offer",
    "interaction_url",
    "lcw_deep_links",
    "list_offers",
    "offer_links",
    "offer_state",
    "openid_credential_offer_link",
    "pre_authorized_code",
    "record_refusal",
    "tx_code_matches",
]

#: How long an offer lives unless the issuer says otherwise.
DEFAULT_OFFER_TTL: Final = timedelta(minutes=15)
MIN_OFFER_TTL: Final = timedelta(minutes=1)
MAX_OFFER_TTL: Final = timedelta(days=7)
#: Refused wallet attempts (wrong PIN, bad presentation or proof) before the offer locks.
MAX_FAILED_ATTEMPTS: Final = 5
#: The transaction code (PIN) length, when an offer asks for one.
TX_CODE_LENGTH: Final = 6


# -- errors -------------------------------------------------------------------------------


class OfferNotFound(OpenlerError):
    """No offer has this secret (or it belongs to another organization's issuer URL)."""

    code = "not_found"


class OfferUnavailable(OpenlerError):
    """The offer exists but cannot deliver any more (409)."""

    code = "conflict"


class OfferExpired(OfferUnavailable):
    code = "offer_expired"


class OfferUsed(OfferUnavailable):
    code = "offer_used"


class OfferCancelled(OfferUnavailable):
    code = "offer_cancelled"


class OfferLocked(OfferUnavailable):
    code = "offer_locked"


class CredentialNotActive(OfferUnavailable):
    """The credential is revoked or suspended: it is not offered, or no longer delivered."""

    code = "credential_not_active"


#: Who acts when a wallet does something: the system, on the wallet's behalf.
WALLET: Final = Actor(ActorType.SYSTEM, "wallet")


# -- URLs ---------------------------------------------------------------------------------


def digest(value: str) -> str:
    """The SHA-256 (hex) under which a secret is stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def exchange_url(base_url: str, secret: str) -> str:
    """The VC-API exchange endpoint (``POST {}`` starts it)."""
    return f"{base_url}/exchanges/{secret}"


def interaction_url(base_url: str, secret: str) -> str:
    """The VC-API interaction URL: a GET (``Accept: application/json``) lists the protocols
    a wallet may use for this offer."""
    return f"{exchange_url(base_url, secret)}/protocols?iuv=1"


def credential_issuer_url(base_url: str, slug: str) -> str:
    """The OpenID4VCI Credential Issuer identifier of an organization."""
    return f"{base_url}/orgs/{slug}/oid4vci"


def credential_offer_uri(base_url: str, slug: str, secret: str) -> str:
    """Where a wallet fetches the OpenID4VCI credential offer (``credential_offer_uri``)."""
    return f"{credential_issuer_url(base_url, slug)}/offers/{secret}"


def openid_credential_offer_link(offer_uri: str) -> str:
    """The ``openid-credential-offer://`` link (QR code content) naming the offer by URI."""
    return "openid-credential-offer://?credential_offer_uri=" + quote(offer_uri, safe="")


def lcw_deep_links(base_url: str, exchange: str) -> tuple[str, str]:
    """The Learner Credential Wallet's deep links for a VC-API exchange: the universal link
    (``https://lcw.app/request?request=…``) and the custom-scheme one (``dccrequest://``).
    Both carry ``{"credentialRequestOrigin", "protocols": {"vcapi"}}`` as URL-encoded JSON."""
    parts = urlsplit(base_url)
    request = json.dumps(
        {
            "credentialRequestOrigin": f"{parts.scheme}://{parts.netloc}",
            "protocols": {"vcapi": exchange},
        },
        separators=(",", ":"),
    )
    encoded = quote(request, safe="")
    return f"https://lcw.app/request?request={encoded}", f"dccrequest://request?request={encoded}"


@dataclass(frozen=True, slots=True)
class OfferLinks:
    """Every address of one offer (they all embed its secret)."""

    exchange_url: str
    interaction_url: str
    lcw_deep_link: str
    dcc_request_link: str
    credential_issuer: str
    credential_offer_uri: str
    credential_offer_link: str

    def qr_url(self, target: str) -> str:
        """The SVG QR code of ``target`` (``lcw``, ``interaction`` or ``oid4vci``)."""
        return f"{self.exchange_url}/qr/{target}.svg"

    def qr_content(self, target: str) -> str:
        contents = {
            "lcw": self.lcw_deep_link,
            "interaction": self.interaction_url,
            "oid4vci": self.credential_offer_link,
        }
        if target not in contents:
            raise OfferNotFound(f"No QR code {target!r}; one of {', '.join(contents)}.")
        return contents[target]

    def protocols(self) -> dict[str, str]:
        """The VC-API interaction ``protocols`` object."""
        return {"vcapi": self.exchange_url, "OID4VCI": self.credential_offer_link}


def offer_links(base_url: str, slug: str, secret: str) -> OfferLinks:
    exchange = exchange_url(base_url, secret)
    lcw, dcc = lcw_deep_links(base_url, exchange)
    offer_uri = credential_offer_uri(base_url, slug, secret)
    return OfferLinks(
        exchange_url=exchange,
        interaction_url=interaction_url(base_url, secret),
        lcw_deep_link=lcw,
        dcc_request_link=dcc,
        credential_issuer=credential_issuer_url(base_url, slug),
        credential_offer_uri=offer_uri,
        credential_offer_link=openid_credential_offer_link(offer_uri),
    )


# -- the offer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Offer:
    """A new offer, with its secrets in plain text (shown once, never stored).

    ``links`` holds every URL (exchange, LCW deep links, OpenID4VCI offer); ``tx_code``
    is the PIN the wallet user must type, when the offer asks for one."""

    id: uuid.UUID
    credential_id: str
    expires_at: datetime
    links: OfferLinks
    tx_code: str | None

    def qr_urls(self) -> dict[str, str]:
        return {t: self.links.qr_url(t) for t in ("lcw", "interaction", "oid4vci")}


def pre_authorized_code(secret: str) -> str:
    """The offer's OpenID4VCI pre-authorized code, derived from its secret: whoever holds
    the secret can read the credential offer, which carries the code anyway, so deriving
    it costs nothing and lets the offer be served again from the secret alone."""
    raw = hashlib.sha256(b"openler/oid4vci/pre-authorized_code\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def tx_code_matches(offer: CredentialOffer, code: str) -> bool:
    """Whether ``code`` is the offer's transaction code (constant time)."""
    if offer.tx_code_hash is None:
        return True
    return hmac.compare_digest(offer.tx_code_hash, _tx_code_digest(offer.id, code))


def _tx_code_digest(offer_id: uuid.UUID, code: str) -> str:
    return digest(f"{offer_id}:{code}")


def _deliverable_recipient(credential: IssuedCredential) -> None:
    """A credential issued to a DID can only go to that DID, so it must be one a wallet can
    prove control of (did:key)."""
    if credential.recipient_kind is RecipientKind.DID and not is_did_key(
        credential.recipient_identifier
    ):
        raise InvalidInput(
            "This credential is issued to a DID a wallet cannot authenticate as here "
            "(only did:key holders are supported); it cannot be offered.",
            details={"recipient": credential.recipient_identifier[:200]},
        )


def create_offer(
    session: Session,
    credential: IssuedCredential,
    *,
    now: datetime,
    base_url: str,
    ttl: timedelta = DEFAULT_OFFER_TTL,
    tx_code: bool = False,
    actor: Actor | None = None,
) -> Offer:
    """Offer ``credential`` to one external wallet, for ``ttl`` (1 minute to 7 days).

    Refused (:class:`CredentialNotActive`) for a revoked or suspended credential. With
    ``tx_code`` the OpenID4VCI flow also asks for a 6-digit PIN, returned in the offer, to
    be given to the learner by another channel than the QR code. Written in the caller's
    transaction, with an ``offer.create`` audit event."""
    if not MIN_OFFER_TTL <= ttl <= MAX_OFFER_TTL:
        raise InvalidInput("An offer lives between 1 minute and 7 days.")
    if credential.status is not CredentialStatus.ACTIVE:
        raise CredentialNotActive(
            f"The credential is {credential.status.value}; only active credentials are offered.",
            details={"status": credential.status.value},
        )
    _deliverable_recipient(credential)
    secret = secrets.token_urlsafe(32)
    offer = CredentialOffer(
        organization_id=credential.organization_id,
        credential_id=credential.id,
        secret_hash=digest(secret),
        pre_authorized_code_hash=digest(pre_authorized_code(secret)),
        challenge=str(uuid.uuid4()),
        expires_at=now + ttl,
        failed_attempts=0,
        created_at=now,
    )
    pin = None
    if tx_code:
        pin = f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"
        offer.tx_code_hash = _tx_code_digest(offer.id, pin)
    session.add(offer)
    session.flush()
    org = credential.organization
    record(
        session,
        org,
        actor,
        AuditAction.OFFER_CREATE,
        credential.credential_id,
        {
            "offer": str(offer.id),
            "expiresAt": offer.expires_at.isoformat(),
            "txCode": tx_code,
        },
    )
    return Offer(
        id=offer.id,
        credential_id=credential.credential_id,
        expires_at=offer.expires_at,
        links=offer_links(base_url, org.slug, secret),
        tx_code=pin,
    )


def find_offer(
    session: Session, secret: str, *, for_update: bool = False, slug: str | None = None
) -> CredentialOffer:
    """The offer whose secret is ``secret`` (and, with ``slug``, of that organization);
    :class:`OfferNotFound` otherwise. ``for_update`` locks the row (PostgreSQL) so two
    wallets cannot both complete it."""
    if not secret or len(secret) > 200:
        raise OfferNotFound("No such offer.")
    query = sa.select(CredentialOffer).where(CredentialOffer.secret_hash == digest(secret))
    if for_update:
        query = query.with_for_update()
    offer = session.scalar(query)
    if offer is None or (slug is not None and offer.organization.slug != slug):
        raise OfferNotFound("No such offer.")
    return offer


def offer_state(offer: CredentialOffer, now: datetime, *, ignore_expiry: bool = False) -> str:
    """``pending`` (open), ``complete`` (delivered), ``expired``, ``cancelled``,
    ``locked`` (too many failed attempts) or ``invalid`` (the credential is no longer
    active)."""
    if offer.delivered_at is not None:
        return "complete"
    if offer.cancelled_at is not None:
        return "cancelled"
    if offer.failed_attempts >= MAX_FAILED_ATTEMPTS:
        return "locked"
    if now >= offer.expires_at and not ignore_expiry:
        return "expired"
    if offer.credential.status is not CredentialStatus.ACTIVE:
        return "invalid"
    return "pending"


_REFUSALS: Final[dict[str, type[OfferUnavailable]]] = {
    "complete": OfferUsed,
    "cancelled": OfferCancelled,
    "locked": OfferLocked,
    "expired": OfferExpired,
    "invalid": CredentialNotActive,
}
_MESSAGES: Final[dict[str, str]] = {
    "complete": "This offer was already used: its credential was delivered.",
    "cancelled": "This offer was cancelled by the issuer.",
    "locked": "This offer is locked after too many failed attempts.",
    "expired": "This offer has expired; ask the issuer for a new one.",
    "invalid": "The credential is no longer active (revoked or suspended).",
}


def check_usable(offer: CredentialOffer, now: datetime, *, ignore_expiry: bool = False) -> None:
    """Raise the :class:`OfferUnavailable` that says why ``offer`` cannot deliver
    (``ignore_expiry``: once a wallet holds an access token, the token's lifetime rules)."""
    state = offer_state(offer, now, ignore_expiry=ignore_expiry)
    if state != "pending":
        raise _REFUSALS[state](_MESSAGES[state], details={"state": state})


def record_refusal(
    session: Session,
    offer: CredentialOffer,
    reason: str,
    *,
    via: str,
    count: bool = True,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit a refused wallet attempt (``offer.refuse``); with ``count`` it also counts
    towards :data:`MAX_FAILED_ATTEMPTS`. The caller must commit even though it answers an
    error, or neither survives."""
    if count:
        offer.failed_attempts += 1
    record(
        session,
        offer.organization,
        WALLET,
        AuditAction.OFFER_REFUSE,
        offer.credential.credential_id,
        {"offer": str(offer.id), "via": via, "reason": reason, **(details or {})},
    )


def cancel_offer(
    session: Session, offer: CredentialOffer, *, now: datetime, actor: Actor | None = None
) -> CredentialOffer:
    """Withdraw an offer that has not delivered yet (a delivered one is a conflict)."""
    if offer.delivered_at is not None:
        raise OfferUsed("This offer already delivered its credential.")
    if offer.cancelled_at is None:
        offer.cancelled_at = now
        record(
            session,
            offer.organization,
            actor,
            AuditAction.OFFER_CANCEL,
            offer.credential.credential_id,
            {"offer": str(offer.id)},
        )
    return offer


def list_offers(session: Session, credential: IssuedCredential) -> Sequence[CredentialOffer]:
    """The credential's offers, newest first."""
    return session.scalars(
        sa.select(CredentialOffer)
        .where(CredentialOffer.credential_id == credential.id)
        .order_by(CredentialOffer.created_at.desc(), CredentialOffer.id.desc())
    ).all()
