"""The learner record query: what a learner holds, and in which verification state."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from openler.services.delivery.binding import reissue_to_holder
from openler.services.issuing import change_status
from openler.services.learners import mark_email_verified, sign_up
from openler.services.organizations import revoke_key, rotate_key
from openler.services.record import (
    RecordItemNotFound,
    get_record_item,
    learner_record,
    record_items,
    state_from_report,
)
from openler.store.models.wallet import UserCredential
from tests.integration.learner.conftest import (
    KEYSTORE,
    NOW,
    PASSWORD,
    SETTINGS,
    Issuer,
    OtherIssuer,
)


def test_email_credentials_count_only_once_the_address_is_verified(
    db_session: Session, issuer: Issuer
) -> None:
    issued = issuer.issue("ada@example.org", now=NOW - timedelta(days=3))
    issuer.issue("bob@example.org")
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    record = learner_record(db_session, ada.user, now=NOW)
    assert record.items == ()
    assert not record.email_verified
    assert record.did == ada.did
    mark_email_verified(ada, now=NOW)
    record = learner_record(db_session, ada.user, now=NOW)
    assert [(i.key, i.source, i.state, i.verified) for i in record.items] == [
        (f"issued:{issued.id}", "issued", "verified", True)
    ]
    item = record.items[0]
    assert item.credential_bytes == issued.credential_bytes
    assert item.summary.name == "Welding I"
    assert item.summary.issuer_name == "Riverside College"
    assert item.summary.credential_id == issued.credential_id
    assert item.document() == json.loads(issued.credential_bytes)


def test_states_follow_status_dates_and_keys(db_session: Session, issuer: Issuer) -> None:
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    mark_email_verified(ada, now=NOW)
    revoked = issuer.issue("ada@example.org")
    suspended = issuer.issue("ada@example.org", status_purpose="suspension")
    expiring = issuer.issue("ada@example.org", valid_until=NOW + timedelta(hours=1))
    change_status(db_session, issuer.org, revoked.credential_id, "revoke")
    change_status(db_session, issuer.org, suspended.credential_id, "suspend")
    states = {
        i.issued_credential_id: i.state
        for i in learner_record(db_session, ada.user, now=NOW + timedelta(hours=2)).items
    }
    assert states == {revoked.id: "revoked", suspended.id: "suspended", expiring.id: "expired"}
    # A credential whose signing key was revoked no longer verifies.
    fine = issuer.issue("ada@example.org")
    rotate_key(db_session, SETTINGS, KEYSTORE, issuer.org)
    revoke_key(db_session, SETTINGS, issuer.org, "key-1")
    db_session.flush()
    record = learner_record(db_session, ada.user, now=NOW)
    assert next(i for i in record.items if i.issued_credential_id == fine.id).state == "unverified"
    assert record.verified_items == ()


def test_credentials_issued_to_the_holder_did(db_session: Session, issuer: Issuer) -> None:
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    to_did = issuer.issue(ada.did)
    issuer.issue("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    record = learner_record(db_session, ada.user, now=NOW)
    assert [i.issued_credential_id for i in record.items] == [to_did.id]


def test_copies_bound_to_an_external_wallet_are_not_listed_twice(
    db_session: Session, issuer: Issuer
) -> None:
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    mark_email_verified(ada, now=NOW)
    original = issuer.issue("ada@example.org")
    reissue_to_holder(
        db_session, SETTINGS, KEYSTORE, original, "did:example:wallet", now=NOW, via="vcapi"
    )
    record = learner_record(db_session, ada.user, now=NOW)
    assert [i.issued_credential_id for i in record.items] == [original.id]


def test_app_stored_and_imported_items_and_ordering(
    db_session: Session, issuer: Issuer, other_issuer: OtherIssuer
) -> None:
    from openler.services.record_import import import_credential
    from tests.integration.learner.conftest import verifier_for

    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    mark_email_verified(ada, now=NOW)
    issued = issuer.issue("ada@example.org", now=NOW - timedelta(days=1))
    stored = UserCredential(user_id=ada.user.id, credential_id="urn:uuid:app-1")
    app_doc = other_issuer.credential(name="Forklift")
    stored.set_signed_document(json.dumps(app_doc).encode())
    db_session.add(stored)
    imported = import_credential(
        db_session,
        ada.user,
        json.dumps(other_issuer.credential(name="CPR")),
        verifier=verifier_for(db_session),
        now=NOW,
    ).imported
    db_session.flush()
    record = learner_record(db_session, ada.user, now=NOW)
    assert {i.source for i in record.items} == {"issued", "imported", "app"}
    assert {i.key for i in record.items} == {
        f"issued:{issued.id}",
        f"imported:{imported.id}",
        f"app:{stored.id}",
    }
    # Newest first, by the credential's own date (the other issuer's are 30 days old).
    assert record.items[0].key == f"issued:{issued.id}"
    assert len(record.verified_items) == 3
    assert [i.summary.name for i in record.by_source("app")] == ["Forklift"]
    keys = [f"app:{stored.id}", f"issued:{issued.id}"]
    assert [i.key for i in record_items(db_session, ada.user, keys, now=NOW)] == keys


def test_another_learners_items_are_not_found(db_session: Session, issuer: Issuer) -> None:
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    mark_email_verified(ada, now=NOW)
    issued = issuer.issue("ada@example.org")
    bob = sign_up(db_session, KEYSTORE, email="bob@example.org", password=PASSWORD)
    key = f"issued:{issued.id}"
    assert get_record_item(db_session, ada.user, key, now=NOW).issued_credential_id == issued.id
    for who, wanted in ((bob.user, key), (ada.user, "issued:nope"), (ada.user, "")):
        with pytest.raises(RecordItemNotFound) as caught:
            get_record_item(db_session, who, wanted, now=NOW)
        assert caught.value.code == "not_found"
    with pytest.raises(RecordItemNotFound):
        record_items(db_session, bob.user, [key], now=NOW)


def test_state_from_report() -> None:
    assert state_from_report({"verified": True, "errors": []}) == "verified"
    assert state_from_report({"verified": False, "errors": ["revoked"]}) == "revoked"
    assert state_from_report({"verified": False, "errors": ["suspended"]}) == "suspended"
    assert state_from_report({"verified": False, "errors": ["expired"]}) == "expired"
    assert state_from_report({"verified": False, "errors": ["proof_invalid"]}) == "unverified"
    assert state_from_report({}) == "unverified"
