"""Turning checked roster rows into signed credentials, the way
:func:`openler.services.issuing.issue_credential` does for one, without the database: the
chunk engine signs a whole chunk outside any transaction and stores it in one.

Every credential of a job shares its shape (issuer, achievement, contexts, status entry
type, the same optional fields), so after the first the core's expansion cache serves
them from a shape template (:mod:`openler.core.jsonld.template`): canonicalization costs a
few SHA-256s, not a JSON-LD expansion.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openler.core import issue
from openler.core.errors import InvalidInput
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.keypair import LocalSigner
from openler.core.model.builders import build_achievement_credential
from openler.core.model.common import format_date_time
from openler.core.status import status_entry
from openler.services.bulk.validate import CheckedRow
from openler.services.issuing import recipient_lookup
from openler.store.models._base import new_id, sha256_hex
from openler.store.models.enums import CredentialStatus, RecipientKind, StatusPurpose

__all__ = ["CredentialFactory", "IssuerContext", "SignedRow", "sign_row"]


@dataclass(frozen=True)
class IssuerContext:
    """What every credential of a chunk shares."""

    organization_id: uuid.UUID
    achievement_id: uuid.UUID
    issuer: Mapping[str, Any]
    achievement: Mapping[str, Any]
    signing_key_id: uuid.UUID
    signer: LocalSigner
    suites: Sequence[str]
    purpose: StatusPurpose
    identifier_type: str
    cache: ExpansionCache


@dataclass(frozen=True, slots=True)
class SignedRow:
    """A signed credential, as the ``issued_credentials`` row that stores it."""

    row_no: int
    values: dict[str, Any]
    email: str | None

    @property
    def id(self) -> uuid.UUID:
        value: uuid.UUID = self.values["id"]
        return value


def _identity(identity_type: str, value: str, salt: str | None) -> dict[str, Any]:
    """An IdentityObject as the core's model writes it (the factory proves the match)."""
    if salt is None:
        return {
            "type": "IdentityObject",
            "hashed": False,
            "identityHash": value,
            "identityType": identity_type,
        }
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "identityType": identity_type,
        "salt": salt,
    }


def _subject(row: CheckedRow, identifier_type: str, salt: str) -> dict[str, Any]:
    subject: dict[str, Any] = {}
    if row.did is not None:
        subject["id"] = row.did
    identities = []
    if row.email is not None:
        identities.append(_identity("emailAddress", row.email, salt))
    if row.identifier is not None:
        identities.append(_identity(identifier_type, row.identifier, salt))
    if row.name is not None:
        identities.append(_identity("name", row.name, None))
    if identities:
        subject["identifier"] = identities
    if row.activity_start is not None:
        subject["activityStartDate"] = row.activity_start
    if row.activity_end is not None:
        subject["activityEndDate"] = row.activity_end
    if row.narrative is not None:
        subject["narrative"] = row.narrative
    return subject


def _recipient(row: CheckedRow, subject: Mapping[str, Any]) -> tuple[str, bool, str | None]:
    """(identifier as stored, hashed?, salt) for the primary recipient."""
    if row.recipient_kind is RecipientKind.DID:
        assert row.did is not None
        return row.did, False, None
    first = subject["identifier"][0]  # the e-mail identity, else the identifier's
    return str(first["identityHash"]), True, str(first["salt"])


