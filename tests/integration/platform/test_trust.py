"""The issuer trust registry through ``/api/v1/trust-registry``, and its verdict in the
VC-API verification reports (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from openler.store.models import AuditEvent, TrustedIssuer
from tests.integration.platform.conftest import Platform, assert_problem

RIVERSIDE_DID = "did:web:issuer.example:orgs:riverside"


def _counts(platform: Platform) -> dict[str, Any]:
    counts = platform.counts()
    with platform.database.session_scope() as session:
        counts["trust"] = sorted(
            (t.issuer_id, t.name, t.accreditation, t.notes, t.active)
            for t in session.scalars(sa.select(TrustedIssuer))
        )
    return counts


def _trust_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body["report"]["checks"] if c["check"] == "trust"]


def test_curate_the_registry_and_see_it_in_verification(platform: Platform) -> None:
    riverside = platform.org("riverside")
    platform.act_as(riverside)
    platform.published_achievement()
    document = platform.issue().json()["credential"]
    client = platform.client

    # The platform's own organization is not trusted until it is listed.
    before = client.post("/credentials/verify", json={"verifiableCredential": document})
    assert before.status_code == 200, before.text
    body = before.json()
    assert [e["code"] for e in body["warnings"]] == ["issuer_not_in_registry"]
    assert "trust" not in body["checks"]
    assert _trust_entries(body)[0]["status"] == "warning"

    added = client.post(
        "/api/v1/trust-registry",
        json={
            "issuerId": RIVERSIDE_DID,
            "name": "Riverside College",
            "accreditation": "Regional accreditor, 2021-2031",
            "notes": "State board listing",
        },
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["active"] is True
    assert entry["issuerId"] == RIVERSIDE_DID
    listed = client.get("/api/v1/trust-registry").json()["items"]
    assert [e["id"] for e in listed] == [entry["id"]]

    after = client.post("/credentials/verify", json={"verifiableCredential": document}).json()
    assert after["warnings"] == []
    assert "trust" in after["checks"]
    (trust,) = _trust_entries(after)
    assert trust["code"] == "trusted_issuer"
    assert trust["details"]["accreditation"] == "Regional accreditor, 2021-2031"
    assert trust["details"]["name"] == "Riverside College"

    # Presentations: each credential's report carries the verdict.
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [document],
    }
    presented = client.post("/presentations/verify", json={"verifiablePresentation": presentation})
    inner = presented.json()["report"].get("credentials", [])
    assert inner, presented.text
    assert [c["code"] for c in inner[0]["checks"] if c["check"] == "trust"] == ["trusted_issuer"]

    # Update (a PUT replaces every member), then deactivate: trust is withdrawn.
    put = client.put(
        f"/api/v1/trust-registry/{entry['id']}",
        json={"issuerId": RIVERSIDE_DID, "name": "Riverside Community College"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["accreditation"] is None
    deleted = client.delete(f"/api/v1/trust-registry/{entry['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["active"] is False
    withdrawn = client.post("/credentials/verify", json={"verifiableCredential": document}).json()
    (trust,) = _trust_entries(withdrawn)
    assert (trust["code"], trust["details"]["inactiveEntry"]) == ("issuer_not_in_registry", True)
    assert client.get("/api/v1/trust-registry", params={"active": "true"}).json()["items"] == []

    with platform.database.session_scope() as session:
        changes = list(
            session.scalars(
                sa.select(AuditEvent.details).where(AuditEvent.action == "trust_registry.change")
            )
        )
    assert sorted(c["change"] for c in changes) == ["add", "deactivate", "update"]


def test_a_tampered_credential_gets_no_trust_verdict(platform: Platform) -> None:
    riverside = platform.org("riverside")
    platform.act_as(riverside)
    platform.published_achievement()
    document = platform.issue().json()["credential"]
    platform.client.post(
        "/api/v1/trust-registry", json={"issuerId": RIVERSIDE_DID, "name": "Riverside"}
    )
    document["credentialSubject"]["achievement"]["name"] = "Master Welder"
    response = platform.client.post("/credentials/verify", json={"verifiableCredential": document})
    assert response.status_code == 400
    assert _trust_entries(response.json()) == []


def test_scope_and_bad_input_change_nothing(platform: Platform) -> None:
    riverside = platform.org("riverside")
    platform.act_as(riverside)
    created = platform.client.post(
        "/api/v1/trust-registry", json={"issuerId": "did:web:a.example", "name": "A"}
    ).json()
    before = _counts(platform)
    client = platform.client

    assert_problem(
        client.post("/api/v1/trust-registry", json={"issuerId": "did:web:a.example", "name": "A"}),
        409,
        "conflict",
    )
    assert_problem(
        client.post("/api/v1/trust-registry", json={"issuerId": "not a uri", "name": "B"}),
        422,
        "invalid_input",
    )
    assert_problem(
        client.post("/api/v1/trust-registry", json={"issuerId": "did:web:b", "name": ""}),
        422,
        "request_invalid",
    )
    assert_problem(
        client.post("/api/v1/trust-registry", json={"name": "B", "bogus": 1}),
        422,
        "request_invalid",
    )
    assert_problem(
        client.post(
            "/api/v1/trust-registry",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        400,
        "malformed_json",
    )
    unknown = "/api/v1/trust-registry/00000000-0000-4000-8000-000000000000"
    assert_problem(
        client.put(unknown, json={"issuerId": "did:web:c", "name": "C"}), 404, "not_found"
    )
    assert_problem(client.delete("/api/v1/trust-registry/not-a-uuid"), 404, "not_found")

    platform.act_as(riverside, scopes={"credentials:issue", "credentials:read"})
    assert_problem(client.get("/api/v1/trust-registry"), 403, "insufficient_scope")
    assert_problem(
        client.post("/api/v1/trust-registry", json={"issuerId": "did:web:d", "name": "D"}),
        403,
        "insufficient_scope",
    )
    assert_problem(
        client.delete(f"/api/v1/trust-registry/{created['id']}"), 403, "insufficient_scope"
    )
    assert _counts(platform) == before


def test_the_registry_is_deployment_wide(platform: Platform) -> None:
    """Any organization with trust:manage curates the one registry (an operator scope)."""
    riverside, harbor = platform.org("riverside"), platform.org("harbor")
    platform.act_as(riverside)
    entry = platform.client.post(
        "/api/v1/trust-registry", json={"issuerId": RIVERSIDE_DID, "name": "Riverside"}
    ).json()
    platform.act_as(harbor)
    assert [e["id"] for e in platform.client.get("/api/v1/trust-registry").json()["items"]] == [
        entry["id"]
    ]
    assert (
        json.loads(platform.client.delete(f"/api/v1/trust-registry/{entry['id']}").content)[
            "active"
        ]
        is False
    )


def test_only_operator_organizations_curate_the_registry(platform: Platform) -> None:
    operator = platform.org("state-board")
    other = platform.org("riverside")
    platform.app.state.settings = platform.app.state.settings.model_copy(
        update={"operator_orgs": ("state-board",)}
    )
    entry = {"issuerId": RIVERSIDE_DID, "name": "Riverside"}

    platform.act_as(other)
    before = _counts(platform)
    refused = platform.client.post("/api/v1/trust-registry", json=entry)
    assert_problem(refused, 403, "trust_curation_not_allowed")
    assert _counts(platform) == before

    platform.act_as(operator)
    added = platform.client.post("/api/v1/trust-registry", json=entry)
    assert added.status_code == 201, added.text

    platform.act_as(other)
    entry_id = added.json()["id"]
    gone = platform.client.delete(f"/api/v1/trust-registry/{entry_id}")
    assert_problem(gone, 403, "trust_curation_not_allowed")
    changed = platform.client.put(f"/api/v1/trust-registry/{entry_id}", json=entry)
    assert_problem(changed, 403, "trust_curation_not_allowed")


def test_production_without_operators_lets_nobody_curate(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    platform.app.state.settings = platform.app.state.settings.model_copy(
        update={"env": "production"}
    )
    refused = platform.client.post(
        "/api/v1/trust-registry", json={"issuerId": RIVERSIDE_DID, "name": "Riverside"}
    )
    assert_problem(refused, 403, "trust_curation_not_allowed")
