"""Credential and presentation verification (see :mod:`openler.core.verification`)."""

from openler.core.verification import (
    DEFAULT_POLICY,
    Verifier,
    VerifyPolicy,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "DEFAULT_POLICY",
    "Verifier",
    "VerifyPolicy",
    "verify_credential",
    "verify_presentation",
]
