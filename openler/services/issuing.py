"""Issuing one credential, changing its status, and publishing status lists.

``issue_credential`` runs in the caller's transaction: it allocates the revocation and
suspension entries, builds an OB 3.0 credential from a *published* achievement, signs it
with the organization's active key, stores the signed bytes exactly as they are handed
out, and writes the audit event. With an idempotency key the same request issues once:
a repeat returns the stored credential, a different request under the same key is a
conflict.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import issue
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model import format_date_time
from openler.core.model.builders import build_achievement_credential
from openler.core.model.identity import hashed_identity
from openler.core.status import build_status_list_credential, status_entry
from openler.core.status.bitstring import Bitstring
from openler.services.audit import Actor, record
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, org_did, signer_for
from openler.store.models import (
    AchievementDefinition,
    AuditAction,
    CredentialStatus,
    IssuedCredential,
    Organization,
    PublicationStatus,
    RecipientKind,
    StatusList,
    StatusPurpose,
    utcnow,
)
from openler.store.status import allocate_status_entry, set_status_bit

__all__ = [
    "IdempotencyConflict",
    "IssueRequest",
    "NotFound",
    "StatusConflict",
    "StoredRecipient",
    "change_status",
    "earlier_issue",
    "issue_credential",
    "recipient_address",
    "recipient_lookup",
    "sign_and_store",
    "signed_status_list",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


class NotFound(OpenlerError):
    code = "not_found"


class IdempotencyConflict(OpenlerError):
    code = "idempotency_conflict"


class StatusConflict(OpenlerError):
    code = "status_conflict"


@dataclass(frozen=True)
class IssueRequest:
    achievement_id: uuid.UUID
    recipient: str
    recipient_kind: RecipientKind | None = None
    results: Sequence[Mapping[str, Any]] = ()
    evidence: Sequence[Mapping[str, Any]] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    suites: Sequence[str] = ("eddsa-rdfc-2022",)
    status_purpose: str = "revocation"  # or "suspension" (suspend/unsuspend, revoke for good)
    idempotency_key: str | None = None
    #: When the learner did the work (AchievementSubject activityStartDate/EndDate).
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    #: Further AchievementSubject properties (``role``, ``narrative``, ``term`` …), added
    #: to credentialSubject as given; the builder refuses ``achievement``/``result``/``type``.
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Offer a claim link by e-mail (openler.services.claims) when the recipient is an
    #: e-mail address and the credential is new. Not part of the fingerprint.
    offer_claim: bool = False

    def fingerprint(self) -> str:
        """A hash of what was asked (not of the random parts of the answer)."""
        body = {
            "achievement": str(self.achievement_id),
            "recipient": self.recipient,
            "kind": self.recipient_kind.value if self.recipient_kind else None,
            "results": list(self.results),
            "evidence": list(self.evidence),
            "validFrom": self.valid_from.isoformat() if self.valid_from else None,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
            "suites": list(self.suites),
            "statusPurpose": self.status_purpose,
            "activityStart": self.activity_start.isoformat() if self.activity_start else None,
            "activityEnd": self.activity_end.isoformat() if self.activity_end else None,
            "extra": dict(self.extra),
        }
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def earlier_issue(
    session: Session, org: Organization, idempotency_key: str | None, fingerprint: str
) -> IssuedCredential | None:
    """The credential an earlier request with ``idempotency_key`` issued, if any; the
    same key with a different request (``fingerprint``) is an :class:`IdempotencyConflict`."""
    if idempotency_key is None:
        return None
    existing = session.scalar(
        sa.select(IssuedCredential).where(
            IssuedCredential.organization_id == org.id,
            IssuedCredential.idempotency_key == idempotency_key,
        )
    )
    if existing is not None and existing.request_hash != fingerprint:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different request.",
            details={"idempotencyKey": idempotency_key},
        )
    return existing


def _with_subject_fields(subject: Any, request: IssueRequest) -> Any:
    """``subject`` (an id or an IdentityObject) with the request's activity dates and extra
    AchievementSubject properties, as the builder's mapping form when there are any."""
    if request.activity_start is None and request.activity_end is None and not request.extra:
        return subject
    if (
        request.activity_start is not None
        and request.activity_end is not None
        and request.activity_end < request.activity_start
    ):
        raise InvalidInput("The activity cannot end before it starts.")
    fields: dict[str, Any] = dict(request.extra)
    if isinstance(subject, str):
        fields["id"] = subject
    else:
        identities = subject if isinstance(subject, list | tuple) else [subject]
        fields["identifier"] = [identity.to_json_dict() for identity in identities]
    if request.activity_start is not None:
        fields["activityStartDate"] = format_date_time(request.activity_start)
    if request.activity_end is not None:
        fields["activityEndDate"] = format_date_time(request.activity_end)
    return fields


