"""Verification verdicts: a report of named checks, never an exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CHECK_ORDER", "Check", "CheckStatus", "VerificationResult"]

CheckStatus = Literal["pass", "fail", "warning", "skipped"]

#: The order checks are run and reported in.
CHECK_ORDER: tuple[str, ...] = (
    "structure",
    "context",
    "schema",
    "proof",
    "issuer",
    "validity",
    "status",
    "presentation",
)


@dataclass(frozen=True, slots=True)
class Check:
    """One named check.

    ``name`` is one of :data:`CHECK_ORDER`; ``code`` is stable and machine-readable
    (e.g. ``proof_valid``, ``credential_expired``); ``message`` is one plain sentence.
    """

    name: str
    status: CheckStatus
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.name,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """``verified`` is true only when no check failed."""

    checks: tuple[Check, ...]
    kind: Literal["credential", "presentation"] = "credential"
    document: Mapping[str, Any] | None = None
    credentials: tuple[VerificationResult, ...] = ()

    @property
    def verified(self) -> bool:
        return all(c.ok for c in self.checks) and all(r.verified for r in self.credentials)

    @property
    def errors(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "warning")

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "verified": self.verified,
            "checks": [c.to_dict() for c in self.checks],
            "errors": [c.code for c in self.errors],
            "warnings": [c.code for c in self.warnings],
        }
        if self.credentials:
            out["credentials"] = [r.to_dict() for r in self.credentials]
        return out
