"""The CLR 2.0 service API (``/ims/clr/v2p0``): the learner's transcripts issued here and
the ones their apps stored, checked against the 1EdTech JSON Schemas (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from openler.core.model.schema import validate_against
from tests.integration.ob_api._wallet import (
    CLR_PROFILE_READ,
    CLR_PROFILE_UPDATE,
    CLR_READ,
    CLR_UPSERT,
    OB_READ,
    OB_UPSERT,
    Wallet,
    assert_imsx,
    learner,
)
from tests.integration.platform.conftest import Platform

CLR_LIST_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/"
    "clr_v2p0_getclrcredentialsresponse_schema.json"
)
CLR_PROFILE_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_profile_schema.json"
)
CREDENTIALS = "/ims/clr/v2p0/credentials"


def transcripts(platform: Platform, *emails: str) -> dict[str, dict[str, Any]]:
    """For each address: a ClrCredential bundling two credentials issued to it, and one of
    those credentials (``{"clr": ..., "credential": ...}``)."""
    org = platform.org("riverside")
    platform.act_as(org)
    platform.published_achievement()
    platform.published_achievement("safety-1", name="Shop Safety")
    out: dict[str, dict[str, Any]] = {}
    for email in emails:
        recipient = {"email": email}
        issued = [
            platform.issue(achievement=a, recipient=recipient).json()
            for a in ("welding-1", "safety-1")
        ]
        response = platform.client.post(
            "/api/v1/clr",
            json={"recipient": recipient, "credentialIds": [i["credentialId"] for i in issued]},
        )
        assert response.status_code == 201, response.text
        out[email] = {"clr": response.json()["credential"], "credential": issued[0]["credential"]}
    platform.app.dependency_overrides.clear()
    return out


def test_clr_round_trip(platform: Platform) -> None:
    made = transcripts(platform, "ada@example.org", "bob@example.org")
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [CLR_READ, CLR_UPSERT, OB_READ])["access_token"]

    listed = wallet.call("GET", CREDENTIALS, token)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert validate_against(body, CLR_LIST_SCHEMA) == []
    assert body == {"credential": [made["ada@example.org"]["clr"]], "compactJwsString": []}
    assert listed.headers["X-Total-Count"] == "1"

    # Bob's transcript, handed to Ada's wallet, verifies and is stored for her.
    bobs = made["bob@example.org"]["clr"]
    stored = wallet.call("POST", CREDENTIALS, token, json=bobs)
    assert stored.status_code == 201, stored.text
    assert stored.json() == bobs
    assert wallet.call("POST", CREDENTIALS, token, json=bobs).status_code == 304
    both = wallet.call("GET", CREDENTIALS, token).json()
    assert [c["id"] for c in both["credential"]] == [
        made["ada@example.org"]["clr"]["id"],
        bobs["id"],
    ]
    assert validate_against(both, CLR_LIST_SCHEMA) == []
    page = wallet.call("GET", f"{CREDENTIALS}?limit=1&offset=1", token)
    assert [c["id"] for c in page.json()["credential"]] == [bobs["id"]]
    assert page.headers["X-Total-Count"] == "2"

    # The Open Badges API lists Ada's own badges, not the transcript stored through CLR.
    badges = wallet.call("GET", "/ims/ob/v3p0/credentials", token).json()
    assert {c["type"][-1] for c in badges["credential"]} == {"OpenBadgeCredential"}
    assert bobs["id"] not in {c["id"] for c in badges["credential"]}


def test_each_api_stores_its_own_type(platform: Platform) -> None:
    made = transcripts(platform, "bob@example.org")
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [CLR_UPSERT, OB_UPSERT])["access_token"]
    badge = wallet.call("POST", CREDENTIALS, token, json=made["bob@example.org"]["credential"])
    assert_imsx(badge, 400, "invalid_data")
    assert "ClrCredential" in badge.json()["imsx_description"]
    clr = wallet.call(
        "POST", "/ims/ob/v3p0/credentials", token, json=made["bob@example.org"]["clr"]
    )
    assert_imsx(clr, 400, "invalid_data")
    tampered = {**made["bob@example.org"]["clr"], "name": "A better transcript"}
    assert_imsx(wallet.call("POST", CREDENTIALS, token, json=tampered), 400, "invalid_data")


def test_clr_scopes_are_enforced(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [CLR_READ])["access_token"]
    assert_imsx(wallet.call("POST", CREDENTIALS, token, json={}), 403, "forbidden")
    assert_imsx(wallet.call("GET", "/ims/clr/v2p0/profile", token), 403, "forbidden")
    assert_imsx(platform.client.get(CREDENTIALS), 401, "unauthorizedrequest")
    bogus = {"Authorization": "Bearer not.a.token"}
    assert_imsx(platform.client.get(CREDENTIALS, headers=bogus), 401, "unauthorizedrequest")


def test_clr_profile(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [CLR_PROFILE_READ, CLR_PROFILE_UPDATE])["access_token"]
    profile = wallet.call("GET", "/ims/clr/v2p0/profile", token).json()
    assert validate_against(profile, CLR_PROFILE_SCHEMA) == []
    assert "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json" in profile["@context"]
    changed = wallet.call("PUT", "/ims/clr/v2p0/profile", token, json={**profile, "name": "A L"})
    assert changed.status_code == 200
    assert changed.json()["name"] == "A L"


def test_clr_discovery(platform: Platform) -> None:
    document = platform.client.get("/ims/clr/v2p0/discovery").json()
    assert document["servers"] == [{"url": "https://issuer.example/ims/clr/v2p0"}]
    flow = document["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == {CLR_READ, CLR_UPSERT, CLR_PROFILE_READ, CLR_PROFILE_UPDATE}
    listing = document["paths"]["/credentials"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"]["$ref"].endswith(
        "GetClrCredentialsResponse"
    )
    assert_imsx(platform.client.put("/ims/clr/v2p0/credentials"), 405, "not_allowed")
