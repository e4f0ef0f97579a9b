"""Signing: add proofs to credentials and presentations. Inputs are never mutated.

``issue`` is what an issuer calls: structure and JSON Schema checks, then one proof per
requested suite (several suites make a proof set). ``sign`` adds proofs without the
credential-specific checks (status lists, presentations, other documents).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from openler.core.errors import InvalidInput, ProofError
from openler.core.jsonld.template import ExpansionCache
from openler.core.limits import DEFAULT_LIMITS, Limits, check_shape_limits
from openler.core.ports import Signer
from openler.core.proofs import DEFAULT_SIGNING_SUITES, JWT_SUITE, ProofOptions, suite_by_name
from openler.core.proofs.dataintegrity import ED25519_2020_CONTEXT
from openler.core.proofs.vc_jwt import sign_jwt
from openler.core.verification.structure import (
    VC_V2,
    StructureProblem,
    outline_credential,
    outline_presentation,
)

__all__ = [
    "create_presentation",
    "default_cache",
    "issue",
    "issue_jwt",
    "sign",
    "sign_presentation",
]

_CACHE: ExpansionCache | None = None


def default_cache() -> ExpansionCache:
    """The process-wide expansion cache shared by signing and verification."""
    global _CACHE
    if _CACHE is None:
        from openler.core.verification.credential import default_verifier

        _CACHE = default_verifier().cache
    return _CACHE


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def sign(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    suites: Sequence[str] = DEFAULT_SIGNING_SUITES,
    created: datetime | None = None,
    options: ProofOptions | None = None,
    cache: ExpansionCache | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Return a copy of ``document`` with one new proof per suite in ``suites``.

    Existing proofs are kept; the new ones join them as a proof set (each signs the
    document without any proof). If Ed25519Signature2020 is requested and its context is
    missing, it is added first; that is refused once the document already has proofs,
    since it would invalidate them."""
    if not isinstance(document, Mapping):
        raise InvalidInput("Only a JSON object can be signed.")
    if not suites:
        raise ProofError("Name at least one proof suite.")
    if JWT_SUITE in suites:
        raise ProofError(
            "vc-jwt wraps the credential instead of embedding a proof: use issue_jwt()."
        )
    check_shape_limits(document, limits)
    chosen = [suite_by_name(name, for_signing=True) for name in dict.fromkeys(suites)]
    # A new top-level object; nested values are shared with the input, never modified.
    out = dict(document)
    existing = _as_list(out.pop("proof", None))
    if len(existing) + len(chosen) > limits.max_proofs:
        raise ProofError(f"A document may carry at most {limits.max_proofs} proofs.")
    if any(s.name == "Ed25519Signature2020" for s in chosen):
        contexts = _as_list(out.get("@context"))
        if ED25519_2020_CONTEXT not in contexts:
            if existing:
                raise ProofError(
                    "Adding Ed25519Signature2020 needs its context, which would break the "
                    "existing proofs; sign with all suites at once instead."
                )
            out["@context"] = [*contexts, ED25519_2020_CONTEXT]
    base = options or ProofOptions(created=created)
    if created is not None and base.created is None:
        from dataclasses import replace

        base = replace(base, created=created)
    cache = cache or default_cache()
    new = [suite.create_proof(out, signer, base, cache=cache) for suite in chosen]
    proofs = existing + new
    out["proof"] = proofs[0] if len(proofs) == 1 else proofs
    return out


def _check_credential(credential: Mapping[str, Any], validate_schema: bool) -> None:
    try:
        outline = outline_credential(credential)
    except StructureProblem as exc:
        raise InvalidInput(exc.message, details={"code": exc.code}) from None
    if validate_schema and outline.vcdm == "2.0":
        from openler.core.model.schema import assert_valid_for_signing

        assert_valid_for_signing(credential)


def issue(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    suites: Sequence[str] = DEFAULT_SIGNING_SUITES,
    created: datetime | None = None,
    validate_schema: bool = True,
    cache: ExpansionCache | None = None,
) -> dict[str, Any]:
    """Check ``credential`` (structure, official JSON Schema for its type) and sign it
    with each suite in ``suites`` (a proof set when more than one)."""
    _check_credential(credential, validate_schema)
    if "proof" in credential:
        raise InvalidInput("The credential already carries a proof; use sign() to add one.")
    return sign(credential, signer, suites=suites, created=created, cache=cache)


def issue_jwt(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    issued_at: datetime,
    validate_schema: bool = True,
) -> str:
    """Check ``credential`` and secure it as an Open Badges 3.0 VC-JWT (EdDSA)."""
    _check_credential(credential, validate_schema)
    if "proof" in credential:
        raise InvalidInput("A VC-JWT carries no embedded proof; remove it first.")
    return sign_jwt(credential, signer, issued_at=issued_at)


def create_presentation(
    credentials: Iterable[Mapping[str, Any] | str],
    *,
    holder: str | None = None,
    presentation_id: str | None = None,
    extra_contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """An unsigned VC 2.0 presentation of ``credentials`` (objects, or JWT strings that
    are enveloped as VC-JOSE data URLs), kept exactly as given."""
    items: list[Any] = []
    for cred in credentials:
        if isinstance(cred, str):
            items.append(
                {
                    "@context": VC_V2,
                    "id": "data:application/vc+jwt," + cred,
                    "type": "EnvelopedVerifiableCredential",
                }
            )
        else:
            items.append(copy.deepcopy(dict(cred)))
    vp: dict[str, Any] = {"@context": [VC_V2, *extra_contexts]}
    if presentation_id is not None:
        vp["id"] = presentation_id
    vp["type"] = ["VerifiablePresentation"]
    if holder is not None:
        vp["holder"] = holder
    vp["verifiableCredential"] = items
    return vp


def sign_presentation(
    presentation: Mapping[str, Any],
    signer: Signer,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    created: datetime | None = None,
    suites: Sequence[str] = DEFAULT_SIGNING_SUITES,
    cache: ExpansionCache | None = None,
) -> dict[str, Any]:
    """Sign a presentation for authentication, bound to the verifier's challenge/domain."""
    try:
        outline_presentation(presentation)
    except StructureProblem as exc:
        raise InvalidInput(exc.message, details={"code": exc.code}) from None
    options = ProofOptions(
        created=created, proof_purpose="authentication", challenge=challenge, domain=domain
    )
    return sign(presentation, signer, suites=suites, options=options, cache=cache)
