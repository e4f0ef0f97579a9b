"""Issuing, reading, listing and revoking credentials through ``/api/v1``, verified end to
end through the application's own public routes (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.platform.conftest import Platform, assert_problem

RECIPIENTS: list[dict[str, str]] = [
    {"email": "ada@example.org"},
    {"did": "did:example:grace"},
    {"identifier": "S-1024"},
    {"email": "alan@example.org"},
    {"did": "did:example:edsger"},
]


def _verify(platform: Platform, document: bytes) -> Any:
    return platform.client.post(
        "/credentials/verify", json={"verifiableCredential": json.loads(document)}
    )


def test_create_publish_issue_read_list_revoke(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org)
    client = platform.client
    client.post(
        "/api/v1/achievements",
        json={"logicalId": "welding-1", "achievement": {**_achievement()}},
    )
    # A draft cannot be issued; the refusal changes nothing.
    before = platform.counts()
    draft = client.post(
        "/api/v1/credentials", json={"achievement": "welding-1", "recipient": RECIPIENTS[0]}
    )
    assert_problem(draft, 422, "invalid_input")
    assert platform.counts() == before
    assert client.post("/api/v1/achievements/welding-1/publish").status_code == 200

    issued = [platform.issue(recipient=r) for r in RECIPIENTS]
    first = issued[0]
    meta = first.json()
    credential_id = meta["credentialId"]
    assert meta["status"] == "active"
    assert meta["achievement"] == {
        "logicalId": "welding-1",
        "version": 1,
        "id": "https://issuer.example/orgs/riverside/achievements/welding-1",
    }
    assert first.headers["location"] == f"/api/v1/credentials/{credential_id}"
    credential = meta["credential"]
    assert credential["issuer"]["id"] == "did:web:issuer.example:orgs:riverside"
    assert "ada@example.org" not in first.text  # only a salted hash

    # The stored bytes, verbatim: the document route, and inside the JSON responses.
    document = client.get(f"/api/v1/credentials/{credential_id}/document")
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/vc+ld+json")
    assert json.loads(document.content) == credential
    assert b'"credential":' + document.content + b"}" in first.content
    got = client.get(f"/api/v1/credentials/{credential_id}")
    assert got.status_code == 200
    assert got.content.endswith(b'"credential":' + document.content + b"}")
    bare = credential_id.removeprefix("urn:uuid:")
    assert client.get(f"/api/v1/credentials/{bare}/document").content == document.content

    assert _verify(platform, document.content).status_code == 200

    # Listing: newest first, in pages of two, each credential exactly once.
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/credentials", params=params).json()
        assert len(page["items"]) <= 2
        seen += [item["credentialId"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(r.json()["credentialId"] for r in issued)
    assert len(set(seen)) == len(seen)
    everything = client.get("/api/v1/credentials", params={"limit": 200}).json()
    assert [i["credentialId"] for i in everything["items"]] == seen
    by_recipient = client.get("/api/v1/credentials", params={"recipient": "Ada@Example.org"}).json()
    assert [i["credentialId"] for i in by_recipient["items"]] == [credential_id]
    by_achievement = client.get("/api/v1/credentials", params={"achievement": "welding-1"})
    assert len(by_achievement.json()["items"]) == 5
    assert client.get("/api/v1/credentials", params={"achievement": "nope"}).json() == {
        "items": [],
        "nextCursor": None,
    }

    # Revoking: the published list changes at once, and verification reports it.
    list_url = meta["credentialStatus"]["statusListCredential"]
    path = list_url.removeprefix("https://issuer.example")
    etag_before = client.get(path).headers["etag"]
    revoked = client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "issued in error"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["statusReason"] == "issued in error"
    assert client.get(path).headers["etag"] != etag_before
    result = _verify(platform, document.content)
    assert result.status_code == 400
    assert "revoked" in [e["code"] for e in result.json()["errors"]]
    assert _verify(platform, _doc(issued[1])).status_code == 200
    assert (
        client.get("/api/v1/credentials", params={"status": "revoked"}).json()["items"][0][
            "credentialId"
        ]
        == credential_id
    )

    # Revoking twice is a conflict that changes nothing.
    before = platform.counts()
    again = client.post(f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "x"})
    assert_problem(again, 409, "status_conflict")
    assert platform.counts() == before

    audit = client.get("/api/v1/audit", params={"limit": 3}).json()
    assert audit["items"][0]["action"] == "credential.revoke"
    assert audit["items"][0]["subject"] == credential_id
    assert audit["nextCursor"] is not None
    older = client.get("/api/v1/audit", params={"cursor": audit["nextCursor"], "limit": 200})
    actions = [e["action"] for e in audit["items"] + older.json()["items"]]
    assert actions.count("credential.issue") == 5
    assert {"achievement.create", "achievement.publish", "key.create"} <= set(actions)

    lists = client.get("/api/v1/status-lists").json()["items"]
    assert [(s["statusPurpose"], s["allocated"]) for s in lists] == [("revocation", 5)]
    assert lists[0]["url"] == list_url


def test_suspension_and_second_proof(platform: Platform) -> None:
    platform.act_as(platform.org("licensing"))
    platform.published_achievement()
    response = platform.issue(
        recipient={"did": "did:example:nurse"},
        statusPurpose="suspension",
        suites=["eddsa-rdfc-2022", "Ed25519Signature2020"],
        validFrom="2025-01-01T00:00:00Z",
        validUntil="2099-01-01T00:00:00Z",
        results=[],
    )
    credential = response.json()["credential"]
    proofs = credential["proof"]
    assert [p.get("cryptosuite", p["type"]) for p in proofs] == [
        "eddsa-rdfc-2022",
        "Ed25519Signature2020",
    ]
    assert credential["validUntil"].startswith("2099-01-01")
    credential_id = response.json()["credentialId"]
    client = platform.client
    assert client.post(f"/api/v1/credentials/{credential_id}/suspend").json()["status"] == (
        "suspended"
    )
    document = _doc(response)
    assert "suspended" in [e["code"] for e in _verify(platform, document).json()["errors"]]
    assert client.post(f"/api/v1/credentials/{credential_id}/unsuspend").status_code == 200
    assert_problem(
        client.post(f"/api/v1/credentials/{credential_id}/unsuspend"), 409, "status_conflict"
    )


def test_idempotency_key(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.published_achievement()
    client = platform.client
    body = {"achievement": "welding-1", "recipient": {"did": "did:example:c"}}
    headers = {"Idempotency-Key": "row-17"}
    first = client.post("/api/v1/credentials", json=body, headers=headers)
    assert first.status_code == 201
    second = client.post("/api/v1/credentials", json=body, headers=headers)
    assert second.status_code == 200
    assert second.content == first.content
    before = platform.counts()
    other = {"achievement": "welding-1", "recipient": {"did": "did:example:d"}}
    conflict = client.post("/api/v1/credentials", json=other, headers=headers)
    assert_problem(conflict, 409, "idempotency_conflict")
    assert platform.counts() == before
    # A new version published in between: the repeat still answers the first credential.
    client.put("/api/v1/achievements/welding-1", json={"achievement": _achievement()})
    client.post("/api/v1/achievements/welding-1/publish")
    third = client.post("/api/v1/credentials", json=body, headers=headers)
    assert third.status_code == 200
    assert third.json()["credentialId"] == first.json()["credentialId"]
    fresh = client.post("/api/v1/credentials", json=body, headers={"Idempotency-Key": "row-18"})
    assert fresh.status_code == 201
    assert fresh.json()["achievement"]["version"] == 2


def _achievement() -> dict[str, Any]:
    from tests.integration.platform.conftest import achievement_json

    return achievement_json()


def _doc(response: Any) -> bytes:
    meta = response.json()
    return bytes(json.dumps(meta["credential"], ensure_ascii=False, separators=(",", ":")), "utf-8")


def _claim_emails(platform: Platform) -> list[Any]:
    import sqlalchemy as sa

    from openler.store.models.learner import OutgoingEmail

    with platform.database.session_scope() as session:
        rows = session.scalars(
            sa.select(OutgoingEmail).where(OutgoingEmail.idempotency_key.like("claim:%"))
        )
        return [(row.to_address, row.subject, row.body_text) for row in rows]


def test_an_email_recipient_gets_a_claim_link_once(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.published_achievement()
    headers = {"Idempotency-Key": "claim-row-1"}
    body = {"achievement": "welding-1", "recipient": {"email": "Ada@Example.org"}}
    first = platform.client.post("/api/v1/credentials", json=body, headers=headers)
    assert first.status_code == 201, first.text
    replay = platform.client.post("/api/v1/credentials", json=body, headers=headers)
    assert replay.status_code == 200
    emails = _claim_emails(platform)
    assert len(emails) == 1  # a replayed request sends nothing more
    to, _subject, text = emails[0]
    assert to == "ada@example.org"
    assert "https://issuer.example/wallet/claim/" in text

    platform.issue(recipient={"email": "quiet@example.org"}, claimLink=False)
    platform.issue(recipient={"did": "did:example:grace"})
    assert len(_claim_emails(platform)) == 1  # no link asked for; a DID needs none


def test_activity_dates_are_in_the_credential(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.published_achievement()
    issued = platform.issue(
        recipient={"did": "did:example:grace"},
        activityStartDate="2026-01-12T00:00:00Z",
        activityEndDate="2026-06-30T00:00:00Z",
    ).json()
    subject = issued["credential"]["credentialSubject"]
    assert subject["id"] == "did:example:grace"
    assert subject["activityStartDate"] == "2026-01-12T00:00:00Z"
    assert subject["activityEndDate"] == "2026-06-30T00:00:00Z"
    verified = _verify(platform, json.dumps(issued["credential"]).encode())
    assert verified.json()["verified"] is True, verified.text

    before = platform.counts()
    backwards = platform.client.post(
        "/api/v1/credentials",
        json={
            "achievement": "welding-1",
            "recipient": {"did": "did:example:grace"},
            "activityStartDate": "2026-06-30T00:00:00Z",
            "activityEndDate": "2026-01-12T00:00:00Z",
        },
    )
    assert_problem(backwards, 422, "invalid_input")
    assert platform.counts() == before
