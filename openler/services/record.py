"""The learner record: everything a learner holds, with its verification state.

:func:`learner_record` gathers, newest first:

- ``issued``: credentials this platform issued to the learner: to their DID, or to their
  e-mail address once that address is verified (see :mod:`openler.services.learners`);
- ``claimed``: credentials the learner claimed through a claim link, either as issued
  (``claim_mode`` ``matched``) or re-issued to their DID (``reissued``; the original it
  replaces is left out of the record, and named by ``original_credential_id``);
- ``imported``: credentials the learner imported (:mod:`openler.services.record_import`),
  with the report made on arrival (or on the last :func:`~openler.services.record_import.
  reverify_import`);
- ``app``: credentials a learner's app stored through the Open Badges API
  (``user_credentials``), which verified when they were stored.

Each :class:`RecordItem` has a stable ``key`` (``issued:<uuid>``, ``imported:<uuid>``,
``app:<uuid>``) to select it (shares, exports: :func:`get_record_item`), the credential's
exact bytes, a few display fields read from the document, and ``state``:

``verified``     it verifies (platform credentials: active, in date, signed by a key still
                 in the issuer's DID document; imports: the stored report passed)
``revoked`` / ``suspended`` / ``expired``   what the issuer or the dates say
``unverified``   it did not verify (a bad proof, an unknown issuer, …); never counted as
                 verified (``verified`` is True only in the first state)

Display fields of an unverified import come from a document nobody vouches for: show them
as claims of the document, not as facts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from openler.core.errors import OpenlerError
from openler.core.proofs.vc_jwt import decode_jwt
from openler.services.issuing import recipient_lookup
from openler.services.learners import get_learner
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import (
    ClaimMode,
    CredentialStatus,
    RecipientKind,
    SigningKeyStatus,
)
from openler.store.models.learner import CredentialClaim, ImportedCredential
from openler.store.models.organizations import User
from openler.store.models.wallet import UserCredential

__all__ = [
    "CredentialFormat",
    "CredentialSummary",
    "LearnerRecord",
    "RecordItem",
    "RecordItemNotFound",
    "RecordSource",
    "VerificationState",
    "get_record_item",
    "learner_record",
    "record_items",
    "state_from_report",
    "summarize",
]

RecordSource = Literal["issued", "claimed", "imported", "app"]
VerificationState = Literal["verified", "unverified", "revoked", "suspended", "expired"]
CredentialFormat = Literal["json", "jwt"]
_MAX_TEXT: Final = 500


class RecordItemNotFound(OpenlerError):
    code = "not_found"


@dataclass(frozen=True, slots=True)
class CredentialSummary:
    """What a credential says about itself (unverified unless its item is verified)."""

    credential_id: str | None = None
    name: str | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    achievement_name: str | None = None
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordItem:
    """One credential in a learner's record."""

    key: str
    source: RecordSource
    format: CredentialFormat
    #: The credential exactly as issued or received (JSON text, or a compact JWS).
    credential_bytes: bytes
    summary: CredentialSummary
    state: VerificationState
    added_at: datetime
    #: The stored verification report (imports), else None.
    verification: Mapping[str, Any] | None = None
    claim_mode: ClaimMode | None = None
    #: For a re-issued credential: the ``id`` of the credential it replaced.
    original_credential_id: str | None = None
    issued_credential_id: uuid.UUID | None = None
    imported_credential_id: uuid.UUID | None = None
    user_credential_id: uuid.UUID | None = None

    @property
    def verified(self) -> bool:
        return self.state == "verified"

    def document(self) -> dict[str, Any] | None:
        """The credential as JSON (for a VC-JWT, its decoded, unverified credential);
        None if it cannot be read."""
        return _document(self.credential_bytes, self.format)

    def text(self) -> str:
        """The credential's exact text (JSON or compact JWS)."""
        return self.credential_bytes.decode("utf-8")


@dataclass(frozen=True, slots=True)
class LearnerRecord:
    """A learner's record: ``did`` is None for a user who is not a learner yet."""

    user_id: uuid.UUID
    did: str | None
    email_verified: bool
    items: tuple[RecordItem, ...] = field(default_factory=tuple)

    @property
    def verified_items(self) -> tuple[RecordItem, ...]:
        return tuple(item for item in self.items if item.verified)

    def by_source(self, source: RecordSource) -> tuple[RecordItem, ...]:
        return tuple(item for item in self.items if item.source == source)

    def get(self, key: str) -> RecordItem | None:
        return next((item for item in self.items if item.key == key), None)


