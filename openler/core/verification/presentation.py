"""``verify_presentation``: the holder's proof (authentication, challenge, domain) and
every credential inside, each with its own report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openler.core.errors import OpenlerError
from openler.core.limits import check_shape_limits, parse_json
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.core.results import Check, VerificationResult
from openler.core.verification.checks import ordered as _ordered
from openler.core.verification.credential import Verifier, default_verifier
from openler.core.verification.policy import DEFAULT_POLICY, VerifyPolicy
from openler.core.verification.proof_check import proof_checks
from openler.core.verification.structure import StructureProblem, outline_presentation

__all__ = ["verify_presentation", "verify_presentation_with"]


def _fail(code: str, message: str, name: str = "structure") -> VerificationResult:
    return VerificationResult((Check(name, "fail", code, message),), kind="presentation")


def verify_presentation_with(
    verifier: Verifier,
    presentation: Mapping[str, Any] | str | bytes,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
    policy: VerifyPolicy | None = None,
) -> VerificationResult:
    policy = policy or verifier.policy
    try:
        if isinstance(presentation, str | bytes):
            presentation = parse_json(presentation, policy.limits)
        else:
            check_shape_limits(presentation, policy.limits)
    except OpenlerError as exc:
        return _fail(exc.code, exc.message)
    try:
        outline = outline_presentation(presentation)
    except StructureProblem as exc:
        return _fail(exc.code, exc.message)
    except RecursionError:
        return _fail("input_too_large", "The presentation is nested too deeply.")
    assert isinstance(presentation, Mapping)
    if len(outline.credentials) > policy.limits.max_credentials:
        return _fail(
            "too_many_credentials",
            f"The presentation holds more than {policy.limits.max_credentials} credentials.",
        )
    checks = [
        Check(
            "structure",
            "pass",
            "structure_valid",
            f"The document is a well-formed VC {outline.vcdm} presentation.",
        )
    ]
    context = verifier._context_check(outline, policy)
    checks.append(context)
    if context.status == "fail":
        return VerificationResult(tuple(checks), kind="presentation", document=presentation)
    proofs = proof_checks(
        presentation,
        outline.proofs,
        purpose="authentication",
        resolver=verifier.resolver,
        policy=policy,
        cache=verifier.cache,
        expected_challenge=challenge,
        expected_domain=domain,
    )
    checks.extend(proofs.checks)
    checks.extend(verifier.issuer_checks(outline.holder, proofs.methods, "authentication", policy))
    if challenge is None and domain is None:
        checks.append(
            Check(
                "presentation",
                "warning",
                "no_challenge",
                "No challenge was requested, so this presentation could be a replay.",
            )
        )
    elif not any(c.status == "fail" for c in checks if c.name in ("proof", "presentation")):
        checks.append(
            Check(
                "presentation",
                "pass",
                "challenge_matches",
                "The presentation answers the requested challenge and domain.",
            )
        )
    results = []
    for item in outline.credentials:
        if isinstance(item, Mapping) and "EnvelopedVerifiableCredential" in _types(item):
            item = _unwrap_envelope(item)
        results.append(verifier.verify(item, now=now, policy=policy))
    if not results:
        checks.append(
            Check(
                "presentation",
                "warning",
                "no_credentials",
                "The presentation holds no credentials.",
            )
        )
    return VerificationResult(
        tuple(_ordered(checks)),
        kind="presentation",
        document=presentation,
        credentials=tuple(results),
    )


def _types(item: Mapping[str, Any]) -> list[str]:
    t = item.get("type")
    return (
        [t]
        if isinstance(t, str)
        else [x for x in t if isinstance(x, str)]
        if isinstance(t, list)
        else []
    )


def _unwrap_envelope(item: Mapping[str, Any]) -> Any:
    """An EnvelopedVerifiableCredential carries a VC-JOSE token in a data: URL."""
    data = item.get("id")
    if isinstance(data, str) and data.startswith("data:") and "," in data:
        return data.split(",", 1)[1]
    return item


def verify_presentation(
    presentation: Mapping[str, Any] | str | bytes,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    resolver: ControllerResolver | None = None,
    status_fetcher: StatusListFetcher | None = None,
    now: datetime | None = None,
    policy: VerifyPolicy = DEFAULT_POLICY,
) -> VerificationResult:
    """Verify a presentation and each credential in it. Never raises for bad input."""
    verifier = Verifier(
        resolver=resolver,
        status_fetcher=status_fetcher,
        policy=policy,
        cache=default_verifier().cache,
    )
    return verify_presentation_with(
        verifier, presentation, challenge=challenge, domain=domain, now=now
    )
