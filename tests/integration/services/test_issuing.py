"""Organizations, keys, issuing and status changes, end to end through the database (on
SQLite and PostgreSQL), with every credential checked by the core verifier against the
DID document and status lists the platform would publish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.services.issuing import (
    IdempotencyConflict,
    IssueRequest,
    NotFound,
    StatusConflict,
    change_status,
    issue_credential,
)
from openler.services.keystore import KeyStore
from openler.services.organizations import (
    OrganizationExists,
    create_organization,
    org_did,
    revoke_key,
    rotate_key,
)
from openler.store.models import (
    AuditEvent,
    IssuedCredential,
    Organization,
    PublicationStatus,
)
from tests.integration.platform_view import PlatformView
from tests.integration.store.factories import make_achievement

SETTINGS = Settings(base_url="https://issuer.example", env="test")
KEYSTORE = KeyStore("an-encryption-secret-for-tests-only-0123456789")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _verify(session: Session, issued: IssuedCredential) -> list[str]:
    return PlatformView(session, SETTINGS, KEYSTORE, now=NOW).error_codes(issued.credential_bytes)


def _org(session: Session, slug: str = "riverside") -> Organization:
    return create_organization(session, SETTINGS, KEYSTORE, slug=slug, name="Riverside College")


def _achievement_json(n: int) -> dict[str, Any]:
    return {
        "id": f"https://issuer.example/achievements/welding-{n}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": "Welding I",
        "description": "Safe setup and basic structural welds.",
        "criteria": {"narrative": "Pass the practical test."},
    }


def _published(session: Session, org: Organization) -> Any:
    achievement = make_achievement(session, org, achievement=_achievement_json(id(org) % 1000))
    achievement.status = PublicationStatus.PUBLISHED
    achievement.published_at = NOW
    session.flush()
    return achievement


def test_issue_verify_revoke(db_session: Session) -> None:
    org = _org(db_session)
    achievement = _published(db_session, org)
    issued, created = issue_credential(
        db_session,
        SETTINGS,
        KEYSTORE,
        org,
        IssueRequest(achievement.id, "Ada.Lovelace@Example.org"),
        now=NOW,
    )
    assert created
    doc = issued.document
    assert (
        doc["issuer"]["id"]
        == org_did(SETTINGS, "riverside")
        == ("did:web:issuer.example:orgs:riverside")
    )
    subject = doc["credentialSubject"]
    assert subject["identifier"][0]["identityHash"].startswith("sha256$")
    assert "lovelace" not in issued.credential_bytes.decode().lower()  # only a salted hash
    assert _verify(db_session, issued) == []
    change_status(db_session, org, issued.credential_id, "revoke", reason="issued in error")
    assert _verify(db_session, issued) == ["revoked"]
    with pytest.raises(StatusConflict):
        change_status(db_session, org, issued.credential_id, "revoke")
    actions = db_session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.organization_id == org.id)
    ).all()
    assert {"organization.create", "key.create", "credential.issue", "credential.revoke"} <= set(
        actions
    )


def test_suspend_and_unsuspend(db_session: Session) -> None:
    org = _org(db_session)
    achievement = _published(db_session, org)
    plain, _ = issue_credential(
        db_session,
        SETTINGS,
        KEYSTORE,
        org,
        IssueRequest(achievement.id, "did:example:z"),
        now=NOW,
    )
    with pytest.raises(StatusConflict):  # it carries a revocation entry only
        change_status(db_session, org, plain.credential_id, "suspend")
    request = IssueRequest(achievement.id, "did:example:a", status_purpose="suspension")
    issued, _ = issue_credential(db_session, SETTINGS, KEYSTORE, org, request, now=NOW)
    change_status(db_session, org, issued.credential_id, "suspend")
    assert _verify(db_session, issued) == ["suspended"]
    change_status(db_session, org, issued.credential_id, "unsuspend")
    assert _verify(db_session, issued) == []
    with pytest.raises(StatusConflict):
        change_status(db_session, org, issued.credential_id, "unsuspend")
    change_status(db_session, org, issued.credential_id, "revoke")  # suspended for good
    assert _verify(db_session, issued) == ["suspended"]
    with pytest.raises(StatusConflict):
        change_status(db_session, org, issued.credential_id, "unsuspend")


def test_stored_bytes_are_what_was_signed(db_session: Session) -> None:
    org = _org(db_session)
    issued, _ = issue_credential(
        db_session,
        SETTINGS,
        KEYSTORE,
        org,
        IssueRequest(_published(db_session, org).id, "did:example:b"),
        now=NOW,
    )
    db_session.expire_all()
    again = db_session.get(IssuedCredential, issued.id)
    assert again is not None
    assert again.credential_bytes == issued.credential_bytes
    assert _verify(db_session, again) == []


def test_idempotency(db_session: Session) -> None:
    org = _org(db_session)
    achievement = _published(db_session, org)
    request = IssueRequest(achievement.id, "did:example:c", idempotency_key="row-17")
    first, created = issue_credential(db_session, SETTINGS, KEYSTORE, org, request, now=NOW)
    second, created_again = issue_credential(db_session, SETTINGS, KEYSTORE, org, request, now=NOW)
    assert created
    assert not created_again
    assert second.id == first.id
    other = IssueRequest(achievement.id, "did:example:d", idempotency_key="row-17")
    with pytest.raises(IdempotencyConflict):
        issue_credential(db_session, SETTINGS, KEYSTORE, org, other, now=NOW)
    count = db_session.scalar(
        sa.select(sa.func.count())
        .select_from(IssuedCredential)
        .where(IssuedCredential.organization_id == org.id)
    )
    assert count == 1


def test_tenants_are_isolated(db_session: Session) -> None:
    one = _org(db_session, "one")
    two = _org(db_session, "two")
    achievement = _published(db_session, one)
    with pytest.raises(NotFound):
        issue_credential(
            db_session,
            SETTINGS,
            KEYSTORE,
            two,
            IssueRequest(achievement.id, "did:example:e"),
            now=NOW,
        )
    issued, _ = issue_credential(
        db_session, SETTINGS, KEYSTORE, one, IssueRequest(achievement.id, "did:example:e"), now=NOW
    )
    with pytest.raises(NotFound):
        change_status(db_session, two, issued.credential_id, "revoke")
    assert _verify(db_session, issued) == []


def test_drafts_and_bad_recipients_are_refused(db_session: Session) -> None:
    org = _org(db_session)
    draft = make_achievement(db_session, org, achievement=_achievement_json(1))
    with pytest.raises(InvalidInput):
        issue_credential(
            db_session, SETTINGS, KEYSTORE, org, IssueRequest(draft.id, "did:example:f"), now=NOW
        )
    published = _published(db_session, org)
    with pytest.raises(InvalidInput):
        issue_credential(
            db_session, SETTINGS, KEYSTORE, org, IssueRequest(published.id, "  "), now=NOW
        )
    assert draft.status is PublicationStatus.DRAFT


def test_rotation_keeps_old_credentials_valid_and_revocation_does_not(
    db_session: Session,
) -> None:
    org = _org(db_session)
    achievement = _published(db_session, org)
    old, _ = issue_credential(
        db_session, SETTINGS, KEYSTORE, org, IssueRequest(achievement.id, "did:example:g"), now=NOW
    )
    rotate_key(db_session, SETTINGS, KEYSTORE, org)
    new, _ = issue_credential(
        db_session, SETTINGS, KEYSTORE, org, IssueRequest(achievement.id, "did:example:h"), now=NOW
    )
    assert old.document["proof"]["verificationMethod"].endswith("#key-1")
    assert new.document["proof"]["verificationMethod"].endswith("#key-2")
    assert _verify(db_session, old) == []
    assert _verify(db_session, new) == []
    with pytest.raises(InvalidInput):
        revoke_key(db_session, SETTINGS, org, "key-2")  # the active key
    revoke_key(db_session, SETTINGS, org, "key-1")
    assert "verification_method_unresolved" in _verify(db_session, old)
    assert _verify(db_session, new) == []


def test_slugs_are_unique_and_well_formed(db_session: Session) -> None:
    _org(db_session, "acme")
    with pytest.raises(OrganizationExists):
        _org(db_session, "acme")
    with pytest.raises(InvalidInput):
        _org(db_session, "Not A Slug")


def test_private_keys_are_encrypted_and_bound_to_their_row(db_session: Session) -> None:
    from openler.services.keystore import KeyStoreError
    from openler.store.models import SigningKey

    org = _org(db_session)
    key = db_session.scalar(sa.select(SigningKey).where(SigningKey.organization_id == org.id))
    assert key is not None
    assert len(key.private_key_ciphertext) > 32
    other = _org(db_session, "other")
    with pytest.raises(KeyStoreError):
        KEYSTORE.decrypt_private_key(
            key.private_key_ciphertext,
            org_id=str(other.id),
            key_id=key.key_id,
            algorithm=key.algorithm,
        )
