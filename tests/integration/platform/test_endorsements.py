"""Endorsements through ``/api/v1/endorsements`` and the public achievement endorsement
list: signed by the endorser, stored verbatim, verified end to end (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from openler.store.models import AuditEvent, Endorsement
from tests.integration.platform.conftest import Platform, achievement_json, assert_problem

ACHIEVEMENT_URL = "https://issuer.example/orgs/riverside/achievements/welding-1"


def _counts(platform: Platform) -> dict[str, Any]:
    counts = platform.counts()
    with platform.database.session_scope() as session:
        counts["endorsements"] = sorted(
            e.credential_id for e in session.scalars(sa.select(Endorsement))
        )
    return counts


def _world(platform: Platform) -> None:
    riverside = platform.org("riverside", "Riverside College")
    platform.act_as(riverside)
    platform.published_achievement()
    platform.org("acme", "Acme Welding")
    platform.org("harbor", "Harbor Trades Association")


def _verify(platform: Platform, document: dict[str, Any]) -> Any:
    return platform.client.post("/credentials/verify", json={"verifiableCredential": document})


def test_endorse_an_achievement_and_a_profile(platform: Platform) -> None:
    _world(platform)
    client = platform.client
    platform.act_as(platform.orgs["acme"])
    by_logical = client.post(
        "/api/v1/endorsements",
        json={
            "org": "riverside",
            "logicalId": "welding-1",
            "endorsementComment": "Graduates meet our entry-level standard.",
        },
    )
    assert by_logical.status_code == 201, by_logical.text
    meta = by_logical.json()
    credential = meta["credential"]
    assert meta["targetKind"] == "achievement"
    assert meta["target"] == ACHIEVEMENT_URL
    assert credential["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert credential["issuer"]["id"] == "did:web:issuer.example:orgs:acme"
    assert credential["credentialSubject"]["id"] == ACHIEVEMENT_URL
    assert credential["credentialSubject"]["endorsementComment"].startswith("Graduates")
    verified = _verify(platform, credential)
    assert verified.status_code == 200, verified.text

    by_url = client.post(
        "/api/v1/endorsements",
        json={"achievementId": ACHIEVEMENT_URL, "endorsementComment": "Again, by URL."},
    )
    assert by_url.status_code == 201, by_url.text
    profile = client.post(
        "/api/v1/endorsements",
        json={"profile": "did:web:issuer.example:orgs:riverside", "endorsementComment": "Solid."},
    )
    assert profile.status_code == 201, profile.text
    assert profile.json()["credential"]["credentialSubject"]["id"] == (
        "did:web:issuer.example:orgs:riverside"
    )
    assert _verify(platform, profile.json()["credential"]).status_code == 200

    # Byte for byte: the document route, the one-endorsement response, the public list.
    credential_id = meta["credentialId"]
    document = client.get(f"/api/v1/endorsements/{credential_id}/document")
    assert document.status_code == 200
    assert json.loads(document.content) == credential
    assert b'"credential":' + document.content + b"}" in by_logical.content
    one = client.get(f"/api/v1/endorsements/{credential_id}")
    assert one.content.endswith(b'"credential":' + document.content + b"}")

    given = client.get("/api/v1/endorsements").json()["items"]
    assert len(given) == 3
    public = client.get("/orgs/riverside/achievements/welding-1/endorsements")
    assert public.status_code == 200
    assert public.json()["achievement"] == ACHIEVEMENT_URL
    assert len(public.json()["endorsements"]) == 2
    assert document.content in public.content

    # The endorsed organization sees what it received, and can read each one.
    platform.act_as(platform.orgs["riverside"])
    received = client.get("/api/v1/endorsements", params={"role": "received"}).json()["items"]
    assert sorted(e["credentialId"] for e in received) == sorted(e["credentialId"] for e in given)
    assert client.get("/api/v1/endorsements").json()["items"] == []
    assert client.get(f"/api/v1/endorsements/{credential_id}/document").content == (
        document.content
    )
    with platform.database.session_scope() as session:
        audited = session.scalars(
            sa.select(AuditEvent.subject_id).where(AuditEvent.action == "endorsement.issue")
        ).all()
    assert credential_id in audited
    assert len(audited) == 3


def test_other_tenants_and_bad_input(platform: Platform) -> None:
    _world(platform)
    client = platform.client
    platform.act_as(platform.orgs["acme"])
    given = client.post(
        "/api/v1/endorsements",
        json={"org": "riverside", "logicalId": "welding-1", "endorsementComment": "Good."},
    ).json()
    # Riverside drafts a second achievement: drafts are never public, so not endorsable.
    platform.act_as(platform.orgs["riverside"])
    client.post(
        "/api/v1/achievements",
        json={"logicalId": "draft-1", "achievement": achievement_json(name="Draft")},
    )
    before = _counts(platform)

    # A third organization neither gave nor received it: 404, nothing leaked.
    platform.act_as(platform.orgs["harbor"])
    assert_problem(client.get(f"/api/v1/endorsements/{given['credentialId']}"), 404, "not_found")
    assert_problem(
        client.get(f"/api/v1/endorsements/{given['credentialId']}/document"), 404, "not_found"
    )
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"org": "riverside", "logicalId": "draft-1", "endorsementComment": "x"}, 404, "not_found"),
        ({"org": "nobody", "logicalId": "welding-1", "endorsementComment": "x"}, 404, "not_found"),
        ({"profile": "nobody", "endorsementComment": "x"}, 404, "not_found"),
        (
            {"achievementId": "https://elsewhere.example/a/1", "endorsementComment": "x"},
            404,
            "not_found",
        ),
        ({"org": "riverside", "endorsementComment": "x"}, 422, "invalid_input"),
        (
            {
                "profile": "riverside",
                "org": "riverside",
                "logicalId": "welding-1",
                "endorsementComment": "x",
            },
            422,
            "invalid_input",
        ),
        ({"profile": "harbor", "endorsementComment": "Self praise."}, 422, "invalid_input"),
        ({"profile": "riverside", "endorsementComment": "   "}, 422, "invalid_input"),
        ({"profile": "riverside"}, 422, "request_invalid"),
        ({"profile": "riverside", "endorsementComment": "x", "extra": 1}, 422, "request_invalid"),
    ]
    for body, status, code in cases:
        assert_problem(client.post("/api/v1/endorsements", json=body), status, code)
    assert_problem(
        client.post(
            "/api/v1/endorsements",
            content=b"{oops",
            headers={"content-type": "application/json"},
        ),
        400,
        "malformed_json",
    )
    # Riverside cannot endorse its own achievement.
    platform.act_as(platform.orgs["riverside"])
    assert_problem(
        client.post(
            "/api/v1/endorsements",
            json={"org": "riverside", "logicalId": "welding-1", "endorsementComment": "Me!"},
        ),
        422,
        "invalid_input",
    )
    platform.act_as(platform.orgs["acme"], scopes={"credentials:read"})
    assert_problem(
        client.post(
            "/api/v1/endorsements", json={"profile": "riverside", "endorsementComment": "x"}
        ),
        403,
        "insufficient_scope",
    )
    assert _counts(platform) == before
    # Public: unknown or draft achievements are 404 there too.
    assert_problem(
        client.get("/orgs/riverside/achievements/draft-1/endorsements"), 404, "not_found"
    )
    assert_problem(client.get("/orgs/nobody/achievements/welding-1/endorsements"), 404, "not_found")