# -- reading documents --------------------------------------------------------------------


def _document(data: bytes, fmt: CredentialFormat) -> dict[str, Any] | None:
    try:
        if fmt == "jwt":
            return dict(decode_jwt(data.decode("ascii")).credential)
        value = json.loads(data)
    except (OpenlerError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):  # a JSON-LD language map or value object
        value = value.get("@value") or next(iter(value.values()), None)
    if isinstance(value, list) and value:
        value = value[0]
    return value[:_MAX_TEXT] if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def summarize(document: Mapping[str, Any] | None) -> CredentialSummary:
    """Display fields of a credential (VC 2.0 or 1.1), read without trusting them."""
    if not isinstance(document, Mapping):
        return CredentialSummary()
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    issuer_name = _text(issuer.get("name")) if isinstance(issuer, Mapping) else None
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    achievement_name = _text(achievement.get("name")) if isinstance(achievement, Mapping) else None
    types = document.get("type")
    type_list = types if isinstance(types, list) else [types]
    credential_id = document.get("id")
    return CredentialSummary(
        credential_id=credential_id[:_MAX_TEXT] if isinstance(credential_id, str) else None,
        name=_text(document.get("name")) or achievement_name,
        issuer_id=issuer_id[:_MAX_TEXT] if isinstance(issuer_id, str) else None,
        issuer_name=issuer_name,
        valid_from=_date(document.get("validFrom") or document.get("issuanceDate")),
        valid_until=_date(document.get("validUntil") or document.get("expirationDate")),
        achievement_name=achievement_name,
        types=tuple(str(t) for t in type_list if isinstance(t, str)),
    )


def state_from_report(report: Mapping[str, Any]) -> VerificationState:
    """The state a stored ``VerificationResult.to_dict()`` report shows."""
    if report.get("verified") is True:
        return "verified"
    errors = report.get("errors")
    codes = set(errors) if isinstance(errors, list) else set()
    if "revoked" in codes:
        return "revoked"
    if "suspended" in codes:
        return "suspended"
    if "expired" in codes:
        return "expired"
    return "unverified"


# -- the record ---------------------------------------------------------------------------


def _issued_state(credential: IssuedCredential, now: datetime) -> VerificationState:
    if credential.status is CredentialStatus.REVOKED:
        return "revoked"
    if credential.status is CredentialStatus.SUSPENDED:
        return "suspended"
    if credential.valid_until is not None and credential.valid_until <= now:
        return "expired"
    key = credential.signing_key
    if key is not None and key.status is SigningKeyStatus.REVOKED:
        return "unverified"  # its key left the DID document: it no longer verifies
    return "verified"


def _issued_item(
    credential: IssuedCredential,
    now: datetime,
    *,
    source: RecordSource,
    claim: CredentialClaim | None = None,
) -> RecordItem:
    data = credential.credential_bytes
    return RecordItem(
        key=f"issued:{credential.id}",
        source=source,
        format="json",
        credential_bytes=data,
        summary=summarize(_document(data, "json")),
        state=_issued_state(credential, now),
        added_at=(claim.redeemed_at if claim is not None else None) or credential.issued_at,
        claim_mode=claim.mode if claim is not None else None,
        original_credential_id=(
            claim.credential.credential_id
            if claim is not None and claim.mode is ClaimMode.REISSUED
            else None
        ),
        issued_credential_id=credential.id,
    )


def _imported_item(row: ImportedCredential) -> RecordItem:
    fmt: CredentialFormat = "jwt" if _looks_like_jws(row.credential_bytes) else "json"
    report = dict(row.verification or {})
    state = state_from_report(report) if row.verified or report else "unverified"
    if not row.verified and state == "verified":  # the flag is the authority
        state = "unverified"
    return RecordItem(
        key=f"imported:{row.id}",
        source="imported",
        format=fmt,
        credential_bytes=row.credential_bytes,
        summary=summarize(_document(row.credential_bytes, fmt)),
        state=state,
        added_at=row.created_at,
        verification=report,
        imported_credential_id=row.id,
    )


