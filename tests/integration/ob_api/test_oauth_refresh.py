"""A wallet's whole life with the authorization server: registration, authorization with
PKCE, code exchange, API calls, refresh with rotation, reuse detection, scope narrowing,
expiry and revocation (RFC 6749, 7009, 7636; RFC 6819 / OAuth 2.1 practice), on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from openler.services.oauth_grants import REFRESH_TOKEN_PREFIX
from openler.store.models import AuditEvent
from openler.store.models.wallet import OAuthGrant, OAuthRefreshToken
from tests.integration.ob_api._wallet import (
    CLR_READ,
    OB_PROFILE_READ,
    OB_READ,
    OB_UPSERT,
    Wallet,
    assert_imsx,
    later,
    learner,
    set_clock,
)
from tests.integration.platform.conftest import Platform

CREDENTIALS = "/ims/ob/v3p0/credentials"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_the_whole_dance(platform: Platform) -> None:
    """Register, authorize (PKCE), exchange, call, refresh, detect reuse, revoke."""
    set_clock(platform, T0)
    learner(platform)
    wallet = Wallet.register(platform)
    code, granted, verifier = wallet.authorize(
        "ada@example.org", [OB_READ, OB_PROFILE_READ, "offline_access"]
    )
    assert granted.split() == [OB_READ, OB_PROFILE_READ, "offline_access"]
    answer = wallet.exchange(code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"].split() == granted.split()
    first_refresh = tokens["refresh_token"]
    assert first_refresh.startswith(REFRESH_TOKEN_PREFIX)
    assert wallet.call("GET", CREDENTIALS, tokens["access_token"]).status_code == 200

    # An hour later the access token has expired; the refresh token gets new ones.
    later(platform, timedelta(hours=2))
    expired = wallet.call("GET", CREDENTIALS, tokens["access_token"])
    assert_imsx(expired, 401, "unauthorizedrequest")
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    refreshed = wallet.refresh(first_refresh)
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first_refresh
    assert second["scope"] == tokens["scope"]
    assert wallet.call("GET", CREDENTIALS, second["access_token"]).status_code == 200

    # The spent refresh token comes back (stolen?): refused, and the family is revoked.
    reused = wallet.refresh(first_refresh)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert_imsx(wallet.call("GET", CREDENTIALS, second["access_token"]), 401, "unauthorizedrequest")
    assert wallet.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    with platform.database.session_scope() as session:
        grant = session.scalars(sa.select(OAuthGrant)).one()
        assert grant.revoked_reason == "refresh_token_reuse"
        assert session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "oauth_grant.revoke")
        )

    # A fresh authorization works again, and revoking its refresh token ends it.
    third = wallet.login("ada@example.org", [OB_READ])
    assert wallet.call("GET", CREDENTIALS, third["access_token"]).status_code == 200
    revoked = wallet.revoke(third["refresh_token"], token_type_hint="refresh_token")
    assert revoked.status_code == 200, revoked.text
    assert_imsx(wallet.call("GET", CREDENTIALS, third["access_token"]), 401, "unauthorizedrequest")
    assert wallet.refresh(third["refresh_token"]).json()["error"] == "invalid_grant"
    # Revoking again, or revoking nonsense, is not an error (RFC 7009 2.2).
    assert wallet.revoke(third["refresh_token"]).status_code == 200
    assert wallet.revoke("no-such-token", token_type_hint="access_token").status_code == 200


def test_refresh_tokens_are_stored_hashed(platform: Platform) -> None:
    learner(platform)
    tokens = Wallet.register(platform).login("ada@example.org", [OB_READ])
    with platform.database.session_scope() as session:
        stored = session.scalars(sa.select(OAuthRefreshToken.token_hash)).all()
    assert len(stored) == 1
    assert tokens["refresh_token"] not in stored[0]
    assert len(stored[0]) == 64


def test_revoking_the_access_token_ends_the_grant(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    tokens = wallet.login("ada@example.org", [OB_READ])
    assert wallet.revoke(tokens["access_token"], token_type_hint="access_token").status_code == 200
    assert_imsx(wallet.call("GET", CREDENTIALS, tokens["access_token"]), 401, "unauthorizedrequest")
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_scope_may_narrow_but_never_widen(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    tokens = wallet.login("ada@example.org", [OB_READ, OB_PROFILE_READ])
    wider = wallet.refresh(tokens["refresh_token"], scope=f"{OB_READ} {OB_UPSERT}")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    unknown = wallet.refresh(tokens["refresh_token"], scope="org:admin")
    assert unknown.json()["error"] == "invalid_scope"
    narrower = wallet.refresh(tokens["refresh_token"], scope=OB_READ)
    assert narrower.status_code == 200, narrower.text
    narrow = narrower.json()
    assert narrow["scope"] == OB_READ
    assert wallet.call("GET", CREDENTIALS, narrow["access_token"]).status_code == 200
    assert_imsx(
        wallet.call("GET", "/ims/ob/v3p0/profile", narrow["access_token"]), 403, "forbidden"
    )
    # The grant keeps what the learner allowed: the next refresh may ask for it again.
    full = wallet.refresh(narrow["refresh_token"])
    assert full.json()["scope"].split() == [OB_READ, OB_PROFILE_READ]


def test_refresh_tokens_expire(platform: Platform) -> None:
    set_clock(platform, T0)
    learner(platform)
    wallet = Wallet.register(platform)
    tokens = wallet.login("ada@example.org", [OB_READ])
    later(platform, timedelta(days=89))
    kept = wallet.refresh(tokens["refresh_token"])
    assert kept.status_code == 200  # each use starts a new period
    later(platform, timedelta(days=91))
    gone = wallet.refresh(kept.json()["refresh_token"])
    assert gone.status_code == 400
    assert "expired" in gone.json()["error_description"]


def test_a_code_used_twice_revokes_what_it_gave(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    code, _, verifier = wallet.authorize("ada@example.org", [OB_READ])
    tokens = wallet.exchange(code, verifier).json()
    again = wallet.exchange(code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert_imsx(wallet.call("GET", CREDENTIALS, tokens["access_token"]), 401, "unauthorizedrequest")
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_tokens_belong_to_their_app(platform: Platform) -> None:
    learner(platform)
    owner = Wallet.register(platform)
    tokens = owner.login("ada@example.org", [OB_READ])
    thief = Wallet.register(platform)
    stolen = thief.refresh(tokens["refresh_token"])
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert thief.revoke(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    # Neither attempt harmed the owner's grant.
    assert owner.refresh(tokens["refresh_token"]).status_code == 200


def test_apps_without_the_refresh_grant_get_no_refresh_token(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform, grant_types=["authorization_code"])
    tokens = wallet.login("ada@example.org", [OB_READ])
    assert "refresh_token" not in tokens
    refused = wallet.refresh("olrr_anything")
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"


def test_public_and_post_clients(platform: Platform) -> None:
    learner(platform)
    for method in ("none", "client_secret_post"):
        wallet = Wallet.register(platform, token_endpoint_auth_method=method)
        tokens = wallet.login("ada@example.org", [OB_READ])
        assert wallet.refresh(tokens["refresh_token"]).status_code == 200
        assert wallet.revoke(tokens["access_token"]).status_code == 200


def test_revocation_needs_client_authentication(platform: Platform) -> None:
    learner(platform)
    wallet = Wallet.register(platform)
    tokens = wallet.login("ada@example.org", [OB_READ])
    anonymous = platform.client.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    empty = wallet.revoke("")
    assert empty.status_code == 400
    assert empty.json()["error"] == "invalid_request"
    assert wallet.call("GET", CREDENTIALS, tokens["access_token"]).status_code == 200


def test_an_ob_token_does_not_open_the_clr_api(platform: Platform) -> None:
    learner(platform)
    token = Wallet.register(platform).login("ada@example.org", [OB_READ])["access_token"]
    assert_imsx(
        platform.client.get(
            "/ims/clr/v2p0/credentials", headers={"Authorization": f"Bearer {token}"}
        ),
        403,
        "forbidden",
    )
    clr_only = Wallet.register(platform).login("ada@example.org", [CLR_READ])["access_token"]
    assert_imsx(
        platform.client.get(CREDENTIALS, headers={"Authorization": f"Bearer {clr_only}"}),
        403,
        "forbidden",
    )


def test_authorization_server_metadata(platform: Platform) -> None:
    metadata = platform.client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == "https://issuer.example"
    assert metadata["revocation_endpoint"] == "https://issuer.example/oauth/revoke"
    assert metadata["token_endpoint"] == "https://issuer.example/oauth/token"
    assert metadata["registration_endpoint"] == "https://issuer.example/oauth/register"
    assert "refresh_token" in metadata["grant_types_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
