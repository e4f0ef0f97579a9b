"""The application around the endpoints: one problem+json error shape, the body cap, the
rate limit, security headers, OpenAPI, and refusing a configuration that must not run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from openler.api import create_app
from openler.api.middleware import RateLimit, TokenBuckets
from openler.config import ConfigurationError, Settings
from tests.integration.api._client import TestClient
from tests.integration.api.conftest import Issue, MakeApp

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:openler:problem:{code}"
    return dict(body)


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_security_headers_on_every_response(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers  # http:// origin
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers  # Swagger UI loads scripts


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.options(
        "/credentials/verify",
        headers={"Origin": "https://wallet.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
    plain = client.get("/healthz", headers={"Origin": "https://wallet.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_when_origins_are_given(make_app: MakeApp) -> None:
    with TestClient(make_app(cors_origins=["https://wallet.example"])) as client:
        response = client.options(
            "/credentials/verify",
            headers={"Origin": "https://wallet.example", "Access-Control-Request-Method": "POST"},
        )
        assert response.headers["access-control-allow-origin"] == "https://wallet.example"


@pytest.mark.parametrize(
    "body",
    [b'{"verifiableCredential": {', b"not json at all", b'{"a": 1,}', b"\xff\xfe{}"],
    ids=["truncated", "text", "trailing-comma", "bad-utf8"],
)
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/credentials/verify", content=body, headers={"Content-Type": "application/json"}
    )
    _problem(response, 400, "malformed_json")


def test_json_nested_too_deeply_is_400_not_500(client: TestClient) -> None:
    body = b"[" * 20_000 + b"]" * 20_000
    response = client.post(
        "/credentials/verify", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"verifiableCredential": 42},
        {"verifiableCredential": ["a"]},
        {"credential": {}},
        {"verifiableCredential": {}, "options": {"checks": ["proof", "telepathy"]}},
        {"verifiableCredential": {}, "options": "fast"},
        [],
    ],
    ids=["empty", "number", "list", "wrong-key", "unknown-check", "bad-options", "array"],
)
def test_wrong_body_shape_is_422(client: TestClient, body: object) -> None:
    response = client.post("/credentials/verify", json=body)
    problem = _problem(response, 422, "request_invalid")
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors
    assert all({"loc", "msg", "type"} == set(e) for e in errors)  # the input is not echoed


def test_presentation_wrong_shape_is_422(client: TestClient) -> None:
    response = client.post("/presentations/verify", json={"verifiableCredential": {}})
    _problem(response, 422, "request_invalid")


def test_oversized_body_is_413_by_content_length(client: TestClient, issued: Issue) -> None:
    credential = issued()
    credential["description"] = "x" * (65 * 1024)
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    problem = _problem(response, 413, "input_too_large")
    assert "65,536" in str(problem["detail"])


def test_oversized_body_is_413_while_streaming(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _problem(response, 413, "input_too_large")


def test_rate_limit_is_429_with_retry_after(make_app: MakeApp, issued: Issue) -> None:
    app = make_app(rate_limit=RateLimit(per_second=0.5, burst=2))
    body = {"verifiableCredential": issued()}
    with TestClient(app) as client:
        assert client.post("/credentials/verify", json=body).status_code == 200
        assert client.post("/credentials/verify", json=body).status_code == 200
        limited = client.post("/credentials/verify", json=body)
        _problem(limited, 429, "rate_limited")
        assert limited.headers["retry-after"] == "2"
        assert client.post("/presentations/verify", json={}).status_code == 429
        assert client.get("/healthz").status_code == 200  # not a public API path


def test_token_buckets_refill_and_forget_old_clients() -> None:
    now = [0.0]
    buckets = TokenBuckets(RateLimit(per_second=1.0, burst=2, max_clients=2), clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 1.0]
    now[0] = 1.0
    assert buckets.take("a") == 0.0
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: at most two clients are kept
    assert buckets.take("a") == 0.0


def test_rate_limit_can_be_turned_off(make_app: MakeApp) -> None:
    with TestClient(make_app(rate_limit=None)) as client:
        statuses = {client.post("/credentials/verify", json={}).status_code for _ in range(150)}
    assert statuses == {422}


def test_unknown_route_is_404_and_wrong_method_405(client: TestClient) -> None:
    _problem(client.get("/no/such/thing"), 404, "not_found")
    wrong = client.get("/credentials/verify")
    _problem(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"


def test_unexpected_error_is_500_without_a_traceback(make_app: MakeApp) -> None:
    app = make_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    problem = _problem(response, 500, "internal_error")
    text = json.dumps(problem)
    assert "secret" not in text
    assert "Traceback" not in text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/credentials/verify", "/presentations/verify", "/credentials/status"):
        assert "post" in paths[path], path
    assert "get" in paths["/healthz"]
    verify = paths["/credentials/verify"]["post"]
    assert {"200", "400", "413", "422", "429"} <= set(verify["responses"])
    assert "VerifyCredentialRequest" in document["components"]["schemas"]


def test_production_without_a_secret_key_is_refused(tmp_path: Path) -> None:
    production = Settings(env="production", base_url="https://badges.example", data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="OPENLER_SECRET_KEY"):
        create_app(production)
    no_mail = Settings(
        env="production",
        base_url="https://badges.example",
        data_dir=tmp_path,
        secret_key=SecretStr("k" * 32),
    )
    with pytest.raises(ConfigurationError, match="OPENLER_SMTP_URL"):
        create_app(no_mail)
    ready = no_mail.model_copy(update={"smtp_url": SecretStr("smtp://mail.badges.example:587")})
    with TestClient(create_app(ready, rate_limit=None)) as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_body_that_is_not_json_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(
        "/credentials/verify", content=b'{"verifiableCredential": "x"}', headers=headers
    )
    _problem(response, 415, "unsupported_media_type")