def _result(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": result["type"], **{k: result[k] for k in sorted(result) if k != "type"}}


def _shape(row: CheckedRow) -> tuple[Any, ...]:
    """What decides a row's credential structure (not its values)."""
    return (
        row.did is not None,
        row.email is not None,
        row.identifier is not None,
        row.name is not None,
        row.activity_start is not None,
        row.activity_end is not None,
        row.narrative is not None,
        row.valid_until is not None,
        row.evidence_url is not None,
        tuple((*sorted(r), r["resultDescription"]) for r in row.results),
    )


class CredentialFactory:
    """Unsigned credentials for one job's rows.

    The first row of each shape is built by the core's builder
    (:func:`~openler.core.model.builders.build_achievement_credential`: typed model and
    JSON Schema). The factory also writes that row directly (plain dicts) and compares the
    two, byte for byte as JSON; only when they are identical are later rows of the shape
    written directly. Such rows differ from the checked one only in string values the row
    validator has checked (the model and the schema judge strings by position and type;
    their patterns apply to constants such as contexts and identity types), so they pass
    the same checks; a shape whose direct form differs in anything always takes the
    builder."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context
        self._trusted: dict[tuple[Any, ...], bool] = {}
        self._frame: dict[str, Any] | None = None

    def unsigned(
        self,
        row: CheckedRow,
        *,
        credential_id: str,
        subject: dict[str, Any],
        status: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        shape = _shape(row)
        trusted = self._trusted.get(shape)
        if trusted:
            return self._direct(row, credential_id, subject, status, now)
        built = build_achievement_credential(
            credential_id=credential_id,
            issuer=self.context.issuer,
            achievement=self.context.achievement,
            subject=subject,
            valid_from=now,
            valid_until=row.valid_until,
            results=row.results,
            evidence=[{"id": row.evidence_url, "type": ["Evidence"]}] if row.evidence_url else (),
            credential_status=status,
            credential_schema=False,
        )
        if trusted is None:
            self._frame = self._frame or {
                "@context": built["@context"],
                "type": built["type"],
                "name": built["name"],
                "issuer": built["issuer"],
                "achievement": built["credentialSubject"]["achievement"],
            }
            direct = self._direct(row, credential_id, subject, status, now)
            self._trusted[shape] = json.dumps(direct) == json.dumps(built)
        return built

    def _direct(
        self,
        row: CheckedRow,
        credential_id: str,
        subject: dict[str, Any],
        status: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        frame = self._frame
        assert frame is not None
        if row.valid_until is not None and row.valid_until < now:
            raise InvalidInput("valid_until is earlier than valid_from")
        subject_json: dict[str, Any] = {
            "type": ["AchievementSubject"],
            **subject,
            "achievement": frame["achievement"],
        }
        if row.results:
            subject_json["result"] = [_result(r) for r in row.results]
        doc: dict[str, Any] = {
            "@context": frame["@context"],
            "id": credential_id,
            "type": frame["type"],
            "name": frame["name"],
            "issuer": frame["issuer"],
            "validFrom": format_date_time(now),
        }
        if row.valid_until is not None:
            doc["validUntil"] = format_date_time(row.valid_until)
        doc["credentialSubject"] = subject_json
        if row.evidence_url is not None:
            doc["evidence"] = [{"id": row.evidence_url, "type": ["Evidence"]}]
        doc["credentialStatus"] = status
        return doc


def sign_row(
    factory: CredentialFactory,
    row_no: int,
    row: CheckedRow,
    *,
    status_list_id: uuid.UUID,
    status_list_url: str,
    index: int,
    now: datetime,
    job_id: uuid.UUID,
) -> SignedRow:
    """Build, check and sign the row's credential; raises
    :class:`~openler.core.errors.OpenlerError` when it cannot be."""
    context = factory.context
    salt = secrets.token_hex(16)
    subject = _subject(row, context.identifier_type, salt)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    unsigned = factory.unsigned(
        row,
        credential_id=credential_id,
        subject=subject,
        status=status_entry(status_list_url, index, context.purpose.value),
        now=now,
    )
    # Checked against the JSON Schema already (by the builder, for this shape).
    signed = issue(
        unsigned,
        context.signer,
        suites=list(context.suites),
        created=now,
        validate_schema=False,
        cache=context.cache,
    )
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    identifier, hashed, stored_salt = _recipient(row, subject)
    revocation = context.purpose is StatusPurpose.REVOCATION
    values = {
        "id": new_id(),
        "organization_id": context.organization_id,
        "achievement_id": context.achievement_id,
        "signing_key_id": context.signing_key_id,
        "credential_id": credential_id,
        "recipient_kind": row.recipient_kind,
        "recipient_identifier": identifier[:500],
        "recipient_hashed": hashed,
        "recipient_salt": stored_salt,
        "recipient_lookup": recipient_lookup(row.recipient),
        "revocation_list_id": status_list_id if revocation else None,
        "revocation_index": index if revocation else None,
        "suspension_list_id": None if revocation else status_list_id,
        "suspension_index": None if revocation else index,
        "status": CredentialStatus.ACTIVE,
        "status_reason": None,
        "status_changed_at": None,
        "issued_at": now,
        "valid_until": row.valid_until,
        # A second guard besides bulk_issued: (organization, idempotency key) is unique.
        "idempotency_key": f"bulk:{job_id}:{row_no}",
        "request_hash": None,
        "credential_bytes": data,
        "credential_sha256": sha256_hex(data),
    }
    return SignedRow(row_no, values, row.email)
