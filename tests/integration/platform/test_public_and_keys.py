"""The public routes (DID documents, Profiles, status lists) and key rotation (on SQLite and
PostgreSQL)."""

from __future__ import annotations

import json

from tests.integration.platform.conftest import Platform, assert_problem


def test_did_document_and_rotation(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org)
    client = platform.client
    did = client.get("/orgs/riverside/did.json")
    assert did.status_code == 200
    assert did.headers["content-type"].startswith("application/did+json")
    assert did.headers["cache-control"] == "public, max-age=300"
    assert did.json()["id"] == "did:web:issuer.example:orgs:riverside"
    keys = client.get("/api/v1/keys").json()["items"]
    assert [(k["keyId"], k["status"]) for k in keys] == [("key-1", "active")]

    platform.published_achievement()
    old = platform.issue(recipient={"did": "did:example:old"})
    rotated = client.post("/api/v1/keys/rotate")
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["keyId"] == "key-2"
    keys = client.get("/api/v1/keys").json()["items"]
    assert [(k["keyId"], k["status"]) for k in keys] == [("key-1", "retired"), ("key-2", "active")]
    document = client.get("/orgs/riverside/did.json").json()
    methods = [m["id"] for m in document["verificationMethod"]]
    assert methods == [
        "did:web:issuer.example:orgs:riverside#key-2",
        "did:web:issuer.example:orgs:riverside#key-1",
    ] or sorted(methods) == sorted(
        [
            "did:web:issuer.example:orgs:riverside#key-1",
            "did:web:issuer.example:orgs:riverside#key-2",
        ]
    )
    assert all(m["publicKeyMultibase"] for m in document["verificationMethod"])
    assert {k["publicKeyMultibase"] for k in keys} == {
        m["publicKeyMultibase"] for m in document["verificationMethod"]
    }

    new = platform.issue(recipient={"did": "did:example:new"})
    assert old.json()["signingKey"] == "key-1"
    assert new.json()["signingKey"] == "key-2"
    for response in (old, new):
        credential_id = response.json()["credentialId"]
        stored = client.get(f"/api/v1/credentials/{credential_id}/document").content
        verified = client.post(
            "/credentials/verify", json={"verifiableCredential": json.loads(stored)}
        )
        assert verified.status_code == 200, verified.text
    events = client.get("/api/v1/audit", params={"action": "key.rotate"}).json()["items"]
    assert [e["subject"] for e in events] == ["did:web:issuer.example:orgs:riverside#key-2"]


def test_status_list_etag_and_cache_headers(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.published_achievement()
    client = platform.client
    issued = platform.issue(recipient={"did": "did:example:a"})
    url = issued.json()["credentialStatus"]["statusListCredential"]
    assert url == "https://issuer.example/orgs/riverside/status/revocation/1"
    path = url.removeprefix("https://issuer.example")
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/vc+ld+json")
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    listed = json.loads(first.content)
    assert listed["id"] == url
    assert "BitstringStatusListCredential" in listed["type"]
    # The same bytes while nothing changes (signed once per version).
    assert client.get(path).content == first.content
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"v999"'}).status_code == 200

    credential_id = issued.json()["credentialId"]
    assert client.post(f"/api/v1/credentials/{credential_id}/revoke").status_code == 200
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.content != first.content
    versions = [s["version"] for s in client.get("/api/v1/status-lists").json()["items"]]
    assert changed.headers["etag"] == f'"v{versions[0]}"'

    assert_problem(client.get("/orgs/nobody/status/revocation/1"), 404, "not_found")
    assert_problem(client.get("/orgs/riverside/status/refresh/1"), 404, "not_found")
    assert_problem(client.get("/orgs/riverside/status/revocation/2"), 404, "not_found")
    assert_problem(client.get("/orgs/riverside/status/revocation/x"), 422, "request_invalid")


def test_unknown_organization_and_profile(platform: Platform) -> None:
    org = platform.org("riverside", name="Riverside College")
    platform.act_as(org)
    client = platform.client
    assert_problem(client.get("/orgs/nobody/did.json"), 404, "not_found")
    assert_problem(client.get("/orgs/nobody"), 404, "not_found")
    profile = client.get("/orgs/riverside")
    assert profile.status_code == 200
    assert profile.json() == {
        "id": "did:web:issuer.example:orgs:riverside",
        "type": ["Profile"],
        "name": "Riverside College",
    }
    updated = client.put(
        "/api/v1/org",
        json={
            "name": "Riverside Community College",
            "profile": {"url": "https://riverside.example.edu", "email": "registrar@example.edu"},
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["profile"]["url"] == "https://riverside.example.edu"
    public = client.get("/orgs/riverside").json()
    assert public["name"] == "Riverside Community College"
    assert public["email"] == "registrar@example.edu"
    assert client.get("/api/v1/org").json()["name"] == "Riverside Community College"
    events = client.get("/api/v1/audit", params={"action": "organization.update"}).json()
    assert len(events["items"]) == 1

    platform.published_achievement()
    published = client.get("/orgs/riverside/achievements/welding-1")
    assert published.status_code == 200
    assert published.json()["name"] == "Welding I"
    client.post(
        "/api/v1/achievements",
        json={"logicalId": "draft", "achievement": published.json() | {"id": "urn:x:1"}},
    )
    assert_problem(client.get("/orgs/riverside/achievements/draft"), 404, "not_found")
