"""Bad input and other tenants' resources: each is a problem+json error with its code, and
changes nothing (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.platform.conftest import Platform, achievement_json, assert_problem


def _two_tenants(platform: Platform) -> tuple[str, str]:
    """Org "one" with a published achievement and a credential; the caller is "two"."""
    one = platform.org("one")
    two = platform.org("two")
    platform.act_as(one)
    platform.published_achievement("welding-1")
    credential_id = platform.issue(statusPurpose="suspension").json()["credentialId"]
    platform.client.post(
        "/api/v1/achievements", json={"logicalId": "draft-1", "achievement": achievement_json()}
    )
    platform.act_as(two)
    return credential_id, "welding-1"


def test_other_tenants_resources_are_not_found(platform: Platform) -> None:
    credential_id, logical_id = _two_tenants(platform)
    client = platform.client
    before = platform.counts()
    requests: list[tuple[str, str, Any]] = [
        ("GET", f"/api/v1/achievements/{logical_id}", None),
        ("GET", f"/api/v1/achievements/{logical_id}?version=1", None),
        ("PUT", f"/api/v1/achievements/{logical_id}", {"achievement": achievement_json()}),
        ("POST", "/api/v1/achievements/draft-1/publish", None),
        (
            "POST",
            "/api/v1/credentials",
            {"achievement": logical_id, "recipient": {"did": "did:example:x"}},
        ),
        ("GET", f"/api/v1/credentials/{credential_id}", None),
        ("GET", f"/api/v1/credentials/{credential_id}/document", None),
        ("POST", f"/api/v1/credentials/{credential_id}/revoke", {"reason": "x"}),
        ("POST", f"/api/v1/credentials/{credential_id}/suspend", None),
        ("POST", f"/api/v1/credentials/{credential_id}/unsuspend", None),
        (
            "POST",
            "/credentials/status",
            {
                "credentialId": credential_id,
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "suspension"},
                "status": True,
            },
        ),
    ]
    for method, path, body in requests:
        response = client.request(method, path, json=body)
        problem = assert_problem(response, 404, "not_found")
        assert credential_id not in problem["detail"]
    assert platform.counts() == before
    # Lists show only the caller's own.
    assert client.get("/api/v1/credentials").json()["items"] == []
    assert client.get("/api/v1/achievements").json()["items"] == []
    assert client.get("/api/v1/status-lists").json()["items"] == []
    actions = {e["subject"] for e in client.get("/api/v1/audit?limit=200").json()["items"]}
    assert credential_id not in actions
    assert client.get("/api/v1/org").json()["slug"] == "two"


def test_malformed_and_mistyped_requests(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.published_achievement()
    client = platform.client
    before = platform.counts()
    malformed = client.post(
        "/api/v1/credentials",
        content=b'{"achievement": "welding-1", "recipient": ',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(malformed, 400, "malformed_json")
    cases: list[dict[str, Any]] = [
        {"achievement": "welding-1", "recipient": "ada@example.org"},
        {"achievement": "welding-1", "recipient": {"email": 7}},
        {"achievement": "welding-1", "recipient": {"email": "a@b.org", "did": "did:example:a"}},
        {"achievement": "welding-1", "recipient": {}},
        {"achievement": ["welding-1"], "recipient": {"did": "did:example:a"}},
        {"achievement": "welding-1", "achievementVersion": "one", "recipient": {"did": "did:x:a"}},
        {"achievement": "welding-1", "recipient": {"did": "did:x:a"}, "validFrom": "yesterday"},
        {
            "achievement": "welding-1",
            "recipient": {"did": "did:x:a"},
            "validFrom": "2025-01-01T00:00:00",
        },
        {
            "achievement": "welding-1",
            "recipient": {"did": "did:x:a"},
            "suites": ["RsaSignature2018"],
        },
        {"achievement": "welding-1", "recipient": {"did": "did:x:a"}, "statusPurpose": "refresh"},
        {"achievement": "welding-1", "recipient": {"did": "did:x:a"}, "surprise": True},
        {"achievement": "welding-1", "recipient": {"did": "did:x:a"}, "results": "passed"},
    ]
    for body in cases:
        assert_problem(client.post("/api/v1/credentials", json=body), 422, "request_invalid")
    unknown = client.post(
        "/api/v1/credentials", json={"achievement": "nope", "recipient": {"did": "did:x:a"}}
    )
    assert_problem(unknown, 404, "not_found")
    no_version = client.post(
        "/api/v1/credentials",
        json={"achievement": "welding-1", "achievementVersion": 9, "recipient": {"did": "did:x:a"}},
    )
    assert_problem(no_version, 404, "not_found")
    bad_email = client.post(
        "/api/v1/credentials", json={"achievement": "welding-1", "recipient": {"email": "nope"}}
    )
    assert_problem(bad_email, 422, "invalid_input")
    assert_problem(client.get("/api/v1/credentials?limit=1000"), 422, "request_invalid")
    assert_problem(client.get("/api/v1/credentials?limit=0"), 422, "request_invalid")
    assert_problem(client.get("/api/v1/credentials?cursor=%%%"), 400, "bad_request")
    assert_problem(client.get("/api/v1/credentials?status=lost"), 422, "request_invalid")
    assert_problem(client.get("/api/v1/credentials/urn:uuid:nope"), 404, "not_found")
    assert_problem(
        client.post("/api/v1/credentials/urn:uuid:nope/revoke", json={}), 404, "not_found"
    )
    assert_problem(
        client.post("/api/v1/achievements", json={"achievement": {"name": "No criteria"}}),
        422,
        "invalid_input",
    )
    assert_problem(
        client.post(
            "/api/v1/achievements",
            json={"logicalId": "has spaces", "achievement": achievement_json()},
        ),
        422,
        "invalid_input",
    )
    assert_problem(
        client.post(
            "/api/v1/achievements",
            json={"logicalId": "welding-1", "achievement": achievement_json()},
        ),
        409,
        "conflict",
    )
    assert_problem(client.post("/api/v1/achievements/welding-1/publish"), 409, "conflict")
    assert_problem(client.put("/api/v1/org", json={"name": ""}), 422, "request_invalid")
    assert_problem(client.put("/api/v1/org", json={"profile": {"url": 5}}), 422, "invalid_input")
    assert platform.counts() == before


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/api/v1/keys/rotate", "org:admin"),
        ("POST", "/api/v1/credentials", "credentials:issue"),
        ("GET", "/api/v1/credentials", "credentials:read"),
        ("GET", "/api/v1/audit", "audit:read"),
        ("POST", "/api/v1/achievements", "achievements:write"),
        ("POST", "/credentials/issue", "credentials:issue"),
    ],
)
def test_scopes_are_checked(platform: Platform, method: str, path: str, scope: str) -> None:
    org = platform.org("riverside")
    platform.act_as(org, scopes={"achievements:read"})
    before = platform.counts()
    response = platform.client.request(method, path, json={})
    problem = assert_problem(response, 403, "insufficient_scope")
    assert problem["details"]["scope"] == scope
    assert platform.counts() == before


def test_no_principal_is_401(platform: Platform) -> None:
    platform.org("riverside")
    response = platform.client.get("/api/v1/org")
    assert_problem(response, 401, "unauthenticated")
