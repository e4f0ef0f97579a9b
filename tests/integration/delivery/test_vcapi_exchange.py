"""The Learner Credential Wallet's path: a VC-API exchange with DIDAuthentication, played
over HTTP by a scripted wallet with its own did:key (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openler.core import KeyPair
from tests.integration.delivery._wallets import (
    LcwWallet,
    Oid4vciWallet,
    audit_actions,
    issued_credential,
    make_offer,
    path_of,
    verify,
)
from tests.integration.delivery.conftest import Clock
from tests.integration.platform.conftest import SETTINGS, Platform, assert_problem


def _proof_kinds(credential: dict[str, Any]) -> set[str]:
    proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    return {p.get("cryptosuite") or p["type"] for p in proofs}


@pytest.mark.parametrize("legacy", [True, False], ids=["lcw-ed25519-2020", "vc2-eddsa"])
def test_wallet_receives_the_credential_bound_to_its_did(
    platform: Platform, clock: Clock, legacy: bool
) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])
    wallet = LcwWallet(platform.client, legacy=legacy)

    # The deep link and the offer name the same exchange; the LCW starts from the link.
    exchange = wallet.exchange_from_deep_link(offer["vcApi"]["lcwDeepLink"])
    assert exchange == offer["vcApi"]["exchangeUrl"]
    assert offer["vcApi"]["dccRequestLink"].startswith("dccrequest://request?request=")
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["domain"] == SETTINGS.base_url
    assert request["interact"]["service"][0] == {
        "type": "VerifiableCredentialApiExchangeService",
        "serviceEndpoint": exchange,
    }
    # Asking again (a wallet retrying) gives the same challenge.
    again = wallet.start(exchange).json()["verifiablePresentationRequest"]
    assert again["challenge"] == request["challenge"]

    credential = wallet.pick_up(exchange, created=clock())
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["id"] != original["credentialId"]
    # The same achievement and recipient identity, a new status entry.
    assert (
        credential["credentialSubject"]["achievement"]
        == (original["credential"]["credentialSubject"]["achievement"])
    )
    assert (
        credential["credentialSubject"]["identifier"]
        == (original["credential"]["credentialSubject"]["identifier"])
    )
    assert credential["credentialStatus"] != original["credential"]["credentialStatus"]
    # An LCW that signs with Ed25519Signature2020 also gets that proof.
    expected = {"eddsa-rdfc-2022", "Ed25519Signature2020"} if legacy else {"eddsa-rdfc-2022"}
    assert _proof_kinds(credential) == expected
    report = verify(platform, credential, clock())
    assert report.verified, [c.to_dict() for c in report.errors]

    # The copy is one of the organization's credentials, stored as delivered.
    stored = platform.client.get(f"/api/v1/credentials/{credential['id']}")
    assert stored.status_code == 200
    assert stored.json()["recipient"] == {"kind": "did", "identifier": wallet.did, "hashed": False}
    assert (
        json.loads(platform.client.get(f"/api/v1/credentials/{credential['id']}/document").content)
        == credential
    )
    assert platform.client.get(path_of(exchange)).json()["state"] == "complete"
    listed = platform.client.get(f"/api/v1/credentials/{original['credentialId']}/offers").json()
    assert listed["items"][0]["state"] == "complete"
    assert listed["items"][0]["deliveredVia"] == "vcapi"
    assert listed["items"][0]["holder"] == wallet.did
    assert audit_actions(platform, original["credentialId"]) == [
        "credential.issue",
        "offer.create",
        "offer.deliver",
    ]
    assert audit_actions(platform, credential["id"]) == ["credential.issue"]


def test_a_replayed_exchange_is_refused(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    vp = wallet.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert wallet.answer(exchange, vp).status_code == 200
    before = platform.counts()

    # The same presentation again (a replay), or a new start: the offer is spent.
    assert_problem(wallet.answer(exchange, vp), 409, "offer_used")
    assert_problem(wallet.start(exchange), 409, "offer_used")
    thief = LcwWallet(platform.client)
    stolen = thief.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert_problem(thief.answer(exchange, stolen), 409, "offer_used")
    after = platform.counts()
    assert after["credentials"] == before["credentials"]
    assert audit_actions(platform, original["credentialId"]).count("offer.refuse") == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"challenge": "a-challenge-of-my-own"}, "challenge_mismatch"),
        ({"domain": "https://elsewhere.example"}, "domain_mismatch"),
        ({"challenge": None, "domain": None}, "challenge_mismatch"),
        ({"holder": KeyPair.generate().controller}, "holder_mismatch"),
        ({"signer": KeyPair.generate()}, "holder_mismatch"),
    ],
    ids=["wrong-challenge", "wrong-domain", "no-challenge", "other-holder", "other-signer"],
)
def test_a_presentation_that_does_not_authenticate_is_refused(
    platform: Platform, clock: Clock, change: dict[str, Any], error: str
) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    before = platform.counts()
    wanted = {"challenge": request["challenge"], "domain": request["domain"], **change}
    body = assert_problem(
        wallet.answer(exchange, wallet.did_auth(**wanted)), 401, "did_auth_failed"
    )
    assert error in [e["code"] for e in body["details"]["errors"]]
    assert platform.counts()["credentials"] == before["credentials"]
    # The refusal is recorded and counted, and the offer stays open for the real wallet.
    listed = platform.client.get(f"/api/v1/credentials/{original['credentialId']}/offers")
    assert listed.json()["items"][0]["failedAttempts"] == 1
    assert "offer.refuse" in audit_actions(platform, original["credentialId"])
    assert wallet.pick_up(exchange)["credentialSubject"]["id"] == wallet.did


def test_a_tampered_presentation_is_refused(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client, legacy=False)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    vp = wallet.did_auth(challenge=request["challenge"], domain=request["domain"])
    vp["holder"] = KeyPair.generate().controller  # a holder the signature does not cover
    assert_problem(wallet.answer(exchange, vp), 401, "did_auth_failed")
    # Not a presentation at all, and a presentation that smuggles credentials in.
    assert_problem(wallet.answer(exchange, {"hello": "world"}), 401, "did_auth_failed")
    smuggled = {**vp, "verifiableCredential": [original["credential"]]}
    assert_problem(wallet.answer(exchange, smuggled), 401, "did_auth_failed")


def test_the_offer_locks_after_five_failures(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    wrong = wallet.did_auth(challenge="guess", domain=request["domain"])
    for _ in range(5):
        assert_problem(wallet.answer(exchange, wrong), 401, "did_auth_failed")
    right = wallet.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert_problem(wallet.answer(exchange, right), 409, "offer_locked")
    assert platform.client.get(path_of(exchange)).json()["state"] == "locked"


def test_an_expired_offer_is_refused(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])  # 15 minutes by default
    exchange = offer["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    clock.advance(minutes=15)
    vp = wallet.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert_problem(wallet.answer(exchange, vp), 410, "offer_expired")
    assert_problem(wallet.start(exchange), 410, "offer_expired")
    assert platform.client.get(path_of(exchange)).json()["state"] == "expired"
    # The OpenID4VCI side of the same offer is closed too.
    link = offer["oid4vci"]["credentialOffer"]
    assert_problem(Oid4vciWallet(platform.client).fetch_offer(link), 410, "offer_expired")


def test_unknown_exchanges_are_not_found(platform: Platform, clock: Clock) -> None:
    issued_credential(platform)
    for path in ("/exchanges/nope", "/exchanges/nope/protocols", "/exchanges/nope/qr/lcw.svg"):
        response = (
            platform.client.post(path, json={})
            if path.count("/") == 2
            else platform.client.get(path)
        )
        assert_problem(response, 404, "not_found")


def test_a_credential_revoked_after_the_offer_is_not_delivered(
    platform: Platform, clock: Clock
) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    request = wallet.start(exchange).json()["verifiablePresentationRequest"]
    revoked = platform.client.post(f"/api/v1/credentials/{original['credentialId']}/revoke")
    assert revoked.status_code == 200
    vp = wallet.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert_problem(wallet.answer(exchange, vp), 409, "credential_not_active")


def test_revoking_the_original_revokes_the_delivered_copy(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]
    wallet = LcwWallet(platform.client)
    credential = wallet.pick_up(exchange)
    assert verify(platform, credential, clock()).verified

    revoked = platform.client.post(
        f"/api/v1/credentials/{original['credentialId']}/revoke", json={"reason": "error"}
    )
    assert revoked.status_code == 200
    copy = platform.client.get(f"/api/v1/credentials/{credential['id']}").json()
    assert copy["status"] == "revoked"
    assert copy["statusReason"] == "error"
    report = verify(platform, credential, clock())
    assert not report.verified
    assert "revoked" in [c.code for c in report.errors]


def test_a_credential_issued_to_a_did_goes_only_to_that_did(
    platform: Platform, clock: Clock
) -> None:
    owner = LcwWallet(platform.client)
    original = issued_credential(platform, recipient={"did": owner.did})
    exchange = make_offer(platform, original["credentialId"])["vcApi"]["exchangeUrl"]

    other = LcwWallet(platform.client)
    request = other.start(exchange).json()["verifiablePresentationRequest"]
    vp = other.did_auth(challenge=request["challenge"], domain=request["domain"])
    assert_problem(other.answer(exchange, vp), 403, "holder_mismatch")

    credential = owner.pick_up(exchange)
    assert credential == original["credential"]  # as issued: no re-issue needed
    # A credential issued to a DID no wallet can prove here is not offered at all.
    web = issued_credential(platform, recipient={"did": "did:web:example.org"})
    response = platform.client.post(f"/api/v1/credentials/{web['credentialId']}/offers")
    assert_problem(response, 422, "invalid_input")


def test_protocols_and_qr_codes(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])
    interaction = offer["vcApi"]["interactionUrl"]
    assert interaction.endswith("/protocols?iuv=1")
    protocols = platform.client.get(
        path_of(interaction), headers={"Accept": "application/json"}
    ).json()["protocols"]
    assert protocols == {
        "vcapi": offer["vcApi"]["exchangeUrl"],
        "OID4VCI": offer["oid4vci"]["credentialOffer"],
    }
    qr_urls = [*offer["vcApi"]["qr"].values(), offer["oid4vci"]["qr"]]
    assert len(qr_urls) == 3
    for url in qr_urls:
        response = platform.client.get(path_of(url))
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.content.startswith(b"<svg")
    bogus = platform.client.get(path_of(offer["vcApi"]["exchangeUrl"]) + "/qr/other.svg")
    assert_problem(bogus, 422, "request_invalid")
