"""CLR 2.0 transcripts through ``POST /api/v1/clr``: the embedded credentials are the
stored ones, the CLR and each embedded credential verify (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from openler.store.models import AuditEvent, ClrCredential
from tests.integration.platform.conftest import Platform, assert_problem


def _counts(platform: Platform) -> dict[str, Any]:
    counts = platform.counts()
    with platform.database.session_scope() as session:
        counts["clr"] = sorted(c.credential_id for c in session.scalars(sa.select(ClrCredential)))
    return counts


def _verify(platform: Platform, document: dict[str, Any]) -> Any:
    return platform.client.post("/credentials/verify", json={"verifiableCredential": document})


def _issue_two(platform: Platform, recipient: dict[str, str]) -> list[Any]:
    return [
        platform.issue(achievement="welding-1", recipient=recipient),
        platform.issue(achievement="safety-1", recipient=recipient),
    ]


def test_a_transcript_bundles_the_stored_credentials(platform: Platform) -> None:
    riverside = platform.org("riverside")
    platform.act_as(riverside)
    platform.published_achievement()
    platform.published_achievement("safety-1", name="Shop Safety")
    for recipient in ({"email": "Ada@Example.org"}, {"did": "did:example:grace"}):
        issued = _issue_two(platform, recipient)
        ids = [r.json()["credentialId"] for r in issued]
        response = platform.client.post(
            "/api/v1/clr", json={"recipient": recipient, "credentialIds": ids}
        )
        assert response.status_code == 201, response.text
        meta = response.json()
        clr = meta["credential"]
        assert meta["includedCredentialIds"] == ids
        assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
        assert clr["issuer"]["id"] == "did:web:issuer.example:orgs:riverside"
        subject = clr["credentialSubject"]
        if "did" in recipient:
            assert subject["id"] == "did:example:grace"
        else:
            assert subject["identifier"][0]["hashed"] is True
            assert "ada@example.org" not in response.text.lower()
        embedded = subject["verifiableCredential"]
        for stored, inner in zip(issued, embedded, strict=True):
            document = platform.client.get(
                f"/api/v1/credentials/{stored.json()['credentialId']}/document"
            )
            assert inner == json.loads(document.content)
            assert _verify(platform, inner).status_code == 200
        verified = _verify(platform, clr)
        assert verified.status_code == 200, verified.text
        with platform.database.session_scope() as session:
            row = session.scalar(
                sa.select(ClrCredential).where(ClrCredential.credential_id == clr["id"])
            )
            assert row is not None
            assert b'"credential":' + row.credential_bytes + b"}" in response.content
            assert (
                session.scalar(
                    sa.select(AuditEvent.action).where(AuditEvent.subject_id == clr["id"])
                )
                == "clr.issue"
            )


def test_wrong_credentials_other_tenants_and_scopes(platform: Platform) -> None:
    riverside, harbor = platform.org("riverside"), platform.org("harbor")
    platform.act_as(harbor)
    platform.published_achievement()
    theirs = platform.issue(recipient={"email": "ada@example.org"}).json()["credentialId"]
    platform.act_as(riverside)
    platform.published_achievement()
    mine = platform.issue(recipient={"email": "ada@example.org"}).json()["credentialId"]
    other = platform.issue(recipient={"email": "alan@example.org"}).json()["credentialId"]
    as_id = platform.issue(recipient={"identifier": "ada@example.org"}).json()["credentialId"]
    revoked = platform.issue(recipient={"email": "ada@example.org"}).json()["credentialId"]
    assert platform.client.post(f"/api/v1/credentials/{revoked}/revoke").status_code == 200
    before = _counts(platform)
    ada = {"email": "ada@example.org"}

    def post(body: Any) -> Any:
        return platform.client.post("/api/v1/clr", json=body)

    assert_problem(post({"recipient": ada, "credentialIds": [mine, theirs]}), 404, "not_found")
    assert_problem(
        post(
            {"recipient": ada, "credentialIds": ["urn:uuid:00000000-0000-4000-8000-0000000000aa"]}
        ),
        404,
        "not_found",
    )
    assert_problem(post({"recipient": ada, "credentialIds": [mine, other]}), 422, "invalid_input")
    assert_problem(post({"recipient": ada, "credentialIds": [as_id]}), 422, "invalid_input")
    assert_problem(post({"recipient": ada, "credentialIds": [revoked]}), 422, "invalid_input")
    assert_problem(post({"recipient": ada, "credentialIds": [mine, mine]}), 422, "invalid_input")
    assert_problem(post({"recipient": ada, "credentialIds": []}), 422, "request_invalid")
    assert_problem(
        post({"recipient": {"email": "a@b.c", "did": "did:x:y"}, "credentialIds": [mine]}),
        422,
        "request_invalid",
    )
    assert_problem(post({"recipient": ada, "credentialIds": "nope"}), 422, "request_invalid")
    assert_problem(
        platform.client.post(
            "/api/v1/clr", content=b"[", headers={"content-type": "application/json"}
        ),
        400,
        "malformed_json",
    )
    platform.act_as(riverside, scopes={"credentials:read"})
    assert_problem(post({"recipient": ada, "credentialIds": [mine]}), 403, "insufficient_scope")
    assert _counts(platform) == before
