"""Small builders for valid rows; each takes overrides as keyword arguments."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from openler.store.models import (
    AchievementDefinition,
    IssuedCredential,
    Organization,
    OrganizationKind,
    RecipientKind,
    SigningKey,
    User,
)


def token() -> str:
    return secrets.token_hex(4)


def make_organization(session: Session, **fields: Any) -> Organization:
    slug = fields.pop("slug", f"org-{token()}")
    organization = Organization(
        slug=slug,
        name=fields.pop("name", f"Organization {slug}"),
        kind=fields.pop("kind", OrganizationKind.COLLEGE),
        profile=fields.pop("profile", {"type": "Profile", "name": slug}),
        **fields,
    )
    session.add(organization)
    session.flush()
    return organization


def make_signing_key(session: Session, organization: Organization, **fields: Any) -> SigningKey:
    key = SigningKey(
        organization=organization,
        key_id=fields.pop("key_id", f"key-{token()}"),
        public_key_multibase=fields.pop("public_key_multibase", "z6Mk" + token()),
        private_key_ciphertext=fields.pop("private_key_ciphertext", secrets.token_bytes(48)),
        encryption_scheme=fields.pop("encryption_scheme", "openler-keystore-v1"),
        encryption_key_version=fields.pop("encryption_key_version", "0123456789abcdef"),
        **fields,
    )
    session.add(key)
    session.flush()
    return key


def make_user(session: Session, **fields: Any) -> User:
    user = User(
        email=fields.pop("email", f"user-{token()}@example.org"),
        password_hash=fields.pop("password_hash", "scrypt$fake"),
        display_name=fields.pop("display_name", "A User"),
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_achievement(
    session: Session, organization: Organization, **fields: Any
) -> AchievementDefinition:
    logical_id = fields.pop("logical_id", f"ach-{token()}")
    definition = AchievementDefinition(
        organization=organization,
        logical_id=logical_id,
        achievement=fields.pop(
            "achievement",
            {
                "id": f"https://example.org/achievements/{logical_id}",
                "type": ["Achievement"],
                "name": "Welding I",
                "criteria": {"narrative": "Pass the practical."},
            },
        ),
        **fields,
    )
    session.add(definition)
    session.flush()
    return definition


def make_credential(
    session: Session,
    organization: Organization,
    achievement: AchievementDefinition,
    document: bytes = b'{"id": "x"}',
    **fields: Any,
) -> IssuedCredential:
    credential = IssuedCredential(
        organization=organization,
        achievement=achievement,
        credential_id=fields.pop("credential_id", f"urn:uuid:{secrets.token_hex(16)}"),
        recipient_kind=fields.pop("recipient_kind", RecipientKind.EMAIL),
        recipient_identifier=fields.pop("recipient_identifier", "learner@example.org"),
        **fields,
    )
    credential.set_signed_document(document)
    session.add(credential)
    session.flush()
    return credential
