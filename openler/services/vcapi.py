"""Issuing a credential the caller built (the VC-API's ``POST /credentials/issue``) and
changing a credential's status from a VC-API status request.

The caller sends an unsigned OB 3.0 credential; the platform fills in what is its own
(the issuer Profile, an ``id``, ``validFrom``, a status entry), signs it with the
organization's active key through :func:`openler.core.issue` (which checks the OB 3.0
JSON Schema), stores the bytes and audits it. Each stored credential belongs to one of the
organization's *published* achievements: the credential's
``credentialSubject.achievement.id`` must be the ``id`` of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.common import json_copy
from openler.core.status import status_entry
from openler.services.audit import Actor
from openler.services.issuing import (
    NotFound,
    StatusConflict,
    StoredRecipient,
    recipient_lookup,
    sign_and_store,
)
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, org_did
from openler.store.models import (
    AchievementDefinition,
    IssuedCredential,
    Organization,
    PublicationStatus,
    RecipientKind,
    StatusPurpose,
    utcnow,
)
from openler.store.status import allocate_status_entry

__all__ = ["CredentialExists", "IssuerMismatch", "issue_unsigned", "status_action"]


class IssuerMismatch(OpenlerError):
    """The credential names an issuer other than the caller's organization."""

    code = "issuer_mismatch"


class CredentialExists(OpenlerError):
    code = "conflict"


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _issuer(settings: Settings, org: Organization, given: Any) -> dict[str, Any]:
    did = org_did(settings, org.slug)
    profile = issuer_profile(settings, org)
    if given is None or given == did:
        return profile
    if isinstance(given, Mapping) and given.get("id") == did:
        merged = {**profile, **json_copy(dict(given))}
        if "Profile" not in _types(merged.get("type")):
            merged["type"] = ["Profile"]
        return merged
    shown = given.get("id") if isinstance(given, Mapping) else given
    raise IssuerMismatch(
        f"The credential's issuer must be this organization ({did}).",
        details={"issuer": str(shown)[:200], "expected": did},
    )


