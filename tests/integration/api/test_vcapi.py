"""The VC-API verifier endpoints: valid -> 200 with the checks that passed; invalid ->
400 with the report (problem+json, ``verification_failed``); never 200 with
``verified: false``."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openler.core import create_presentation, issue, issue_jwt, sign_presentation
from tests.integration.api._client import TestClient
from tests.integration.api.conftest import (
    HOLDER_KEY,
    ISSUER_KEY,
    REVOKED_INDEX,
    Issue,
    MakeApp,
    credential_document,
    yesterday,
)


def _error_codes(body: dict[str, Any]) -> list[str]:
    return [e["code"] for e in body["errors"]]


def test_valid_credential_is_200_with_the_checks_that_passed(
    client: TestClient, issued: Issue
) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": issued()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["verified"] is True
    assert body["checks"] == ["structure", "context", "schema", "proof", "issuer", "validity"]
    assert body["errors"] == []
    assert body["warnings"] == []
    assert body["report"]["verified"] is True
    assert [c["code"] for c in body["report"]["checks"]][-1] == "no_status"


def test_status_comes_from_the_injected_fetcher(client: TestClient, issued: Issue) -> None:
    good = client.post("/credentials/verify", json={"verifiableCredential": issued(status_index=3)})
    assert good.status_code == 200, good.text
    assert "status" in good.json()["checks"]
    revoked = client.post(
        "/credentials/verify",
        json={"verifiableCredential": issued(status_index=REVOKED_INDEX)},
    )
    assert revoked.status_code == 400
    errors = revoked.json()["errors"]
    assert [e["check"] for e in errors] == ["status"]


def test_tampered_credential_is_400_with_errors(client: TestClient, issued: Issue) -> None:
    credential = issued()
    credential["credentialSubject"]["achievement"]["name"] = "Master Welder"
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["verified"] is False
    assert body["code"] == "verification_failed"
    assert body["status"] == 400
    assert body["type"] == "urn:openler:problem:verification_failed"
    assert [e["check"] for e in body["errors"]] == ["proof"]
    assert "proof" not in body["checks"]
    assert body["report"]["verified"] is False
    assert body["detail"].startswith("The credential did not verify: ")


def test_unknown_context_is_400(client: TestClient, issued: Issue) -> None:
    credential = issued()
    credential["@context"] = [*credential["@context"], "https://unknown.example/context.json"]
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 400
    assert "context_not_allowed" in _error_codes(response.json())


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.pop("@context"),
        lambda c: c.pop("proof"),
        lambda c: (
            c["proof"][0].pop("type") if isinstance(c["proof"], list) else c["proof"].pop("type")
        ),
        lambda c: c.pop("credentialSubject"),
        lambda c: c.pop("issuer"),
    ],
    ids=["no-context", "no-proof", "no-proof-type", "no-subject", "no-issuer"],
)
def test_structurally_broken_credentials_are_400(
    client: TestClient, issued: Issue, change: Any
) -> None:
    credential = issued()
    change(credential)
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 400, response.text
    assert response.json()["errors"]


def test_vc_jwt_string_is_200(client: TestClient) -> None:
    token = issue_jwt(credential_document(), ISSUER_KEY.signer(), issued_at=yesterday())
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    assert "proof" in response.json()["checks"]
    enveloped = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": "data:application/vc+jwt," + token,
        "type": "EnvelopedVerifiableCredential",
    }
    response = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert response.status_code == 200, response.text
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert response.status_code == 400


def test_options_checks_narrow_the_optional_checks(make_app: MakeApp) -> None:
    document = credential_document()
    document["validUntil"] = f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%dT%H:%M:%SZ}"
    expiring = issue(document, ISSUER_KEY.signer(), created=yesterday())
    next_year = datetime.now(UTC) + timedelta(days=365)

    def verify(client: TestClient, options: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"verifiableCredential": expiring}
        if options is not None:
            body["options"] = options
        return client.post("/credentials/verify", json=body)

    with TestClient(make_app()) as client:
        assert verify(client).status_code == 200
    with TestClient(make_app(clock=lambda: next_year)) as client:
        expired = verify(client)
        assert expired.status_code == 400
        assert _error_codes(expired.json()) == ["expired"]
        only_proof = verify(client, {"checks": ["proof"]})
        assert only_proof.status_code == 200, only_proof.text
        checks = only_proof.json()["checks"]
        assert checks == ["structure", "context", "proof", "issuer"]  # always run
        assert verify(client, {"checks": ["proof", "expiration"]}).status_code == 400
        assert verify(client, {"checks": ["validity"]}).status_code == 400


def test_presentation_with_challenge_and_domain(client: TestClient, issued: Issue) -> None:
    vp = create_presentation([issued()], holder=HOLDER_KEY.controller)
    signed = sign_presentation(
        vp, HOLDER_KEY.signer(), challenge="c-123", domain="hire.example", created=yesterday()
    )
    ok = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": signed,
            "options": {"challenge": "c-123", "domain": "hire.example"},
        },
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert "proof" in body["checks"]
    assert "presentation" in body["checks"]
    assert body["credentialResults"][0]["verified"] is True
    assert body["report"]["kind"] == "presentation"

    replay = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": signed,
            "options": {"challenge": "other", "domain": "hire.example"},
        },
    )
    assert replay.status_code == 400
    assert "challenge_mismatch" in _error_codes(replay.json())

    wrong_domain = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": signed,
            "options": {"challenge": "c-123", "domain": "evil.example"},
        },
    )
    assert wrong_domain.status_code == 400


def test_presentation_with_a_tampered_credential_is_400(client: TestClient, issued: Issue) -> None:
    vp = create_presentation([issued()], holder=HOLDER_KEY.controller)
    signed = sign_presentation(vp, HOLDER_KEY.signer(), challenge="c-1", created=yesterday())
    inner = copy.deepcopy(signed)
    inner["verifiableCredential"][0]["name"] = "Forged"
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": inner, "options": {"challenge": "c-1"}},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["credentialResults"][0]["verified"] is False
    assert any(e.get("credentialIndex") == 0 for e in body["errors"])


def test_credential_status_update_needs_authentication(client: TestClient) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": "urn:uuid:1",
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            "status": True,
        },
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"
