"""Credentials secured as JSON Web Tokens (compact JWS).

Two forms are read:

* ``ob3-vc-claim`` — Open Badges 3.0 "JSON Web Token Proof Format" (VC-JWT 1.1 style):
  the credential sits in the ``vc`` claim, with ``iss``, ``sub``, ``jti``, ``nbf``,
  ``exp`` mirrored from it. :func:`sign_jwt` writes this form.
* ``vc-jose`` — W3C VC-JOSE-COSE (``typ`` ``vc+jwt`` / ``vp+jwt``): the payload *is*
  the credential (or presentation). Verify only.

Nothing here looks at a clock: ``nbf`` / ``exp`` are left to the verifier's ``now``.
Signatures are checked with joserfc, limited to the algorithms the caller allows;
``alg: none`` is never accepted.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from openler.core.errors import (
    InputTooLarge,
    InvalidInput,
    KeyError_,
    MalformedJson,
    OpenlerError,
    UnsupportedSuite,
)
from openler.core.keys.did_key import did_key_vm_id, is_did_key
from openler.core.keys.keypair import PublicKey
from openler.core.keys.multibase import b64url_decode, b64url_encode
from openler.core.limits import parse_json
from openler.core.ports import Signer

__all__ = [
    "DEFAULT_ALLOWED_ALGS",
    "MAX_JWT_BYTES",
    "DecodedJwt",
    "JwtForm",
    "decode_jwt",
    "jwt_claim_mismatches",
    "jwt_embedded_key",
    "jwt_issuer",
    "jwt_key_id",
    "sign_jwt",
    "verify_jwt",
]

JwtForm = Literal["ob3-vc-claim", "vc-jose"]

#: Largest token accepted, in bytes.
MAX_JWT_BYTES: Final = 1024 * 1024
#: Algorithms accepted unless the caller says otherwise.
DEFAULT_ALLOWED_ALGS: Final = frozenset({"EdDSA", "ES256", "RS256"})
#: JWS ``alg`` → the key algorithm it needs (``Ed25519`` is RFC 9864's name for EdDSA).
_KEY_FOR_ALG: Final = {"EdDSA": "Ed25519", "Ed25519": "Ed25519", "ES256": "P-256", "RS256": "RSA"}
_ALG_FOR_SIGNER: Final = {"Ed25519": "EdDSA", "P-256": "ES256"}
_JOSE_TYPES: Final = frozenset({"vc+jwt", "vp+jwt", "vc+ld+jwt", "vp+ld+jwt"})


@dataclass(frozen=True, slots=True)
class DecodedJwt:
    """A parsed, **unverified** token. ``credential`` is the ``vc`` claim (OB 3.0 form)
    or the whole payload (VC-JOSE form, which may also be a presentation)."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    credential: Mapping[str, Any]
    form: JwtForm
    signing_input: bytes
    signature: bytes
    token: str


class _Registry(JWSRegistry):
    """joserfc registry: our size caps, exactly the allowed algorithms, no warnings."""

    max_header_length = 16 * 1024
    max_payload_length = MAX_JWT_BYTES
    max_signature_length = 2048

    def get_alg(self, name: str) -> JWSAlgModel:
        if name == "none" or not self.allowed or name not in self.allowed:
            raise UnsupportedAlgorithmError(f"Algorithm {name!r} is not allowed")
        if name not in self.algorithms:
            raise UnsupportedAlgorithmError(f"Algorithm {name!r} is not supported")
        return self.algorithms[name]


