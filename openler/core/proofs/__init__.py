"""Cryptosuites behind one interface, chosen by an allow-list the caller passes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from openler.core.errors import SuiteNotAllowed, UnsupportedSuite
from openler.core.proofs.base import Cryptosuite, ProofCheck, ProofOptions, VerificationKey
from openler.core.proofs.dataintegrity import (
    ED25519_SIGNATURE_2020,
    EDDSA_2022,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
)

__all__ = [
    "DEFAULT_SIGNING_SUITES",
    "DEFAULT_VERIFY_SUITES",
    "JWT_SUITE",
    "SUITES",
    "Cryptosuite",
    "ProofCheck",
    "ProofOptions",
    "VerificationKey",
    "suite_by_name",
    "suite_for_proof",
]

#: Every embedded-proof suite openler knows, by the name callers use in allow-lists.
SUITES: Mapping[str, Cryptosuite] = MappingProxyType(
    {
        "eddsa-rdfc-2022": EDDSA_RDFC_2022,
        "eddsa-jcs-2022": EDDSA_JCS_2022,
        "eddsa-2022": EDDSA_2022,
        "Ed25519Signature2020": ED25519_SIGNATURE_2020,
    }
)

#: The enveloping proof format (VC-JWT); not an embedded proof.
JWT_SUITE = "vc-jwt"

DEFAULT_SIGNING_SUITES: tuple[str, ...] = ("eddsa-rdfc-2022",)
DEFAULT_VERIFY_SUITES: frozenset[str] = frozenset(
    {"eddsa-rdfc-2022", "eddsa-jcs-2022", "eddsa-2022", "Ed25519Signature2020", JWT_SUITE}
)

_SIGNING = frozenset({"eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"})


def suite_by_name(name: str, *, for_signing: bool = False) -> Cryptosuite:
    suite = SUITES.get(name)
    if suite is None or (for_signing and name not in _SIGNING):
        known = sorted(_SIGNING if for_signing else SUITES)
        raise UnsupportedSuite(
            f"Unknown proof suite {name!r}; openler {'signs with' if for_signing else 'knows'} "
            f"{', '.join(known)}.",
            details={"suite": name},
        )
    return suite


def suite_for_proof(proof: Mapping[str, Any], allowed: Iterable[str]) -> Cryptosuite:
    """The allowed suite that handles ``proof``. Raises UnsupportedSuite when no known
    suite does, SuiteNotAllowed when the suite is known but not in ``allowed``."""
    allowed_set = frozenset(allowed)
    for name, suite in SUITES.items():
        if suite.matches(proof):
            if name not in allowed_set:
                raise SuiteNotAllowed(
                    f"Proofs of type {name} are not accepted by this verifier.",
                    details={"suite": name},
                )
            return suite
    label = proof.get("cryptosuite") or proof.get("type")
    raise UnsupportedSuite(
        f"The proof type {label!r} is not supported.", details={"suite": str(label)}
    )
