"""The cryptosuite interface: every proof format is a plug-in behind one Protocol.

The caller names the suites it accepts (an allow-list); a document never picks its own
algorithm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from openler.core.jsonld.template import ExpansionCache
from openler.core.ports import Signer

__all__ = [
    "Cryptosuite",
    "ProofCheck",
    "ProofOptions",
    "VerificationKey",
    "format_datetime",
]


def format_datetime(value: datetime) -> str:
    """XSD dateTimeStamp in UTC with second precision: ``2026-01-01T00:00:00Z``."""
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class VerificationKey(Protocol):
    """A public key: ``verify`` returns False (never raises) for a bad signature."""

    @property
    def algorithm(self) -> str: ...

    def verify(self, signature: bytes, data: bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class ProofOptions:
    """What goes into a new proof besides the signature."""

    created: datetime | None = None
    proof_purpose: str = "assertionMethod"
    challenge: str | None = None
    domain: str | None = None
    expires: datetime | None = None
    nonce: str | None = None
    proof_id: str | None = None
    previous_proof: str | tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of verifying one proof's signature (key lookup happens elsewhere)."""

    ok: bool
    code: str
    message: str
    undefined_terms: tuple[str, ...] = ()
    invalid_iris: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


class Cryptosuite(Protocol):
    """One proof format. ``name`` is what callers put in their allow-list."""

    @property
    def name(self) -> str: ...

    @property
    def proof_type(self) -> str: ...

    def matches(self, proof: Mapping[str, Any]) -> bool:
        """Whether ``proof`` is in this suite's format."""
        ...

    def create_proof(
        self,
        unsecured: Mapping[str, Any],
        signer: Signer,
        options: ProofOptions,
        *,
        cache: ExpansionCache,
    ) -> dict[str, Any]:
        """Return the proof object for ``unsecured`` (a document without this proof).

        Raises UndefinedTerm / InvalidIri (nothing unsigned may slip through),
        ContextNotAllowed, or ProofError."""
        ...

    def verify_proof(
        self,
        unsecured: Mapping[str, Any],
        proof: Mapping[str, Any],
        key: VerificationKey,
        *,
        cache: ExpansionCache,
    ) -> ProofCheck:
        """Check ``proof`` over ``unsecured``; never raises for bad input."""
        ...