def sign_jwt(credential: Mapping[str, Any], signer: Signer, *, issued_at: datetime) -> str:
    """Sign ``credential`` as an Open Badges 3.0 VC-JWT (``EdDSA`` or ``ES256``).

    Header ``{"alg", "typ": "JWT", "kid": signer.verification_method}``; claims ``iss``,
    ``sub``, ``jti``, ``nbf``, ``exp`` from the credential, ``iat`` = ``issued_at``
    (timezone-aware), and ``vc`` = the credential, unchanged."""
    alg = _ALG_FOR_SIGNER.get(signer.algorithm)
    if alg is None:
        raise UnsupportedSuite(f"No JWS algorithm for a {signer.algorithm!r} signer.")
    if not isinstance(credential, Mapping):
        raise InvalidInput("The credential must be a JSON object.")
    issuer = _id_of(credential.get("issuer"))
    if issuer is None:
        raise InvalidInput("The credential needs an issuer id to become a JWT ('iss').")
    claims: dict[str, Any] = {"iss": issuer}
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if (sub := _id_of(subject, allow_str=False)) is not None:
        claims["sub"] = sub
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    for claim, names in (
        ("nbf", ("validFrom", "issuanceDate")),
        ("exp", ("validUntil", "expirationDate")),
    ):
        value = next((credential[n] for n in names if n in credential), None)
        if value is not None:
            claims[claim] = _numeric_date(value, names[0])
    claims["iat"] = _epoch(issued_at, "issued_at")
    claims["vc"] = credential
    header = {"alg": alg, "typ": "JWT", "kid": signer.verification_method}
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def decode_jwt(token: str | bytes) -> DecodedJwt:
    """Parse a compact JWS carrying a credential, **without** checking the signature.

    Raises :class:`InputTooLarge` (over :data:`MAX_JWT_BYTES`), :class:`MalformedJson`
    (header or payload not a JSON object) or :class:`InvalidInput` (anything else)."""
    if isinstance(token, bytes | bytearray):
        if len(token) > MAX_JWT_BYTES:
            raise InputTooLarge(f"The JWT is larger than {MAX_JWT_BYTES} bytes.")
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise InvalidInput("A compact JWT is ASCII text.") from None
    if not isinstance(token, str):
        raise InvalidInput("A JWT must be a string.")
    token = token.strip()
    if len(token) > MAX_JWT_BYTES:
        raise InputTooLarge(f"The JWT is larger than {MAX_JWT_BYTES} bytes.")
    parts = token.split(".")
    if len(parts) == 5:
        raise InvalidInput("Encrypted JWTs (JWE) are not supported.")
    if len(parts) != 3 or not all(parts):
        raise InvalidInput("Not a compact JWS: expected three non-empty dot-separated parts.")
    header = _json_object(parts[0], "header")
    if not isinstance(header.get("alg"), str):
        raise InvalidInput("The JWT header has no 'alg'.")
    if "crit" in header or "b64" in header:
        raise InvalidInput("JWT headers with 'crit' or 'b64' are not supported.")
    claims = _json_object(parts[1], "payload")
    signature = _b64(parts[2], "signature")
    form, credential = _classify(header, claims)
    return DecodedJwt(
        header=header,
        claims=claims,
        credential=credential,
        form=form,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
        token=token,
    )


def verify_jwt(
    token: str | DecodedJwt,
    public_key: PublicKey | None,
    *,
    allowed_algs: Collection[str] = DEFAULT_ALLOWED_ALGS,
    allow_embedded_jwk: bool = False,
) -> bool:
    """True only if the signature is valid under ``public_key`` with an allowed ``alg``.

    Returns False — never raises — for a bad, malformed or mismatched token. With
    ``public_key=None`` the header's ``jwk`` is used, only if ``allow_embedded_jwk``
    (that proves integrity, not who signed: the caller must still trust the key).
    Raises :class:`UnsupportedSuite` for an unknown name in ``allowed_algs`` and
    :class:`KeyError_` when no key source is given. No ``nbf``/``exp`` checks here."""
    algs = _checked_algs(allowed_algs)
    if public_key is None and not allow_embedded_jwk:
        raise KeyError_("verify_jwt needs a public key (or allow_embedded_jwk=True).")
    try:
        decoded = token if isinstance(token, DecodedJwt) else decode_jwt(token)
    except OpenlerError:
        return False
    alg = decoded.header.get("alg")
    if not isinstance(alg, str) or alg not in algs:
        return False
    key = public_key if public_key is not None else jwt_embedded_key(decoded)
    if key is None or _KEY_FOR_ALG[alg] != key.algorithm:
        return False
    registry = _Registry(algorithms=[alg], strict_check_header=False)
    try:
        compact = jws.extract_compact(decoded.token.encode("ascii"), registry=registry)
        jose_key = JWKRegistry.import_key(dict(key.to_jwk()))
        return bool(jws.validate_compact(compact, jose_key, registry=registry))
    except (JoseError, ValueError, TypeError):
        return False


def jwt_issuer(decoded: DecodedJwt) -> str | None:
    """The ``iss`` claim, else the credential's issuer id."""
    iss = decoded.claims.get("iss")
    return iss if isinstance(iss, str) and iss else _id_of(decoded.credential.get("issuer"))


