"""openler's pure core: Open Badges 3.0 / CLR 2.0 credentials, JSON-LD over bundled
contexts, RDFC-1.0, keys and DIDs, Data Integrity and VC-JWT proofs, Bitstring Status
Lists, and verification reports. No I/O: keys, clocks, resolvers and status lists come
in as parameters.

    >>> from openler.core import KeyPair, issue, verify_credential
"""

from openler.core.errors import OpenlerError
from openler.core.keys.keypair import KeyPair, PublicKey
from openler.core.proofs import ProofOptions
from openler.core.results import Check, VerificationResult
from openler.core.signing import create_presentation, issue, issue_jwt, sign, sign_presentation
from openler.core.verification import (
    Verifier,
    VerifyPolicy,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "Check",
    "KeyPair",
    "OpenlerError",
    "ProofOptions",
    "PublicKey",
    "VerificationResult",
    "Verifier",
    "VerifyPolicy",
    "create_presentation",
    "issue",
    "issue_jwt",
    "sign",
    "sign_presentation",
    "verify_credential",
    "verify_presentation",
]
