"""Data Integrity proofs with Ed25519: ``eddsa-rdfc-2022`` (and its pre-Recommendation
name ``eddsa-2022``, verify only), ``eddsa-jcs-2022``, and the legacy
``Ed25519Signature2020`` that the Learner Credential Wallet still requires.

All three sign ``SHA-256(canonical proof configuration) || SHA-256(canonical document)``
and encode the 64-byte signature as multibase base58btc (``z...``). They differ in
the canonicalization (RDFC-1.0 or JCS) and in the proof's ``type``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openler.core.errors import (
    ContextNotAllowed,
    InvalidIri,
    JsonLdError,
    OpenlerError,
    ProofError,
    UndefinedTerm,
)
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.multibase import b58decode, b58encode
from openler.core.ports import Signer
from openler.core.proofs import jcs
from openler.core.proofs.base import ProofCheck, ProofOptions, VerificationKey, format_datetime

__all__ = [
    "ED25519_2020_CONTEXT",
    "ED25519_SIGNATURE_2020",
    "EDDSA_2022",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "DataIntegrityEdDsa",
    "Ed25519Signature2020",
]

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
_DI_CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/data-integrity/v1",
)


def _contexts(document: Mapping[str, Any]) -> list[Any]:
    ctx = document.get("@context")
    if ctx is None:
        return []
    return list(ctx) if isinstance(ctx, list) else [ctx]


def _proof_config(
    proof_type: str,
    cryptosuite: str | None,
    signer_vm: str,
    options: ProofOptions,
) -> dict[str, Any]:
    config: dict[str, Any] = {"type": proof_type}
    if cryptosuite is not None:
        config["cryptosuite"] = cryptosuite
    if options.proof_id is not None:
        config["id"] = options.proof_id
    if options.created is not None:
        config["created"] = format_datetime(options.created)
    if options.expires is not None:
        config["expires"] = format_datetime(options.expires)
    config["verificationMethod"] = signer_vm
    config["proofPurpose"] = options.proof_purpose
    if options.challenge is not None:
        config["challenge"] = options.challenge
    if options.domain is not None:
        config["domain"] = options.domain
    if options.nonce is not None:
        config["nonce"] = options.nonce
    if options.previous_proof is not None:
        prev = options.previous_proof
        config["previousProof"] = prev if isinstance(prev, str) else list(prev)
    return config


@dataclass(frozen=True, slots=True)
class _Hashed:
    digest: bytes
    undefined_terms: tuple[str, ...] = ()
    invalid_iris: tuple[str, ...] = ()


# Hashes of canonical proof options; bounded, oldest dropped first.
_CONFIG_HASHES: dict[tuple[bool, str], _Hashed] = {}
_CONFIG_HASHES_MAX = 4096
_CONFIG_LOCK = threading.Lock()


def _rdfc_hash(document: Mapping[str, Any], cache: ExpansionCache) -> _Hashed:
    canonical = cache.canonicalize(document)
    return _Hashed(
        hashlib.sha256(canonical.nquads.encode("utf-8")).digest(),
        canonical.dropped_terms,
        canonical.invalid_iris,
    )


def _jcs_hash(document: Mapping[str, Any], cache: ExpansionCache) -> _Hashed:
    return _Hashed(hashlib.sha256(jcs.canonicalize(document)).digest())


def _decode_proof_value(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        return None
    try:
        raw = b58decode(value[1:])
    except (OpenlerError, ValueError):
        return None
    return raw if len(raw) == 64 else None


class _EdDsaSuite:
    """Shared machinery; subclasses fix the type, cryptosuite and canonicalization."""

    name: str
    proof_type: str
    cryptosuite: str | None
    rdfc: bool

    def matches(self, proof: Mapping[str, Any]) -> bool:
        if proof.get("type") != self.proof_type:
            return False
        return self.cryptosuite is None or proof.get("cryptosuite") == self.cryptosuite

    def _hash(self, document: Mapping[str, Any], cache: ExpansionCache) -> _Hashed:
        return _rdfc_hash(document, cache) if self.rdfc else _jcs_hash(document, cache)

    def _config_hash(self, config_doc: Mapping[str, Any], cache: ExpansionCache) -> _Hashed:
        """Proof options repeat (same key, same second): remember their hashes."""
        key = (self.rdfc, json.dumps(config_doc, sort_keys=True, ensure_ascii=False))
        found = _CONFIG_HASHES.get(key)
        if found is None:
            found = self._hash(config_doc, cache)
            with _CONFIG_LOCK:
                if len(_CONFIG_HASHES) >= _CONFIG_HASHES_MAX:
                    _CONFIG_HASHES.pop(next(iter(_CONFIG_HASHES)), None)
                _CONFIG_HASHES[key] = found
        return found

    def _config_context(self, unsecured: Mapping[str, Any]) -> list[Any]:
        return _contexts(unsecured)

    def create_proof(
        self,
        unsecured: Mapping[str, Any],
        signer: Signer,
        options: ProofOptions,
        *,
        cache: ExpansionCache,
    ) -> dict[str, Any]:
        if signer.algorithm != "Ed25519":
            raise ProofError(f"{self.name} needs an Ed25519 key, not {signer.algorithm}.")
        self._check_contexts(unsecured)
        config = _proof_config(
            self.proof_type, self.cryptosuite, signer.verification_method, options
        )
        doc_hash = self._hash(unsecured, cache)
        config_doc = {**config, "@context": self._config_context(unsecured)}
        config_hash = self._config_hash(config_doc, cache)
        for hashed, what in ((doc_hash, "document"), (config_hash, "proof options")):
            if hashed.undefined_terms:
                raise UndefinedTerm(
                    f"The {what} uses terms no context defines, so they would not be "
                    f"signed: {', '.join(hashed.undefined_terms)}.",
                    details={"terms": list(hashed.undefined_terms)},
                )
            if hashed.invalid_iris:
                raise InvalidIri(
                    f"The {what} has relative or invalid IRIs that would not be signed: "
                    f"{', '.join(hashed.invalid_iris)}.",
                    details={"iris": list(hashed.invalid_iris)},
                )
        signature = signer.sign(config_hash.digest + doc_hash.digest)
        # eddsa-jcs-2022 signs (and so must carry) the proof's own @context.
        proof = config_doc if not self.rdfc and config_doc["@context"] else config
        return {**proof, "proofValue": "z" + b58encode(signature)}

    def _check_contexts(self, unsecured: Mapping[str, Any]) -> None:
        """Data Integrity proofs need their terms defined by the document's context."""
        if not self.rdfc:
            return
        ctx = _contexts(unsecured)
        if self.proof_type == "DataIntegrityProof" and not any(c in ctx for c in _DI_CONTEXTS):
            raise ProofError(
                "A DataIntegrityProof needs the VC 2.0 or Data Integrity context in @context."
            )

    def verify_proof(
        self,
        unsecured: Mapping[str, Any],
        proof: Mapping[str, Any],
        key: VerificationKey,
        *,
        cache: ExpansionCache,
    ) -> ProofCheck:
        signature = _decode_proof_value(proof.get("proofValue"))
        if signature is None:
            return ProofCheck(
                False,
                "proof_value_malformed",
                "The proof value is not a base58btc-encoded 64-byte signature.",
            )
        if key.algorithm != "Ed25519":
            return ProofCheck(
                False,
                "key_type_mismatch",
                f"{self.name} proofs need an Ed25519 key, not {key.algorithm}.",
            )
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        doc_context = self._config_context(unsecured)
        if "@context" in config:
            own = config["@context"]
            own_list = own if isinstance(own, list) else [own]
            if doc_context[: len(own_list)] != own_list:
                return ProofCheck(
                    False,
                    "proof_context_mismatch",
                    "The proof's @context does not match the document's.",
                )
            config_doc = config
        else:
            config_doc = {**config, "@context": doc_context}
        try:
            doc_hash = self._hash(unsecured, cache)
            config_hash = self._config_hash(config_doc, cache)
        except ContextNotAllowed as exc:
            return ProofCheck(False, exc.code, exc.message)
        except (JsonLdError, OpenlerError) as exc:
            return ProofCheck(
                False,
                "canonicalization_failed",
                f"The document could not be canonicalized: {exc.message}",
            )
        except (ValueError, TypeError, RecursionError) as exc:
            return ProofCheck(
                False, "canonicalization_failed", f"The document could not be canonicalized: {exc}"
            )
        undefined = tuple(dict.fromkeys(doc_hash.undefined_terms + config_hash.undefined_terms))
        invalid = tuple(dict.fromkeys(doc_hash.invalid_iris + config_hash.invalid_iris))
        if not key.verify(signature, config_hash.digest + doc_hash.digest):
            return ProofCheck(
                False,
                "signature_invalid",
                "The signature does not match the credential: it was altered "
                "after signing, or signed with another key.",
                undefined,
                invalid,
            )
        return ProofCheck(
            True, "signature_valid", f"The {self.name} signature is valid.", undefined, invalid
        )


