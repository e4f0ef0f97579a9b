"""What a verifier accepts: suites, strictness, clock skew, checks to skip, limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from openler.core.limits import DEFAULT_LIMITS, Limits
from openler.core.proofs import DEFAULT_VERIFY_SUITES
from openler.core.results import CHECK_ORDER

__all__ = ["DEFAULT_POLICY", "SKIPPABLE_CHECKS", "VerifyPolicy"]

#: Checks a caller may skip (structure and proof always run).
SKIPPABLE_CHECKS = frozenset({"context", "schema", "issuer", "validity", "status"})


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    """``strict`` turns these warnings into failures: terms no context defines, a status
    list that cannot be read, status lists shorter than the Bitstring Status List minimum,
    and JSON Schema problems in a credential that declares no schema."""

    suites: frozenset[str] = DEFAULT_VERIFY_SUITES
    strict: bool = False
    max_clock_skew: timedelta = timedelta(minutes=5)
    skip: frozenset[str] = frozenset()
    allow_embedded_jwk: bool = False
    limits: Limits = field(default=DEFAULT_LIMITS)

    def with_skip(self, checks: Iterable[str]) -> VerifyPolicy:
        wanted = frozenset(c.strip() for c in checks if c.strip())
        unknown = wanted - SKIPPABLE_CHECKS
        if unknown:
            known = ", ".join(c for c in CHECK_ORDER if c in SKIPPABLE_CHECKS)
            raise ValueError(f"Cannot skip {', '.join(sorted(unknown))}; skippable: {known}.")
        return replace(self, skip=self.skip | wanted)


DEFAULT_POLICY = VerifyPolicy()
