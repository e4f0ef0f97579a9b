"""Importing credentials from any issuer into a learner's record.

:func:`import_credential` takes what a learner uploaded or pasted — a JSON-LD credential
(VC 2.0 or 1.1, embedded proofs), a VC-JWT compact string, or a baked PNG/SVG image
(:func:`openler.core.baked.extract_credential`) — and:

1. refuses what is not a credential at all, with the core's stable codes:
   ``input_too_large`` (over ``max_bytes``, pass ``Settings.max_request_bytes``),
   ``malformed_json``, ``malformed_image``, ``no_credential_in_image``,
   ``unrecognized_format``, and ``not_a_credential`` (readable, but its structure is not
   a verifiable credential, e.g. an Open Badges 2.0 assertion or a presentation);
2. verifies it on arrival with the application's :class:`~openler.core.verification.
   Verifier` (proof, issuer DID, validity dates, status), plus the issuer trust registry's
   verdict (a ``trust`` check, never a failure);
3. stores it whatever the verdict: the credential's exact text, the uploaded image's
   exact bytes, the report and ``verified``. An import that does not verify (tampered,
   unknown issuer key, revoked, expired…) is kept, marked, and never counted as verified.

The same credential imported twice (in any wrapping) is one row; importing it again
re-verifies it. :func:`reverify_import` refreshes a report (status may have changed).

Errors::

    OpenlerError
    ├── InvalidInput (and the core's subclasses named above)
    │   └── NotACredential      not_a_credential
    └── ImportNotFound          not_found
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.baked import ExtractedCredential, extract_credential
from openler.core.errors import InputTooLarge, InvalidInput, OpenlerError
from openler.core.limits import DEFAULT_LIMITS
from openler.core.proofs.vc_jwt import decode_jwt
from openler.core.results import VerificationResult
from openler.core.verification import Verifier
from openler.services.record import summarize
from openler.services.trust import add_trust_checks
from openler.store.models._base import sha256_hex
from openler.store.models.enums import ImportFormat
from openler.store.models.learner import ImportedCredential
from openler.store.models.organizations import User

__all__ = [
    "DEFAULT_MAX_IMPORT_BYTES",
    "ImportNotFound",
    "ImportResult",
    "NotACredential",
    "get_import",
    "import_credential",
    "remove_import",
    "reverify_import",
]

#: Used when the caller passes no ``max_bytes`` (the API's default request cap).
DEFAULT_MAX_IMPORT_BYTES: Final = DEFAULT_LIMITS.max_bytes
_MAX_FILENAME: Final = 255
_SOURCE_FORMATS: Final = {
    "json": ImportFormat.JSON,
    "jwt": ImportFormat.JWT,
    "png": ImportFormat.PNG,
    "svg": ImportFormat.SVG,
}


class NotACredential(InvalidInput):
    code = "not_a_credential"


class ImportNotFound(OpenlerError):
    code = "not_found"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """``created`` is False when the learner had imported this credential before (its
    report was refreshed)."""

    imported: ImportedCredential
    created: bool
    result: VerificationResult

    @property
    def verified(self) -> bool:
        return self.imported.verified


def _extract(data: bytes, filename: str | None) -> ExtractedCredential:
    extracted = extract_credential(data, filename)
    if extracted.kind == "url":
        raise NotACredential(
            "This is an Open Badges 2.0 hosted badge (a link to an assertion), not a "
            "verifiable credential; it cannot be imported."
        )
    return extracted


def _document(extracted: ExtractedCredential) -> Any:
    if extracted.kind == "jwt":
        try:
            return dict(decode_jwt(extracted.text).credential)
        except OpenlerError:
            return None
    try:
        return json.loads(extracted.text)
    except (ValueError, RecursionError):
        return None


def _verify(session: Session, verifier: Verifier, text: str, now: datetime) -> VerificationResult:
    result = verifier.verify(text, now=now)
    return add_trust_checks(session, result)


def _refuse_non_credentials(result: VerificationResult) -> None:
    structure = result.check("structure")
    if structure is not None and structure.status == "fail":
        raise NotACredential(
            f"This is not a verifiable credential: {structure.message}",
            details={"check": structure.code},
        )


def import_credential(
    session: Session,
    user: User,
    data: bytes | str,
    *,
    verifier: Verifier,
    now: datetime,
    filename: str | None = None,
    max_bytes: int = DEFAULT_MAX_IMPORT_BYTES,
) -> ImportResult:
    """Verify and store a credential for ``user`` (see the module docstring), in the
    caller's transaction. ``data``: the uploaded file's bytes, or pasted text."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InputTooLarge(
            f"The file is {len(raw):,} bytes; at most {max_bytes:,} are accepted.",
            details={"bytes": len(raw), "limit": max_bytes},
        )
    extracted = _extract(raw, filename)
    result = _verify(session, verifier, extracted.text, now)
    _refuse_non_credentials(result)
    credential_bytes = extracted.text.encode("utf-8")
    digest = sha256_hex(credential_bytes)
    existing = session.scalar(
        sa.select(ImportedCredential).where(
            ImportedCredential.user_id == user.id,
            ImportedCredential.credential_sha256 == digest,
        )
    )
    if existing is not None:
        _store_result(existing, result, now)
        session.flush()
        return ImportResult(imported=existing, created=False, result=result)
    summary = summarize(_document(extracted))
    source = _SOURCE_FORMATS.get(extracted.source, ImportFormat.JSON)
    imported = ImportedCredential(
        user_id=user.id,
        source_format=source,
        source_filename=filename[-_MAX_FILENAME:] if filename else None,
        # The upload itself when it is more than the credential (an image, a BOM, spaces).
        source_bytes=raw if raw != credential_bytes else None,
        credential_bytes=credential_bytes,
        credential_sha256=digest,
        credential_id=summary.credential_id,
        issuer_id=summary.issuer_id,
        name=summary.name,
        created_at=now,
    )
    _store_result(imported, result, now)
    session.add(imported)
    session.flush()
    return ImportResult(imported=imported, created=True, result=result)


def _store_result(row: ImportedCredential, result: VerificationResult, now: datetime) -> None:
    row.verified = result.verified
    row.verification = result.to_dict()
    row.verified_at = now


def get_import(session: Session, user: User, import_id: uuid.UUID | str) -> ImportedCredential:
    """The learner's import ``import_id``; :class:`ImportNotFound` otherwise (also for
    another learner's: its existence is not told)."""
    try:
        key = import_id if isinstance(import_id, uuid.UUID) else uuid.UUID(str(import_id))
    except ValueError:
        raise ImportNotFound("No such imported credential.") from None
    row = session.get(ImportedCredential, key)
    if row is None or row.user_id != user.id:
        raise ImportNotFound("No such imported credential.")
    return row


def reverify_import(
    session: Session, imported: ImportedCredential, *, verifier: Verifier, now: datetime
) -> VerificationResult:
    """Verify a stored import again (its status or the issuer's keys may have changed)
    and store the new report."""
    result = _verify(session, verifier, imported.credential_bytes.decode("utf-8"), now)
    _store_result(imported, result, now)
    session.flush()
    return result


def remove_import(session: Session, user: User, import_id: uuid.UUID | str) -> None:
    """Delete one of the learner's imports."""
    session.delete(get_import(session, user, import_id))
    session.flush()
