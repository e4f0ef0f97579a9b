"""did:key: a DID that is its own public key, resolved without any network.

Follows the W3C CCG did:key method: the method-specific id is the key's
``publicKeyMultibase``; the one verification method ``did:key:z…#z…`` is listed under
``assertionMethod``, ``authentication``, ``capabilityInvocation`` and
``capabilityDelegation``. For Ed25519 keys an X25519 ``keyAgreement`` key can be derived
(the birational map from the Edwards curve to Montgomery form, RFC 7748 §4.1).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final, Literal

from openler.core.errors import DidResolutionError, OpenlerError, UnsupportedKeyType
from openler.core.keys.keypair import PublicKey
from openler.core.keys.multibase import (
    Multicodec,
    b58encode,
    b64url_encode,
    decode_multikey,
    encode_multikey,
)

__all__ = [
    "DID_KEY_PREFIX",
    "VerificationMethodFormat",
    "did_key_from_public_key",
    "did_key_vm_id",
    "ed25519_seed_to_x25519_private",
    "ed25519_to_x25519_public",
    "is_did_key",
    "parse_did_key",
    "resolve_did_key",
]

DID_KEY_PREFIX: Final = "did:key:"
VerificationMethodFormat = Literal[
    "Multikey", "Ed25519VerificationKey2020", "Ed25519VerificationKey2018", "JsonWebKey2020"
]

_DID_CONTEXT: Final = "https://www.w3.org/ns/did/v1"
_CONTEXTS: Final[dict[str, tuple[list[str], list[str]]]] = {
    # format: (contexts always present, extra contexts when keyAgreement is included)
    "Multikey": (["https://w3id.org/security/multikey/v1"], []),
    "Ed25519VerificationKey2020": (
        ["https://w3id.org/security/suites/ed25519-2020/v1"],
        ["https://w3id.org/security/suites/x25519-2020/v1"],
    ),
    "Ed25519VerificationKey2018": (
        ["https://w3id.org/security/suites/ed25519-2018/v1"],
        ["https://w3id.org/security/suites/x25519-2019/v1"],
    ),
    "JsonWebKey2020": (["https://w3id.org/security/suites/jws-2020/v1"], []),
}
_RELATIONSHIPS: Final = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
)
_MSI = re.compile(r"z[1-9A-HJ-NP-Za-km-z]{20,120}")
_P: Final = 2**255 - 19  # the field prime of Curve25519 / edwards25519


def is_did_key(identifier: str) -> bool:
    """Whether ``identifier`` uses the did:key method (not whether it is valid)."""
    return isinstance(identifier, str) and identifier.startswith(DID_KEY_PREFIX)


def did_key_from_public_key(public_key: PublicKey) -> str:
    """``did:key:z…`` for an Ed25519 or P-256 public key."""
    return DID_KEY_PREFIX + public_key.fingerprint


def did_key_vm_id(did: str) -> str:
    """The id of a did:key's verification method: ``did:key:z…#z…``."""
    parse_did_key(did)
    return f"{did}#{did[len(DID_KEY_PREFIX) :]}"


def parse_did_key(did: str) -> PublicKey:
    """The public key a did:key encodes; raises :class:`DidResolutionError` if malformed."""
    if not is_did_key(did):
        raise DidResolutionError("Not a did:key identifier.", details={"did": _clip(did)})
    msi = did[len(DID_KEY_PREFIX) :]
    if not _MSI.fullmatch(msi):
        raise DidResolutionError(
            "Malformed did:key: expected 'did:key:z' followed by base58btc and nothing else.",
            details={"did": _clip(did)},
        )
    try:
        codec, _raw = decode_multikey(msi)
        if codec is Multicodec.X25519_PUB:
            raise UnsupportedKeyType("An X25519 did:key has no signature verification key.")
        key = PublicKey.from_multibase(msi)
    except OpenlerError as exc:
        raise DidResolutionError(f"Invalid did:key: {exc.message}", details={"did": did}) from exc
    if key.fingerprint != msi:
        raise DidResolutionError("Non-canonical did:key encoding.", details={"did": did})
    return key


