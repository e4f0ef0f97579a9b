"""Organizations (tenants): their did:web identity, signing keys and DID document.

An organization's DID is ``did:web:<host>:orgs:<slug>``, derived from ``OPENLER_BASE_URL``
and never stored, so the document served at ``/orgs/<slug>/did.json`` and the issuer of
every credential agree. Private keys are stored only as keystore envelopes. Rotation
retires the active key (it stays in the DID document, so credentials it signed still
verify) and creates a new one; revoking a key removes it from the document.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.keys.did_web import did_web_document
from openler.core.keys.keypair import KeyPair, LocalSigner, PublicKey
from openler.services.audit import Actor, record
from openler.services.keystore import KeyStore
from openler.store.models import (
    AuditAction,
    Organization,
    OrganizationKind,
    SigningKey,
    SigningKeyStatus,
    utcnow,
)

__all__ = [
    "OrganizationExists",
    "OrganizationNotFound",
    "add_signing_key",
    "create_organization",
    "did_document",
    "get_organization",
    "issuer_profile",
    "org_did",
    "revoke_key",
    "rotate_key",
    "signer_for",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
KEYSTORE_SCHEME = "openler-keystore-v1"


class OrganizationNotFound(OpenlerError):
    code = "not_found"


class OrganizationExists(OpenlerError):
    code = "conflict"


def org_did(settings: Settings, slug: str) -> str:
    return f"did:web:{settings.did_web_host}:orgs:{slug}"


def issuer_profile(settings: Settings, org: Organization) -> dict[str, Any]:
    """The OB 3.0 Profile that credentials name as their issuer (the stored profile with
    the organization's DID as its id)."""
    profile = {k: v for k, v in (org.profile or {}).items() if k not in ("id", "type")}
    return {"id": org_did(settings, org.slug), "type": ["Profile"], "name": org.name, **profile}


def get_organization(session: Session, slug: str) -> Organization:
    org = session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        raise OrganizationNotFound(f"No organization {slug!r}.", details={"slug": slug})
    return org


def create_organization(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    *,
    slug: str,
    name: str,
    kind: OrganizationKind | str = OrganizationKind.COLLEGE,
    profile: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> Organization:
    """A new organization with its first Ed25519 signing key."""
    if not _SLUG.match(slug):
        raise InvalidInput(
            "A slug is 1-63 lower-case letters, digits and inner hyphens.", details={"slug": slug}
        )
    if not name.strip():
        raise InvalidInput("An organization needs a name.")
    try:
        kind = OrganizationKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in OrganizationKind)
        raise InvalidInput(f"Unknown organization kind {kind!r}; one of {known}.") from None
    if session.scalar(sa.select(Organization.id).where(Organization.slug == slug)) is not None:
        raise OrganizationExists(f"The slug {slug!r} is taken.", details={"slug": slug})
    org = Organization(slug=slug, name=name.strip(), kind=kind, profile=dict(profile or {}))
    session.add(org)
    session.flush()
    record(
        session,
        org,
        actor,
        AuditAction.ORGANIZATION_CREATE,
        org_did(settings, slug),
        {"name": org.name, "kind": kind.value},
    )
    add_signing_key(session, settings, keystore, org, actor=actor)
    return org


def _keys(session: Session, org: Organization) -> list[SigningKey]:
    return list(
        session.scalars(
            sa.select(SigningKey)
            .where(SigningKey.organization_id == org.id)
            .order_by(SigningKey.created_at, SigningKey.key_id)
        )
    )


def add_signing_key(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    *,
    algorithm: str = "Ed25519",
    actor: Actor | None = None,
) -> SigningKey:
    """Generate a key, store it encrypted, make it the active one (retiring any other)."""
    existing = _keys(session, org)
    key_id = f"key-{len(existing) + 1}"
    pair = KeyPair.generate(algorithm)
    envelope = keystore.encrypt_private_key(pair, org_id=str(org.id), key_id=key_id)
    now = utcnow()
    for key in existing:
        if key.status is SigningKeyStatus.ACTIVE:
            key.status = SigningKeyStatus.RETIRED
            key.retired_at = now
    key = SigningKey(
        organization_id=org.id,
        key_id=key_id,
        algorithm=pair.algorithm,
        public_key_multibase=pair.public_key.to_multibase(),
        private_key_ciphertext=envelope,
        encryption_scheme=KEYSTORE_SCHEME,
        encryption_key_version=keystore.current_version,
        status=SigningKeyStatus.ACTIVE,
    )
    session.add(key)
    session.flush()
    action = AuditAction.KEY_ROTATE if existing else AuditAction.KEY_CREATE
    record(
        session,
        org,
        actor,
        action,
        f"{org_did(settings, org.slug)}#{key_id}",
        {"algorithm": pair.algorithm, "publicKeyMultibase": key.public_key_multibase},
    )
    return key


def rotate_key(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    *,
    actor: Actor | None = None,
) -> SigningKey:
    """Retire the active key (old credentials keep verifying) and start a new one."""
    return add_signing_key(session, settings, keystore, org, actor=actor)


def revoke_key(
    session: Session,
    settings: Settings,
    org: Organization,
    key_id: str,
    *,
    actor: Actor | None = None,
) -> SigningKey:
    """A compromised key leaves the DID document: what it signed no longer verifies."""
    key = next((k for k in _keys(session, org) if k.key_id == key_id), None)
    if key is None:
        raise OrganizationNotFound(f"No key {key_id!r} in {org.slug}.")
    if key.status is SigningKeyStatus.ACTIVE:
        raise InvalidInput("Rotate first: the active key cannot be revoked.")
    key.status = SigningKeyStatus.REVOKED
    key.revoked_at = utcnow()
    record(
        session, org, actor, AuditAction.KEY_REVOKE, f"{org_did(settings, org.slug)}#{key_id}", {}
    )
    return key


def did_document(session: Session, settings: Settings, org: Organization) -> dict[str, Any]:
    keys = _keys(session, org)
    active = [
        (k.key_id, PublicKey.from_multibase(k.public_key_multibase))
        for k in keys
        if k.status is SigningKeyStatus.ACTIVE
    ]
    retired = [
        (k.key_id, PublicKey.from_multibase(k.public_key_multibase))
        for k in keys
        if k.status is SigningKeyStatus.RETIRED
    ]
    return did_web_document(org_did(settings, org.slug), active, retired=retired)


def signer_for(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    *,
    at: datetime | None = None,
) -> tuple[SigningKey, LocalSigner]:
    """The active key, decrypted, as a signer naming ``did:web:…#key-N``."""
    active = [k for k in _keys(session, org) if k.status is SigningKeyStatus.ACTIVE]
    if not active:
        raise InvalidInput(f"{org.slug} has no active signing key; rotate to create one.")
    key = active[-1]
    pair = keystore.decrypt_private_key(
        key.private_key_ciphertext,
        org_id=str(org.id),
        key_id=key.key_id,
        algorithm=key.algorithm,
    )
    return key, pair.signer(f"{org_did(settings, org.slug)}#{key.key_id}")
