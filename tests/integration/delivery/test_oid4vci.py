"""OpenID4VCI, pre-authorized code flow, played over HTTP by a scripted wallet: offer ->
metadata -> token -> (nonce) -> credential with a proof JWT (SQLite and PostgreSQL)."""

from __future__ import annotations

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

ISSUER = f"{SETTINGS.base_url}/orgs/riverside/oid4vci"
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert response.headers["cache-control"].startswith("no-store")
    return body


def test_metadata(platform: Platform, clock: Clock) -> None:
    issued_credential(platform)
    wallet = Oid4vciWallet(platform.client)
    metadata = wallet.issuer_metadata(ISSUER, style="1.0")
    assert wallet.issuer_metadata(ISSUER, style="draft-13") == metadata
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    config = metadata["credential_configurations_supported"]["OpenBadgeCredential"]
    assert config["format"] == "ldp_vc"
    assert "did:key" in config["cryptographic_binding_methods_supported"]
    assert "EdDSA" in config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    assert config["credential_definition"]["type"] == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    server = wallet.as_metadata(ISSUER)
    assert server["issuer"] == ISSUER
    assert server["token_endpoint"] == f"{ISSUER}/token"
    assert PRE_AUTH in server["grant_types_supported"]
    assert platform.client.get(
        path_of(ISSUER) + "/.well-known/oauth-authorization-server"
    ).json() == (server)
    missing = platform.client.get("/.well-known/openid-credential-issuer/orgs/nobody/oid4vci")
    assert_problem(missing, 404, "not_found")


