"""``verify_credential``: a report of named checks, never an exception for bad input.

Order: structure -> context -> schema -> proof -> issuer -> validity -> status.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openler.core.errors import OpenlerError, StatusListError
from openler.core.jsonld.loader import BundledLoader
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.resolve import ResolvedMethod, resolve_verification_method
from openler.core.limits import check_shape_limits, parse_json
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.core.proofs import suite_for_proof
from openler.core.results import Check, VerificationResult
from openler.core.status import read_status
from openler.core.verification.policy import DEFAULT_POLICY, VerifyPolicy
from openler.core.verification.schema_check import schema_check
from openler.core.verification.structure import (
    Outline,
    StructureProblem,
    outline_credential,
)

__all__ = ["Verifier", "default_verifier", "proof_checks", "verify_credential"]


def _fail(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "fail", code, message, details)


def _pass(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "pass", code, message, details)


def _warn(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "warning", code, message, details)


def _skip(name: str, code: str, message: str) -> Check:
    return Check(name, "skipped", code, message)


@dataclass(frozen=True, slots=True)
class _ProofOutcome:
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
) -> _ProofOutcome:
    """Verify every proof of a proof set (and chains via ``previousProof``)."""
    if not proofs:
        return _ProofOutcome(
            [_fail("proof", "proof_missing", "The document carries no proof.")], []
        )
    if len(proofs) > policy.limits.max_proofs:
        return _ProofOutcome(
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
    return _ProofOutcome(_dedupe(checks), methods)


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


class Verifier:
    """Verifies credentials with a fixed loader, cache, resolver and status fetcher.

    Reuse one instance: it keeps the expansion templates of the shapes it has seen."""

    def __init__(
        self,
        *,
        resolver: ControllerResolver | None = None,
        status_fetcher: StatusListFetcher | None = None,
        policy: VerifyPolicy = DEFAULT_POLICY,
        loader: BundledLoader | None = None,
        cache: ExpansionCache | None = None,
    ) -> None:
        self.resolver = resolver
        self.status_fetcher = status_fetcher
        self.policy = policy
        self.cache = cache or ExpansionCache(loader)
        self.loader = self.cache.loader

    # -- entry point ----------------------------------------------------------------------

    def verify(
        self,
        credential: Mapping[str, Any] | str | bytes,
        *,
        now: datetime | None = None,
        policy: VerifyPolicy | None = None,
    ) -> VerificationResult:
        policy = policy or self.policy
        try:
            return self._verify(credential, now, policy, depth=0)
        except RecursionError:
            return VerificationResult(
                (_fail("structure", "input_too_large", "The credential is nested too deeply."),)
            )

    def _verify(
        self,
        credential: Mapping[str, Any] | str | bytes,
        now: datetime | None,
        policy: VerifyPolicy,
        *,
        depth: int,
    ) -> VerificationResult:
        if isinstance(credential, str | bytes):
            text = (
                credential.decode("utf-8", "replace")
                if isinstance(credential, bytes)
                else (credential)
            )
            if _looks_like_jwt(text):
                from openler.core.verification.jwt import verify_jwt_credential

                return verify_jwt_credential(self, text.strip(), now, policy, depth=depth)
            try:
                credential = parse_json(credential, policy.limits)
            except OpenlerError as exc:
                return VerificationResult((_fail("structure", exc.code, exc.message),))
        else:
            try:
                check_shape_limits(credential, policy.limits)
            except OpenlerError as exc:
                return VerificationResult((_fail("structure", exc.code, exc.message),))
        try:
            outline = outline_credential(credential)
        except StructureProblem as exc:
            failed = [_fail("structure", exc.code, exc.message)]
            if not isinstance(credential, Mapping):
                return VerificationResult(tuple(failed))
            # Still say whether the signature holds: "signed, but not a valid credential".
            proofs = credential.get("proof")
            proof_list = proofs if isinstance(proofs, list) else [proofs] if proofs else []
            if proof_list and all(isinstance(p, Mapping) for p in proof_list):
                failed += proof_checks(
                    credential,
                    tuple(proof_list),
                    purpose="assertionMethod",
                    resolver=self.resolver,
                    policy=policy,
                    cache=self.cache,
                ).checks
            return VerificationResult(tuple(_ordered(failed)), document=credential)
        assert isinstance(credential, Mapping)
        checks = [
            _pass(
                "structure",
                "structure_valid",
                f"The document is a well-formed VC {outline.vcdm} credential.",
            )
        ]
        checks.append(self._context_check(outline, policy))
        checks.extend(self._schema_checks(credential, outline, policy))
        proofs = proof_checks(
            credential,
            outline.proofs,
            purpose="assertionMethod",
            resolver=self.resolver,
            policy=policy,
            cache=self.cache,
        )
        checks.extend(proofs.checks)
        checks.extend(self.issuer_checks(outline.issuer, proofs.methods, "assertionMethod", policy))
        checks.extend(self.validity_checks(outline, now, policy))
        checks.extend(self._status_checks(credential, outline, now, policy, depth))
        return VerificationResult(tuple(_ordered(checks)), document=credential)

    # -- checks ---------------------------------------------------------------------------

    def _context_check(self, outline: Outline, policy: VerifyPolicy) -> Check:
        if len(outline.contexts) > policy.limits.max_contexts:
            return _fail(
                "context",
                "too_many_contexts",
                f"The document lists more than {policy.limits.max_contexts} contexts.",
            )
        unknown = [c for c in outline.contexts if isinstance(c, str) and c not in self.loader]
        if unknown:
            return _fail(
                "context",
                "context_not_allowed",
                "These JSON-LD contexts are not known to this verifier and are never "
                f"fetched: {', '.join(unknown)}.",
                contexts=unknown,
            )
        bad = [c for c in outline.contexts if not isinstance(c, str | dict)]
        if bad:
            return _fail(
                "context", "invalid_context", "Each @context entry must be a URL or an object."
            )
        return _pass("context", "contexts_known", "Every JSON-LD context is a known one.")

    def _schema_checks(
        self, credential: Mapping[str, Any], outline: Outline, policy: VerifyPolicy
    ) -> list[Check]:
        if "schema" in policy.skip:
            return [_skip("schema", "schema_skipped", "JSON Schema validation was skipped.")]
        return schema_check(credential, outline, strict=policy.strict)

    def issuer_checks(
        self,
        controller: str | None,
        methods: list[ResolvedMethod],
        purpose: str,
        policy: VerifyPolicy,
    ) -> list[Check]:
        name = "issuer" if purpose == "assertionMethod" else "presentation"
        if name == "issuer" and "issuer" in policy.skip:
            return [_skip("issuer", "issuer_skipped", "The issuer key check was skipped.")]
        if not methods:
            return []
        out = []
        for method in methods:
            if controller is not None and method.controller != controller:
                who = "issuer" if name == "issuer" else "holder"
                out.append(
                    _fail(
                        name,
                        f"{who}_mismatch",
                        f"The signing key belongs to {method.controller}, not to the "
                        f"{who} {controller}.",
                        verificationMethod=method.id,
                    )
                )
            elif purpose not in method.purposes:
                out.append(
                    _fail(
                        name,
                        "verification_method_not_authorized",
                        f"{method.controller} does not list this key for {purpose}.",
                        verificationMethod=method.id,
                    )
                )
        if out:
            return out
        who = "issuer" if name == "issuer" else "holder"
        return [
            _pass(
                name,
                f"{who}_key_authorized",
                f"The signing key belongs to the {who} {controller} and is authorized "
                f"for {purpose}.",
            )
        ]

    def validity_checks(
        self, outline: Outline, now: datetime | None, policy: VerifyPolicy
    ) -> list[Check]:
        if "validity" in policy.skip:
            return [_skip("validity", "validity_skipped", "Validity dates were not checked.")]
        if now is None:
            return [
                _skip(
                    "validity",
                    "validity_unchecked",
                    "No current time was given, so validity dates were not checked.",
                )
            ]
        skew = policy.max_clock_skew
        if outline.valid_from is not None and now + skew < outline.valid_from:
            return [
                _fail(
                    "validity",
                    "not_yet_valid",
                    f"The credential is not valid before {outline.valid_from:%Y-%m-%d %H:%M} UTC.",
                    validFrom=outline.valid_from.isoformat(),
                )
            ]
        if outline.valid_until is not None and now - skew > outline.valid_until:
            return [
                _fail(
                    "validity",
                    "expired",
                    f"The credential expired on {outline.valid_until:%Y-%m-%d %H:%M} UTC.",
                    validUntil=outline.valid_until.isoformat(),
                )
            ]
        return [_pass("validity", "valid_now", "The credential is within its validity period.")]

    def _status_checks(
        self,
        credential: Mapping[str, Any],
        outline: Outline,
        now: datetime | None,
        policy: VerifyPolicy,
        depth: int,
    ) -> list[Check]:
        if not outline.status_entries:
            return [_skip("status", "no_status", "The credential has no status entry.")]
        if "status" in policy.skip:
            return [_skip("status", "status_skipped", "Revocation status was not checked.")]
        if self.status_fetcher is None or depth > 0:
            return [
                _warn(
                    "status",
                    "status_unchecked",
                    "No status service was available, so revocation was not checked.",
                )
            ]
        out = []
        for entry in outline.status_entries:
            out.append(self._one_status(credential, outline, entry, now, policy))
        return out

    def _one_status(
        self,
        credential: Mapping[str, Any],
        outline: Outline,
        entry: Mapping[str, Any],
        now: datetime | None,
        policy: VerifyPolicy,
    ) -> Check:
        unavailable = _fail if policy.strict else _warn
        url = entry.get("statusListCredential") or entry.get("id")
        purpose = entry.get("statusPurpose", "revocation")
        assert self.status_fetcher is not None
        try:
            if not isinstance(url, str):
                raise StatusListError("The status entry names no status list.")
            list_doc = self.status_fetcher.fetch(url)
        except OpenlerError as exc:
            return unavailable(
                "status",
                "status_unavailable",
                f"The status list could not be fetched: {exc.message}",
                url=url,
            )
        except Exception as exc:  # a misbehaving fetcher must not crash verification
            return unavailable(
                "status",
                "status_unavailable",
                f"The status list could not be fetched: {exc}",
                url=url,
            )
        if "1EdTechRevocationList" not in _as_types(entry.get("type")):
            list_result = self._verify(copy.deepcopy(dict(list_doc)), now, policy, depth=1)
            if not list_result.verified:
                reasons = "; ".join(c.message for c in list_result.errors)
                return unavailable(
                    "status",
                    "status_list_invalid",
                    f"The status list at {url} failed verification: {reasons}",
                    url=url,
                )
            list_issuer = outline_issuer(list_doc)
            if list_issuer is not None and list_issuer != outline.issuer:
                return unavailable(
                    "status",
                    "status_list_issuer_mismatch",
                    "The status list was issued by someone other than the credential's issuer.",
                    url=url,
                )
        try:
            reading = read_status(
                entry,
                list_doc,
                credential_id=outline.id,
                min_entries=131_072 if policy.strict else 8,
            )
        except OpenlerError as exc:
            return unavailable(
                "status",
                "status_unavailable",
                f"The status could not be read: {exc.message}",
                url=url,
            )
        if reading.set and reading.purpose == "revocation":
            return _fail(
                "status",
                "revoked",
                "The issuer has revoked this credential.",
                url=url,
                index=reading.index,
            )
        if reading.set and reading.purpose == "suspension":
            return _fail(
                "status",
                "suspended",
                "The issuer has suspended this credential.",
                url=url,
                index=reading.index,
            )
        if reading.purpose in ("revocation", "suspension"):
            word = "revoked" if reading.purpose == "revocation" else "suspended"
            return _pass("status", "status_active", f"The credential is not {word}.", url=url)
        return _pass(
            "status",
            "status_read",
            f"Status ({purpose}): {reading.message or reading.value}.",
            url=url,
            value=reading.value,
        )


def outline_issuer(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer_id if isinstance(issuer_id, str) else None


def _as_types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _looks_like_jwt(text: str) -> bool:
    stripped = text.strip()
    return stripped.count(".") == 2 and not stripped.startswith(("{", "["))


_ORDER = {
    name: i
    for i, name in enumerate(
        ("structure", "context", "schema", "proof", "issuer", "validity", "status", "presentation")
    )
}


def _ordered(checks: list[Check]) -> list[Check]:
    return sorted(checks, key=lambda c: _ORDER.get(c.name, len(_ORDER)))


_DEFAULT: Verifier | None = None


def default_verifier() -> Verifier:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Verifier()
    return _DEFAULT


def verify_credential(
    credential: Mapping[str, Any] | str | bytes,
    *,
    resolver: ControllerResolver | None = None,
    status_fetcher: StatusListFetcher | None = None,
    now: datetime | None = None,
    policy: VerifyPolicy = DEFAULT_POLICY,
) -> VerificationResult:
    """Verify a credential (JSON object, JSON text, or compact VC-JWT).

    Never raises for bad input: every problem is a failed :class:`Check`."""
    base = default_verifier()
    verifier = Verifier(
        resolver=resolver, status_fetcher=status_fetcher, policy=policy, cache=base.cache
    )
    return verifier.verify(credential, now=now)