def _recipient(request: IssueRequest) -> tuple[RecipientKind, Any, str, bool, str | None]:
    """(kind, subject for the builder, stored identifier, hashed?, salt)."""
    value = request.recipient.strip()
    if not value:
        raise InvalidInput("A recipient is required.")
    kind = request.recipient_kind
    if kind is None:
        kind = (
            RecipientKind.EMAIL
            if _EMAIL.match(value)
            else RecipientKind.DID
            if _URI.match(value)
            else RecipientKind.INSTITUTIONAL_ID
        )
    if kind is RecipientKind.DID:
        if not _URI.match(value):
            raise InvalidInput("A DID or URI recipient must be an absolute URI.")
        return kind, value, value, False, None
    salt = secrets.token_hex(16)
    if kind is RecipientKind.EMAIL:
        value = value.lower()
        if not _EMAIL.match(value):
            raise InvalidInput(f"{value!r} is not an email address.")
        identity = hashed_identity("emailAddress", value, salt)
    else:
        identity = hashed_identity("identifier", value, salt)
    return kind, [identity], identity.identity_hash, True, salt


def recipient_lookup(value: str) -> str:
    """The unsalted lookup digest stored with each credential for the recipient ``value``
    (an email address, DID or institutional identifier as given when issuing), so that a
    learner's credentials can be found although the credential holds a salted hash."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def issue_credential(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    request: IssueRequest,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> tuple[IssuedCredential, bool]:
    """Issue (or, for a repeated idempotency key, return) a credential.

    Returns ``(record, created)``; ``created`` is False for an idempotent repeat."""
    fingerprint = request.fingerprint()
    existing = earlier_issue(session, org, request.idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    achievement = session.get(AchievementDefinition, request.achievement_id)
    if achievement is None or achievement.organization_id != org.id:
        raise NotFound("No such achievement in this organization.")
    if achievement.status is not PublicationStatus.PUBLISHED:
        raise InvalidInput("Only a published achievement can be issued.")
    now = now or utcnow()
    kind, subject, identifier, hashed, salt = _recipient(request)
    # OB 3.0 allows one credentialStatus: a revocation entry, or for credentials that can
    # be suspended (licences), a suspension entry.
    purpose = StatusPurpose(request.status_purpose)
    status_list, index = allocate_status_entry(session, org, purpose)
    entry = status_entry(settings.base_url + status_list.url_path, index, purpose.value)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    subject = _with_subject_fields(subject, request)
    unsigned = build_achievement_credential(
        credential_id=credential_id,
        issuer=issuer_profile(settings, org),
        achievement=achievement.achievement,
        subject=subject,
        valid_from=request.valid_from or now,
        valid_until=request.valid_until,
        results=list(request.results),
        evidence=list(request.evidence),
        credential_status=entry,
        credential_schema=False,
    )
    issued = sign_and_store(
        session,
        settings,
        keystore,
        org,
        unsigned=unsigned,
        achievement=achievement,
        recipient=StoredRecipient(
            kind, identifier, hashed, salt, recipient_lookup(request.recipient)
        ),
        status_list=status_list,
        index=index,
        suites=request.suites,
        now=now,
        actor=actor,
        valid_until=request.valid_until,
        idempotency_key=request.idempotency_key,
        request_hash=fingerprint,
    )
    if kind is RecipientKind.EMAIL:
        sa.inspect(issued).info[_ADDRESS_INFO] = request.recipient.strip().lower()
        if request.offer_claim:
            from openler.services.claims import offer_claim  # claims builds on this module

            offer_claim(session, issued, now=now, base_url=settings.base_url)
    return issued, True


_ADDRESS_INFO = "openler.recipient_address"


def recipient_address(issued: IssuedCredential) -> str | None:
    """The e-mail address ``issue_credential`` issued ``issued`` to, while the object lives
    in the session that issued it (kept in memory only: the database holds a salted hash
    and a lookup digest, never the address)."""
    value = sa.inspect(issued).info.get(_ADDRESS_INFO)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class StoredRecipient:
    """How an issued credential's recipient is kept: kind, the identifier as it appears in
    the credential (a salted hash unless it is a DID), and an unsalted lookup digest."""

    kind: RecipientKind
    identifier: str
    hashed: bool
    salt: str | None
    lookup: str | None


def sign_and_store(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    *,
    unsigned: Mapping[str, Any],
    achievement: AchievementDefinition,
    recipient: StoredRecipient,
    status_list: StatusList,
    index: int,
    suites: Sequence[str],
    now: datetime,
    actor: Actor | None,
    valid_until: datetime | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    audit_details: Mapping[str, Any] | None = None,
) -> IssuedCredential:
    """Sign ``unsigned`` with the organization's active key, store the signed bytes exactly
    as they will be handed out, and write the audit event (one transaction, the caller's)."""
    key, signer = signer_for(session, settings, keystore, org)
    signed = issue(unsigned, signer, suites=list(suites), created=now)
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    revocation = status_list.purpose is StatusPurpose.REVOCATION
    issued = IssuedCredential(
        organization_id=org.id,
        achievement_id=achievement.id,
        signing_key_id=key.id,
        credential_id=str(signed["id"]),
        recipient_kind=recipient.kind,
        recipient_identifier=recipient.identifier[:500],
        recipient_hashed=recipient.hashed,
        recipient_salt=recipient.salt,
        recipient_lookup=recipient.lookup,
        revocation_list_id=status_list.id if revocation else None,
        revocation_index=index if revocation else None,
        suspension_list_id=None if revocation else status_list.id,
        suspension_index=None if revocation else index,
        status=CredentialStatus.ACTIVE,
        issued_at=now,
        valid_until=valid_until,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    issued.set_signed_document(data)
    session.add(issued)
    session.flush()
    details = {
        "achievement": achievement.logical_id,
        "version": achievement.version,
        "recipientKind": recipient.kind.value,
        "key": key.key_id,
        **(audit_details or {}),
    }
    record(session, org, actor, AuditAction.CREDENTIAL_ISSUE, issued.credential_id, details)
    return issued


_TRANSITIONS = {
    # action: (allowed from, to, purpose, bit value, audit action)
    "revoke": (
        {CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED},
        CredentialStatus.REVOKED,
        StatusPurpose.REVOCATION,
        True,
        AuditAction.CREDENTIAL_REVOKE,
    ),
    "suspend": (
        {CredentialStatus.ACTIVE},
        CredentialStatus.SUSPENDED,
        StatusPurpose.SUSPENSION,
        True,
        AuditAction.CREDENTIAL_SUSPEND,
    ),
    "unsuspend": (
        {CredentialStatus.SUSPENDED},
        CredentialStatus.ACTIVE,
        StatusPurpose.SUSPENSION,
        False,
        AuditAction.CREDENTIAL_UNSUSPEND,
    ),
}


def change_status(
    session: Session,
    org: Organization,
    credential_id: str,
    action: str,
    *,
    reason: str | None = None,
    actor: Actor | None = None,
) -> IssuedCredential:
    """Revoke, suspend or unsuspend; a change that makes no sense (revoking twice) is a
    :class:`StatusConflict` and changes nothing."""
    if action not in _TRANSITIONS:
        raise InvalidInput(f"Unknown status action {action!r}; one of {', '.join(_TRANSITIONS)}.")
    allowed, target, purpose, bit, audit = _TRANSITIONS[action]
    issued = session.scalar(
        sa.select(IssuedCredential).where(
            IssuedCredential.organization_id == org.id,
            IssuedCredential.credential_id == credential_id,
        )
    )
    if issued is None:
        raise NotFound("No such credential in this organization.")
    if issued.status not in allowed:
        raise StatusConflict(
            f"The credential is {issued.status.value}; it cannot be {action}d.",
            details={"status": issued.status.value},
        )
    if purpose is StatusPurpose.REVOCATION and issued.revocation_list_id is not None:
        list_id, index = issued.revocation_list_id, issued.revocation_index
    elif issued.suspension_list_id is not None and (
        purpose is StatusPurpose.SUSPENSION or action == "revoke"
    ):
        # A suspendable credential is revoked by suspending it for good: verifiers see it
        # suspended, and the platform refuses to lift it.
        list_id, index = issued.suspension_list_id, issued.suspension_index
    else:
        kind = "revocation" if issued.revocation_list_id is not None else "suspension"
        raise StatusConflict(
            f"This credential carries only a {kind} status entry: {action!r} does not apply.",
            details={"statusPurpose": kind, "action": action},
        )
    if index is None:
        raise StatusConflict("The credential has no status index.")
    set_status_bit(session, list_id, index, bit)
    issued.status = target
    issued.status_reason = reason
    issued.status_changed_at = utcnow()
    record(session, org, actor, audit, credential_id, {"reason": reason} if reason else {})
    # Copies re-issued to the holder's DID (wallet delivery) follow their original.
    from openler.services.delivery.binding import propagate_status  # it imports this module

    propagate_status(session, issued, action, reason=reason, actor=actor)
    return issued


def signed_status_list(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    status_list: StatusList,
    *,
    now: datetime | None = None,
    persist: bool = True,
) -> bytes:
    """The BitstringStatusListCredential for ``status_list``, re-signed only when its bits
    changed since the last signature. ``persist=False`` signs a stale list without storing
    the signature: for readers inside another transaction (verifying our own credentials),
    which must never write — on SQLite a write there waits on, or breaks, the caller's."""
    if status_list.signed_credential is not None and status_list.signed_version == (
        status_list.version
    ):
        return status_list.signed_credential
    org = status_list.organization
    bits = Bitstring.from_bytes(status_list.bits)
    url = settings.base_url + status_list.url_path
    unsigned = build_status_list_credential(
        list_id=url,
        issuer=org_did(settings, org.slug),
        purpose=status_list.purpose.value,
        bitstring=bits,
        valid_from=now or utcnow(),
    )
    _key, signer = signer_for(session, settings, keystore, org)
    from openler.core import sign

    signed = sign(unsigned, signer, created=now or utcnow())
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if persist:
        status_list.signed_credential = data
        status_list.signed_version = status_list.version
    return data
