"""Uniqueness, foreign-key rules and CHECK constraints hold on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openler.store.models import (
    ActorType,
    ApiClient,
    AuditEvent,
    Endorsement,
    Membership,
    Organization,
    Role,
    SigningKey,
    StatusList,
    StatusPurpose,
    TrustedIssuer,
)
from openler.store.status import create_status_list
from tests.integration.store.factories import (
    make_achievement,
    make_credential,
    make_organization,
    make_signing_key,
    make_user,
)


def _count(session: Session, model: type, **where: object) -> int:
    query = sa.select(sa.func.count()).select_from(model).filter_by(**where)
    return int(session.scalar(query) or 0)


def test_duplicate_slug(db_session: Session) -> None:
    make_organization(db_session, slug="dup")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_organization(db_session, slug="dup")
    assert _count(db_session, Organization, slug="dup") == 1  # the session is still usable


def test_duplicate_email_after_normalization(db_session: Session) -> None:
    make_user(db_session, email="a@example.org")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_user(db_session, email="A@EXAMPLE.org")


def test_duplicate_idempotency_key_in_one_organization(db_session: Session) -> None:
    org, other = make_organization(db_session), make_organization(db_session)
    definition = make_achievement(db_session, org)
    make_credential(db_session, org, definition, idempotency_key="k1", request_hash="a" * 64)
    make_credential(db_session, org, definition)  # no key: any number of them
    make_credential(db_session, org, definition)
    make_credential(db_session, other, make_achievement(db_session, other), idempotency_key="k1")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_credential(db_session, org, definition, idempotency_key="k1")


def test_duplicate_credential_id(db_session: Session) -> None:
    org = make_organization(db_session)
    definition = make_achievement(db_session, org)
    make_credential(db_session, org, definition, credential_id="urn:uuid:same")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_credential(db_session, org, definition, credential_id="urn:uuid:same")


@pytest.mark.parametrize(
    ("make_twice", "what"),
    [
        (lambda s, o: make_achievement(s, o, logical_id="a", version=1), "achievement version"),
        (lambda s, o: make_signing_key(s, o, key_id="key-1"), "key id"),
        (lambda s, o: create_status_list(s, o, StatusPurpose.REVOCATION, length=8), "list no."),
    ],
)
def test_unique_per_organization(db_session: Session, make_twice: object, what: str) -> None:
    org = make_organization(db_session)
    make_twice(db_session, org)  # type: ignore[operator]
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_twice(db_session, org)  # type: ignore[operator]
    make_twice(db_session, make_organization(db_session))  # type: ignore[operator]


def test_one_status_entry_per_index(db_session: Session) -> None:
    org = make_organization(db_session)
    definition = make_achievement(db_session, org)
    status_list = create_status_list(db_session, org, StatusPurpose.REVOCATION, length=8)
    make_credential(
        db_session, org, definition, revocation_list_id=status_list.id, revocation_index=5
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_credential(
            db_session, org, definition, revocation_list_id=status_list.id, revocation_index=5
        )


def test_membership_once_per_user_and_organization(db_session: Session) -> None:
    org, user = make_organization(db_session), make_user(db_session)
    db_session.add(Membership(user=user, organization=org, role=Role.ADMIN))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Membership(user=user, organization=org, role=Role.VIEWER))


def test_deleting_an_organization_cascades_to_what_it_owns(db_session: Session) -> None:
    org, user = make_organization(db_session), make_user(db_session)
    make_signing_key(db_session, org)
    make_achievement(db_session, org)
    create_status_list(db_session, org, StatusPurpose.REVOCATION, length=8)
    db_session.add_all(
        [
            Membership(user=user, organization=org, role=Role.ADMIN),
            ApiClient(organization=org, client_id="cli", secret_hash="h"),
            AuditEvent(organization_id=org.id, actor_type=ActorType.SYSTEM, action="x"),
        ]
    )
    db_session.flush()
    org_id = org.id
    db_session.execute(sa.delete(Organization).where(Organization.id == org_id))
    db_session.expunge_all()
    for model in (SigningKey, Membership, ApiClient, StatusList):
        assert _count(db_session, model, organization_id=org_id) == 0, model
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "x")).one()
    assert event.organization_id is None  # the audit log outlives the organization
    assert _count(db_session, type(user), id=user.id) == 1


def test_deleting_a_user_removes_their_memberships(db_session: Session) -> None:
    org, user = make_organization(db_session), make_user(db_session)
    db_session.add(Membership(user=user, organization=org, role=Role.ADMIN))
    db_session.flush()
    db_session.execute(sa.delete(type(user)).where(type(user).id == user.id))
    assert _count(db_session, Membership, organization_id=org.id) == 0


def test_issued_credentials_keep_their_issuer_and_achievement(db_session: Session) -> None:
    org = make_organization(db_session)
    definition = make_achievement(db_session, org)
    key = make_signing_key(db_session, org)
    make_credential(db_session, org, definition, signing_key=key)
    for model, key_id in (
        (Organization, org.id),
        (type(definition), definition.id),
        (SigningKey, key.id),
    ):
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.execute(sa.delete(model).where(model.id == key_id))


def test_a_status_list_in_use_cannot_be_deleted(db_session: Session) -> None:
    org = make_organization(db_session)
    status_list = create_status_list(db_session, org, StatusPurpose.SUSPENSION, length=8)
    make_credential(
        db_session,
        org,
        make_achievement(db_session, org),
        suspension_list_id=status_list.id,
        suspension_index=0,
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(sa.delete(StatusList).where(StatusList.id == status_list.id))


def test_endorsement_targets_are_unlinked_not_deleted(db_session: Session) -> None:
    endorser, college = make_organization(db_session), make_organization(db_session)
    definition = make_achievement(db_session, college)
    endorsement = Endorsement(
        endorser=endorser,
        target_kind="achievement",
        target_id="https://college/a",
        target_achievement=definition,
        target_organization=college,
        credential_id="urn:uuid:endorse",
    )
    endorsement.set_signed_document(b"{}")
    db_session.add(endorsement)
    db_session.flush()
    db_session.execute(sa.delete(Organization).where(Organization.id == college.id))
    db_session.expire_all()
    assert (endorsement.target_achievement_id, endorsement.target_organization_id) == (None, None)
    assert endorsement.target_id == "https://college/a"
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(sa.delete(Organization).where(Organization.id == endorser.id))


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    from openler.store.models import new_id

    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Membership(user_id=new_id(), organization_id=new_id(), role=Role.ADMIN))


def test_enum_values_are_checked_by_the_database(db_session: Session) -> None:
    org = make_organization(db_session)
    statement = sa.text("UPDATE organizations SET kind = :bad WHERE id = :id").bindparams(
        sa.bindparam("id", type_=sa.Uuid())
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(statement, {"bad": "castle", "id": org.id})


def test_status_list_bounds_are_checked_by_the_database(db_session: Session) -> None:
    org = make_organization(db_session)
    status_list = create_status_list(db_session, org, StatusPurpose.REVOCATION, length=8)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            sa.update(StatusList).where(StatusList.id == status_list.id).values(next_index=9)
        )


def test_trusted_issuer_listed_once(db_session: Session) -> None:
    db_session.add(TrustedIssuer(issuer_id="did:web:a", name="A"))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(TrustedIssuer(issuer_id="did:web:a", name="A again"))
