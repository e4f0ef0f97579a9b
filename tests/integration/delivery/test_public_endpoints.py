"""The wallet-facing endpoints are public: rate-limited per client, never cached."""

from __future__ import annotations

import pytest

from openler.api import create_app
from openler.api.middleware import RateLimit
from tests.integration.api._client import TestClient
from tests.integration.platform.conftest import KEYSTORE, SETTINGS, Platform, assert_problem


@pytest.mark.parametrize(
    "path",
    [
        "/exchanges/some-exchange",
        "/orgs/riverside/oid4vci/token",
        "/.well-known/openid-credential-issuer/orgs/riverside/oid4vci",
    ],
)
def test_wallet_endpoints_are_rate_limited(platform: Platform, path: str) -> None:
    app = create_app(
        SETTINGS,
        database=platform.database,
        keystore=KEYSTORE,
        rate_limit=RateLimit(per_second=0.001, burst=2),
        resolver=platform.app.state.verifier.resolver,
        status_fetcher=platform.app.state.verifier.status_fetcher,
    )
    with TestClient(app) as client:
        method = client.get if path.startswith("/.well-known") else client.post
        answers = [method(path).status_code for _ in range(3)]
    assert answers[:2] != [429, 429]
    assert answers[2] == 429


def test_errors_are_not_cached(platform: Platform) -> None:
    response = platform.client.post("/exchanges/nope", json={})
    assert_problem(response, 404, "not_found")
    assert response.headers["cache-control"] == "no-store"