@pytest.mark.parametrize("draft13", [False, True], ids=["1.0", "draft-13"])
def test_wallet_receives_the_credential_bound_to_its_did(
    platform: Platform, clock: Clock, draft13: bool
) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])
    link = offer["oid4vci"]["credentialOffer"]
    wallet = Oid4vciWallet(platform.client)
    assert wallet.offer_uri(link) == offer["oid4vci"]["credentialOfferUri"]

    response = wallet.pick_up(link, now=clock(), draft13=draft13)
    assert response.status_code == 200, response.text
    body = response.json()
    if draft13:
        credential = body["credential"]
        assert body["c_nonce"]
        assert body["c_nonce_expires_in"] == 300
    else:
        assert list(body) == ["credentials"]
        credential = body["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["id"] != original["credentialId"]
    report = verify(platform, credential, clock())
    assert report.verified, [c.to_dict() for c in report.errors]
    listed = platform.client.get(f"/api/v1/credentials/{original['credentialId']}/offers").json()
    assert listed["items"][0]["deliveredVia"] == "oid4vci"
    assert audit_actions(platform, original["credentialId"])[-1] == "offer.deliver"

    # The offer is spent for both protocols.
    assert_problem(wallet.fetch_offer(link), 409, "offer_used")
    lcw = LcwWallet(platform.client)
    assert_problem(lcw.start(offer["vcApi"]["exchangeUrl"]), 409, "offer_used")


def test_a_jwk_proof_binds_a_did_jwk(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    link = make_offer(platform, original["credentialId"])["oid4vci"]["credentialOffer"]
    wallet = Oid4vciWallet(platform.client, key=KeyPair.generate("P-256"), use_jwk=True)
    response = wallet.pick_up(link, now=clock())
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"].startswith("did:jwk:")
    assert verify(platform, credential, clock()).verified


def test_the_pin_is_required_and_limited(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"], txCode=True)
    pin = offer["oid4vci"]["txCode"]
    assert offer["oid4vci"]["txCodeRequired"]
    assert len(pin) == 6
    assert pin.isdigit()
    wallet = Oid4vciWallet(platform.client)
    credential_offer = wallet.fetch_offer(offer["oid4vci"]["credentialOffer"]).json()
    grant = credential_offer["grants"][PRE_AUTH]
    assert grant["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "The PIN the issuer gave you with this offer.",
    }
    token_endpoint = f"{ISSUER}/token"
    code = grant["pre-authorized_code"]
    _oauth_error(wallet.token(token_endpoint, code), 400, "invalid_request")
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(5):
        _oauth_error(wallet.token(token_endpoint, code, wrong), 400, "invalid_grant")
    # Locked: even the right PIN no longer works.
    body = _oauth_error(wallet.token(token_endpoint, code, pin), 400, "invalid_grant")
    assert "locked" in body["error_description"]
    actions = audit_actions(platform, original["credentialId"])
    assert actions.count("offer.refuse") == 6


def test_the_pre_authorized_code_and_the_access_token_are_single_use(
    platform: Platform, clock: Clock
) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"], txCode=True)
    wallet = Oid4vciWallet(platform.client)
    state = wallet.start(offer["oid4vci"]["credentialOffer"], tx_code=offer["oid4vci"]["txCode"])
    code = state["offer"]["grants"][PRE_AUTH]["pre-authorized_code"]
    token_endpoint = state["server"]["token_endpoint"]
    again = wallet.token(token_endpoint, code, offer["oid4vci"]["txCode"])
    _oauth_error(again, 400, "invalid_grant")
    # Once redeemed, the credential offer is no longer served.
    assert_problem(wallet.fetch_offer(offer["oid4vci"]["credentialOffer"]), 409, "offer_used")

    metadata, access = state["metadata"], state["token"]["access_token"]
    nonce = wallet.nonce(metadata["nonce_endpoint"])
    proof = wallet.proof_jwt(aud=ISSUER, nonce=nonce, iat=clock().timestamp())
    first = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    assert first.status_code == 200, first.text
    second = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    body = _oauth_error(second, 401, "invalid_token")
    assert second.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "c_nonce" not in body


def _ready(platform: Platform, clock: Clock) -> tuple[Oid4vciWallet, dict[str, Any], str]:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])
    wallet = Oid4vciWallet(platform.client)
    state = wallet.start(offer["oid4vci"]["credentialOffer"])
    return wallet, state, original["credentialId"]


@pytest.mark.parametrize(
    ("proof_change", "error"),
    [
        ({"aud": "https://another-issuer.example"}, "invalid_proof"),
        ({"nonce": "not-a-nonce-this-issuer-made"}, "invalid_nonce"),
        ({"nonce": None}, "invalid_nonce"),
        ({"signer": KeyPair.generate()}, "invalid_proof"),
        ({"typ": "JWT"}, "invalid_proof"),
        ({"iat_shift": -3600}, "invalid_proof"),
        ({"iat_shift": 3600}, "invalid_proof"),
        ({"alg": "ES256"}, "invalid_proof"),
        ({"alg": "none"}, "invalid_proof"),
        ({"kid": "did:web:example.org#key-1"}, "invalid_proof"),
    ],
    ids=[
        "wrong-aud",
        "wrong-nonce",
        "no-nonce",
        "bad-signature",
        "wrong-typ",
        "stale-iat",
        "future-iat",
        "alg-key-mismatch",
        "alg-none",
        "unresolvable-kid",
    ],
)
def test_a_bad_proof_is_refused(
    platform: Platform, clock: Clock, proof_change: dict[str, Any], error: str
) -> None:
    wallet, state, credential_id = _ready(platform, clock)
    metadata, access = state["metadata"], state["token"]["access_token"]
    nonce = wallet.nonce(metadata["nonce_endpoint"])
    change = dict(proof_change)
    iat = clock().timestamp() + change.pop("iat_shift", 0)
    proof = wallet.proof_jwt(**{"aud": ISSUER, "nonce": nonce, "iat": iat, **change})
    before = platform.counts()["credentials"]
    response = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    body = _oauth_error(response, 400, error)
    assert body["c_nonce"]  # a fresh nonce to retry with
    assert platform.counts()["credentials"] == before
    assert audit_actions(platform, credential_id)[-1] == "offer.refuse"
    # The wallet can still fix its proof and get the credential.
    good = wallet.proof_jwt(aud=ISSUER, nonce=body["c_nonce"], iat=clock().timestamp())
    retry = wallet.request_credential(metadata["credential_endpoint"], access, good)
    assert retry.status_code == 200, retry.text


def test_bad_credential_requests(platform: Platform, clock: Clock) -> None:
    wallet, state, _ = _ready(platform, clock)
    metadata, access = state["metadata"], state["token"]["access_token"]
    endpoint = path_of(metadata["credential_endpoint"])
    nonce = wallet.nonce(metadata["nonce_endpoint"])
    proof = wallet.proof_jwt(aud=ISSUER, nonce=nonce, iat=clock().timestamp())
    auth = {"Authorization": f"Bearer {access}"}
    cases = [
        ({}, None, 401, "invalid_token"),
        ({"Authorization": "Bearer not-a-token"}, None, 401, "invalid_token"),
        (
            auth,
            {"credential_configuration_id": "Diploma", "proofs": {"jwt": [proof]}},
            400,
            "unsupported_credential_type",
        ),
        (
            auth,
            {"format": "jwt_vc_json", "proof": {"proof_type": "jwt", "jwt": proof}},
            400,
            "unsupported_credential_format",
        ),
        (auth, {"credential_configuration_id": "OpenBadgeCredential"}, 400, "invalid_proof"),
        (
            auth,
            {
                "credential_configuration_id": "OpenBadgeCredential",
                "proofs": {"jwt": [proof, proof]},
            },
            400,
            "invalid_proof",
        ),
        (auth, [1, 2], 400, "invalid_credential_request"),
    ]
    for headers, body, status, error in cases:
        response = platform.client.post(endpoint, json=body, headers=headers)
        _oauth_error(response, status, error)
    not_json = platform.client.post(
        endpoint, content=b"{", headers={**auth, "Content-Type": "application/json"}
    )
    _oauth_error(not_json, 400, "invalid_credential_request")


def test_token_endpoint_refusals(platform: Platform, clock: Clock) -> None:
    original = issued_credential(platform)
    offer = make_offer(platform, original["credentialId"])
    wallet = Oid4vciWallet(platform.client)
    code = wallet.fetch_offer(offer["oid4vci"]["credentialOffer"]).json()["grants"][PRE_AUTH][
        "pre-authorized_code"
    ]
    token = path_of(f"{ISSUER}/token")
    client = platform.client
    _oauth_error(client.post(token, json={"grant_type": PRE_AUTH}), 400, "invalid_request")
    _oauth_error(
        client.post(token, data={"grant_type": "client_credentials"}), 400, "unsupported_grant_type"
    )
    _oauth_error(client.post(token, data={"grant_type": PRE_AUTH}), 400, "invalid_request")
    _oauth_error(wallet.token(f"{ISSUER}/token", "guessed-code"), 400, "invalid_grant")
    # Another organization's issuer does not know this code.
    issued_credential(platform, slug="hillside")
    _oauth_error(
        wallet.token(f"{SETTINGS.base_url}/orgs/hillside/oid4vci/token", code), 400, "invalid_grant"
    )
    assert_problem(
        wallet.fetch_offer(offer["oid4vci"]["credentialOffer"].replace("riverside", "hillside")),
        404,
        "not_found",
    )
    # Expired.
    clock.advance(minutes=16)
    body = _oauth_error(wallet.token(f"{ISSUER}/token", code), 400, "invalid_grant")
    assert "expired" in body["error_description"]


def test_a_credential_revoked_after_the_token_is_not_delivered(
    platform: Platform, clock: Clock
) -> None:
    wallet, state, credential_id = _ready(platform, clock)
    metadata, access = state["metadata"], state["token"]["access_token"]
    revoked = platform.client.post(f"/api/v1/credentials/{credential_id}/revoke")
    assert revoked.status_code == 200
    nonce = wallet.nonce(metadata["nonce_endpoint"])
    proof = wallet.proof_jwt(aud=ISSUER, nonce=nonce, iat=clock().timestamp())
    response = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    _oauth_error(response, 400, "credential_request_denied")


def test_a_token_used_after_the_offer_expired(platform: Platform, clock: Clock) -> None:
    wallet, state, _ = _ready(platform, clock)
    metadata, access = state["metadata"], state["token"]["access_token"]
    clock.advance(minutes=9)  # the offer (15 min) ends while the token (10 min) is alive
    nonce = wallet.nonce(metadata["nonce_endpoint"])
    proof = wallet.proof_jwt(aud=ISSUER, nonce=nonce, iat=clock().timestamp())
    clock.advance(minutes=0.5)
    response = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    assert response.status_code == 200, response.text
    # A token past its 10 minutes is refused.
    wallet2, state2, _ = _ready(platform, clock)
    clock.advance(minutes=10)
    proof2 = wallet2.proof_jwt(
        aud=ISSUER,
        nonce=wallet2.nonce(state2["metadata"]["nonce_endpoint"]),
        iat=clock().timestamp(),
    )
    late = wallet2.request_credential(
        state2["metadata"]["credential_endpoint"], state2["token"]["access_token"], proof2
    )
    _oauth_error(late, 401, "invalid_token")


def test_a_stale_nonce_is_refused(platform: Platform, clock: Clock) -> None:
    wallet, state, _ = _ready(platform, clock)
    metadata, access = state["metadata"], state["token"]["access_token"]
    nonce = state["token"]["c_nonce"]
    clock.advance(minutes=5, seconds=1)
    proof = wallet.proof_jwt(aud=ISSUER, nonce=nonce, iat=clock().timestamp())
    response = wallet.request_credential(metadata["credential_endpoint"], access, proof)
    _oauth_error(response, 400, "invalid_nonce")
