"""The issuer side: ``POST /api/v1/credentials/{id}/offers`` and the ``create_offer``
service (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from openler.core.errors import InvalidInput
from openler.services.delivery import create_offer, offer_state
from openler.store.models import AuditEvent, IssuedCredential
from openler.store.models.exchanges import CredentialOffer
from tests.integration.delivery._wallets import (
    LcwWallet,
    Oid4vciWallet,
    issued_credential,
    make_offer,
    path_of,
)
from tests.integration.delivery.conftest import Clock
from tests.integration.platform.conftest import SETTINGS, Platform, assert_problem


def test_an_offer_names_both_protocols(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    credential_id = original["credentialId"]
    offer = make_offer(platform, credential_id, expiresIn=3600)
    assert offer["credentialId"] == credential_id
    assert offer["state"] == "pending"
    expires = clock() + timedelta(hours=1)
    assert offer["expiresAt"] == expires.isoformat().replace("+00:00", "Z")
    exchange = offer["vcApi"]["exchangeUrl"]
    assert exchange.startswith(f"{SETTINGS.base_url}/exchanges/")
    secret = exchange.rsplit("/", 1)[1]
    assert len(secret) >= 43  # 256 random bits
    lcw = offer["vcApi"]["lcwDeepLink"]
    assert lcw.startswith("https://lcw.app/request?request=")
    assert json.loads(parse_qs(urlsplit(lcw).query)["request"][0]) == {
        "credentialRequestOrigin": SETTINGS.base_url,
        "protocols": {"vcapi": exchange},
    }
    oid = offer["oid4vci"]
    assert oid["credentialIssuer"] == f"{SETTINGS.base_url}/orgs/riverside/oid4vci"
    assert oid["credentialOfferUri"] == f"{oid['credentialIssuer']}/offers/{secret}"
    assert Oid4vciWallet.offer_uri(oid["credentialOffer"]) == oid["credentialOfferUri"]
    assert oid["txCode"] is None
    assert oid["txCodeRequired"] is False

    # Only digests are stored: no secret of the answer is in the database.
    with platform.database.session_scope() as session:
        row = session.scalars(sa.select(CredentialOffer)).one()
        stored = json.dumps(
            {c.name: str(getattr(row, c.key)) for c in CredentialOffer.__table__.columns}
        )
        event = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "offer.create")
        ).one()
    assert secret not in stored
    assert event.actor_id == "test-key-riverside"
    assert event.details["offer"] == offer["id"]

    listed = platform.client.get(f"/api/v1/credentials/{credential_id}/offers").json()["items"]
    assert [item["id"] for item in listed] == [offer["id"]]
    assert listed[0]["state"] == "pending"
    assert secret not in json.dumps(listed)


def test_cancel(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    credential_id = original["credentialId"]
    offer = make_offer(platform, credential_id)
    cancelled = platform.client.post(
        f"/api/v1/credentials/{credential_id}/offers/{offer['id']}/cancel"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    wallet = LcwWallet(platform.client)
    assert_problem(wallet.start(offer["vcApi"]["exchangeUrl"]), 410, "offer_cancelled")

    delivered = make_offer(platform, credential_id)
    wallet.pick_up(delivered["vcApi"]["exchangeUrl"])
    again = platform.client.post(
        f"/api/v1/credentials/{credential_id}/offers/{delivered['id']}/cancel"
    )
    assert_problem(again, 409, "offer_used")
    other = issued_credential(platform, recipient={"email": "grace@example.org"})
    wrong_pair = platform.client.post(
        f"/api/v1/credentials/{other['credentialId']}/offers/{delivered['id']}/cancel"
    )
    assert_problem(wrong_pair, 404, "not_found")


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_a_revoked_or_suspended_credential_is_not_offered(
    platform: Platform, clock: Clock, action: str
) -> None:
    purpose = "suspension" if action == "suspend" else "revocation"
    original = issued_credential(platform, statusPurpose=purpose)
    credential_id = original["credentialId"]
    changed = platform.client.post(f"/api/v1/credentials/{credential_id}/{action}")
    assert changed.status_code == 200
    before = platform.counts()
    response = platform.client.post(f"/api/v1/credentials/{credential_id}/offers")
    assert_problem(response, 409, "credential_not_active")
    assert platform.counts() == before


def test_tenancy_scope_and_input(platform: Platform, clock: Clock) -> None:
    theirs = issued_credential(platform, slug="hillside")
    mine = issued_credential(platform, slug="riverside")
    client = platform.client
    assert_problem(
        client.post(f"/api/v1/credentials/{theirs['credentialId']}/offers"), 404, "not_found"
    )
    assert_problem(
        client.get(f"/api/v1/credentials/{theirs['credentialId']}/offers"), 404, "not_found"
    )
    assert_problem(client.post("/api/v1/credentials/urn:uuid:nope/offers"), 404, "not_found")
    url = f"/api/v1/credentials/{mine['credentialId']}/offers"
    for body in ({"expiresIn": 10}, {"expiresIn": 8 * 86400}, {"ttl": 60}):
        assert_problem(client.post(url, json=body), 422, "request_invalid")
    platform.act_as(platform.orgs["riverside"], scopes={"credentials:read"})
    assert_problem(client.post(url), 403, "insufficient_scope")
    assert client.get(url).status_code == 200


def test_create_offer_service(platform: Platform, clock: Clock) -> None:
    """What a claim page calls: the service, in its own transaction."""
    original = issued_credential(platform)
    with platform.database.session_scope() as session:
        issued = session.scalars(
            sa.select(IssuedCredential).where(
                IssuedCredential.credential_id == original["credentialId"]
            )
        ).one()
        offer = create_offer(session, issued, now=clock(), base_url=SETTINGS.base_url)
        assert offer.credential_id == original["credentialId"]
        assert offer.expires_at == clock() + timedelta(minutes=15)
        assert offer.tx_code is None
        assert set(offer.qr_urls()) == {"lcw", "interaction", "oid4vci"}
        with pytest.raises(InvalidInput, match="between"):
            create_offer(session, issued, now=clock(), base_url=SETTINGS.base_url, ttl=timedelta(0))
    wallet = LcwWallet(platform.client)
    credential = wallet.pick_up(offer.links.exchange_url)
    assert credential["credentialSubject"]["id"] == wallet.did
    with platform.database.session_scope() as session:
        row = session.get(CredentialOffer, offer.id)
        assert row is not None
        assert offer_state(row, clock()) == "complete"
        assert row.holder_did == wallet.did
    assert platform.client.get(path_of(offer.qr_urls()["lcw"])).status_code == 200
