"""The token endpoint (RFC 6749 client credentials) and bearer authentication of API
calls with access tokens and API keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import OctKey

from openler.services.audit import Actor
from openler.services.auth import create_api_client, create_api_key, revoke_api_client
from openler.services.keystore import KeyStore
from openler.store.db import Database
from openler.store.models import ActorType, ApiClient, ApiKey, AuditEvent, Organization
from tests.integration.api._client import TestClient
from tests.integration.auth.conftest import Clock, World, bearer

ADMIN = Actor(ActorType.SYSTEM, "test")
TOKEN_URL = "/oauth/token"
READ_ISSUE = ["credentials:read", "credentials:issue"]


def _client(database: Database, org_id: Any, scopes: list[str] | None = None) -> tuple[str, str]:
    with database.session_scope() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        client, secret = create_api_client(
            session, org, name="sis", scopes=scopes or READ_ISSUE, actor=ADMIN
        )
        return client.client_id, secret


def _key(database: Database, org_id: Any, scopes: list[str], **kwargs: Any) -> str:
    with database.session_scope() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        _, token = create_api_key(session, org, name="ci", scopes=scopes, actor=ADMIN, **kwargs)
        return token


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _token(client: TestClient, client_id: str, secret: str, **form: str) -> str:
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", **form},
        headers=_basic(client_id, secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error


def _unauthenticated(response: httpx.Response, *, invalid_token: bool) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is invalid_token


# -- the token endpoint -------------------------------------------------------------


def test_token_with_basic_auth_acts_for_the_clients_organization(
    client: TestClient, database: Database, world: World
) -> None:
    client_id, secret = _client(database, world.a)
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret)
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"].split() == READ_ISSUE
    me = client.get("/_test/issue", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "org": str(world.a),
        "scopes": sorted(READ_ISSUE),
        "actor": ["api_client", client_id],
    }


def test_token_with_form_credentials(client: TestClient, database: Database, world: World) -> None:
    client_id, secret = _client(database, world.a)
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert client.get("/_test/read", headers=bearer(token)).json()["org"] == str(world.a)


def test_wrong_or_missing_client_credentials_are_invalid_client(
    client: TestClient, database: Database, world: World
) -> None:
    client_id, secret = _client(database, world.a)
    grant = {"grant_type": "client_credentials"}
    for headers, data in [
        (_basic(client_id, secret + "x"), grant),
        (_basic(client_id, ""), grant),
        (_basic("olrc_unknown", secret), grant),
        ({}, {**grant, "client_id": client_id, "client_secret": "wrong"}),
        ({}, grant),
        ({"Authorization": "Basic !!!not-base64"}, grant),
    ]:
        response = client.post(TOKEN_URL, data=data, headers=headers)
        _oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")
        assert secret not in response.text


def test_malformed_token_requests(client: TestClient, database: Database, world: World) -> None:
    client_id, secret = _client(database, world.a)
    auth = _basic(client_id, secret)
    unsupported = client.post(TOKEN_URL, data={"grant_type": "password"}, headers=auth)
    _oauth_error(unsupported, 400, "unsupported_grant_type")
    _oauth_error(client.post(TOKEN_URL, data={}, headers=auth), 400, "invalid_request")
    as_json = client.post(TOKEN_URL, json={"grant_type": "client_credentials"}, headers=auth)
    _oauth_error(as_json, 400, "invalid_request")
    twice = client.post(
        TOKEN_URL,
        content="grant_type=client_credentials&grant_type=client_credentials",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    _oauth_error(twice, 400, "invalid_request")
    both_ways = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=auth,
    )
    _oauth_error(both_ways, 400, "invalid_request")


def test_scope_can_narrow_but_never_widen(
    client: TestClient, database: Database, world: World
) -> None:
    client_id, secret = _client(database, world.a)
    narrow = _token(client, client_id, secret, scope="credentials:read")
    assert client.get("/_test/read", headers=bearer(narrow)).json()["scopes"] == [
        "credentials:read"
    ]
    forbidden = client.get("/_test/issue", headers=bearer(narrow))
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "insufficient_scope"
    for scope in ("audit:read", "credentials:read org:admin", "no-such-scope", " "):
        response = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "scope": scope},
            headers=_basic(client_id, secret),
        )
        _oauth_error(response, 400, "invalid_scope")


# -- bearer authentication ----------------------------------------------------------


def test_no_or_other_scheme_credentials_are_401_without_error(client: TestClient) -> None:
    response = client.get("/_test/read")
    _unauthenticated(response, invalid_token=False)
    assert response.headers["www-authenticate"] == 'Bearer realm="openler"'
    _unauthenticated(
        client.get("/_test/read", headers={"Authorization": "Basic dTpw"}), invalid_token=False
    )


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "olr_", "olr_0123456789abcdef_nope", "olr_zz_zz", "x" * 5000],
)
def test_garbage_tokens_are_invalid_token(client: TestClient, world: World, token: str) -> None:
    response = client.get("/_test/read", headers=bearer(token))
    _unauthenticated(response, invalid_token=True)
    assert token[:20] not in response.text


def test_expired_access_token(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    client_id, secret = _client(database, world.a)
    token = _token(client, client_id, secret)
    clock.advance(minutes=59)
    assert client.get("/_test/read", headers=bearer(token)).status_code == 200
    clock.advance(minutes=1)
    _unauthenticated(client.get("/_test/read", headers=bearer(token)), invalid_token=True)


def test_revoked_client_loses_its_tokens_at_once(
    client: TestClient, database: Database, world: World
) -> None:
    client_id, secret = _client(database, world.a)
    token = _token(client, client_id, secret)
    assert client.get("/_test/read", headers=bearer(token)).status_code == 200
    with database.session_scope() as session:
        org = session.get(Organization, world.a)
        assert org is not None
        revoke_api_client(session, org, client_id, actor=ADMIN)
    _unauthenticated(client.get("/_test/read", headers=bearer(token)), invalid_token=True)
    refused = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret)
    )
    _oauth_error(refused, 401, "invalid_client")


def test_token_outlives_no_scope_taken_from_its_client(
    client: TestClient, database: Database, world: World
) -> None:
    client_id, secret = _client(database, world.a)
    token = _token(client, client_id, secret)
    with database.session_scope() as session:
        row = session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
        assert row is not None
        row.scopes = ["credentials:read"]
    _unauthenticated(client.get("/_test/read", headers=bearer(token)), invalid_token=True)


def _forge(key: bytes, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "HS256", "typ": "at+jwt"}, claims, OctKey.import_key(key))


def test_tokens_signed_elsewhere_or_for_another_org_are_refused(
    client: TestClient, database: Database, world: World, keystore: KeyStore, clock: Clock
) -> None:
    client_id, _ = _client(database, world.a)
    now = int(clock().timestamp())
    claims = {
        "iss": "https://badges.example",
        "aud": "https://badges.example",
        "sub": client_id,
        "org": str(world.a),
        "scope": "credentials:read",
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
    }
    key = keystore.derived_key("oauth/access-token/hs256/v1")
    genuine = _forge(key, claims)
    assert client.get("/_test/read", headers=bearer(genuine)).status_code == 200
    forged = [
        _forge(KeyStore("another-deployment-secret-0123456789abc").derived_key("x"), claims),
        _forge(key, {**claims, "org": str(world.b)}),  # client of A acting for B
        _forge(key, {**claims, "aud": "https://elsewhere.example"}),
        _forge(key, {**claims, "iss": "https://elsewhere.example"}),
        _forge(key, {**claims, "scope": "audit:read"}),
        _forge(key, {k: v for k, v in claims.items() if k != "exp"}),
        _forge(key, {**claims, "iat": now + 3600}),
        jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(key)),
    ]
    for token in forged:
        _unauthenticated(client.get("/_test/read", headers=bearer(token)), invalid_token=True)


def test_a_token_acts_for_its_organization_only(
    client: TestClient, database: Database, world: World
) -> None:
    id_a, secret_a = _client(database, world.a)
    id_b, secret_b = _client(database, world.b)
    token_a = _token(client, id_a, secret_a)
    token_b = _token(client, id_b, secret_b)
    key_a = _key(database, world.a, ["credentials:read"])
    assert client.get("/_test/read", headers=bearer(token_a)).json()["org"] == str(world.a)
    assert client.get("/_test/read", headers=bearer(token_b)).json()["org"] == str(world.b)
    assert client.get("/_test/read", headers=bearer(key_a)).json()["org"] == str(world.a)
    # Nothing in the request can move a principal to another organization.
    response = client.get(
        f"/_test/read?org={world.b}",
        headers={**bearer(token_a), "X-Organization": str(world.b)},
    )
    assert response.json()["org"] == str(world.a)


# -- API keys -----------------------------------------------------------------------


def test_api_key_works_and_touches_last_used_at_once_a_minute(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    token = _key(database, world.a, ["credentials:read"])
    prefix = token.split("_")[1]

    def last_used() -> Any:
        with database.session_scope() as session:
            return session.scalar(sa.select(ApiKey.last_used_at).where(ApiKey.prefix == prefix))

    me = client.get("/_test/read", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["actor"] == ["api_key", prefix]
    first = last_used()
    assert first == clock()
    clock.advance(seconds=30)
    client.get("/_test/read", headers=bearer(token))
    assert last_used() == first
    clock.advance(seconds=31)
    client.get("/_test/read", headers=bearer(token))
    assert last_used() == clock()
    forbidden = client.get("/_test/issue", headers=bearer(token))
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]


def test_wrong_revoked_or_expired_api_keys_are_refused(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    token = _key(database, world.a, ["credentials:read"])
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")
    _unauthenticated(client.get("/_test/read", headers=bearer(tampered)), invalid_token=True)
    expiring = _key(
        database, world.a, ["credentials:read"], expires_at=clock() + timedelta(days=1), now=clock()
    )
    assert client.get("/_test/read", headers=bearer(expiring)).status_code == 200
    clock.advance(days=1)
    _unauthenticated(client.get("/_test/read", headers=bearer(expiring)), invalid_token=True)
    with database.session_scope() as session:
        prefix = token.split("_")[1]
        session.execute(sa.update(ApiKey).where(ApiKey.prefix == prefix).values(revoked=True))
    _unauthenticated(client.get("/_test/read", headers=bearer(token)), invalid_token=True)


def test_secrets_are_never_logged_stored_or_audited_in_clear(
    client: TestClient, database: Database, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id, secret = _client(database, world.a)
    api_key = _key(database, world.a, ["credentials:read"])
    token = _token(client, client_id, secret)
    client.get("/_test/read", headers=bearer(token))
    client.get("/_test/read", headers=bearer(api_key))
    client.post(TOKEN_URL, data={"grant_type": "x"}, headers=_basic(client_id, secret))
    with database.session_scope() as session:
        stored = [
            *session.scalars(sa.select(ApiClient.secret_hash)),
            *session.scalars(sa.select(ApiKey.key_hash)),
            *(repr(d) for d in session.scalars(sa.select(AuditEvent.details))),
        ]
    text = caplog.text + "\n".join(stored)
    for value in (secret, token, api_key, api_key.split("_", 2)[2]):
        assert value not in text


def test_token_endpoint_is_rate_limited(
    settings: Any, database: Database, keystore: KeyStore, tmp_path: Any
) -> None:
    from openler.api import create_app
    from openler.api.middleware import RateLimit
    from openler.resolvers import FolderResolver, FolderStatusFetcher

    app = create_app(
        settings,
        database=database,
        keystore=keystore,
        rate_limit=RateLimit(per_second=0.001, burst=2),
        resolver=FolderResolver(tmp_path),
        status_fetcher=FolderStatusFetcher(tmp_path),
    )
    with TestClient(app) as client:
        statuses = [
            client.post(TOKEN_URL, data={"grant_type": "client_credentials"}).status_code
            for _ in range(3)
        ]
    assert statuses == [401, 401, 429]
