"""CLR 2.0 transcripts: a ClrCredential bundling credentials an organization issued to one
learner.

``issue_clr`` runs in the caller's transaction. Every named credential must be one the
organization issued, to the learner named in the request (the same recipient lookup and
kind), and not revoked or suspended; they are embedded exactly as parsed from their stored
bytes, so each keeps its own proof and still verifies on its own. The learner appears as
its DID, or (email, institutional identifier) as a fresh salted IdentityObject. The CLR is
signed with the organization's active key, stored verbatim (``clr_credentials``) and
audited as ``clr.issue``. It carries no status entry: each embedded credential keeps its
own.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import issue
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.builders import build_clr_credential
from openler.core.model.identity import hashed_identity
from openler.services.audit import Actor, record
from openler.services.issuing import recipient_lookup
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, signer_for
from openler.store.models import (
    ClrCredential,
    CredentialStatus,
    IssuedCredential,
    Organization,
    RecipientKind,
    utcnow,
)

__all__ = ["CLR_ISSUE", "MAX_CLR_CREDENTIALS", "ClrNotFound", "ClrRequest", "issue_clr"]

#: The audit action of issuing a CLR.
CLR_ISSUE: Final = "clr.issue"
#: The most credentials one CLR bundles.
MAX_CLR_CREDENTIALS: Final = 100


class ClrNotFound(OpenlerError):
    code = "not_found"


@dataclass(frozen=True)
class ClrRequest:
    recipient: str
    recipient_kind: RecipientKind
    credential_ids: Sequence[str]
    name: str | None = None
    description: str | None = None


def _normalized(credential_id: str) -> str:
    return credential_id if ":" in credential_id else f"urn:uuid:{credential_id}"


def _included(
    session: Session, org: Organization, request: ClrRequest, lookup: str
) -> list[IssuedCredential]:
    wanted = [_normalized(c) for c in request.credential_ids]
    if not wanted:
        raise InvalidInput("A CLR bundles at least one credential.")
    if len(wanted) > MAX_CLR_CREDENTIALS:
        raise InvalidInput(f"A CLR bundles at most {MAX_CLR_CREDENTIALS} credentials.")
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("A credential is named more than once.")
    rows = {
        row.credential_id: row
        for row in session.scalars(
            sa.select(IssuedCredential).where(
                IssuedCredential.organization_id == org.id,
                IssuedCredential.credential_id.in_(wanted),
            )
        )
    }
    missing = [c for c in wanted if c not in rows]
    if missing:
        raise ClrNotFound(
            "No such credential in this organization.", details={"credentialIds": missing}
        )
    ordered = [rows[c] for c in wanted]
    others = [
        c.credential_id
        for c in ordered
        if c.recipient_lookup != lookup or c.recipient_kind is not request.recipient_kind
    ]
    if others:
        raise InvalidInput(
            "Every credential in a CLR must have been issued to its recipient.",
            details={"credentialIds": others},
        )
    inactive = [c.credential_id for c in ordered if c.status is not CredentialStatus.ACTIVE]
    if inactive:
        raise InvalidInput(
            "Revoked or suspended credentials cannot go into a CLR.",
            details={"credentialIds": inactive},
        )
    return ordered


def _learner(request: ClrRequest) -> dict[str, Any]:
    value = request.recipient.strip()
    if request.recipient_kind is RecipientKind.DID:
        return {"subject_id": value}
    salt = secrets.token_hex(16)
    if request.recipient_kind is RecipientKind.EMAIL:
        return {"identifiers": [hashed_identity("emailAddress", value.lower(), salt)]}
    return {"identifiers": [hashed_identity("identifier", value, salt)]}


def issue_clr(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    request: ClrRequest,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> ClrCredential:
    if not request.recipient.strip():
        raise InvalidInput("A recipient is required.")
    lookup = recipient_lookup(request.recipient)
    included = _included(session, org, request, lookup)
    now = now or utcnow()
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    unsigned = build_clr_credential(
        credential_id=credential_id,
        issuer=issuer_profile(settings, org),
        credentials=[c.document for c in included],
        name=request.name or f"{org.name} transcript",
        description=request.description,
        valid_from=now,
        credential_schema=False,
        **_learner(request),
    )
    key, signer = signer_for(session, settings, keystore, org)
    signed = issue(unsigned, signer, created=now)
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    clr = ClrCredential(
        organization_id=org.id,
        signing_key_id=key.id,
        credential_id=credential_id,
        recipient_lookup=lookup,
        included_credential_ids=[c.credential_id for c in included],
        issued_at=now,
    )
    clr.set_signed_document(data)
    session.add(clr)
    session.flush()
    record(
        session,
        org,
        actor,
        CLR_ISSUE,
        credential_id,
        {
            "credentials": [c.credential_id for c in included],
            "recipientKind": request.recipient_kind.value,
            "key": key.key_id,
        },
    )
    return clr
