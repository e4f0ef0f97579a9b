"""The Open Badges 3.0 service API with OAuth 2.0 (dynamic registration, authorization
code with PKCE), end to end through the application, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from openler.services.users import create_user
from tests.integration.platform.conftest import Platform

OB = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
READ, UPSERT = OB + "credential.readonly", OB + "credential.upsert"
PROFILE_READ, PROFILE_UPDATE = OB + "profile.readonly", OB + "profile.update"
REDIRECT = "https://wallet.example/callback"
PASSWORD = "correct horse battery staple"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _register(platform: Platform, **overrides: Any) -> dict[str, Any]:
    body = {
        "client_name": "Test Wallet",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "scope": " ".join([READ, UPSERT, PROFILE_READ, PROFILE_UPDATE]),
        **overrides,
    }
    response = platform.client.post("/oauth/register", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _user(platform: Platform, email: str) -> None:
    with platform.database.session_scope() as session:
        create_user(session, email=email, display_name="Ada L", password=PASSWORD)


def _code(platform: Platform, client_id: str, email: str, scope: str, verifier: str) -> str:
    page = platform.client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "xyz",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200, page.text
    assert '<label for="email">' in page.text
    assert "<script" not in page.text
    token = re.search(r'name="request" value="([^"]+)"', page.text)
    assert token is not None
    answer = platform.client.post(
        "/oauth/authorize",
        data={
            "request": token.group(1),
            "email": email,
            "password": PASSWORD,
            "decision": "approve",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _exchange(platform: Platform, client_id: str, code: str, verifier: str, **extra: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
        **extra,
    }
    return platform.client.post("/oauth/token", data=form)


def _token(platform: Platform, email: str, scope: str) -> str:
    client_id = _register(platform)["client_id"]
    verifier = secrets.token_urlsafe(48)
    code = _code(platform, client_id, email, scope, verifier)
    response = _exchange(platform, client_id, code, verifier)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _issue(platform: Platform, *emails: str) -> dict[str, list[dict[str, Any]]]:
    org = platform.org("acme")
    platform.act_as(org)
    platform.published_achievement()
    issued: dict[str, list[dict[str, Any]]] = {}
    for email in emails:
        response = platform.issue(recipient={"email": email})
        issued.setdefault(email, []).append(response.json()["credential"])
    platform.app.dependency_overrides.clear()
    return issued


def _imsx(response: Any, status: int, minor: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    field = body["imsx_codeMinor"]["imsx_codeMinorField"][0]
    assert field["imsx_codeMinorFieldValue"] == minor


def test_registration(platform: Platform) -> None:
    public = _register(platform)
    assert public["client_id"].startswith("olra_")
    assert "client_secret" not in public
    confidential = _register(platform, token_endpoint_auth_method="client_secret_basic")
    assert confidential["client_secret"]
    bad = platform.client.post(
        "/oauth/register", json={"client_name": "x", "redirect_uris": ["http://evil.example/"]}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_redirect_uri"
    unnamed = platform.client.post("/oauth/register", json={"redirect_uris": [REDIRECT]})
    assert unnamed.json()["error"] == "invalid_client_metadata"
    wrong_scope = platform.client.post(
        "/oauth/register",
        json={"client_name": "x", "redirect_uris": [REDIRECT], "scope": "org:admin"},
    )
    assert wrong_scope.json()["error"] == "invalid_client_metadata"


def test_authorize_requires_pkce_and_a_registered_redirect(platform: Platform) -> None:
    client_id = _register(platform)["client_id"]
    base = {"response_type": "code", "client_id": client_id, "state": "s"}
    no_pkce = platform.client.get(
        "/oauth/authorize", params={**base, "redirect_uri": REDIRECT}, follow_redirects=False
    )
    assert no_pkce.status_code == 303
    assert parse_qs(urlsplit(no_pkce.headers["location"]).query)["error"] == ["invalid_request"]
    foreign = platform.client.get(
        "/oauth/authorize",
        params={**base, "redirect_uri": "https://evil.example/cb"},
        follow_redirects=False,
    )
    assert foreign.status_code == 400
    assert "location" not in foreign.headers


def test_deny_and_wrong_password(platform: Platform) -> None:
    _user(platform, "ada@example.org")
    client_id = _register(platform)["client_id"]
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "s1",
        "code_challenge": _challenge(secrets.token_urlsafe(48)),
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


@pytest.mark.parametrize("fault", ["verifier", "reuse", "redirect"])
def test_bad_code_exchanges_are_invalid_grant(platform: Platform, fault: str) -> None:
    _user(platform, "ada@example.org")
    client_id = _register(platform)["client_id"]
    verifier = secrets.token_urlsafe(48)
    code = _code(platform, client_id, "ada@example.org", READ, verifier)
    if fault == "verifier":
        response = _exchange(platform, client_id, code, secrets.token_urlsafe(48))
    elif fault == "reuse":
        assert _exchange(platform, client_id, code, verifier).status_code == 200
        response = _exchange(platform, client_id, code, verifier)
    else:
        response = _exchange(
            platform, client_id, code, verifier, redirect_uri="https://wallet.example/other"
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


def test_credentials_are_the_learners_own_and_paged(platform: Platform) -> None:
    issued = _issue(platform, "ada@example.org", "ada@example.org", "bob@example.org")
    _user(platform, "ada@example.org")
    token = _token(platform, "Ada@Example.org", READ)
    auth = {"Authorization": f"Bearer {token}"}
    response = platform.client.get("/ims/ob/v3p0/credentials", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["compactJwsString"] == []
    ids = {c["id"] for c in body["credential"]}
    assert ids == {c["id"] for c in issued["ada@example.org"]}
    assert not ids & {c["id"] for c in issued["bob@example.org"]}
    assert response.headers["X-Total-Count"] == "2"
    page = platform.client.get("/ims/ob/v3p0/credentials?limit=1&offset=1", headers=auth)
    assert len(page.json()["credential"]) == 1
    assert 'rel="prev"' in page.headers["Link"]
    assert 'rel="next"' not in page.headers["Link"]
    _imsx(platform.client.get("/ims/ob/v3p0/credentials?limit=x", headers=auth), 400, "invaliddata")
    _imsx(platform.client.get("/ims/ob/v3p0/credentials"), 401, "unauthorisedrequest")
    # The token does not carry credential.upsert nor profile.readonly.
    _imsx(platform.client.get("/ims/ob/v3p0/profile", headers=auth), 403, "forbidden")
    _imsx(
        platform.client.post(
            "/ims/ob/v3p0/credentials", json=issued["ada@example.org"][0], headers=auth
        ),
        403,
        "forbidden",
    )


def test_org_tokens_are_not_user_tokens(platform: Platform) -> None:
    _user(platform, "ada@example.org")
    token = _token(platform, "ada@example.org", READ)
    # A user token is refused by the organization API.
    org_api = platform.client.get(
        "/api/v1/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert org_api.status_code == 401


def test_upsert_a_verifiable_credential(platform: Platform) -> None:
    issued = _issue(platform, "someone@example.org")
    credential = issued["someone@example.org"][0]
    _user(platform, "ada@example.org")
    token = _token(platform, "ada@example.org", f"{READ} {UPSERT}")
    auth = {"Authorization": f"Bearer {token}"}
    first = platform.client.post("/ims/ob/v3p0/credentials", json=credential, headers=auth)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == credential["id"]
    again = platform.client.post("/ims/ob/v3p0/credentials", json=credential, headers=auth)
    assert again.status_code == 200, again.text
    listed = platform.client.get("/ims/ob/v3p0/credentials", headers=auth).json()
    assert [c["id"] for c in listed["credential"]] == [credential["id"]]
    tampered = {**credential, "name": "Something else"}
    _imsx(
        platform.client.post("/ims/ob/v3p0/credentials", json=tampered, headers=auth),
        400,
        "invaliddata",
    )


def test_profile(platform: Platform) -> None:
    _user(platform, "ada@example.org")
    token = _token(platform, "ada@example.org", f"{PROFILE_READ} {PROFILE_UPDATE}")
    auth = {"Authorization": f"Bearer {token}"}
    profile = platform.client.get("/ims/ob/v3p0/profile", headers=auth).json()
    assert profile["type"] == ["Profile"]
    assert profile["email"] == "ada@example.org"
    changed = platform.client.put(
        "/ims/ob/v3p0/profile", json={**profile, "name": "Ada Lovelace"}, headers=auth
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Ada Lovelace"
    assert (
        platform.client.get("/ims/ob/v3p0/profile", headers=auth).json()["name"] == "Ada Lovelace"
    )
    _imsx(
        platform.client.put(
            "/ims/ob/v3p0/profile", json={**profile, "email": "x@example.org"}, headers=auth
        ),
        400,
        "invaliddata",
    )


def test_discovery(platform: Platform) -> None:
    document = platform.client.get("/ims/ob/v3p0/discovery").json()
    assert document["openapi"].startswith("3.")
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == "https://issuer.example/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "https://issuer.example/oauth/authorize"
    assert flow["tokenUrl"] == "https://issuer.example/oauth/token"
    assert set(flow["scopes"]) == {READ, UPSERT, PROFILE_READ, PROFILE_UPDATE}
    assert document["paths"]["/credentials"]["get"]["operationId"] == "getCredentials"
