"""Verification of credentials and presentations: reports of named checks."""

from openler.core.verification.credential import Verifier, verify_credential
from openler.core.verification.policy import DEFAULT_POLICY, SKIPPABLE_CHECKS, VerifyPolicy
from openler.core.verification.presentation import verify_presentation, verify_presentation_with

__all__ = [
    "DEFAULT_POLICY",
    "SKIPPABLE_CHECKS",
    "Verifier",
    "VerifyPolicy",
    "verify_credential",
    "verify_presentation",
    "verify_presentation_with",
]
