"""The VC-API issuer side: ``POST /credentials/issue`` and ``POST /credentials/status`` (on
SQLite and PostgreSQL), verified through ``POST /credentials/verify``."""

from __future__ import annotations

from typing import Any

from tests.integration.platform.conftest import Platform, assert_problem

OB_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _unsigned(achievement: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": OB_CONTEXTS,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Welding I",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
    }
    doc.update(overrides)
    return doc


def test_issue_verify_and_change_status(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    achievement = platform.published_achievement()["achievement"]
    client = platform.client
    response = client.post("/credentials/issue", json={"credential": _unsigned(achievement)})
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"]["id"] == "did:web:issuer.example:orgs:riverside"
    assert signed["id"].startswith("urn:uuid:")
    assert signed["credentialStatus"]["statusPurpose"] == "revocation"
    stored = client.get(f"/api/v1/credentials/{signed['id']}/document").content
    assert response.content == b'{"verifiableCredential":' + stored + b"}"
    verified = client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert verified.status_code == 200, verified.text

    request = {
        "credentialId": signed["id"],
        "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
        "status": True,
    }
    updated = client.post("/credentials/status", json=request)
    assert updated.status_code == 200, updated.text
    assert updated.json() == {"credentialId": signed["id"], "status": "revoked"}
    failed = client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert "revoked" in [e["code"] for e in failed.json()["errors"]]
    before = platform.counts()
    assert_problem(client.post("/credentials/status", json=request), 409, "status_conflict")
    assert platform.counts() == before


def test_issue_with_suspension_and_the_older_status_shape(platform: Platform) -> None:
    platform.act_as(platform.org("board"))
    achievement = platform.published_achievement()["achievement"]
    client = platform.client
    response = client.post(
        "/credentials/issue",
        json={
            "credential": _unsigned(
                achievement, issuer="did:web:issuer.example:orgs:board", id="urn:uuid:lic-1"
            ),
            "options": {
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "suspension",
                }
            },
        },
    )
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["id"] == "urn:uuid:lic-1"
    assert signed["credentialStatus"]["statusPurpose"] == "suspension"
    legacy = {
        "credentialId": "lic-1",
        "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "suspended"}],
    }
    assert client.post("/credentials/status", json=legacy).json()["status"] == "suspended"
    legacy["credentialStatus"] = [{"type": "BitstringStatusListCredential", "status": "active"}]
    assert client.post("/credentials/status", json=legacy).json()["status"] == "active"
    # The same id twice is a conflict.
    again = client.post(
        "/credentials/issue",
        json={"credential": _unsigned(achievement, id="urn:uuid:lic-1")},
    )
    assert_problem(again, 409, "conflict")


def test_refusals_change_nothing(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    achievement = platform.published_achievement()["achievement"]
    client = platform.client
    before = platform.counts()
    other_issuer = _unsigned(
        achievement, issuer={"id": "did:example:someone-else", "type": ["Profile"]}
    )
    assert_problem(
        client.post("/credentials/issue", json={"credential": other_issuer}), 400, "issuer_mismatch"
    )
    unknown = _unsigned(achievement | {"id": "https://elsewhere.example/a/1"})
    assert_problem(
        client.post("/credentials/issue", json={"credential": unknown}), 404, "not_found"
    )
    untyped = _unsigned(achievement)
    del untyped["credentialSubject"]["type"]
    assert_problem(
        client.post("/credentials/issue", json={"credential": untyped}), 422, "schema_invalid"
    )
    undated = _unsigned(achievement, validFrom="yesterday")
    assert_problem(
        client.post("/credentials/issue", json={"credential": undated}), 422, "invalid_input"
    )
    with_status = _unsigned(achievement, credentialStatus={"type": "BitstringStatusListEntry"})
    assert_problem(
        client.post("/credentials/issue", json={"credential": with_status}), 422, "invalid_input"
    )
    assert_problem(
        client.post("/credentials/issue", json={"credential": "x"}), 422, "request_invalid"
    )
    assert_problem(
        client.post(
            "/credentials/status",
            json={
                "credentialId": "urn:uuid:nope",
                "credentialStatus": {"statusPurpose": "revocation"},
                "status": True,
            },
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.post(
            "/credentials/status",
            json={
                "credentialId": "urn:uuid:nope",
                "credentialStatus": {"statusPurpose": "fun"},
                "status": True,
            },
        ),
        422,
        "invalid_input",
    )
    assert platform.counts() == before
