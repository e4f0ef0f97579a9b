"""OpenID for Verifiable Credential Issuance: the pre-authorized code flow, as wallets
implement it (draft 13 and 1.0).

Each organization is its own Credential Issuer, ``<base>/orgs/<slug>/oid4vci``, and its
own authorization server (no separate AS: the token endpoint sits beside the credential
endpoint). A wallet:

1. reads the credential offer at ``credential_offer_uri`` (one configuration,
   ``OpenBadgeCredential``, format ``ldp_vc``; a pre-authorized code; a ``tx_code`` PIN
   when the issuer asked for one);
2. redeems the code at the token endpoint
   (``grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code``) for a bearer
   access token and a ``c_nonce`` (draft 13); 1.0 wallets may ask the nonce endpoint;
3. asks the credential endpoint, proving possession of its key with a JWT
   (``typ: openid4vci-proof+jwt``, ``aud`` = the issuer, ``nonce`` = a ``c_nonce``,
   fresh ``iat``, ``kid`` = a did:key or did:jwk URL, or a ``jwk`` header) and receives
   the credential bound to that DID.

Errors are OAuth 2.0 / OpenID4VCI error codes (:class:`Oid4vciError`). ``c_nonce``
values are stateless: an HMAC over their expiry under a key derived from the deployment
secret, valid for :data:`NONCE_TTL`; an offer delivers once, so a nonce cannot obtain a
second credential from it.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any, Final, Literal

import sqlalchemy as sa
from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.keys.did_key import is_did_key
from openler.core.keys.keypair import PublicKey
from openler.core.keys.resolve import resolve_verification_method
from openler.core.limits import parse_json
from openler.core.model.builders import OB_CONTEXT
from openler.core.model.common import VC_V2_CONTEXT
from openler.services.delivery.exchange import HolderMismatch, deliver_to_holder
from openler.services.delivery.offers import (
    OfferUnavailable,
    OfferUsed,
    check_usable,
    credential_issuer_url,
    digest,
    find_offer,
    pre_authorized_code,
    record_refusal,
    tx_code_matches,
)
from openler.services.keystore import KeyStore
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import CredentialStatus
from openler.store.models.exchanges import CredentialOffer
from openler.store.models.organizations import Organization

__all__ = [
    "ACCESS_TOKEN_TTL",
    "CONFIGURATION_ID",
    "NONCE_TTL",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYP",
    "CredentialGrant",
    "Oid4vciError",
    "TokenGrant",
    "authorization_server_metadata",
    "check_nonce",
    "credential_offer",
    "issue_for_token",
    "issuer_metadata",
    "new_nonce",
    "redeem_pre_authorized_code",
    "verify_proof_jwt",
]

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#: The one credential configuration: an Open Badges 3.0 credential as JSON-LD.
CONFIGURATION_ID: Final = "OpenBadgeCredential"
PROOF_TYP: Final = "openid4vci-proof+jwt"
ACCESS_TOKEN_TTL: Final = timedelta(minutes=10)
NONCE_TTL: Final = timedelta(minutes=5)
#: How far a proof's ``iat`` may be ahead of the clock, and how old it may be.
PROOF_CLOCK_SKEW: Final = timedelta(seconds=60)
PROOF_MAX_AGE: Final = NONCE_TTL
_PROOF_ALGS: Final = {"EdDSA": "Ed25519", "ES256": "P-256"}
_CREDENTIAL_TYPES: Final = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_NONCE_PURPOSE: Final = "openid4vci/c_nonce/v1"
_MAX_PROOF_CHARS: Final = 16 * 1024
_VIA: Final = "oid4vci"


class Oid4vciError(OpenlerError):
    """An OAuth 2.0 / OpenID4VCI error: ``error`` (e.g. ``invalid_grant``), HTTP
    ``status``, and for proof errors a fresh ``c_nonce`` to retry with."""

    code = "oid4vci_error"

    def __init__(
        self, error: str, description: str, *, status: int = 400, c_nonce: bool = False
    ) -> None:
        super().__init__(description)
        self.error = error
        self.status = status
        self.c_nonce = c_nonce


# -- metadata -------------------------------------------------------------------------------


def _issuer(settings: Settings, org: Organization) -> str:
    return credential_issuer_url(settings.base_url, org.slug)


def issuer_metadata(settings: Settings, org: Organization) -> dict[str, Any]:
    """The Credential Issuer Metadata (``/.well-known/openid-credential-issuer``)."""
    issuer = _issuer(settings, org)
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        # Not part of 1.0 (the AS metadata carries it); read by draft-era wallets.
        "token_endpoint": f"{issuer}/token",
        "display": [{"name": org.name, "locale": "en"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": "ldp_vc",
                "scope": CONFIGURATION_ID,
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "credential_signing_alg_values_supported": [
                    "eddsa-rdfc-2022",
                    "Ed25519Signature2020",
                ],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": sorted(_PROOF_ALGS)}
                },
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT, OB_CONTEXT],
                    "type": ["VerifiableCredential", CONFIGURATION_ID],
                },
                "display": [
                    {
                        "name": "Open Badge",
                        "locale": "en",
                        "description": f"An Open Badges 3.0 credential issued by {org.name}.",
                    }
                ],
            }
        },
    }


def authorization_server_metadata(settings: Settings, org: Organization) -> dict[str, Any]:
    """RFC 8414 metadata of the issuer's own authorization server (pre-authorized code
    only: there is no authorization endpoint)."""
    issuer = _issuer(settings, org)
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def credential_offer(
    session: Session, settings: Settings, slug: str, secret: str, *, now: datetime
) -> dict[str, Any]:
    """The credential offer at ``credential_offer_uri`` (while the offer is open)."""
    offer = find_offer(session, secret, slug=slug)
    check_usable(offer, now)
    if offer.token_issued_at is not None:
        raise OfferUsed("The pre-authorized code of this offer was already redeemed.")
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code(secret)}
    if offer.tx_code_hash is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": 6,
            "description": "The PIN the issuer gave you with this offer.",
        }
    return {
        "credential_issuer": credential_issuer_url(settings.base_url, slug),
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


# -- nonces ---------------------------------------------------------------------------------


def new_nonce(keystore: KeyStore, *, now: datetime) -> str:
    """A fresh ``c_nonce``, valid for :data:`NONCE_TTL`."""
    expires = int((now + NONCE_TTL).timestamp())
    body = expires.to_bytes(8, "big") + secrets.token_bytes(16)
    mac = hmac.new(keystore.derived_key(_NONCE_PURPOSE), body, sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode("ascii")


def check_nonce(keystore: KeyStore, nonce: object, *, now: datetime) -> bool:
    """Whether ``nonce`` is one :func:`new_nonce` made and it has not expired."""
    if not isinstance(nonce, str) or len(nonce) != 54:
        return False
    try:
        raw = base64.urlsafe_b64decode(nonce + "==")
    except ValueError:
        return False
    body, mac = raw[:24], raw[24:]
    expected = hmac.new(keystore.derived_key(_NONCE_PURPOSE), body, sha256).digest()[:16]
    if len(raw) != 40 or not hmac.compare_digest(mac, expected):
        return False
    return int.from_bytes(body[:8], "big") > now.timestamp()


# -- token endpoint ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str
    expires_in: int
    c_nonce: str
    c_nonce_expires_in: int

    def response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "c_nonce": self.c_nonce,
            "c_nonce_expires_in": self.c_nonce_expires_in,
            "authorization_details": [
                {
                    "type": "openid_credential",
                    "credential_configuration_id": CONFIGURATION_ID,
                    "credential_identifiers": [CONFIGURATION_ID],
                }
            ],
        }


def redeem_pre_authorized_code(
    session: Session,
    keystore: KeyStore,
    slug: str,
    form: Mapping[str, str],
    *,
    now: datetime,
) -> TokenGrant:
    """The token endpoint: a pre-authorized code (once; with its PIN when the offer has
    one) for an access token. Refusals are audited (and a wrong PIN counts towards the
    offer's lock) before :class:`Oid4vciError` is raised: the caller commits them."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise Oid4vciError("invalid_request", "The grant_type parameter is missing.")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise Oid4vciError(
            "unsupported_grant_type", f"Only the {PRE_AUTHORIZED_GRANT} grant is supported."
        )
    code = form.get("pre-authorized_code")
    if not code:
        raise Oid4vciError("invalid_request", "The pre-authorized_code parameter is missing.")
    offer = session.scalar(
        sa.select(CredentialOffer)
        .where(CredentialOffer.pre_authorized_code_hash == digest(code))
        .with_for_update()
    )
    if offer is None or offer.organization.slug != slug:
        raise Oid4vciError("invalid_grant", "The pre-authorized code is not valid.")
    try:
        check_usable(offer, now)
    except OfferUnavailable as exc:
        record_refusal(session, offer, exc.code, via=_VIA, count=False)
        raise Oid4vciError("invalid_grant", exc.message) from None
    if offer.token_issued_at is not None:
        record_refusal(session, offer, "code_reused", via=_VIA, count=False)
        raise Oid4vciError("invalid_grant", "The pre-authorized code was already redeemed.")
    if offer.tx_code_hash is not None:
        pin = form.get("tx_code") or form.get("user_pin")  # user_pin: drafts before 13
        if not pin:
            raise Oid4vciError("invalid_request", "This offer needs its tx_code (PIN).")
        if not tx_code_matches(offer, pin):
            record_refusal(session, offer, "tx_code_mismatch", via=_VIA)
            raise Oid4vciError("invalid_grant", "The tx_code (PIN) is wrong.")
    token = secrets.token_urlsafe(32)
    offer.access_token_hash = digest(token)
    offer.access_token_expires_at = now + ACCESS_TOKEN_TTL
    offer.token_issued_at = now
    session.flush()
    return TokenGrant(
        access_token=token,
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
        c_nonce=new_nonce(keystore, now=now),
        c_nonce_expires_in=int(NONCE_TTL.total_seconds()),
    )


