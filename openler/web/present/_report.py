"""A verification report for humans: :func:`report_view` (see :mod:`openler.web.present`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from openler.core.results import Check, VerificationResult
from openler.web.present._models import (
    CheckRow,
    NestedVerdict,
    ProofInfo,
    ReportView,
    RowStatus,
    Verdict,
)
from openler.web.present._read import (
    _issuer,
    _maps,
    _text,
    _trust,
    _vcdm,
    human_date,
    humanize,
)

_AREAS: Final[Mapping[str, str]] = {
    "proof": "signature",
    "issuer": "issuer",
    "trust": "issuer",
    "status": "status",
    "validity": "validity",
    "schema": "schema",
    "structure": "format",
    "context": "format",
    "presentation": "holder",
}
_TITLES: Final[Mapping[str, str]] = {
    "signature": "Signature",
    "issuer": "Issuer",
    "status": "Status",
    "validity": "Validity dates",
    "schema": "Schema",
    "format": "Format",
    "holder": "Presentation",
}
_RANK: Final[Mapping[str, int]] = {"skipped": 0, "pass": 1, "warning": 2, "fail": 3}
_SENTENCES: Final[Mapping[str, str]] = {
    "signature_invalid": "The signature does not match: the credential was changed after it "
    "was signed, or it was signed with a different key.",
    "proof_missing": "The credential carries no signature, so nothing shows who issued it.",
    "no_acceptable_proof": "None of its signatures is of a kind this verifier accepts.",
    "revoked": "Revoked: the issuer has revoked this credential; it should no longer be relied on.",
    "suspended": "Suspended: the issuer has suspended this credential; do not rely on it "
    "unless the issuer reinstates it.",
    "no_status": "The issuer published no status list for this credential, so it cannot "
    "be revoked.",
    "status_skipped": "Revocation was not checked.",
    "schema_valid": "It matches the official 1EdTech JSON Schema for its type.",
    "schema_not_applicable": "No official JSON Schema applies to this kind of credential.",
    "schema_skipped": "The JSON Schema was not checked.",
    "validity_unchecked": "The validity dates were not checked.",
    "validity_skipped": "The validity dates were not checked.",
    "issuer_mismatch": "It was signed with a key that does not belong to the issuer it names.",
    "verification_method_not_authorized": "The issuer does not list the signing key as one "
    "it issues credentials with.",
    "issuer_key_unbound": "The token carries its own key, and nothing ties that key to the issuer.",
    "no_challenge": "The presentation was not bound to a challenge from this verifier, so "
    "it may be a copy of one made for someone else.",
    "malformed_json": "This is not valid JSON.",
}
_UNAVAILABLE_WHY: Final[Mapping[str, str]] = {
    "status_unavailable": "The issuer's status list could not be read.",
    "status_list_invalid": "The issuer's status list failed its own verification.",
    "status_list_issuer_mismatch": "The status list was published by someone other than "
    "the issuer.",
    "status_unchecked": "No status service was available.",
}
_UNAVAILABLE: Final = frozenset(_UNAVAILABLE_WHY)


def _sentence_for(check: Check) -> str:
    return _SENTENCES.get(check.code, check.message)


def proofs_of(document: Mapping[str, Any] | None) -> tuple[ProofInfo, ...]:
    """The suite and key of each embedded proof of ``document``."""
    if not isinstance(document, Mapping):
        return ()
    out = []
    for proof in _maps(document.get("proof"), 16):
        suite = _text(proof.get("cryptosuite"), 100) or _text(proof.get("type"), 100)
        out.append(ProofInfo(suite or "an unknown suite", _text(proof.get("verificationMethod"))))
    return tuple(out)


def _signature_row(checks: list[Check], proofs: Sequence[ProofInfo]) -> tuple[str, str]:
    sentences, failed = [], [c for c in checks if c.status == "fail"]
    for check in checks:
        index = check.details.get("index") if check.details else None
        proof = proofs[index] if isinstance(index, int) and 0 <= index < len(proofs) else None
        if proof is None and len(proofs) == 1:
            proof = proofs[0]
        if check.status == "pass":
            key = (check.details or {}).get("verificationMethod") or (proof and proof.key)
            suite = proof.suite if proof else "its proof"
            sentence = f"Signed with {suite}" + (f" by the key {key}" if key else "")
            sentences.append(sentence + "; the signature matches the content.")
        elif check.code == "verification_method_unresolved":
            key = proof.key if proof and proof.key else "it names"
            sentences.append(
                f"The signing key {key} could not be found, so the signature cannot be checked."
            )
        elif check.status != "skipped":
            sentences.append(_sentence_for(check))
    label = "Valid"
    if failed:
        label = "Missing" if failed[0].code == "proof_missing" else "Invalid"
    return label, " ".join(dict.fromkeys(sentences))


def _issuer_row(
    checks: list[Check], report: VerificationResult, signature_ok: bool
) -> tuple[RowStatus | None, str, str]:
    issuer = _issuer((report.document or {}).get("issuer"))
    who = issuer.name + (f" ({issuer.id})" if issuer.id and issuer.id != issuer.name else "")
    key_checks = [c for c in checks if c.name == "issuer"]
    trust = _trust(report)
    status: RowStatus | None = None
    if any(c.status == "fail" for c in key_checks):
        bad = next(c for c in key_checks if c.status == "fail")
        return "fail", "Not confirmed", f"Names {who} as its issuer, but: {_sentence_for(bad)}"
    if any(c.status == "pass" for c in key_checks):
        sentence = f"Issued by {who}; the signing key belongs to this issuer."
        label = "Confirmed"
    else:
        status = "skipped"
        reason = "" if signature_ok else ", because the signature did not verify"
        sentence = f"Names {who} as its issuer; this is not confirmed{reason}."
        label = "Not confirmed"
    warnings = [c for c in key_checks if c.status == "warning"]
    sentence += "".join(f" {_sentence_for(c)}" for c in warnings)
    if trust is not None:
        sentence += f" {trust.sentence}"
        label = "Trusted" if trust.trusted and label == "Confirmed" else label
        if not trust.trusted and label == "Confirmed":
            label = "Confirmed, not in registry"
    return status, label, sentence


def _status_row(checks: list[Check]) -> tuple[str, str]:
    codes = {c.code for c in checks}
    if "revoked" in codes:
        return "Revoked", _SENTENCES["revoked"]
    if "suspended" in codes:
        return "Suspended", _SENTENCES["suspended"]
    unavailable = [c for c in checks if c.code in _UNAVAILABLE]
    if unavailable:
        why = _UNAVAILABLE_WHY.get(unavailable[0].code, _UNAVAILABLE_WHY["status_unavailable"])
        return "Status unavailable", (
            f"{why} This does not mean the credential is revoked: whether it was revoked or "
            "suspended is unknown. Try again later, or ask the issuer."
        )
    if "status_active" in codes:
        purposes = [c.message for c in checks if c.code == "status_active"]
        revocable = any("revoked" in m for m in purposes)
        suspendable = any("suspended" in m for m in purposes)
        what = " or ".join(
            w for w, on in (("revoked", revocable), ("suspended", suspendable)) if on
        )
        return "Active", f"Active: the issuer has not {what or 'revoked'} this credential."
    if "status_read" in codes:
        return "Read", " ".join(c.message for c in checks if c.code == "status_read")
    if "no_status" in codes:
        return "No status list", _SENTENCES["no_status"]
    return "Not checked", _SENTENCES["status_skipped"]


def _validity_row(checks: list[Check], document: Mapping[str, Any]) -> tuple[str, str]:
    start = human_date(document.get("validFrom") or document.get("issuanceDate"))
    end = human_date(document.get("validUntil") or document.get("expirationDate"))
    for check in checks:
        if check.code == "expired":
            when = human_date((check.details or {}).get("validUntil")) or end
            return "Expired", f"Expired on {when}." if when else "Expired."
        if check.code == "not_yet_valid":
            when = human_date((check.details or {}).get("validFrom")) or start
            return "Not yet valid", f"Not valid until {when}." if when else "Not yet valid."
    if any(c.code == "valid_now" for c in checks):
        if end:
            return "Valid", f"Valid from {start} until {end}." if start else f"Valid until {end}."
        since = f"Valid since {start}" if start else "Valid now"
        return "Valid", f"{since}; it has no expiry date."
    return "Not checked", " ".join(_sentence_for(c) for c in checks)


def _format_row(checks: list[Check], document: Mapping[str, Any]) -> tuple[str, str]:
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        label = "Unknown vocabulary" if failed[0].name == "context" else "Malformed"
        return label, " ".join(_sentence_for(c) for c in failed)
    version = _vcdm(document)
    sentence = "A well-formed W3C Verifiable Credential" + (
        f" (data model {version})." if version else "."
    )
    warnings = [c for c in checks if c.status == "warning"]
    if warnings:
        return "Unsigned fields", sentence + " " + " ".join(c.message for c in warnings)
    if any(c.code == "contexts_known" for c in checks):
        sentence += " Every vocabulary it uses is known to this verifier."
    return "Well-formed", sentence


def _row(
    area: str,
    checks: list[Check],
    report: VerificationResult,
    proofs: Sequence[ProofInfo],
    signature_ok: bool,
) -> CheckRow:
    worst = max(checks, key=lambda c: _RANK[c.status]).status if checks else "skipped"
    status: RowStatus = worst
    document = report.document or {}
    if area == "signature":
        label, sentence = _signature_row(checks, proofs)
    elif area == "issuer":
        override, label, sentence = _issuer_row(checks, report, signature_ok)
        status = override or status
    elif area == "status":
        label, sentence = _status_row(checks)
    elif area == "validity":
        label, sentence = _validity_row(checks, document)
    elif area == "format":
        label, sentence = _format_row(checks, document)
    elif area == "schema":
        label = {"pass": "Valid", "fail": "Invalid", "warning": "Warning"}.get(
            status, "Not applicable" if status == "skipped" else "Not checked"
        )
        sentence = " ".join(dict.fromkeys(_sentence_for(c) for c in checks))
    else:
        label = {"pass": "Confirmed", "fail": "Failed", "warning": "Warning"}.get(status, "—")
        sentence = " ".join(_sentence_for(c) for c in checks)
    return CheckRow(
        area=area,
        title=_TITLES.get(area, humanize(area)),
        status=status,
        label=label,
        sentence=sentence,
        details=tuple(dict.fromkeys(c.message for c in checks)),
        codes=tuple(dict.fromkeys(c.code for c in checks)),
    )


_ROW_ORDER: Final = ("signature", "issuer", "holder", "status", "validity", "schema", "format")


def report_view(report: VerificationResult, *, proofs: Sequence[ProofInfo] = ()) -> ReportView:
    """``report`` as an overall verdict and one row per area. ``proofs``: how the
    document is secured when it carries no embedded proof (a VC-JWT); by default they
    are read from the report's document."""
    proofs = tuple(proofs) or proofs_of(report.document)
    by_area: dict[str, list[Check]] = {}
    for check in report.checks:
        by_area.setdefault(_AREAS.get(check.name, check.name), []).append(check)
    signature_ok = any(c.status == "pass" for c in by_area.get("signature", [])) and not any(
        c.status == "fail" for c in by_area.get("signature", [])
    )
    if report.kind == "credential" and "signature" in by_area and report.document is not None:
        by_area.setdefault("issuer", [])
    order = [a for a in _ROW_ORDER if a in by_area] + [a for a in by_area if a not in _ROW_ORDER]
    rows = tuple(_row(a, by_area[a], report, proofs, signature_ok) for a in order)
    return ReportView(verdict=_verdict(report, rows), rows=rows)


