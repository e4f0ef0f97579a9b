"""Every model survives a round trip through the database, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.store.models import (
    AchievementDefinition,
    ActorType,
    ApiClient,
    ApiKey,
    AuditAction,
    AuditEvent,
    CredentialStatus,
    Endorsement,
    EndorsementTarget,
    ImmutableRecordError,
    IssuedCredential,
    Membership,
    Organization,
    OrganizationKind,
    PublicationStatus,
    Role,
    SigningKey,
    SigningKeyStatus,
    StatusPurpose,
    TrustedIssuer,
    User,
    new_id,
)
from openler.store.status import create_status_list
from tests.integration.store.factories import (
    make_achievement,
    make_credential,
    make_organization,
    make_signing_key,
    make_user,
)

T = TypeVar("T")


def _reload(session: Session, model: type[T], key: uuid.UUID) -> T:
    session.flush()
    session.expunge_all()
    found = session.get(model, key)
    assert found is not None
    return found


def test_new_ids_are_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(50)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert len(set(ids)) == 50
    assert [i.bytes[:6] for i in ids] == sorted(i.bytes[:6] for i in ids)


def test_organization(db_session: Session) -> None:
    profile = {"id": "did:web:x", "type": ["Profile"], "name": "Cañada College", "n": [1, 2.5]}
    org = make_organization(
        db_session, slug="canada", kind=OrganizationKind.UNION_APPRENTICESHIP, profile=profile
    )
    loaded = _reload(db_session, Organization, org.id)
    assert (loaded.slug, loaded.kind, loaded.profile) == ("canada", "union_apprenticeship", profile)
    assert loaded.kind is OrganizationKind.UNION_APPRENTICESHIP
    assert isinstance(loaded.id, uuid.UUID)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - loaded.created_at) < timedelta(minutes=1)


def test_timestamps_are_stored_in_utc(db_session: Session) -> None:
    org = make_organization(db_session)
    paris = datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    key = make_signing_key(db_session, org, retired_at=paris)
    loaded = _reload(db_session, SigningKey, key.id)
    assert loaded.retired_at == paris
    assert loaded.retired_at is not None
    assert loaded.retired_at.tzinfo == UTC
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        make_signing_key(db_session, org, retired_at=datetime(2025, 1, 1))


def test_signing_key(db_session: Session) -> None:
    org = make_organization(db_session)
    secret = bytes(range(256))
    key = make_signing_key(db_session, org, key_id="key-1", private_key_ciphertext=secret)
    loaded = _reload(db_session, SigningKey, key.id)
    assert loaded.private_key_ciphertext == secret
    assert (loaded.status, loaded.algorithm, loaded.encryption_key_version) == (
        SigningKeyStatus.ACTIVE,
        "Ed25519",
        "0123456789abcdef",
    )
    loaded.status = SigningKeyStatus.RETIRED
    loaded.retired_at = datetime.now(UTC)
    assert _reload(db_session, SigningKey, key.id).status is SigningKeyStatus.RETIRED
    assert [k.key_id for k in _reload(db_session, Organization, org.id).signing_keys] == ["key-1"]


def test_user_and_membership(db_session: Session) -> None:
    org = make_organization(db_session)
    user = make_user(db_session, email="  Ada@Example.ORG ")
    db_session.add(Membership(user=user, organization=org, role=Role.ISSUER))
    loaded = _reload(db_session, User, user.id)
    assert loaded.email == "ada@example.org"
    assert [(m.organization.slug, m.role) for m in loaded.memberships] == [(org.slug, "issuer")]


def test_api_client_and_key(db_session: Session) -> None:
    org = make_organization(db_session)
    client = ApiClient(
        organization=org, client_id="c-1", secret_hash="h", scopes=["credential.issue"]
    )
    key = ApiKey(organization=org, prefix="olk_abc", key_hash="h2", scopes=["audit.read"])
    db_session.add_all([client, key])
    loaded_client = _reload(db_session, ApiClient, client.id)
    assert (loaded_client.scopes, loaded_client.revoked) == (["credential.issue"], False)
    loaded_key = _reload(db_session, ApiKey, key.id)
    assert (loaded_key.prefix, loaded_key.scopes, loaded_key.organization.slug) == (
        "olk_abc",
        ["audit.read"],
        org.slug,
    )


def test_achievement_definition_versions(db_session: Session) -> None:
    org = make_organization(db_session)
    first = make_achievement(db_session, org, logical_id="welding")
    second = make_achievement(db_session, org, logical_id="welding", version=2)
    found = db_session.scalars(
        sa.select(AchievementDefinition)
        .where(AchievementDefinition.logical_id == "welding")
        .order_by(AchievementDefinition.version)
    ).all()
    assert [a.id for a in found] == [first.id, second.id]
    assert found[0].status is PublicationStatus.DRAFT
    assert found[0].achievement["criteria"] == {"narrative": "Pass the practical."}


def test_a_published_achievement_is_immutable(db_session: Session) -> None:
    org = make_organization(db_session)
    definition = make_achievement(db_session, org)
    definition.achievement = {**definition.achievement, "name": "Welding I (draft 2)"}
    db_session.flush()  # drafts may change
    definition.status = PublicationStatus.PUBLISHED
    definition.published_at = datetime.now(UTC)
    db_session.flush()  # publishing is the last change
    definition.achievement = {**definition.achievement, "name": "Welding II"}
    with pytest.raises(ImmutableRecordError, match="achievement"):
        db_session.flush()


def test_issued_credential(db_session: Session) -> None:
    org = make_organization(db_session)
    key = make_signing_key(db_session, org)
    definition = make_achievement(db_session, org)
    revocation = create_status_list(db_session, org, StatusPurpose.REVOCATION, length=8)
    until = datetime(2030, 1, 1, tzinfo=UTC)
    credential = make_credential(
        db_session,
        org,
        definition,
        signing_key=key,
        recipient_identifier="sha256$abc",
        recipient_hashed=True,
        recipient_salt="pepper",
        revocation_list_id=revocation.id,
        revocation_index=3,
        valid_until=until,
        idempotency_key="req-1",
        request_hash="f" * 64,
    )
    loaded = _reload(db_session, IssuedCredential, credential.id)
    assert loaded.status is CredentialStatus.ACTIVE
    assert loaded.achievement.id == definition.id
    assert loaded.signing_key is not None
    assert loaded.signing_key.id == key.id
    assert loaded.revocation_list is not None
    assert loaded.revocation_list.url_path.endswith("/status/revocation/1")
    assert (loaded.revocation_index, loaded.suspension_list, loaded.valid_until) == (3, None, until)
    assert (loaded.recipient_hashed, loaded.recipient_salt) == (True, "pepper")
    loaded.status = CredentialStatus.REVOKED
    loaded.status_reason = "Issued in error — ошибка"
    loaded.status_changed_at = datetime.now(UTC)
    again = _reload(db_session, IssuedCredential, credential.id)
    assert (again.status, again.status_reason) == ("revoked", "Issued in error — ошибка")


def test_status_list(db_session: Session) -> None:
    org = make_organization(db_session, slug="acme")
    status_list = create_status_list(db_session, org, StatusPurpose.SUSPENSION, length=20)
    status_list.signed_credential = b'{"type": ["BitstringStatusListCredential"]}'
    status_list.signed_version = 1
    loaded = _reload(db_session, type(status_list), status_list.id)
    assert loaded.url_path == "/orgs/acme/status/suspension/1"
    assert (loaded.length, loaded.bits, loaded.next_index, loaded.version) == (20, bytes(3), 0, 1)
    assert loaded.signed_credential == b'{"type": ["BitstringStatusListCredential"]}'
    assert not loaded.is_full


def test_endorsement(db_session: Session) -> None:
    endorser = make_organization(db_session, kind=OrganizationKind.INDUSTRY_ASSOCIATION)
    college = make_organization(db_session)
    definition = make_achievement(db_session, college)
    endorsement = Endorsement(
        endorser=endorser,
        target_kind=EndorsementTarget.ACHIEVEMENT,
        target_id=definition.achievement["id"],
        target_achievement=definition,
        credential_id="urn:uuid:0b9f6a4e-1c39-4f5e-8d0a-5f1bbd9d2b11",
    )
    endorsement.set_signed_document(b'{"type":["EndorsementCredential"]}')
    db_session.add(endorsement)
    loaded = _reload(db_session, Endorsement, endorsement.id)
    assert loaded.endorser.id == endorser.id
    assert loaded.target_achievement is not None
    assert loaded.target_achievement.id == definition.id
    assert loaded.document == {"type": ["EndorsementCredential"]}


def test_trusted_issuer(db_session: Session) -> None:
    issuer = TrustedIssuer(
        issuer_id="did:web:college.example", name="College", accreditation="WASC", notes=None
    )
    db_session.add(issuer)
    loaded = _reload(db_session, TrustedIssuer, issuer.id)
    assert (loaded.issuer_id, loaded.accreditation, loaded.active) == (
        "did:web:college.example",
        "WASC",
        True,
    )


def test_audit_event(db_session: Session) -> None:
    org = make_organization(db_session)
    event = AuditEvent(
        organization_id=org.id,
        actor_type=ActorType.USER,
        actor_id=str(uuid.uuid4()),
        action=AuditAction.CREDENTIAL_REVOKE,
        subject_id="urn:uuid:1",
        details={"reason": "fraud", "nested": {"ok": True}},
    )
    db_session.add(event)
    loaded = _reload(db_session, AuditEvent, event.id)
    assert (loaded.action, loaded.details) == (
        "credential.revoke",
        {"reason": "fraud", "nested": {"ok": True}},
    )
    assert loaded.at.tzinfo == UTC
