"""The Open Badges 3.0 service API with OAuth 2.0 (dynamic registration, authorization
code with PKCE), end to end through the application, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from openler.core.model.schema import validate_against
from openler.core.signing import issue as sign
from openler.core.signing import issue_jwt
from openler.services.organizations import signer_for
from openler.store.models import Organization
from tests.integration.ob_api._wallet import (
    OB_PROFILE_READ,
    OB_PROFILE_UPDATE,
    OB_READ,
    OB_UPSERT,
    REDIRECT,
    Wallet,
    assert_imsx,
    challenge,
    learner,
    registration,
)
from tests.integration.platform.conftest import KEYSTORE, SETTINGS, Platform

OB_LIST_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_getopenbadgecredentialsresponse_schema.json"
)
OB_PROFILE_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
)


def issue(platform: Platform, *emails: str) -> dict[str, list[dict[str, Any]]]:
    """Credentials issued by a new organization to each address (in order)."""
    org = platform.org("acme")
    platform.act_as(org)
    platform.published_achievement()
    issued: dict[str, list[dict[str, Any]]] = {}
    for email in emails:
        response = platform.issue(recipient={"email": email})
        issued.setdefault(email, []).append(response.json()["credential"])
    platform.app.dependency_overrides.clear()
    return issued


def test_registration_answers_what_was_registered(platform: Platform) -> None:
    confidential = Wallet.register(platform).registered
    assert confidential["client_id"].startswith("olra_")
    assert confidential["client_secret"]
    assert confidential["client_secret_expires_at"] == 0
    assert isinstance(confidential["client_id_issued_at"], int)
    sent = registration()
    for name in ("client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"):
        assert confidential[name] == sent[name]
    for name in ("software_id", "software_version", "redirect_uris", "scope"):
        assert confidential[name] == sent[name]
    assert confidential["grant_types"] == ["authorization_code", "refresh_token"]
    assert confidential["response_types"] == ["code"]
    assert confidential["token_endpoint_auth_method"] == "client_secret_basic"
    public = Wallet.register(platform, token_endpoint_auth_method="none", grant_types=None)
    assert "client_secret" not in public.registered
    assert public.registered["grant_types"] == ["authorization_code"]  # the default


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"redirect_uris": ["http://evil.example/"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://wallet.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"client_name": None}, "invalid_client_metadata"),
        ({"logo_uri": None}, "invalid_client_metadata"),
        ({"tos_uri": "http://wallet.example/terms"}, "invalid_client_metadata"),
        ({"software_id": None}, "invalid_client_metadata"),
        ({"software_version": ""}, "invalid_client_metadata"),
        ({"policy_uri": "https://elsewhere.example/privacy"}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://other.example/cb"]}, "invalid_client_metadata"),
        ({"scope": None}, "invalid_client_metadata"),
        ({"scope": "org:admin"}, "invalid_client_metadata"),
        ({"scope": "offline_access"}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": ["refresh_token"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ],
)
def test_registration_refuses_what_the_spec_does_not_allow(
    platform: Platform, overrides: dict[str, Any], error: str
) -> None:
    response = platform.client.post("/oauth/register", json=registration(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_authorize_requires_pkce_state_and_a_registered_redirect(platform: Platform) -> None:
    wallet = Wallet.register(platform)
    base = {"response_type": "code", "client_id": wallet.client_id, "redirect_uri": REDIRECT}
    pkce = {"code_challenge": challenge(secrets.token_urlsafe(48)), "code_challenge_method": "S256"}
    for params, error in (
        ({**base, "state": "s"}, "invalid_request"),  # no PKCE
        ({**base, **pkce}, "invalid_request"),  # no state
        ({**base, **pkce, "state": "s", "scope": "org:admin"}, "invalid_scope"),
        ({**base, **pkce, "state": "s", "response_type": "token"}, "unsupported_response_type"),
    ):
        answer = platform.client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == [error]
    foreign = platform.client.get(
        "/oauth/authorize",
        params={**base, **pkce, "state": "s", "redirect_uri": "https://evil.example/cb"},
        follow_redirects=False,
    )
    assert foreign.status_code == 400
    assert "location" not in foreign.headers


def test_the_consent_form_names_the_app(platform: Platform) -> None:
    wallet = Wallet.register(platform)
    page = platform.client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": wallet.client_id,
            "redirect_uri": REDIRECT,
            "scope": f"{OB_READ} offline_access",
            "state": "s",
            "code_challenge": challenge(secrets.token_urlsafe(48)),
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200
    assert (
        '<a href="https://wallet.example/" rel="noopener noreferrer">Test Wallet</a>' in page.text
    )
    assert 'href="https://wallet.example/terms"' in page.text
    assert 'href="https://wallet.example/privacy"' in page.text
    assert "read your Open Badges credentials" in page.text
    assert "add credentials" not in page.text


def test_deny_wrong_password_and_tampering(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    params = {
        "response_type": "code",
        "client_id": wallet.client_id,
        "redirect_uri": REDIRECT,
        "state": "s1",
        "scope": OB_READ,
        "code_challenge": challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    page = platform.client.get("/oauth/authorize", params=params)
    token = re.search(r'name="request" value="([^"]+)"', page.text)
    assert token is not None
    wrong = platform.client.post(
        "/oauth/authorize",
        data={
            "request": token.group(1),
            "email": "ada@example.org",
            "password": "nope-nope-nope",
            "decision": "approve",
        },
        follow_redirects=False,
    )
    assert wrong.status_code == 400
    assert "location" not in wrong.headers
    denied = platform.client.post(
        "/oauth/authorize",
        data={"request": token.group(1), "decision": "deny"},
        follow_redirects=False,
    )
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s1"]}
    tampered = platform.client.post(
        "/oauth/authorize",
        data={"request": token.group(1)[:-2] + "AA", "decision": "approve"},
        follow_redirects=False,
    )
    assert tampered.status_code == 400
    assert "location" not in tampered.headers


@pytest.mark.parametrize("fault", ["verifier", "redirect", "client", "secret"])
def test_bad_code_exchanges_are_refused(platform: Platform, fault: str) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    code, _, verifier = wallet.authorize("ada@example.org", [OB_READ])
    if fault == "verifier":
        response = wallet.exchange(code, secrets.token_urlsafe(48))
    elif fault == "redirect":
        response = wallet.exchange(code, verifier, redirect_uri="https://wallet.example/other")
    elif fault == "client":
        response = Wallet.register(platform).exchange(code, verifier)
    else:
        wallet.registered["client_secret"] = "not-the-secret"
        response = wallet.exchange(code, verifier)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        return
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert response.headers["cache-control"] == "no-store"


def test_credentials_are_the_learners_own_and_paged(platform: Platform) -> None:
    issued = issue(platform, "ada@example.org", "ada@example.org", "bob@example.org")
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("Ada@Example.org", [OB_READ])["access_token"]
    response = wallet.call("GET", "/ims/ob/v3p0/credentials", token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert validate_against(body, OB_LIST_SCHEMA) == []
    assert body["compactJwsString"] == []
    ids = {c["id"] for c in body["credential"]}
    assert ids == {c["id"] for c in issued["ada@example.org"]}
    assert not ids & {c["id"] for c in issued["bob@example.org"]}
    assert response.headers["X-Total-Count"] == "2"
    page = wallet.call("GET", "/ims/ob/v3p0/credentials?limit=1&offset=1", token)
    assert len(page.json()["credential"]) == 1
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', page.headers["Link"])}
    assert set(links) == {"first", "last", "prev"}
    assert links["prev"].endswith("/ims/ob/v3p0/credentials?limit=1&offset=0")
    assert links["last"].endswith("limit=1&offset=1")
    first = wallet.call("GET", "/ims/ob/v3p0/credentials?limit=1", token)
    assert 'rel="next"' in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    since = wallet.call("GET", "/ims/ob/v3p0/credentials?since=2999-01-01T00:00:00Z", token)
    assert since.json()["credential"] == []
    assert since.headers["X-Total-Count"] == "0"
    for query in ("limit=x", "limit=0", "offset=-1", "since=yesterday", "since=2024-01-01"):
        bad = wallet.call("GET", f"/ims/ob/v3p0/credentials?{query}", token)
        assert_imsx(bad, 400, "invalid_query_parameter")
    unauthenticated = platform.client.get("/ims/ob/v3p0/credentials")
    assert_imsx(unauthenticated, 401, "unauthorizedrequest")
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    # The token carries neither credential.upsert nor profile.readonly.
    forbidden = wallet.call("GET", "/ims/ob/v3p0/profile", token)
    assert_imsx(forbidden, 403, "forbidden")
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]
    assert_imsx(
        wallet.call("POST", "/ims/ob/v3p0/credentials", token, json=issued["bob@example.org"][0]),
        403,
        "forbidden",
    )


def test_org_tokens_and_user_tokens_are_not_interchangeable(platform: Platform) -> None:
    learner(platform)
    token = Wallet.register(platform).login("ada@example.org", [OB_READ])["access_token"]
    org_api = platform.client.get(
        "/api/v1/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert org_api.status_code == 401


def test_upsert_a_verifiable_credential(platform: Platform) -> None:
    issued = issue(platform, "someone@example.org")
    credential = issued["someone@example.org"][0]
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [OB_READ, OB_UPSERT])["access_token"]
    first = wallet.call("POST", "/ims/ob/v3p0/credentials", token, json=credential)
    assert first.status_code == 201, first.text
    assert first.json() == credential
    again = wallet.call("POST", "/ims/ob/v3p0/credentials", token, json=credential)
    assert again.status_code == 304  # the same credential: nothing to change
    assert again.content == b""
    listed = wallet.call("GET", "/ims/ob/v3p0/credentials", token).json()
    assert listed["credential"] == [credential]
    assert validate_against(listed, OB_LIST_SCHEMA) == []
    tampered = {**credential, "name": "Something else"}
    assert_imsx(
        wallet.call("POST", "/ims/ob/v3p0/credentials", token, json=tampered), 400, "invalid_data"
    )
    not_json = wallet.call(
        "POST",
        "/ims/ob/v3p0/credentials",
        token,
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert_imsx(not_json, 400, "invalid_data")
    text = wallet.call(
        "POST",
        "/ims/ob/v3p0/credentials",
        token,
        content=b"<xml/>",
        headers={"Content-Type": "application/xml"},
    )
    assert_imsx(text, 400, "invalid_data")


def test_a_credential_issued_here_is_not_stored_twice(platform: Platform) -> None:
    issued = issue(platform, "ada@example.org")
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [OB_READ, OB_UPSERT])["access_token"]
    own = issued["ada@example.org"][0]
    assert wallet.call("POST", "/ims/ob/v3p0/credentials", token, json=own).status_code == 304
    assert wallet.call("GET", "/ims/ob/v3p0/credentials", token).headers["X-Total-Count"] == "1"


def test_profile(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [OB_PROFILE_READ, OB_PROFILE_UPDATE])["access_token"]
    profile = wallet.call("GET", "/ims/ob/v3p0/profile", token).json()
    assert validate_against(profile, OB_PROFILE_SCHEMA) == []
    assert profile["type"] == ["Profile"]
    assert profile["email"] == "ada@example.org"
    changed = wallet.call(
        "PUT", "/ims/ob/v3p0/profile", token, json={**profile, "name": "Ada Lovelace"}
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Ada Lovelace"
    assert wallet.call("GET", "/ims/ob/v3p0/profile", token).json()["name"] == "Ada Lovelace"
    for bad in (
        {**profile, "email": "x@example.org"},
        {**profile, "id": "urn:uuid:00000000-0000-4000-8000-000000000000"},
        {**profile, "type": "Person"},
        {**profile, "name": ""},
        [profile],
    ):
        assert_imsx(
            wallet.call("PUT", "/ims/ob/v3p0/profile", token, json=bad), 400, "invalid_data"
        )


def test_unknown_paths_and_methods_are_imsx(platform: Platform) -> None:
    assert_imsx(platform.client.get("/ims/ob/v3p0/nothing"), 404, "not_found")
    refused = platform.client.delete("/ims/ob/v3p0/credentials")
    assert_imsx(refused, 405, "not_allowed")
    assert refused.headers["allow"] == "GET, POST"
    assert_imsx(platform.client.post("/ims/ob/v3p0/discovery"), 405, "not_allowed")
    assert_imsx(platform.client.patch("/ims/ob/v3p0/profile"), 405, "not_allowed")


def test_upsert_a_vc_jwt(platform: Platform) -> None:
    issued = issue(platform, "someone@example.org")
    unsigned = {k: v for k, v in issued["someone@example.org"][0].items() if k != "proof"}
    with platform.database.session_scope() as session:
        org = session.scalars(sa.select(Organization)).one()
        _, signer = signer_for(session, SETTINGS, KEYSTORE, org)
    token = issue_jwt(unsigned, signer, issued_at=datetime.now(UTC))
    learner(platform)
    wallet = Wallet.register(platform)
    access = wallet.login("ada@example.org", [OB_READ, OB_UPSERT])["access_token"]
    plain = {"Content-Type": "text/plain"}
    stored = wallet.call("POST", "/ims/ob/v3p0/credentials", access, content=token, headers=plain)
    assert stored.status_code == 201, stored.text
    assert stored.headers["content-type"].startswith("text/plain")
    assert stored.text == token
    again = wallet.call("POST", "/ims/ob/v3p0/credentials", access, content=token, headers=plain)
    assert again.status_code == 304
    listed = wallet.call("GET", "/ims/ob/v3p0/credentials", access).json()
    assert listed == {"credential": [], "compactJwsString": [token]}
    assert validate_against(listed, OB_LIST_SCHEMA) == []
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = wallet.call("POST", "/ims/ob/v3p0/credentials", access, content=forged, headers=plain)
    assert_imsx(refused, 400, "invalid_data")
    garbage = wallet.call("POST", "/ims/ob/v3p0/credentials", access, content="x", headers=plain)
    assert_imsx(garbage, 400, "invalid_data")


def test_a_newer_version_replaces_an_older_one_does_not(platform: Platform) -> None:
    issued = issue(platform, "someone@example.org")
    unsigned = {k: v for k, v in issued["someone@example.org"][0].items() if k != "proof"}
    with platform.database.session_scope() as session:
        org = session.scalars(sa.select(Organization)).one()
        _, signer = signer_for(session, SETTINGS, KEYSTORE, org)

    def version(valid_from: str) -> dict[str, Any]:
        return sign({**unsigned, "validFrom": valid_from}, signer)

    learner(platform)
    wallet = Wallet.register(platform)
    token = wallet.login("ada@example.org", [OB_READ, OB_UPSERT])["access_token"]
    path = "/ims/ob/v3p0/credentials"
    middle = version("2024-06-01T00:00:00Z")
    assert wallet.call("POST", path, token, json=middle).status_code == 201
    older = wallet.call("POST", path, token, json=version("2024-01-01T00:00:00Z"))
    assert older.status_code == 304
    newer_version = version("2025-01-01T00:00:00Z")
    newer = wallet.call(
        "POST",
        path,
        token,
        content=json.dumps(newer_version),
        headers={"Content-Type": "application/vc+ld+json"},
    )
    assert newer.status_code == 200, newer.text
    assert newer.headers["content-type"].startswith("application/vc+ld+json")
    assert wallet.call("GET", path, token).json()["credential"] == [newer_version]