def _verdict(report: VerificationResult, rows: Sequence[CheckRow]) -> Verdict:
    what = report.kind
    failed = [r for r in rows if r.status == "fail"]
    if failed or not report.verified:
        top = next((r for r in failed if r.area == "status"), failed[0] if failed else None)
        if top is None:  # a credential inside a presentation failed
            return Verdict("failed", "Not verified", f"A credential in this {what} failed.")
        headline = {
            "Revoked": "Revoked",
            "Suspended": "Suspended",
            "Expired": "Expired",
            "Not yet valid": "Not yet valid",
        }.get(top.label, "Not verified")
        summary = " ".join(r.sentence for r in [top] + [r for r in failed if r is not top])
        return Verdict("failed", headline, summary)
    warned = [r for r in rows if r.status == "warning"]
    if warned:
        summary = " ".join(f"{r.title}: {r.sentence}" for r in warned)
        return Verdict("warnings", "Verified, with warnings", summary)
    passed = [r.title.lower() for r in rows if r.status == "pass"]
    summary = f"Every check passed ({', '.join(passed)})." if passed else "Every check passed."
    return Verdict("verified", "Verified", summary)


def nested_verdict(report: VerificationResult) -> NestedVerdict:
    """A one-line verdict on an embedded credential's own report."""
    view = report_view(report)
    if report.errors:
        failed = next(r for r in view.rows if r.status == "fail")
        return NestedVerdict("failed", failed.sentence)
    if report.warnings:
        warned = next(r for r in view.rows if r.status == "warning")
        return NestedVerdict("warnings", f"{warned.title}: {warned.sentence}")
    return NestedVerdict("verified", "Its signature and issuer are confirmed.")