def _app_item(row: UserCredential) -> RecordItem:
    data = row.credential_bytes
    fmt: CredentialFormat = "json"
    document = _document(data, "json")
    if document is None:  # a JWT stored as a JSON string
        try:
            text = json.loads(data)
        except ValueError:
            text = None
        if isinstance(text, str):
            data, fmt = text.encode("ascii", "replace"), "jwt"
            document = _document(data, fmt)
    return RecordItem(
        key=f"app:{row.id}",
        source="app",
        format=fmt,
        credential_bytes=data,
        summary=summarize(document),
        state="verified",  # the Open Badges API stores only credentials that verify
        added_at=row.created_at,
        user_credential_id=row.id,
    )


def _looks_like_jws(data: bytes) -> bool:
    return not data.lstrip().startswith(b"{") and data.count(b".") == 2


def learner_record(session: Session, user: User, *, now: datetime) -> LearnerRecord:
    """Everything ``user`` holds (see the module docstring), newest first."""
    learner = get_learner(session, user)
    verified_email = learner is not None and learner.email_verified_at is not None
    claims = list(
        session.scalars(
            sa.select(CredentialClaim)
            .where(
                CredentialClaim.redeemed_by_user_id == user.id,
                CredentialClaim.redeemed_at.is_not(None),
            )
            .options(
                selectinload(CredentialClaim.credential).selectinload(IssuedCredential.signing_key),
                selectinload(CredentialClaim.reissued_credential).selectinload(
                    IssuedCredential.signing_key
                ),
            )
        )
    )
    items: dict[uuid.UUID, RecordItem] = {}
    superseded: set[uuid.UUID] = set()
    for claim in claims:
        if claim.mode is ClaimMode.REISSUED and claim.reissued_credential is not None:
            superseded.add(claim.credential_id)
            target = claim.reissued_credential
        else:
            target = claim.credential
        items[target.id] = _issued_item(target, now, source="claimed", claim=claim)
    lookups = []
    if learner is not None:
        lookups.append(recipient_lookup(learner.did))
    if verified_email:
        lookups.append(recipient_lookup(user.email))
    if lookups:
        # Originals re-issued to someone (a claim link forwarded) are no longer held here.
        reissued_originals = sa.select(CredentialClaim.credential_id).where(
            CredentialClaim.reissued_credential_id.is_not(None)
        )
        for credential in session.scalars(
            sa.select(IssuedCredential)
            .where(
                IssuedCredential.recipient_lookup.in_(lookups),
                IssuedCredential.id.not_in(reissued_originals),
            )
            .options(selectinload(IssuedCredential.signing_key))
        ):
            if credential.id in items or credential.id in superseded:
                continue
            if credential.recipient_kind is RecipientKind.DID and (
                learner is None or credential.recipient_identifier != learner.did
            ):
                continue  # a copy bound to another DID (an external wallet's)
            items[credential.id] = _issued_item(credential, now, source="issued")
    all_items: list[RecordItem] = list(items.values())
    all_items += [
        _imported_item(row)
        for row in session.scalars(
            sa.select(ImportedCredential).where(ImportedCredential.user_id == user.id)
        )
    ]
    all_items += [
        _app_item(row)
        for row in session.scalars(
            sa.select(UserCredential).where(UserCredential.user_id == user.id)
        )
    ]
    all_items.sort(key=_newest_first)
    return LearnerRecord(
        user_id=user.id,
        did=learner.did if learner is not None else None,
        email_verified=verified_email,
        items=tuple(all_items),
    )


def _newest_first(item: RecordItem) -> tuple[float, str]:
    moment = item.summary.valid_from or item.added_at
    return (-moment.timestamp(), item.key)


def get_record_item(session: Session, user: User, key: str, *, now: datetime) -> RecordItem:
    """One item of the learner's record by its ``key``; :class:`RecordItemNotFound` for
    an unknown key or one that is not this learner's (the two are not told apart)."""
    item = learner_record(session, user, now=now).get(key)
    if item is None:
        raise RecordItemNotFound("No such credential in your record.", details={"key": key[:100]})
    return item


def record_items(
    session: Session, user: User, keys: Sequence[str], *, now: datetime
) -> list[RecordItem]:
    """The items named by ``keys``, in that order (all must be the learner's)."""
    record = learner_record(session, user, now=now)
    found = []
    for key in keys:
        item = record.get(key)
        if item is None:
            raise RecordItemNotFound(
                "No such credential in your record.", details={"key": key[:100]}
            )
        found.append(item)
    return found
