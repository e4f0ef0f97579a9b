"""Claim links: offered by e-mail when issuing, found, redeemed once, as issued (matched
by the IdentityObject) or re-issued to the learner's DID."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.errors import InvalidInput
from openler.services.claims import (
    CLAIM_PATH,
    DEFAULT_CLAIM_TTL,
    ClaimEmailUnverified,
    ClaimExpired,
    ClaimNotFound,
    ClaimRecipientMismatch,
    ClaimUsed,
    find_claim,
    offer_claim,
    redeem_claim,
)
from openler.services.issuing import IssueRequest, change_status, issue_credential
from openler.services.learners import get_learner, sign_up, token_hash
from openler.services.record import learner_record
from openler.store.models import AuditEvent, IssuedCredential
from openler.store.models.enums import ClaimMode, CredentialStatus, RecipientKind
from openler.store.models.learner import CredentialClaim, OutgoingEmail
from tests.integration.learner.conftest import (
    KEYSTORE,
    NOW,
    PASSWORD,
    SETTINGS,
    Issuer,
    make_issuer,
    verifier_for,
)

LATER = NOW + timedelta(days=1)


def _offer(
    db_session: Session, issuer: Issuer, email: str = "ada@example.org"
) -> tuple[IssuedCredential, str]:
    credential = issuer.issue(email)
    offer = offer_claim(db_session, credential, now=NOW, base_url=SETTINGS.base_url)
    return credential, offer.token


def test_offer_stores_only_a_hash_and_queues_one_email(db_session: Session, issuer: Issuer) -> None:
    credential = issuer.issue("Ada@Example.org")
    offer = offer_claim(db_session, credential, now=NOW, base_url="https://issuer.example/")
    assert offer.url == f"https://issuer.example{CLAIM_PATH}{offer.token}"
    assert offer.expires_at == NOW + DEFAULT_CLAIM_TTL
    assert len(offer.token) >= 43
    assert offer.email_queued
    db_session.flush()
    claim = db_session.scalar(sa.select(CredentialClaim))
    assert claim is not None
    assert claim.token_hash == token_hash(offer.token)
    assert claim.emailed
    assert claim.redeemed_at is None
    mails = list(db_session.scalars(sa.select(OutgoingEmail)))
    assert [m.idempotency_key for m in mails] == [f"claim:{credential.credential_id}"]
    assert mails[0].to_address == "ada@example.org"
    assert offer.url in mails[0].body_text
    assert "Welding I" in mails[0].subject
    # Offered again (a re-run bulk job): a new link, but no second e-mail.
    again = offer_claim(db_session, credential, now=NOW, base_url=SETTINGS.base_url)
    assert not again.email_queued
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail)) == 1


def test_offer_needs_the_recipient_address(db_session: Session, issuer: Issuer) -> None:
    credential = issuer.issue("ada@example.org")
    db_session.expunge_all()  # a later session: the address is no longer in memory
    loaded = db_session.get(IssuedCredential, credential.id)
    assert loaded is not None
    with pytest.raises(InvalidInput, match="address"):
        offer_claim(db_session, loaded, now=NOW, base_url=SETTINGS.base_url)
    with pytest.raises(InvalidInput, match="not the credential's recipient"):
        offer_claim(
            db_session, loaded, now=NOW, base_url=SETTINGS.base_url, email="eve@example.org"
        )
    offer = offer_claim(
        db_session, loaded, now=NOW, base_url=SETTINGS.base_url, email="ADA@example.org"
    )
    assert offer.email_queued
    # Without e-mail, any credential can get a link (handed over some other way).
    by_did = make_issuer(db_session).issue("did:example:123")
    assert not offer_claim(
        db_session, by_did, now=NOW, base_url=SETTINGS.base_url, send_email=False
    ).email_queued
    with pytest.raises(InvalidInput):
        offer_claim(db_session, by_did, now=NOW, base_url=SETTINGS.base_url)


def test_issuing_with_the_flag_offers_a_claim(db_session: Session, issuer: Issuer) -> None:
    issued, created = issue_credential(
        db_session,
        SETTINGS,
        KEYSTORE,
        issuer.org,
        IssueRequest(
            achievement_id=issuer.achievement.id, recipient="ada@example.org", offer_claim=True
        ),
        now=NOW,
    )
    assert created
    db_session.flush()
    claim = db_session.scalar(sa.select(CredentialClaim))
    assert claim is not None
    assert claim.credential_id == issued.id
    assert db_session.scalar(sa.select(OutgoingEmail.to_address)) == "ada@example.org"
    # Without the flag: no claim.
    issuer.issue("bob@example.org")
    db_session.flush()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CredentialClaim)) == 1


def test_find_claim_errors(db_session: Session, issuer: Issuer) -> None:
    _, token = _offer(db_session, issuer)
    assert find_claim(db_session, token, now=NOW).redeemed_at is None
    for bad in ("", "nope", token[:-1], "x" * 1000):
        with pytest.raises(ClaimNotFound) as unknown:
            find_claim(db_session, bad, now=NOW)
        assert unknown.value.code == "claim_not_found"
    with pytest.raises(ClaimExpired) as expired:
        find_claim(db_session, token, now=NOW + DEFAULT_CLAIM_TTL)
    assert expired.value.code == "claim_expired"


def test_matched_claim_keeps_the_credential_and_verifies_the_address(
    db_session: Session, issuer: Issuer
) -> None:
    credential, token = _offer(db_session, issuer)
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    assert learner_record(db_session, ada.user, now=LATER).items == ()  # not verified yet
    result = redeem_claim(
        db_session, token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
    )
    assert result.mode is ClaimMode.MATCHED
    assert result.credential.id == credential.id == result.original.id
    assert result.claim.redeemed_by_user_id == ada.user.id
    assert result.claim.claimed_credential_id == credential.id
    assert ada.email_verified_at == LATER  # the link was mailed to that address
    items = learner_record(db_session, ada.user, now=LATER).items
    assert [(i.key, i.source, i.claim_mode, i.state) for i in items] == [
        (f"issued:{credential.id}", "claimed", ClaimMode.MATCHED, "verified")
    ]
    audit = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "credential.claim"))
    assert audit is not None
    assert audit.details["mode"] == "matched"
    with pytest.raises(ClaimUsed) as used:
        redeem_claim(db_session, token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS)
    assert used.value.code == "claim_used"
    assert used.value.redeemed_by_user_id == ada.user.id


def test_a_claim_for_another_address_is_refused(db_session: Session, issuer: Issuer) -> None:
    _, token = _offer(db_session, issuer)
    eve = sign_up(db_session, KEYSTORE, email="eve@example.org", password=PASSWORD)
    with pytest.raises(ClaimRecipientMismatch) as caught:
        redeem_claim(db_session, token, eve.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS)
    assert caught.value.code == "claim_recipient_mismatch"
    # The link is still good for its recipient.
    assert find_claim(db_session, token, now=LATER).redeemed_at is None
    assert eve.email_verified_at is None


def test_a_link_not_emailed_needs_a_verified_address(db_session: Session, issuer: Issuer) -> None:
    credential = issuer.issue("ada@example.org")
    offer = offer_claim(
        db_session, credential, now=NOW, base_url=SETTINGS.base_url, send_email=False
    )
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    with pytest.raises(ClaimEmailUnverified) as caught:
        redeem_claim(
            db_session, offer.token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
        )
    assert caught.value.code == "claim_email_unverified"
    ada.email_verified_at = NOW
    result = redeem_claim(
        db_session, offer.token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
    )
    assert result.mode is ClaimMode.MATCHED


def test_reissued_claim_binds_the_learners_did(db_session: Session) -> None:
    issuer = make_issuer(db_session, reissue=True)
    original, token = _offer(db_session, issuer)
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    result = redeem_claim(
        db_session, token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
    )
    assert result.mode is ClaimMode.REISSUED
    copy = result.credential
    assert copy.id != original.id
    assert result.claim.reissued_credential_id == copy.id
    document = json.loads(copy.credential_bytes)
    assert document["credentialSubject"]["id"] == ada.did
    assert document["credentialSubject"]["achievement"]["name"] == "Welding I"
    assert copy.recipient_kind is RecipientKind.DID
    assert verifier_for(db_session, LATER).verify(document, now=LATER).verified
    record = learner_record(db_session, ada.user, now=LATER)
    assert [(i.key, i.source, i.original_credential_id) for i in record.items] == [
        (f"issued:{copy.id}", "claimed", original.credential_id)
    ]
    # Revoking the original revokes the copy (the delivery module keeps them in step).
    change_status(db_session, issuer.org, original.credential_id, "revoke")
    db_session.flush()
    db_session.refresh(copy)
    assert copy.status is CredentialStatus.REVOKED
    assert learner_record(db_session, ada.user, now=LATER).items[0].state == "revoked"


def test_reissue_holds_the_link_as_the_proof(db_session: Session) -> None:
    """With re-issuing on, the link is the proof (it was sent to the recipient): a learner
    signed up under another address gets it bound to their DID."""
    issuer = make_issuer(db_session, reissue=True)
    _, token = _offer(db_session, issuer)
    other = sign_up(db_session, KEYSTORE, email="ada.personal@example.org", password=PASSWORD)
    result = redeem_claim(
        db_session, token, other.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
    )
    assert json.loads(result.credential.credential_bytes)["credentialSubject"]["id"] == other.did
    assert other.email_verified_at is None  # nothing showed they read mail at their address


def test_one_credential_is_claimed_once_whatever_the_links(
    db_session: Session, issuer: Issuer
) -> None:
    credential = issuer.issue("ada@example.org")
    first = offer_claim(db_session, credential, now=NOW, base_url=SETTINGS.base_url)
    second = offer_claim(
        db_session, credential, now=NOW, base_url=SETTINGS.base_url, email_key="claim:resend"
    )
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    redeem_claim(db_session, first.token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS)
    with pytest.raises(ClaimUsed):
        find_claim(db_session, second.token, now=LATER)
    with pytest.raises(ClaimUsed):
        redeem_claim(
            db_session, second.token, ada.user, now=LATER, keystore=KEYSTORE, settings=SETTINGS
        )
    # The unique column refuses a second redemption even past the checks (a race).
    claim = db_session.scalar(
        sa.select(CredentialClaim).where(CredentialClaim.token_hash == token_hash(second.token))
    )
    assert claim is not None
    from openler.services.claims import _use

    with pytest.raises(ClaimUsed):
        _use(db_session, claim, ada.user, ClaimMode.MATCHED, LATER)
    # The caller's transaction is still usable.
    assert get_learner(db_session, ada.user) is not None


def test_offer_claims_in_one_batch(db_session: Session, issuer: Issuer) -> None:
    from openler.services.claims import ClaimItem, offer_claims

    ada = issuer.issue("ada@example.org")
    ben = issuer.issue("ben@example.org")
    kim = issuer.issue("kim@example.org")
    db_session.flush()
    answers = offer_claims(
        db_session,
        [
            ClaimItem(ada, email="Ada@Example.org"),
            ClaimItem(ben, email="not-ben@example.org"),  # not its recipient: refused
            ClaimItem(kim),  # a link only, for the issuer to hand out
        ],
        now=NOW,
        base_url=SETTINGS.base_url,
    )
    first, second, third = answers
    assert not isinstance(first, Exception)
    assert first.email_queued
    assert isinstance(second, InvalidInput)
    assert not isinstance(third, Exception)
    assert not third.email_queued
    claims = {c.credential_id: c for c in db_session.scalars(sa.select(CredentialClaim))}
    assert set(claims) == {ada.id, kim.id}
    assert claims[ada.id].token_hash == token_hash(first.token)
    assert claims[ada.id].emailed
    assert not claims[kim.id].emailed
    mails = list(db_session.scalars(sa.select(OutgoingEmail)))
    assert [(m.to_address, m.idempotency_key) for m in mails] == [
        ("ada@example.org", f"claim:{ada.credential_id}")
    ]
    assert first.url in mails[0].body_text
    # The batch link redeems like any other.
    assert find_claim(db_session, first.token, now=NOW).credential_id == ada.id