# -- proof of possession ------------------------------------------------------------------


class _Registry(JWSRegistry):
    """joserfc, limited to the algorithm asked for (and without its warning that calls
    EdDSA deprecated in favour of RFC 9864's Ed25519: wallets send EdDSA)."""

    max_header_length = 4 * 1024
    max_payload_length = 8 * 1024

    def __init__(self, *, algorithms: list[str]) -> None:
        super().__init__(algorithms=algorithms, strict_check_header=False)

    def get_alg(self, name: str) -> JWSAlgModel:
        if not self.allowed or name not in self.allowed or name not in self.algorithms:
            raise UnsupportedAlgorithmError(f"Algorithm {name!r} is not allowed")
        return self.algorithms[name]


def _b64_json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = parse_json(raw)
    except (ValueError, OpenlerError):
        raise Oid4vciError("invalid_proof", f"The proof JWT's {what} is not JSON.") from None
    if not isinstance(value, dict):
        raise Oid4vciError("invalid_proof", f"The proof JWT's {what} is not a JSON object.")
    return value


def _did_jwk(key: PublicKey) -> str:
    text = json.dumps(key.to_jwk(), separators=(",", ":"))
    return "did:jwk:" + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode("ascii")


def _holder_key(header: Mapping[str, Any]) -> tuple[str, PublicKey]:
    """(the DID to bind to, its key) from the proof's ``kid`` or ``jwk`` header."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if isinstance(kid, str) and jwk is None:
        if is_did_key(kid):
            try:
                method = resolve_verification_method(kid)
            except OpenlerError as exc:
                raise Oid4vciError("invalid_proof", f"The kid does not resolve: {exc}") from None
            return method.controller, method.public_key
        if kid.startswith("did:jwk:"):
            did = kid.partition("#")[0]
            encoded = did.removeprefix("did:jwk:")
            try:
                key = PublicKey.from_jwk(_b64_json(encoded, "did:jwk"))
            except OpenlerError as exc:
                raise Oid4vciError("invalid_proof", f"The did:jwk is not a key: {exc}") from None
            return did, key
        raise Oid4vciError("invalid_proof", "The kid must be a did:key or did:jwk URL.")
    if isinstance(jwk, Mapping) and kid is None:
        try:
            key = PublicKey.from_jwk(jwk)
        except OpenlerError as exc:
            raise Oid4vciError("invalid_proof", f"The jwk is not a usable key: {exc}") from None
        return _did_jwk(key), key
    raise Oid4vciError("invalid_proof", "The proof JWT needs a kid (a DID URL) or a jwk.")


def verify_proof_jwt(token: object, *, audience: str, keystore: KeyStore, now: datetime) -> str:
    """Check a proof of possession and return the DID to bind the credential to.

    Raises :class:`Oid4vciError` ``invalid_proof`` (or ``invalid_nonce`` when only the
    nonce is wrong or stale) for anything else: a wrong ``typ``, ``alg`` or signature, an
    ``aud`` that is not this issuer, an ``iat`` in the future or too old."""
    if not isinstance(token, str) or not token or len(token) > _MAX_PROOF_CHARS:
        raise Oid4vciError("invalid_proof", "The proof must be a compact JWT.")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise Oid4vciError("invalid_proof", "The proof is not a compact JWS.")
    header = _b64_json(parts[0], "header")
    if header.get("typ") != PROOF_TYP:
        raise Oid4vciError("invalid_proof", f"The proof JWT's typ must be {PROOF_TYP}.")
    alg = header.get("alg")
    if alg not in _PROOF_ALGS:
        allowed = ", ".join(sorted(_PROOF_ALGS))
        raise Oid4vciError("invalid_proof", f"The proof JWT's alg must be one of {allowed}.")
    if "crit" in header:
        raise Oid4vciError("invalid_proof", "Proof JWT headers with 'crit' are not supported.")
    holder, key = _holder_key(header)
    if key.algorithm != _PROOF_ALGS[alg]:
        raise Oid4vciError("invalid_proof", f"A {key.algorithm} key cannot sign {alg}.")
    try:
        jose_key = JWKRegistry.import_key(dict(key.to_jwk()))
        jws.deserialize_compact(token, jose_key, registry=_Registry(algorithms=[alg]))
    except (JoseError, ValueError, TypeError):
        raise Oid4vciError("invalid_proof", "The proof JWT's signature is not valid.") from None
    claims = _b64_json(parts[1], "payload")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise Oid4vciError("invalid_proof", f"The proof JWT's aud must be {audience}.")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise Oid4vciError("invalid_proof", "The proof JWT has no numeric iat.")
    moment = now.timestamp()
    if iat > moment + PROOF_CLOCK_SKEW.total_seconds():
        raise Oid4vciError("invalid_proof", "The proof JWT's iat is in the future.")
    if iat < moment - (PROOF_MAX_AGE + PROOF_CLOCK_SKEW).total_seconds():
        raise Oid4vciError("invalid_proof", "The proof JWT is too old (iat).")
    if not check_nonce(keystore, claims.get("nonce"), now=now):
        raise Oid4vciError(
            "invalid_nonce", "The proof JWT's nonce is not a current c_nonce.", c_nonce=True
        )
    return holder


# -- credential endpoint --------------------------------------------------------------------

ResponseShape = Literal["1.0", "draft-13"]


@dataclass(frozen=True, slots=True)
class CredentialGrant:
    """The delivered credential and the shape of the answer the wallet expects."""

    credential: IssuedCredential
    shape: ResponseShape


def _proof_of(body: Mapping[str, Any]) -> str:
    proofs, proof = body.get("proofs"), body.get("proof")
    if proofs is not None and proof is not None:
        raise Oid4vciError("invalid_credential_request", "Send proof or proofs, not both.")
    if proofs is not None:
        jwts = proofs.get("jwt") if isinstance(proofs, Mapping) else None
        if not isinstance(jwts, list) or len(proofs) != 1:
            raise Oid4vciError("invalid_proof", 'proofs must be {"jwt": [one proof JWT]}.')
        if len(jwts) != 1:
            raise Oid4vciError("invalid_proof", "This offer issues one credential: one proof.")
        return str(jwts[0]) if isinstance(jwts[0], str) else ""
    if isinstance(proof, Mapping):
        if proof.get("proof_type") != "jwt":
            raise Oid4vciError("invalid_proof", "Only the jwt proof type is supported.")
        value = proof.get("jwt")
        return value if isinstance(value, str) else ""
    raise Oid4vciError("invalid_proof", "A proof of possession of the holder's key is required.")


def _shape_of(body: Mapping[str, Any]) -> ResponseShape:
    """Check what is asked for, and tell a 1.0 request from a draft-13 one."""
    config, identifier = body.get("credential_configuration_id"), body.get("credential_identifier")
    if config is not None or identifier is not None:
        if config is not None and identifier is not None:
            raise Oid4vciError(
                "invalid_credential_request",
                "Name credential_configuration_id or credential_identifier, not both.",
            )
        if (config or identifier) != CONFIGURATION_ID:
            error = "unsupported_credential_type" if config else "invalid_credential_request"
            raise Oid4vciError(error, f"This issuer offers only {CONFIGURATION_ID}.")
        return "1.0"
    fmt = body.get("format")
    if fmt is None:
        raise Oid4vciError(
            "invalid_credential_request", "Name the credential_configuration_id to issue."
        )
    if fmt != "ldp_vc":
        raise Oid4vciError("unsupported_credential_format", "Only ldp_vc is issued.")
    definition = body.get("credential_definition")
    if definition is not None:
        types = definition.get("type") if isinstance(definition, Mapping) else None
        if not isinstance(types, list) or not _CREDENTIAL_TYPES.intersection(types):
            raise Oid4vciError(
                "unsupported_credential_type", f"This issuer offers only {CONFIGURATION_ID}."
            )
    return "draft-13"


def _offer_for_token(session: Session, slug: str, token: str | None, now: datetime) -> Any:
    if not token:
        raise Oid4vciError("invalid_token", "A bearer access token is required.", status=401)
    offer = session.scalar(
        sa.select(CredentialOffer)
        .where(CredentialOffer.access_token_hash == digest(token))
        .with_for_update()
    )
    if (
        offer is None
        or offer.organization.slug != slug
        or offer.access_token_expires_at is None
        or now >= offer.access_token_expires_at
    ):
        raise Oid4vciError(
            "invalid_token", "The access token is invalid or has expired.", status=401
        )
    return offer


def issue_for_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    slug: str,
    access_token: str | None,
    body: object,
    *,
    now: datetime,
) -> CredentialGrant:
    """The credential endpoint: check the token, the request and the proof, then deliver
    the offer's credential bound to the proof's DID. Refusals are audited (a bad proof
    counts towards the offer's lock) before :class:`Oid4vciError` is raised."""
    offer: CredentialOffer = _offer_for_token(session, slug, access_token, now)
    if offer.delivered_at is not None:
        record_refusal(session, offer, "offer_used", via=_VIA, count=False)
        raise Oid4vciError("invalid_token", "This access token was already used.", status=401)
    try:
        # The token's own lifetime governs from here, not the offer's expiry.
        check_usable(offer, now, ignore_expiry=True)
    except OfferUnavailable as exc:
        record_refusal(session, offer, exc.code, via=_VIA, count=False)
        if offer.credential.status is not CredentialStatus.ACTIVE:
            raise Oid4vciError("credential_request_denied", exc.message) from None
        raise Oid4vciError("invalid_token", exc.message, status=401) from None
    if not isinstance(body, Mapping):
        raise Oid4vciError("invalid_credential_request", "The request must be a JSON object.")
    try:
        shape = _shape_of(body)
        proof = _proof_of(body)
        holder = verify_proof_jwt(
            proof, audience=_issuer(settings, offer.organization), keystore=keystore, now=now
        )
    except Oid4vciError as exc:
        record_refusal(session, offer, exc.error, via=_VIA, details={"detail": exc.message})
        raise
    try:
        delivered = deliver_to_holder(session, settings, keystore, offer, holder, via=_VIA, now=now)
    except HolderMismatch as exc:
        raise Oid4vciError("invalid_proof", exc.message) from None
    return CredentialGrant(credential=delivered, shape=shape)
