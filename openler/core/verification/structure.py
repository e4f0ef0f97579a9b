"""The *structure* check: is this a Verifiable Credential at all, of which data model
version, and what do later checks need from it (issuer, dates, proofs, status)?

Kept deliberately light (no pydantic) because it runs on every verification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "VC_V1",
    "VC_V2",
    "Outline",
    "StructureProblem",
    "outline_credential",
    "outline_presentation",
    "parse_datetime",
]

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"

# XSD dateTime; VCDM 2.0 requires a time zone (dateTimeStamp), 1.1 tolerates none.
_DATETIME = re.compile(
    r"^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
)


class StructureProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_datetime(value: Any, *, require_tz: bool) -> datetime | None:
    """Parse an XSD dateTime; None when malformed. Naive values are taken as UTC."""
    if not isinstance(value, str):
        return None
    m = _DATETIME.match(value)
    if m is None or (require_tz and m.group(8) is None):
        return None
    text = value if m.group(8) else value + "Z"
    text = text.replace("Z", "+00:00")
    if m.group(7) and len(m.group(7)) > 7:  # fromisoformat takes at most microseconds
        text = text.replace(m.group(7), m.group(7)[:7])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    return []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True, slots=True)
class Outline:
    """What the later checks need from a credential or presentation."""

    vcdm: str  # "1.1" or "2.0"
    types: tuple[str, ...]
    contexts: tuple[Any, ...]
    issuer: str | None = None
    holder: str | None = None
    id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    proofs: tuple[Mapping[str, Any], ...] = ()
    status_entries: tuple[Mapping[str, Any], ...] = ()
    subjects: tuple[Mapping[str, Any], ...] = ()
    credentials: tuple[Any, ...] = field(default=())


def _common(doc: Any, kind: str) -> tuple[str, list[Any], list[str]]:
    if not isinstance(doc, Mapping):
        raise StructureProblem("not_a_json_object", f"A {kind} must be a JSON object.")
    contexts = _as_list(doc.get("@context"))
    if not contexts:
        raise StructureProblem("missing_context", f"The {kind} has no @context.")
    first = contexts[0]
    if first == VC_V2:
        vcdm = "2.0"
    elif first == VC_V1:
        vcdm = "1.1"
    else:
        raise StructureProblem(
            "invalid_context_order",
            f"The first @context of a {kind} must be the W3C VC 2.0 (or 1.1) context.",
        )
    types = _types(doc.get("type"))
    if not types:
        raise StructureProblem("missing_type", f"The {kind} has no valid type.")
    if "id" in doc and not isinstance(doc["id"], str):
        raise StructureProblem("invalid_id", f"The {kind}'s id must be a string.")
    return vcdm, contexts, types


def _proofs(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    proofs = _as_list(doc.get("proof"))
    if not all(isinstance(p, Mapping) for p in proofs):
        raise StructureProblem("invalid_proof", "Every proof must be a JSON object.")
    return tuple(proofs)


def outline_credential(doc: Any) -> Outline:
    """Raise :class:`StructureProblem` unless ``doc`` is a well-formed credential."""
    vcdm, contexts, types = _common(doc, "credential")
    if "VerifiableCredential" not in types:
        raise StructureProblem(
            "not_a_credential", "The document's type does not include VerifiableCredential."
        )
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise StructureProblem("missing_issuer", "The credential has no issuer id.")
    subjects = _as_list(doc.get("credentialSubject"))
    if not subjects or not all(isinstance(s, Mapping) for s in subjects):
        raise StructureProblem(
            "missing_credential_subject", "The credential needs a credentialSubject object."
        )
    start_key, end_key = (
        ("validFrom", "validUntil") if vcdm == "2.0" else ("issuanceDate", "expirationDate")
    )
    dates: dict[str, datetime | None] = {}
    for key in (start_key, end_key):
        if key in doc:
            parsed = parse_datetime(doc[key], require_tz=vcdm == "2.0")
            if parsed is None:
                raise StructureProblem(
                    "invalid_date", f"{key} is not a valid date-time with a time zone."
                )
            dates[key] = parsed
    if vcdm == "1.1" and start_key not in dates:
        raise StructureProblem("missing_issuance_date", "A VC 1.1 credential needs issuanceDate.")
    statuses = _as_list(doc.get("credentialStatus"))
    if not all(isinstance(s, Mapping) for s in statuses):
        raise StructureProblem("invalid_status", "credentialStatus must be an object.")
    return Outline(
        vcdm=vcdm,
        types=tuple(types),
        contexts=tuple(contexts),
        issuer=issuer_id,
        id=doc.get("id"),
        valid_from=dates.get(start_key),
        valid_until=dates.get(end_key),
        proofs=_proofs(doc),
        status_entries=tuple(statuses),
        subjects=tuple(subjects),
    )


def outline_presentation(doc: Any) -> Outline:
    vcdm, contexts, types = _common(doc, "presentation")
    if "VerifiablePresentation" not in types:
        raise StructureProblem(
            "not_a_presentation",
            "The document's type does not include VerifiablePresentation.",
        )
    holder = doc.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    if holder_id is not None and not isinstance(holder_id, str):
        raise StructureProblem("invalid_holder", "The presentation's holder must be an id.")
    credentials = _as_list(doc.get("verifiableCredential"))
    return Outline(
        vcdm=vcdm,
        types=tuple(types),
        contexts=tuple(contexts),
        holder=holder_id,
        id=doc.get("id"),
        proofs=_proofs(doc),
        credentials=tuple(credentials),
    )