class DataIntegrityEdDsa(_EdDsaSuite):
    """``DataIntegrityProof`` with cryptosuite ``eddsa-rdfc-2022`` / ``eddsa-jcs-2022`` /
    ``eddsa-2022``."""

    proof_type = "DataIntegrityProof"

    def __init__(self, cryptosuite: str) -> None:
        if cryptosuite not in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "eddsa-2022"):
            raise ProofError(f"Unknown EdDSA cryptosuite {cryptosuite!r}.")
        self.name = cryptosuite
        self.cryptosuite = cryptosuite
        self.rdfc = cryptosuite != "eddsa-jcs-2022"


class Ed25519Signature2020(_EdDsaSuite):
    """The 2020 Linked Data signature suite (RDFC-1.0, same hashing as eddsa-rdfc-2022).

    Its terms come from its own context, which must be in the document's @context."""

    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    cryptosuite = None
    rdfc = True

    def _check_contexts(self, unsecured: Mapping[str, Any]) -> None:
        if ED25519_2020_CONTEXT not in _contexts(unsecured):
            raise ProofError(
                f"Ed25519Signature2020 needs {ED25519_2020_CONTEXT} in the document's @context."
            )


EDDSA_RDFC_2022 = DataIntegrityEdDsa("eddsa-rdfc-2022")
EDDSA_2022 = DataIntegrityEdDsa("eddsa-2022")
EDDSA_JCS_2022 = DataIntegrityEdDsa("eddsa-jcs-2022")
ED25519_SIGNATURE_2020 = Ed25519Signature2020()
