"""``verify_credential``: a report of named checks, never an exception for bad input.

Order: structure -> context -> schema -> proof -> issuer -> validity -> status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openler.core.errors import OpenlerError
from openler.core.jsonld.loader import BundledLoader
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.resolve import ResolvedMethod
from openler.core.limits import check_shape_limits, parse_json
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.core.results import Check, VerificationResult
from openler.core.verification.checks import fail as _fail
from openler.core.verification.checks import ordered as _ordered
from openler.core.verification.checks import passed as _pass
from openler.core.verification.checks import skip as _skip
from openler.core.verification.policy import DEFAULT_POLICY, VerifyPolicy
from openler.core.verification.proof_check import proof_checks
from openler.core.verification.schema_check import schema_check
from openler.core.verification.status_check import status_checks
from openler.core.verification.structure import (
    Outline,
    StructureProblem,
    outline_credential,
)

__all__ = ["Verifier", "default_verifier", "verify_credential"]


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
        checks.extend(status_checks(self, credential, outline, now, policy, depth))
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


def _looks_like_jwt(text: str) -> bool:
    stripped = text.strip()
    return stripped.count(".") == 2 and not stripped.startswith(("{", "["))


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