def jwt_key_id(decoded: DecodedJwt) -> str | None:
    """The verification method id the token names: its ``kid`` made absolute against
    the issuer (``#key-1`` or ``key-1`` → ``<iss>#key-1``); without a ``kid``, a
    did:key issuer's own key; else None (e.g. a header ``jwk`` only)."""
    kid, issuer = decoded.header.get("kid"), jwt_issuer(decoded)
    if isinstance(kid, str) and kid:
        if issuer and kid.startswith("#"):
            return issuer + kid
        if issuer and ":" not in kid:
            return f"{issuer}#{kid}"
        return kid
    if issuer and is_did_key(issuer):
        try:
            return did_key_vm_id(issuer)
        except OpenlerError:
            return None
    return None


def jwt_embedded_key(decoded: DecodedJwt) -> PublicKey | None:
    """The public key in the header's ``jwk``, or None if absent or unusable."""
    jwk = decoded.header.get("jwk")
    if not isinstance(jwk, Mapping):
        return None
    try:
        return PublicKey.from_jwk(jwk)
    except OpenlerError:
        return None


def jwt_claim_mismatches(decoded: DecodedJwt) -> list[str]:
    """Names of registered claims that contradict the credential (OB 3.0 form only):
    ``iss`` ≠ issuer id, ``jti`` ≠ id, ``sub`` ≠ subject id, ``kid`` not the issuer's."""
    if decoded.form != "ob3-vc-claim":
        return []
    claims, vc = decoded.claims, decoded.credential
    subject = vc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and len(subject) == 1 else subject
    expected = {
        "iss": _id_of(vc.get("issuer")),
        "jti": vc.get("id"),
        "sub": _id_of(subject, allow_str=False),
    }
    out = [name for name, value in expected.items() if name in claims and claims[name] != value]
    key_id = jwt_key_id(decoded)
    in_header = "kid" in decoded.header
    if in_header and key_id is not None and key_id.partition("#")[0] != jwt_issuer(decoded):
        out.append("kid")
    return out


# -- helpers ------------------------------------------------------------------------


def _checked_algs(allowed: Iterable[str]) -> frozenset[str]:
    algs = frozenset(allowed)
    unknown = sorted(a for a in algs if a not in _KEY_FOR_ALG)
    if unknown:
        raise UnsupportedSuite(
            f"Unsupported JWS algorithms {unknown}; choose from {sorted(_KEY_FOR_ALG)}.",
            details={"algorithms": unknown},
        )
    return algs


def _classify(header: Mapping[str, Any], claims: dict[str, Any]) -> tuple[JwtForm, dict[str, Any]]:
    typ = header.get("typ")
    media = typ.lower().removeprefix("application/") if isinstance(typ, str) else ""
    if media in _JOSE_TYPES:
        return "vc-jose", claims
    if isinstance(claims.get("vc"), dict):
        return "ob3-vc-claim", claims["vc"]
    if "@context" in claims and "type" in claims:
        return "vc-jose", claims
    raise InvalidInput("The JWT carries no credential (no 'vc' claim, no vc+jwt payload).")


def _b64(part: str, what: str) -> bytes:
    try:
        return b64url_decode(part)
    except InvalidInput:
        raise InvalidInput(f"The JWT {what} is not base64url.") from None


def _json_object(part: str, what: str) -> dict[str, Any]:
    raw = _b64(part, what)
    try:
        value = parse_json(raw)
    except OpenlerError as exc:
        raise type(exc)(f"The JWT {what}: {exc.message}") from None
    if not isinstance(value, dict):
        raise MalformedJson(f"The JWT {what} must be a JSON object.")
    return value


def _b64_json(value: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The credential is not plain JSON: {exc}") from exc
    return b64url_encode(text.encode("utf-8"))


def _id_of(value: object, *, allow_str: bool = True) -> str | None:
    if isinstance(value, str) and allow_str:
        return value or None
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"]) or None
    return None


def _numeric_date(value: object, name: str) -> int:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be an XML Schema dateTime string.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} is not a valid dateTime: {value!r}.") from None
    return _epoch(moment, name)


def _epoch(moment: datetime, name: str) -> int:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime.")
    return int(moment.timestamp() // 1)