def resolve_did_key(
    did: str,
    *,
    method_format: VerificationMethodFormat = "Multikey",
    key_agreement: bool = False,
) -> dict[str, Any]:
    """Expand a did:key into its DID document (pure; no network).

    ``method_format`` picks the verification method type (``Multikey`` by default;
    the Ed25519 types need an Ed25519 key). With ``key_agreement`` an Ed25519 DID also
    gets the derived X25519 ``keyAgreement`` method.
    """
    key = parse_did_key(did)
    if method_format not in _CONTEXTS:
        raise DidResolutionError(f"Unsupported verification method format {method_format!r}.")
    if method_format.startswith("Ed25519") and key.algorithm != "Ed25519":
        raise DidResolutionError(f"{method_format} needs an Ed25519 did:key.")
    contexts, agreement_contexts = _CONTEXTS[method_format]
    vm_id = f"{did}#{key.fingerprint}"
    document: dict[str, Any] = {
        "@context": [_DID_CONTEXT, *contexts],
        "id": did,
        "verificationMethod": [_signing_method(key, vm_id, did, method_format)],
    }
    for relationship in _RELATIONSHIPS:
        document[relationship] = [vm_id]
    if key_agreement and key.algorithm == "Ed25519":
        x_pub = ed25519_to_x25519_public(key.raw_bytes())
        x_id = f"{did}#{encode_multikey(Multicodec.X25519_PUB, x_pub)}"
        document["@context"].extend(agreement_contexts)
        document["verificationMethod"].append(_agreement_method(x_pub, x_id, did, method_format))
        document["keyAgreement"] = [x_id]
    return document


def ed25519_to_x25519_public(ed25519_public: bytes) -> bytes:
    """Map an Ed25519 public key to X25519: ``u = (1 + y) / (1 - y) mod p``."""
    if len(ed25519_public) != 32:
        raise UnsupportedKeyType("An Ed25519 public key is 32 bytes.")
    y = int.from_bytes(ed25519_public, "little") & ((1 << 255) - 1)
    if y >= _P or y == 1:
        raise UnsupportedKeyType("This Ed25519 key has no X25519 counterpart.")
    u = (1 + y) * pow(1 - y, -1, _P) % _P
    return u.to_bytes(32, "little")


def ed25519_seed_to_x25519_private(seed: bytes) -> bytes:
    """The X25519 private key matching an Ed25519 seed (clamped SHA-512 half)."""
    if len(seed) != 32:
        raise UnsupportedKeyType("An Ed25519 seed is 32 bytes.")
    scalar = bytearray(hashlib.sha512(seed).digest()[:32])
    scalar[0] &= 248
    scalar[31] &= 127
    scalar[31] |= 64
    return bytes(scalar)


def _signing_method(key: PublicKey, vm_id: str, did: str, fmt: str) -> dict[str, Any]:
    method: dict[str, Any] = {"id": vm_id, "type": fmt, "controller": did}
    if fmt == "Ed25519VerificationKey2018":
        method["publicKeyBase58"] = key.to_base58()
    elif fmt == "JsonWebKey2020":
        method["publicKeyJwk"] = key.to_jwk()
    else:
        method["publicKeyMultibase"] = key.fingerprint
    return method


def _agreement_method(x_pub: bytes, x_id: str, did: str, fmt: str) -> dict[str, Any]:
    method: dict[str, Any] = {"id": x_id, "controller": did}
    if fmt == "Ed25519VerificationKey2018":
        method.update(type="X25519KeyAgreementKey2019", publicKeyBase58=b58encode(x_pub))
    elif fmt == "JsonWebKey2020":
        jwk = {"kty": "OKP", "crv": "X25519", "x": b64url_encode(x_pub)}
        method.update(type="JsonWebKey2020", publicKeyJwk=jwk)
    else:
        x_type = "Multikey" if fmt == "Multikey" else "X25519KeyAgreementKey2020"
        method.update(type=x_type, publicKeyMultibase=encode_multikey(Multicodec.X25519_PUB, x_pub))
    return {"id": method.pop("id"), "type": method.pop("type"), **method}


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
