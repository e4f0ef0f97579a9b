"""Claim links and sign-in links on the learner's pages (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from openler.store.models.learner import CredentialClaim
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Wallet,
    csrf_of,
    wallet_fixture,
    web_fixture,
)


def test_an_anonymous_visitor_signs_up_then_finishes_the_claim(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    page = wallet.client.get(f"/wallet/claim/{issued.token}")
    assert page.status_code == 200
    assert "Forklift Operator" in page.text
    assert "Lakeshore College" in page.text
    assert 'id="claim-signup"' in page.text
    assert 'id="claim-button"' not in page.text
    assert f"/signin?next=/wallet/claim/{issued.token}" in page.text
    wallet.sign_up("ada@example.org")
    record = wallet.client.get("/wallet")
    assert 'id="finish-claim"' in record.text  # the claim the visitor started
    assert f"/wallet/claim/{issued.token}" in record.text
    claim_page = wallet.client.get(f"/wallet/claim/{issued.token}")
    assert 'id="claim-button"' in claim_page.text
    key = wallet.claim(issued)
    assert key == issued.key
    credential = wallet.client.get(f"/wallet/credentials/{key}?done=claimed")
    assert credential.status_code == 200
    assert "The credential is in your record now." in credential.text
    assert 'data-state="verified"' in credential.text
    after = wallet.client.get("/wallet")
    assert 'id="finish-claim"' not in after.text
    assert f'data-key="{key}"' in after.text


def test_a_used_link_is_a_clear_page_and_changes_nothing(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org")
    wallet.claim(issued)
    # the learner who claimed it is sent to their record
    again = wallet.client.get(f"/wallet/claim/{issued.token}", follow_redirects=False)
    assert again.status_code == 303
    wallet.sign_out()
    wallet.sign_up("eve@example.org", name="Eve")
    used = wallet.client.get(f"/wallet/claim/{issued.token}")
    assert used.status_code == 410
    assert "This claim link was used already" in used.text
    assert used.headers["x-openler-error"] == "claim_used"
    posted = wallet.post(f"/wallet/claim/{issued.token}")
    assert posted.status_code == 410
    with wallet.web.session() as session:
        claim = session.scalar(sa.select(CredentialClaim))
        assert claim is not None
        assert claim.redeemed_by_user_id == wallet.user("ada@example.org").id


def test_an_expired_or_unknown_link_is_a_clear_page(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    unknown = wallet.client.get("/wallet/claim/not-a-real-token-at-all")
    assert unknown.status_code == 404
    assert "This claim link is not valid" in unknown.text
    wallet.web.clock.advance(days=31)
    expired = wallet.client.get(f"/wallet/claim/{issued.token}")
    assert expired.status_code == 410
    assert "This claim link has expired" in expired.text
    wallet.sign_up("ada@example.org")
    posted = wallet.post(f"/wallet/claim/{issued.token}")
    assert posted.status_code == 410
    assert "This claim link has expired" in posted.text
    assert 'data-key="' not in wallet.client.get("/wallet").text


def test_another_address_cannot_claim_and_the_link_keeps_working(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("eve@example.org", name="Eve")
    page = wallet.client.get(f"/wallet/claim/{issued.token}")
    assert "issued to another e-mail address" in page.text
    assert 'id="claim-button"' not in page.text
    refused = wallet.post(f"/wallet/claim/{issued.token}")
    assert refused.status_code == 403
    assert refused.headers["x-openler-error"] == "claim_recipient_mismatch"
    assert "Nothing was changed" in refused.text
    wallet.sign_out()
    wallet.sign_up("ada@example.org")
    assert wallet.claim(issued) == issued.key


def test_an_issuer_that_reissues_binds_the_copy_to_the_learner(wallet: Wallet) -> None:
    org = wallet.issuer(reissue=True)
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org")
    key = wallet.claim(issued)
    assert key != issued.key  # the copy re-issued to the learner's DID
    page = wallet.client.get(f"/wallet/credentials/{key}")
    assert "re-issued to your record&#39;s key" in page.text
    assert 'data-state="verified"' in page.text


def test_a_claim_post_needs_a_csrf_token(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org")
    forged = wallet.client.post(
        f"/wallet/claim/{issued.token}", data={"csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert forged.headers["x-openler-error"] == "csrf_failed"


def test_a_sign_in_link_signs_in_once(wallet: Wallet) -> None:
    from openler.services.learners import request_sign_in_link
    from tests.integration.platform.conftest import SETTINGS

    with wallet.web.session() as session:
        offer = request_sign_in_link(
            session, "new@example.org", now=wallet.web.clock.now, base_url=SETTINGS.base_url
        )
    path = f"/wallet/sign-in/{offer.token}"
    page = wallet.client.get(path)
    assert page.status_code == 200
    assert 'id="use-link"' in page.text  # opening the page alone uses nothing
    used = wallet.client.post(path, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert used.status_code == 303
    record = wallet.client.get("/wallet")
    assert "new@example.org" in record.text
    assert "appear here once" not in record.text  # the address is verified by the link
    wallet.sign_out()
    again = wallet.client.get(path)
    second = wallet.client.post(path, data={"csrf_token": csrf_of(again.text)})
    assert second.status_code == 410
    assert "used already" in second.text
    bogus = wallet.client.get("/wallet/sign-in/x")
    bogus_post = wallet.client.post("/wallet/sign-in/x", data={"csrf_token": csrf_of(bogus.text)})
    assert bogus_post.status_code == 404
