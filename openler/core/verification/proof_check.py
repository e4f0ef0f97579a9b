"""The *proof* check: every proof of a proof set (and chains via ``previousProof``),
each with its verification method resolved through the caller's resolver."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openler.core.errors import OpenlerError
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.resolve import ResolvedMethod, resolve_verification_method
from openler.core.ports import ControllerResolver
from openler.core.proofs import suite_for_proof
from openler.core.results import Check
from openler.core.verification.checks import fail as _fail
from openler.core.verification.checks import passed as _pass
from openler.core.verification.checks import warn as _warn
from openler.core.verification.policy import VerifyPolicy

__all__ = ["ProofOutcome", "proof_checks"]


@dataclass(frozen=True, slots=True)
class ProofOutcome:
    """The proof checks, and the verification methods of the proofs that held."""

    checks: list[Check]
    methods: list[ResolvedMethod]


def proof_checks(
    document: Mapping[str, Any],
    proofs: tuple[Mapping[str, Any], ...],
    *,
    purpose: str,
    resolver: ControllerResolver | None,
    policy: VerifyPolicy,
    cache: ExpansionCache,
    expected_challenge: str | None = None,
    expected_domain: str | None = None,
) -> ProofOutcome:
    """Verify every proof of a proof set (and chains via ``previousProof``)."""
    if not proofs:
        return ProofOutcome([_fail("proof", "proof_missing", "The document carries no proof.")], [])
    if len(proofs) > policy.limits.max_proofs:
        return ProofOutcome(
            [
                _fail(
                    "proof",
                    "too_many_proofs",
                    f"The document carries more than {policy.limits.max_proofs} proofs.",
                )
            ],
            [],
        )
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    by_id = {p.get("id"): p for p in proofs if isinstance(p.get("id"), str)}
    checks: list[Check] = []
    methods: list[ResolvedMethod] = []
    accepted = 0
    for index, proof in enumerate(proofs):
        label = f"proof {index + 1} ({proof.get('cryptosuite') or proof.get('type')})"
        try:
            suite = suite_for_proof(proof, policy.suites)
        except OpenlerError as exc:
            checks.append(_warn("proof", exc.code, f"{label}: {exc.message}", index=index))
            continue
        accepted += 1
        if proof.get("proofPurpose") != purpose:
            checks.append(
                _fail(
                    "proof",
                    "proof_purpose_invalid",
                    f"{label}: the proof purpose must be {purpose}.",
                    index=index,
                )
            )
            continue
        if expected_challenge is not None and proof.get("challenge") != expected_challenge:
            checks.append(
                _fail(
                    "presentation",
                    "challenge_mismatch",
                    f"{label}: the challenge does not match the one requested.",
                )
            )
            continue
        if expected_domain is not None and proof.get("domain") != expected_domain:
            checks.append(
                _fail(
                    "presentation",
                    "domain_mismatch",
                    f"{label}: the domain does not match the one requested.",
                )
            )
            continue
        signed_over: Mapping[str, Any] = unsecured
        previous = proof.get("previousProof")
        if previous is not None:
            wanted = [previous] if isinstance(previous, str) else previous
            if not isinstance(wanted, list) or not all(w in by_id for w in wanted):
                checks.append(
                    _fail(
                        "proof",
                        "previous_proof_missing",
                        f"{label}: a proof it chains to is missing.",
                        index=index,
                    )
                )
                continue
            signed_over = {**unsecured, "proof": [by_id[w] for w in wanted]}
        vm_id = proof.get("verificationMethod")
        try:
            if not isinstance(vm_id, str):
                raise OpenlerError("The proof names no verification method.")
            method = resolve_verification_method(vm_id, resolver)
        except OpenlerError as exc:
            checks.append(
                _fail(
                    "proof",
                    "verification_method_unresolved",
                    f"{label}: the signing key could not be found: {exc.message}",
                    index=index,
                )
            )
            continue
        outcome = suite.verify_proof(signed_over, proof, method.public_key, cache=cache)
        if not outcome.ok:
            checks.append(_fail("proof", outcome.code, f"{label}: {outcome.message}", index=index))
            continue
        methods.append(method)
        checks.append(
            _pass(
                "proof",
                "proof_valid",
                f"{label}: {outcome.message}",
                index=index,
                verificationMethod=method.id,
            )
        )
        if outcome.undefined_terms:
            make = _fail if policy.strict else _warn
            checks.append(
                make(
                    "context",
                    "undefined_terms",
                    "These terms are not defined by the credential's contexts, so the signature "
                    f"does not cover them: {', '.join(outcome.undefined_terms)}.",
                    terms=list(outcome.undefined_terms),
                )
            )
        if outcome.invalid_iris:
            make = _fail if policy.strict else _warn
            checks.append(
                make(
                    "context",
                    "invalid_iris",
                    "These relative or invalid IRIs are not covered by the signature: "
                    f"{', '.join(outcome.invalid_iris)}.",
                    iris=list(outcome.invalid_iris),
                )
            )
    if accepted == 0:
        checks.append(
            _fail(
                "proof",
                "no_acceptable_proof",
                "None of the document's proofs is of a kind this verifier accepts.",
            )
        )
    return ProofOutcome(_dedupe(checks), methods)


def _dedupe(checks: list[Check]) -> list[Check]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in checks:
        key = (c.code, c.message)
        if c.name == "context" and key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out
