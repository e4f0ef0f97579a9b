"""The learner's record and a credential's page: states, filters, live verification,
downloads, the wallet-app offer, and another learner's ids (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from openler.store.models.credentials import IssuedCredential
from openler.store.models.exchanges import CredentialOffer
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Issued,
    Wallet,
    dumps,
    wallet_fixture,
    web_fixture,
)


def _claimed(wallet: Wallet, email: str = "ada@example.org", purpose: str = "revocation") -> Issued:
    org = wallet.issuer()
    issued = wallet.issue(org, email, purpose=purpose)
    wallet.sign_up(email)
    wallet.claim(issued)
    return issued


def test_the_record_lists_every_credential_with_its_state(wallet: Wallet) -> None:
    issued = _claimed(wallet)
    imported = wallet.import_text(dumps(wallet.foreign_credential()))
    assert imported.status_code == 303
    wallet.change(issued, "revoke")
    page = wallet.client.get("/wallet")
    assert page.status_code == 200
    assert "2 credentials: 1 verified, 1 revoked." in page.text
    assert f'data-key="{issued.key}" data-state="revoked"' in page.text
    assert "Lakeshore College" in page.text
    assert "Red Cross Local" in page.text
    revoked = wallet.client.get("/wallet?state=revoked").text
    assert "Forklift Operator" in revoked
    assert "First Aid" not in revoked
    by_source = wallet.client.get("/wallet?source=imported").text
    assert "First Aid" in by_source
    assert "Forklift Operator" not in by_source
    by_text = wallet.client.get("/wallet?q=forklift").text
    assert "Forklift Operator" in by_text
    assert "First Aid" not in by_text
    nothing = wallet.client.get("/wallet?q=zzz&state=bogus").text
    assert "No credential matches these filters." in nothing


def test_a_credential_page_verifies_live(wallet: Wallet) -> None:
    issued = _claimed(wallet, purpose="suspension")
    page = wallet.client.get(f"/wallet/credentials/{issued.key}")
    assert page.status_code == 200
    assert "Verified just now" in page.text
    assert 'data-area="status"' in page.text
    assert "verdict-failed" not in page.text
    assert "operate forklift" in page.text  # the credential component: skills
    assert 'id="offer-button"' in page.text
    wallet.change(issued, "suspend")
    suspended = wallet.client.get(f"/wallet/credentials/{issued.key}")
    assert 'class="verdict verdict-failed"' in suspended.text
    assert 'data-state="suspended"' in suspended.text
    assert 'id="offer-button"' not in suspended.text


def test_the_download_is_the_credential_exactly_as_signed(wallet: Wallet) -> None:
    issued = _claimed(wallet)
    response = wallet.client.get(f"/wallet/credentials/{issued.key}/credential.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vc")
    assert "attachment" in response.headers["content-disposition"]
    with wallet.web.session() as session:
        stored = session.get(IssuedCredential, issued.id)
        assert stored is not None
        assert response.content == stored.credential_bytes
    assert json.loads(response.content)["proof"]
    assert wallet.client.get(f"/wallet/credentials/{issued.key}/other.txt").status_code == 404


def test_another_learners_credential_is_not_found(wallet: Wallet) -> None:
    issued = _claimed(wallet)
    wallet.sign_out()
    wallet.sign_up("eve@example.org", name="Eve")
    for path in (
        f"/wallet/credentials/{issued.key}",
        f"/wallet/credentials/{issued.key}/credential.json",
        "/wallet/credentials/issued:00000000-0000-0000-0000-000000000000",
        "/wallet/credentials/garbage",
    ):
        response = wallet.client.get(path)
        assert response.status_code == 404, path
        assert "Forklift" not in response.text
    offer = wallet.post(f"/wallet/credentials/{issued.key}/offer")
    assert offer.status_code == 404


def test_a_wallet_app_offer_shows_qr_codes_and_the_deep_link(wallet: Wallet) -> None:
    issued = _claimed(wallet)
    response = wallet.post(f"/wallet/credentials/{issued.key}/offer")
    assert response.status_code == 200
    assert "https://lcw.app/request?request=" in response.text
    assert "openid-credential-offer://?credential_offer_uri=" in response.text
    assert response.text.count('src="data:image/svg+xml;base64,') == 2
    assert response.headers["cache-control"] == "no-store"
    with wallet.web.session() as session:
        offers = list(session.scalars(sa.select(CredentialOffer)))
        assert [o.credential_id for o in offers] == [issued.id]


def test_an_import_can_be_checked_again_and_removed(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    response = wallet.import_text(dumps(wallet.foreign_credential()))
    location = response.headers["location"].split("?")[0]
    key = location.rsplit("/", 1)[1]
    rechecked = wallet.post(f"{location}/recheck")
    assert rechecked.headers["location"].endswith("done=rechecked")
    removed = wallet.post(f"{location}/remove")
    assert removed.headers["location"] == "/wallet?done=removed"
    assert wallet.client.get(location).status_code == 404
    assert key not in wallet.client.get("/wallet").text


def test_issued_credentials_cannot_be_removed_like_imports(wallet: Wallet) -> None:
    issued = _claimed(wallet)
    response = wallet.post(f"/wallet/credentials/{issued.key}/remove")
    assert response.status_code == 409
    assert wallet.client.get(f"/wallet/credentials/{issued.key}").status_code == 200


def test_the_record_needs_a_signed_in_user(wallet: Wallet) -> None:
    response = wallet.client.get("/wallet?state=verified", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=/wallet")
