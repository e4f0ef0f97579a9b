"""Verification of credentials secured as compact JWS (OB 3.0 VC-JWT and W3C VC-JOSE)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openler.core.errors import OpenlerError
from openler.core.keys.keypair import PublicKey
from openler.core.keys.resolve import ResolvedMethod, resolve_verification_method
from openler.core.proofs import JWT_SUITE
from openler.core.proofs.vc_jwt import (
    decode_jwt,
    jwt_claim_mismatches,
    jwt_embedded_key,
    jwt_key_id,
    verify_jwt,
)
from openler.core.results import Check, VerificationResult
from openler.core.verification.checks import ordered
from openler.core.verification.policy import VerifyPolicy
from openler.core.verification.status_check import status_checks
from openler.core.verification.structure import StructureProblem, outline_credential

if TYPE_CHECKING:
    from openler.core.verification.credential import Verifier

__all__ = ["verify_jwt_credential"]


def _date_from_claim(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return None
    return None


def verify_jwt_credential(
    verifier: Verifier,
    token: str,
    now: datetime | None,
    policy: VerifyPolicy,
    *,
    depth: int,
) -> VerificationResult:
    try:
        decoded = decode_jwt(token)
    except OpenlerError as exc:
        return VerificationResult((Check("structure", "fail", exc.code, exc.message),))
    credential = dict(decoded.credential)
    claims = decoded.claims
    if decoded.form == "ob3-vc-claim":
        # VC-JWT 1.1: registered claims stand in for properties the vc claim may omit.
        if "issuer" not in credential and isinstance(claims.get("iss"), str):
            credential["issuer"] = claims["iss"]
        if "id" not in credential and isinstance(claims.get("jti"), str):
            credential["id"] = claims["jti"]
        start = "validFrom" if "validFrom" in credential else "issuanceDate"
        if start not in credential and (nbf := _date_from_claim(claims.get("nbf"))):
            credential["issuanceDate"] = nbf
    try:
        outline = outline_credential(credential)
    except StructureProblem as exc:
        return VerificationResult(
            (Check("structure", "fail", exc.code, exc.message),), document=credential
        )
    nbf, exp = _date_from_claim(claims.get("nbf")), _date_from_claim(claims.get("exp"))
    if nbf or exp:
        from openler.core.verification.structure import parse_datetime

        nbf_dt = parse_datetime(nbf, require_tz=True) if nbf else None
        exp_dt = parse_datetime(exp, require_tz=True) if exp else None
        outline = replace(
            outline,
            valid_from=max(filter(None, (outline.valid_from, nbf_dt)), default=None),
            valid_until=min(filter(None, (outline.valid_until, exp_dt)), default=None),
        )
    checks: list[Check] = [
        Check(
            "structure",
            "pass",
            "structure_valid",
            f"The token carries a well-formed VC {outline.vcdm} credential ({decoded.form}).",
        )
    ]
    checks.append(verifier._context_check(outline, policy))
    checks.extend(verifier._schema_checks(credential, outline, policy))
    methods: list[ResolvedMethod] = []
    issuer_checks: list[Check] = []
    if JWT_SUITE not in policy.suites:
        checks.append(
            Check(
                "proof",
                "fail",
                "suite_not_allowed",
                "JWT-secured credentials are not accepted by this verifier.",
            )
        )
    else:
        key: PublicKey | None = None
        vm_id = jwt_key_id(decoded)
        if vm_id is not None:
            try:
                method = resolve_verification_method(vm_id, verifier.resolver)
                key = method.public_key
                methods.append(method)
            except OpenlerError as exc:
                checks.append(
                    Check(
                        "proof",
                        "fail",
                        "verification_method_unresolved",
                        f"The signing key could not be found: {exc.message}",
                    )
                )
        elif policy.allow_embedded_jwk:
            key = jwt_embedded_key(decoded)
            if key is not None:
                issuer_checks.append(
                    Check(
                        "issuer",
                        "fail" if policy.strict else "warning",
                        "issuer_key_unbound",
                        "The token carries its own key; nothing ties that key to the issuer.",
                    )
                )
        if key is None and not any(c.name == "proof" for c in checks):
            checks.append(
                Check(
                    "proof",
                    "fail",
                    "verification_method_unresolved",
                    "The token names no key that can be resolved.",
                )
            )
        elif key is not None:
            if verify_jwt(decoded, key):
                alg = decoded.header.get("alg")
                checks.append(
                    Check("proof", "pass", "proof_valid", f"The JWT signature ({alg}) is valid.")
                )
            else:
                checks.append(
                    Check(
                        "proof",
                        "fail",
                        "signature_invalid",
                        "The JWT signature does not match: the token was altered or "
                        "signed with another key.",
                    )
                )
        mismatches = jwt_claim_mismatches(decoded)
        if mismatches:
            checks.append(
                Check(
                    "proof",
                    "fail",
                    "jwt_claims_mismatch",
                    "The token's claims contradict the credential: " + ", ".join(mismatches) + ".",
                )
            )
    if not any(c.status == "fail" and c.name == "proof" for c in checks):
        checks.extend(verifier.issuer_checks(outline.issuer, methods, "assertionMethod", policy))
    checks.extend(issuer_checks)
    checks.extend(verifier.validity_checks(outline, now, policy))
    checks.extend(status_checks(verifier, credential, outline, now, policy, depth))
    return VerificationResult(tuple(ordered(checks)), document=credential)
