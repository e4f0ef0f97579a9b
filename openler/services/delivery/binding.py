"""Binding an issued credential to its holder's DID: re-issue it with
``credentialSubject.id`` = the DID, and keep the copy's status in step with the original.

The copy says what the original says (achievement, results, evidence, validity dates,
the IdentityObject that names the recipient), gets a new ``id`` and its own status entry
of the same purpose, and is signed now with the organization's active key, by the same
proof suites as the original. :class:`~openler.store.models.exchanges.BoundCredential`
links the two; revoking, suspending or unsuspending the original does the same to every
copy (:func:`propagate_status`, called by ``openler.services.issuing.change_status``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.core.status import status_entry
from openler.services.audit import Actor
from openler.services.issuing import StatusConflict, StoredRecipient, sign_and_store
from openler.services.keystore import KeyStore
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import RecipientKind, StatusPurpose
from openler.store.models.exchanges import BoundCredential, CredentialOffer
from openler.store.status import allocate_status_entry

__all__ = [
    "LEGACY_WALLET_SUITE",
    "copies_of",
    "original_suites",
    "propagate_status",
    "reissue_to_holder",
]

#: The proof suite of wallets built on the older Digital Bazaar stack (the Learner
#: Credential Wallet signs its DIDAuth with it).
LEGACY_WALLET_SUITE: Final = "Ed25519Signature2020"
_SIGNING_SUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")
_MAX_DID_LENGTH: Final = 500


def original_suites(document: Mapping[str, Any]) -> list[str]:
    """The proof suites a signed credential carries (default: eddsa-rdfc-2022)."""
    proofs = document.get("proof")
    items = proofs if isinstance(proofs, list) else [proofs]
    names: list[str] = []
    for proof in items:
        if not isinstance(proof, Mapping):
            continue
        name = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else None
        name = name or proof.get("type")
        if name in _SIGNING_SUITES and name not in names:
            names.append(str(name))
    return names or ["eddsa-rdfc-2022"]


def _bound_subject(subject: Any, holder_did: str) -> Any:
    if isinstance(subject, list):
        if len(subject) != 1:
            raise InvalidInput("Only a credential with one subject can be bound to a holder.")
        return [_bound_subject(subject[0], holder_did)]
    if not isinstance(subject, Mapping):
        raise InvalidInput("The credential's subject is not an object.")
    return {"id": holder_did, **{k: v for k, v in subject.items() if k != "id"}}


def reissue_to_holder(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    original: IssuedCredential,
    holder_did: str,
    *,
    now: datetime,
    via: str,
    actor: Actor | None = None,
    offer: CredentialOffer | None = None,
    extra_suites: Sequence[str] = (),
) -> IssuedCredential:
    """A copy of ``original`` bound to ``holder_did``, signed and stored (with its
    ``credential.issue`` audit event and its :class:`BoundCredential` link) in the
    caller's transaction. ``via`` names the flow (``vcapi``, ``oid4vci``, ``claim``…);
    ``extra_suites`` adds proof suites to the original's (e.g. for a wallet that only
    verifies Ed25519Signature2020)."""
    if not holder_did or len(holder_did) > _MAX_DID_LENGTH or ":" not in holder_did:
        raise InvalidInput("The holder must be a DID.")
    org = original.organization
    unsigned = copy.deepcopy(original.document)
    unsigned.pop("proof", None)
    unsigned["id"] = f"urn:uuid:{uuid.uuid4()}"
    unsigned["credentialSubject"] = _bound_subject(unsigned.get("credentialSubject"), holder_did)
    purpose = (
        StatusPurpose.REVOCATION
        if original.revocation_list_id is not None
        else StatusPurpose.SUSPENSION
    )
    status_list, index = allocate_status_entry(session, org, purpose)
    unsigned["credentialStatus"] = status_entry(
        settings.base_url + status_list.url_path, index, purpose.value
    )
    suites = original_suites(original.document)
    suites += [s for s in extra_suites if s in _SIGNING_SUITES and s not in suites]
    issued = sign_and_store(
        session,
        settings,
        keystore,
        org,
        unsigned=unsigned,
        achievement=original.achievement,
        recipient=StoredRecipient(
            RecipientKind.DID, holder_did, False, None, original.recipient_lookup
        ),
        status_list=status_list,
        index=index,
        suites=suites,
        now=now,
        actor=actor,
        valid_until=original.valid_until,
        audit_details={"boundTo": holder_did, "copyOf": original.credential_id, "via": via},
    )
    session.add(
        BoundCredential(
            original_id=original.id,
            copy_id=issued.id,
            holder_did=holder_did,
            via=via[:16],
            offer_id=offer.id if offer is not None else None,
            created_at=now,
        )
    )
    session.flush()
    return issued


def copies_of(session: Session, original: IssuedCredential) -> Sequence[IssuedCredential]:
    """The credentials re-issued from ``original`` to a holder's DID, oldest first."""
    return session.scalars(
        sa.select(IssuedCredential)
        .join(BoundCredential, BoundCredential.copy_id == IssuedCredential.id)
        .where(BoundCredential.original_id == original.id)
        .order_by(BoundCredential.created_at, BoundCredential.id)
    ).all()


def propagate_status(
    session: Session,
    original: IssuedCredential,
    action: str,
    *,
    reason: str | None = None,
    actor: Actor | None = None,
) -> list[IssuedCredential]:
    """Apply ``action`` (revoke, suspend, unsuspend) to every copy of ``original`` that it
    applies to; a copy already in the target state is left alone. Returns the changed
    copies."""
    from openler.services.issuing import change_status  # it calls this function

    changed = []
    for bound in copies_of(session, original):
        try:
            changed.append(
                change_status(
                    session,
                    original.organization,
                    bound.credential_id,
                    action,
                    reason=reason,
                    actor=actor,
                )
            )
        except StatusConflict:
            continue
    return changed
