"""Learner accounts: sign-up, password and magic-link sign-in, the holder key."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core import Verifier, create_presentation, sign_presentation
from openler.core.keys.did_key import parse_did_key
from openler.services.keystore import KeyStoreError
from openler.services.learners import (
    MAX_SIGN_IN_LINKS_PER_WINDOW,
    SIGN_IN_PATH,
    LearnerNotFound,
    SignInLinkExpired,
    SignInLinkInvalid,
    SignInLinkUsed,
    TooManySignInLinks,
    ensure_learner,
    get_learner,
    holder_did,
    holder_signer,
    is_email_verified,
    redeem_sign_in_link,
    request_sign_in_link,
    sign_in_with_password,
    sign_up,
    token_hash,
)
from openler.services.users import UserExists, create_user
from openler.store.models.learner import Learner, OutgoingEmail, SignInLink
from tests.integration.learner.conftest import KEYSTORE, NOW, PASSWORD, SETTINGS


def test_sign_up_gives_a_holder_key_encrypted_at_rest(db_session: Session) -> None:
    learner = sign_up(db_session, KEYSTORE, email="Ada@Example.org", password=PASSWORD)
    assert learner.user.email == "ada@example.org"
    assert learner.user.password_hash.startswith("scrypt$")
    assert learner.email_verified_at is None
    assert learner.did.startswith("did:key:z6Mk")
    public = parse_did_key(learner.did)
    assert public.to_multibase() == learner.public_key_multibase
    signer = holder_signer(db_session, KEYSTORE, learner.user)
    # The stored envelope is not the private key, and it opens to the DID's key.
    assert signer.public_key == public
    assert len(learner.private_key_ciphertext) == 1 + 8 + 12 + 32 + 16
    assert learner.encryption_key_version == KEYSTORE.current_version
    assert holder_did(db_session, learner.user) == learner.did


def test_a_holder_key_envelope_is_bound_to_its_learner(db_session: Session) -> None:
    ada = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    bob = sign_up(db_session, KEYSTORE, email="bob@example.org", password=PASSWORD)
    bob.private_key_ciphertext = ada.private_key_ciphertext  # copied to another row
    db_session.flush()
    with pytest.raises(KeyStoreError):
        holder_signer(db_session, KEYSTORE, bob.user)


def test_the_holder_signs_presentations_that_verify(db_session: Session) -> None:
    learner = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    signer = holder_signer(db_session, KEYSTORE, learner.user)
    assert signer.verification_method == f"{learner.did}#{learner.did.removeprefix('did:key:')}"
    presentation = sign_presentation(
        create_presentation([], holder=learner.did),
        signer,
        challenge="c-123",
        domain="employer.example",
        created=NOW,
    )
    from openler.core.verification import verify_presentation_with

    ok = verify_presentation_with(
        Verifier(), presentation, challenge="c-123", domain="employer.example", now=NOW
    )
    assert ok.verified, ok.to_dict()
    wrong = verify_presentation_with(
        Verifier(), presentation, challenge="other", domain="employer.example", now=NOW
    )
    assert not wrong.verified


def test_sign_up_twice_and_unknown_learners(db_session: Session) -> None:
    sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    with pytest.raises(UserExists):
        sign_up(db_session, KEYSTORE, email="ADA@example.org", password=PASSWORD)
    staff = create_user(db_session, email="staff@example.org", password=PASSWORD)
    assert get_learner(db_session, staff) is None
    with pytest.raises(LearnerNotFound) as caught:
        holder_did(db_session, staff)
    assert caught.value.code == "not_found"
    # ensure_learner is idempotent: one key per learner.
    first = ensure_learner(db_session, KEYSTORE, staff)
    assert ensure_learner(db_session, KEYSTORE, staff).did == first.did


def test_password_sign_in(db_session: Session) -> None:
    sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    assert sign_in_with_password(db_session, KEYSTORE, "ada@example.org", "wrong", now=NOW) is None
    assert sign_in_with_password(db_session, KEYSTORE, "nobody@x.org", PASSWORD, now=NOW) is None
    learner = sign_in_with_password(db_session, KEYSTORE, "ADA@example.org", PASSWORD, now=NOW)
    assert learner is not None
    assert learner.user.last_login_at == NOW
    # A staff member who signs in to the record becomes a learner.
    staff = create_user(db_session, email="staff@example.org", password=PASSWORD)
    assert sign_in_with_password(db_session, KEYSTORE, staff.email, PASSWORD, now=NOW) is not None
    assert get_learner(db_session, staff) is not None


def test_magic_link_creates_the_account_and_verifies_the_address(db_session: Session) -> None:
    offer = request_sign_in_link(
        db_session, "New.Learner@Example.org", now=NOW, base_url=SETTINGS.base_url
    )
    assert offer.url == f"https://issuer.example{SIGN_IN_PATH}{offer.token}"
    assert len(offer.token) >= 43  # 256 bits, base64url
    assert offer.expires_at == NOW + timedelta(minutes=15)
    link = db_session.scalar(sa.select(SignInLink))
    assert link is not None
    assert link.token_hash == token_hash(offer.token)
    assert offer.token not in link.token_hash
    mail = db_session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.idempotency_key == f"sign-in:{link.id}")
    )
    assert mail is not None
    assert mail.to_address == "new.learner@example.org"
    assert offer.url in mail.body_text
    learner = redeem_sign_in_link(db_session, KEYSTORE, offer.token, now=NOW + timedelta(minutes=1))
    assert learner.user.email == "new.learner@example.org"
    assert learner.user.password_hash == ""  # no password until one is set
    assert learner.email_verified_at == NOW + timedelta(minutes=1)
    assert is_email_verified(db_session, learner.user)
    with pytest.raises(SignInLinkUsed) as used:
        redeem_sign_in_link(db_session, KEYSTORE, offer.token, now=NOW + timedelta(minutes=2))
    assert used.value.code == "sign_in_link_used"


def test_magic_link_for_an_existing_learner_signs_them_in(db_session: Session) -> None:
    existing = sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD)
    offer = request_sign_in_link(db_session, "ada@example.org", now=NOW, base_url="https://x.org")
    learner = redeem_sign_in_link(db_session, KEYSTORE, offer.token, now=NOW)
    assert learner.id == existing.id
    assert learner.did == existing.did
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Learner)) == 1


def test_bad_magic_links(db_session: Session) -> None:
    offer = request_sign_in_link(db_session, "ada@example.org", now=NOW, base_url="https://x.org")
    with pytest.raises(SignInLinkExpired) as expired:
        redeem_sign_in_link(db_session, KEYSTORE, offer.token, now=NOW + timedelta(minutes=15))
    assert expired.value.code == "sign_in_link_expired"
    for token in ("", "x" * 500, offer.token + "x", "not-a-token"):
        with pytest.raises(SignInLinkInvalid) as invalid:
            redeem_sign_in_link(db_session, KEYSTORE, token, now=NOW)
        assert invalid.value.code == "sign_in_link_invalid"
    # Nothing was created by the failures.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0


def test_sign_in_links_are_throttled_per_address(db_session: Session) -> None:
    for _ in range(MAX_SIGN_IN_LINKS_PER_WINDOW):
        request_sign_in_link(db_session, "ada@example.org", now=NOW, base_url="https://x.org")
    with pytest.raises(TooManySignInLinks) as caught:
        request_sign_in_link(db_session, "ada@example.org", now=NOW, base_url="https://x.org")
    assert caught.value.code == "rate_limited"
    # Another address, or the same one later, is fine.
    request_sign_in_link(db_session, "bob@example.org", now=NOW, base_url="https://x.org")
    later = NOW + timedelta(minutes=16)
    request_sign_in_link(db_session, "ada@example.org", now=later, base_url="https://x.org")