def _subject(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = doc.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise InvalidInput("credentialSubject must be one JSON object.")
    return subject


def _achievement(session: Session, org: Organization, subject: Mapping[str, Any]) -> Any:
    embedded = subject.get("achievement")
    achievement_id = embedded.get("id") if isinstance(embedded, Mapping) else None
    if not isinstance(achievement_id, str):
        raise InvalidInput(
            "This issuer issues Open Badges: credentialSubject.achievement.id must name one "
            "of the organization's published achievements."
        )
    candidates = session.scalars(
        sa.select(AchievementDefinition)
        .where(
            AchievementDefinition.organization_id == org.id,
            AchievementDefinition.status == PublicationStatus.PUBLISHED,
        )
        .order_by(AchievementDefinition.version.desc())
    )
    for definition in candidates:
        if definition.achievement.get("id") == achievement_id:
            return definition
    raise NotFound(
        "No published achievement of this organization has that id.",
        details={"achievementId": achievement_id[:200]},
    )


_Recipient = tuple[RecipientKind, str, bool, str | None, str | None]


def _recipient(subject: Mapping[str, Any]) -> _Recipient:
    """(kind, stored identifier, hashed?, salt, lookup digest)."""
    subject_id = subject.get("id")
    if isinstance(subject_id, str) and subject_id:
        return RecipientKind.DID, subject_id, False, None, recipient_lookup(subject_id)
    identifiers = subject.get("identifier")
    first = identifiers[0] if isinstance(identifiers, list) and identifiers else identifiers
    if isinstance(first, Mapping) and isinstance(first.get("identityHash"), str):
        kind = (
            RecipientKind.EMAIL
            if first.get("identityType") == "emailAddress"
            else RecipientKind.INSTITUTIONAL_ID
        )
        value: str = first["identityHash"]
        hashed = bool(first.get("hashed"))
        salt = first.get("salt") if isinstance(first.get("salt"), str) else None
        return kind, value, hashed, salt, None if hashed else recipient_lookup(value)
    raise InvalidInput("credentialSubject needs an id or an identifier (IdentityObject).")


def issue_unsigned(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    credential: Mapping[str, Any],
    *,
    suites: Sequence[str] = ("eddsa-rdfc-2022",),
    status_purpose: str = "revocation",
    actor: Actor | None = None,
    now: datetime | None = None,
) -> IssuedCredential:
    """Complete, sign, store and audit ``credential`` (never modified)."""
    doc: dict[str, Any] = json_copy(dict(credential))
    if "proof" in doc:
        raise InvalidInput("The credential already carries a proof.")
    if "credentialStatus" in doc:
        raise InvalidInput(
            "Leave credentialStatus out: the issuer allocates the status entry "
            "(options.credentialStatus.statusPurpose chooses revocation or suspension)."
        )
    now = now or utcnow()
    doc["issuer"] = _issuer(settings, org, doc.get("issuer"))
    credential_id = doc.get("id")
    if credential_id is None:
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        items = list(doc.items())
        at = 1 if items and items[0][0] == "@context" else 0
        doc = dict([*items[:at], ("id", credential_id), *items[at:]])
    if not isinstance(credential_id, str) or len(credential_id) > 200:
        raise InvalidInput("The credential id must be a string of at most 200 characters.")
    exists = session.scalar(
        sa.select(IssuedCredential.id).where(IssuedCredential.credential_id == credential_id)
    )
    if exists is not None:
        raise CredentialExists(f"A credential {credential_id!r} was issued already.")
    doc.setdefault("validFrom", f"{now:%Y-%m-%dT%H:%M:%SZ}")
    subject = _subject(doc)
    achievement = _achievement(session, org, subject)
    kind, identifier, hashed, salt, lookup = _recipient(subject)
    try:
        purpose = StatusPurpose(status_purpose)
    except ValueError:
        raise InvalidInput("statusPurpose is revocation or suspension.") from None
    status_list, index = allocate_status_entry(session, org, purpose)
    doc["credentialStatus"] = status_entry(
        settings.base_url + status_list.url_path, index, purpose.value
    )
    issued = sign_and_store(
        session,
        settings,
        keystore,
        org,
        unsigned=doc,
        achievement=achievement,
        recipient=StoredRecipient(kind, identifier, hashed, salt, lookup),
        status_list=status_list,
        index=index,
        suites=suites,
        now=now,
        actor=actor,
        audit_details={"via": "vc-api"},
    )
    return issued


#: VC-API status words -> the platform's actions.
_WORDS = {
    "revoked": "revoke",
    "revoke": "revoke",
    "suspended": "suspend",
    "suspend": "suspend",
    "active": "unsuspend",
    "unsuspended": "unsuspend",
    "unsuspend": "unsuspend",
    "reinstated": "unsuspend",
}


def status_action(credential_status: Any, status: bool | None) -> str:
    """The action (``revoke``, ``suspend``, ``unsuspend``) a VC-API status request asks
    for. Two shapes are understood:

    - the current one: ``credentialStatus: {"type": ..., "statusPurpose": "revocation" |
      "suspension"}`` and ``status: true`` (set) or ``false`` (clear);
    - the older one: ``credentialStatus: [{"type": ..., "status": "revoked" |
      "suspended" | "active"}]``."""
    if isinstance(credential_status, Mapping):
        purpose = credential_status.get("statusPurpose")
        if purpose not in ("revocation", "suspension"):
            raise InvalidInput("credentialStatus.statusPurpose is revocation or suspension.")
        if status is None:
            raise InvalidInput("status (true: set, false: clear) is required.")
        if purpose == "revocation":
            if not status:
                raise StatusConflict("A revocation cannot be cleared.")
            return "revoke"
        return "suspend" if status else "unsuspend"
    if isinstance(credential_status, list) and len(credential_status) == 1:
        item = credential_status[0]
        word = item.get("status") if isinstance(item, Mapping) else None
        if isinstance(word, str) and word.lower() in _WORDS:
            return _WORDS[word.lower()]
        raise InvalidInput(f"credentialStatus[0].status is one of {', '.join(sorted(_WORDS))}.")
    raise InvalidInput("credentialStatus is one object (or a list of one).")
