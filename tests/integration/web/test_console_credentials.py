"""The issuer console's credentials: issuing one, the list (search, filters, paging), the
detail with its JSON, and revoke / suspend / unsuspend with a reason, seen by verifiers
through the status list (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from openler.core.status.bitstring import Bitstring
from openler.services.achievements import create_achievement, publish_achievement
from openler.services.issuing import IssueRequest, issue_credential
from openler.store.models import AuditEvent, IssuedCredential, Organization, Role
from tests.integration.platform.conftest import KEYSTORE, SETTINGS
from tests.integration.web._console_fixtures import Web, web_fixture  # noqa: F401

BASE = "https://issuer.example/orgs/acme/achievements/forklift"


def _achievement() -> dict[str, Any]:
    return {
        "type": ["Achievement"],
        "achievementType": "License",
        "name": "Forklift operator",
        "description": "Operates a counterbalance forklift safely.",
        "criteria": {"narrative": "Pass the written and the practical test."},
        "resultDescription": [
            {
                "id": f"{BASE}/results/practical",
                "type": ["ResultDescription"],
                "name": "Practical evaluation",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": f"{BASE}/results/practical/not-yet",
                        "type": ["RubricCriterionLevel"],
                        "name": "Not yet",
                    },
                    {
                        "id": f"{BASE}/results/practical/competent",
                        "type": ["RubricCriterionLevel"],
                        "name": "Competent",
                    },
                ],
            },
            {
                "id": f"{BASE}/results/written",
                "type": ["ResultDescription"],
                "name": "Written test",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
            },
        ],
    }


def _setup(w: Web, role: Role = Role.ISSUER) -> Organization:
    org = w.org("acme", "Acme Logistics")
    with w.session() as session:
        create_achievement(session, SETTINGS, org, _achievement(), logical_id="forklift")
        publish_achievement(session, org, "forklift")
        create_achievement(
            session,
            SETTINGS,
            org,
            {**_achievement(), "name": "Draft only", "resultDescription": []},
            logical_id="draft-only",
        )
    w.user("ivy@example.org", org=org, role=role)
    assert w.sign_in("ivy@example.org").status_code == 303
    return org


def _issue_form(w: Web, **overrides: Any) -> dict[str, Any]:
    page = w.client.get("/console/acme/issue", params={"achievement": "forklift"})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key, page.text
    data: dict[str, Any] = {
        "achievement": "forklift",
        "recipient_kind": "email",
        "recipient": "Diego.Ramirez@example.org",
        "result-0": f"{BASE}/results/practical/competent",
        "result-1": "92",
        "evidence_name": "Practical evaluation sheet",
        "evidence_url": "https://acme.example/evidence/123",
        "valid_from": "2026-11-20",
        "valid_until": "2029-11-20",
        "status_purpose": "suspension",
        "idempotency_key": key.group(1),
        "action": "issue",
    }
    data.update(overrides)
    return data


def _credentials(w: Web) -> list[IssuedCredential]:
    with w.session() as session:
        return list(
            session.scalars(sa.select(IssuedCredential).order_by(IssuedCredential.issued_at))
        )


def _verify(w: Web, document: bytes) -> Any:
    return w.client.post("/credentials/verify", json={"verifiableCredential": json.loads(document)})


def test_issue_one_credential_with_results_evidence_and_dates(web: Web) -> None:
    _setup(web)
    form = web.client.get("/console/acme/issue", params={"achievement": "forklift"})
    assert 'id="f-result-0"' in form.text
    assert "Competent" in form.text
    assert "Draft only" not in form.text  # only published achievements are offered
    fragment = web.client.get("/console/acme/issue/results", params={"achievement": "forklift"})
    assert 'id="f-result-1"' in fragment.text
    assert "<html" not in fragment.text
    data = _issue_form(web)
    response = web.post("/console/acme/issue", data)
    assert response.status_code == 303, response.text
    [issued] = _credentials(web)
    assert response.headers["location"] == (
        f"/console/acme/credentials/{issued.credential_id.removeprefix('urn:uuid:')}?done=issued"
    )
    doc = issued.document
    subject = doc["credentialSubject"]
    assert subject["identifier"][0]["hashed"] is True
    assert [r.get("achievedLevel") or r.get("value") for r in subject["result"]] == [
        f"{BASE}/results/practical/competent",
        "92",
    ]
    assert doc["evidence"][0]["id"] == "https://acme.example/evidence/123"
    assert doc["validFrom"].startswith("2026-11-20")
    assert doc["validUntil"].startswith("2029-11-20")
    assert doc["credentialStatus"]["statusPurpose"] == "suspension"
    assert _verify(web, issued.credential_bytes).status_code == 200
    # the same form sent twice (a double click) issues once
    assert web.post("/console/acme/issue", data).status_code == 303
    assert len(_credentials(web)) == 1
    with web.session() as session:
        event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "credential.issue"))
        assert event is not None
        assert event.actor_type.value == "user"
    page = web.client.get(response.headers["location"])
    assert "The credential was issued and signed." in page.text
    shown = re.search(r'<pre id="credential-json">(.*?)</pre>', page.text, re.S)
    assert shown
    assert json.loads(html.unescape(shown.group(1)))["id"] == issued.credential_id
    raw = web.client.get(
        f"/console/acme/credentials/{issued.credential_id.removeprefix('urn:uuid:')}/credential.json"
    )
    assert raw.content == issued.credential_bytes  # byte for byte as signed


def test_bad_issue_requests_change_nothing(web: Web) -> None:
    _setup(web)
    before = web.counts()
    unknown = web.post("/console/acme/issue", _issue_form(web, achievement="no-such-thing"))
    assert unknown.status_code == 422
    assert 'id="f-achievement-error"' in unknown.text
    assert "Choose one of the published achievements." in unknown.text
    draft = web.post("/console/acme/issue", _issue_form(web, achievement="draft-only"))
    assert draft.status_code == 422
    bad = web.post(
        "/console/acme/issue",
        _issue_form(
            web,
            recipient="not an address",
            valid_until="2020-01-01",
            evidence_url="ftp:/x",
            **{"result-0": "https://evil.example/level"},
        ),
    )
    assert bad.status_code == 422
    for field in ("valid_until", "evidence_url", "result-0"):
        assert f'id="f-{field}-error"' in bad.text
    service = web.post("/console/acme/issue", _issue_form(web, recipient="not an address"))
    assert service.status_code == 422
    assert 'id="f-recipient-error"' in service.text
    assert 'value="not an address"' in service.text  # kept for correcting
    assert web.counts() == before


def test_revoke_with_a_reason_reaches_the_status_list(web: Web) -> None:
    _setup(web)
    web.post("/console/acme/issue", _issue_form(web, status_purpose="revocation"))
    [issued] = _credentials(web)
    short = issued.credential_id.removeprefix("urn:uuid:")
    list_url = issued.document["credentialStatus"]["statusListCredential"]
    index = int(issued.document["credentialStatus"]["statusListIndex"])
    confirm = web.client.get(f"/console/acme/credentials/{short}/revoke")
    assert "cannot be reinstated" in confirm.text
    assert (
        "suspend"
        not in web.client.get(f"/console/acme/credentials/{short}")
        .text.split('id="credential-status"')[1]
        .split("<dl")[0]
    )
    before = web.counts()
    no_reason = web.post(f"/console/acme/credentials/{short}/revoke", {"reason": ""})
    assert no_reason.status_code == 422
    assert 'id="f-reason-error"' in no_reason.text
    assert web.counts() == before
    revoked = web.post(f"/console/acme/credentials/{short}/revoke", {"reason": "Issued in error"})
    assert revoked.status_code == 303
    page = web.client.get(revoked.headers["location"])
    assert 'id="credential-status">revoked' in page.text
    assert "Issued in error" in page.text
    status_list = web.client.get(list_url.removeprefix("https://issuer.example")).json()
    bits = Bitstring.decode(status_list["credentialSubject"]["encodedList"])
    assert bits.is_set(index)
    result = _verify(web, issued.credential_bytes)
    assert result.status_code == 400
    assert "revoked" in [e["code"] for e in result.json()["errors"]]
    again = web.post(f"/console/acme/credentials/{short}/revoke", {"reason": "twice"})
    assert again.status_code == 409
    assert "cannot be revoked" in again.text


def test_suspend_and_unsuspend(web: Web) -> None:
    _setup(web)
    web.post("/console/acme/issue", _issue_form(web))
    [issued] = _credentials(web)
    short = issued.credential_id.removeprefix("urn:uuid:")
    assert (
        web.post(f"/console/acme/credentials/{short}/suspend", {"reason": "Near miss"}).status_code
        == 303
    )
    assert _verify(web, issued.credential_bytes).status_code == 400
    assert (
        web.post(f"/console/acme/credentials/{short}/unsuspend", {"reason": ""}).status_code == 303
    )
    assert _verify(web, issued.credential_bytes).status_code == 200
    assert web.client.get(f"/console/acme/credentials/{short}/frobnicate").status_code == 404


def test_viewers_cannot_revoke(web: Web) -> None:
    org = _setup(web)
    with web.session() as session:
        issued = _issue_directly_at(session, org, "a@example.org", web.clock.now)
        short = issued.credential_id.removeprefix("urn:uuid:")
    web.user("vic@example.org", org=org, role=Role.VIEWER)
    web.sign_in("vic@example.org")
    assert web.client.get(f"/console/acme/credentials/{short}").status_code == 200
    assert web.post(f"/console/acme/credentials/{short}/revoke", {"reason": "x"}).status_code == 403
    assert _credentials(web)[0].status.value == "active"


def test_search_filters_and_paging(web: Web) -> None:
    org = _setup(web)
    start = web.clock.now
    with web.session() as session:
        for i in range(27):
            _issue_directly_at(session, org, f"learner{i}@example.org", start + timedelta(days=i))
        target = _issue_directly_at(session, org, "did:example:maya", start + timedelta(days=40))
    listing = web.client.get("/console/acme/credentials")
    assert "28 credentials found." in listing.text
    assert (
        listing.text.count("/console/acme/credentials/") - listing.text.count("credential.json")
        >= 25
    )
    next_url = re.search(r'href="([^"]+)" rel="next"', listing.text)
    assert next_url
    second = web.client.get(html.unescape(next_url.group(1)))
    assert second.text.count("<tr>") - 1 == 3  # 28 = 25 + 3
    assert 'rel="next"' not in second.text
    by_recipient = web.client.get("/console/acme/credentials", params={"q": "LEARNER3@example.org"})
    assert "1 credential found." in by_recipient.text
    by_did = web.client.get("/console/acme/credentials", params={"q": "did:example:maya"})
    assert target.credential_id.removeprefix("urn:uuid:") in by_did.text
    by_id = web.client.get("/console/acme/credentials", params={"q": target.credential_id})
    assert "1 credential found." in by_id.text
    dated = web.client.get(
        "/console/acme/credentials",
        params={
            "issued_from": (start + timedelta(days=10)).date().isoformat(),
            "issued_to": (start + timedelta(days=12)).date().isoformat(),
        },
    )
    assert "3 credentials found." in dated.text
    with web.session() as session:
        from openler.services.issuing import change_status

        change_status(session, org, target.credential_id, "revoke", reason="test")
    revoked = web.client.get("/console/acme/credentials", params={"status": "revoked"})
    assert "1 credential found." in revoked.text
    none = web.client.get("/console/acme/credentials", params={"achievement": "draft-only"})
    assert "0 credentials found." in none.text


def _issue_directly_at(
    session: Any, org: Organization, recipient: str, at: Any
) -> IssuedCredential:
    from openler.services.achievements import latest_published

    definition = latest_published(session, org, "forklift")
    assert definition is not None
    issued, _ = issue_credential(
        session,
        SETTINGS,
        KEYSTORE,
        org,
        IssueRequest(achievement_id=definition.id, recipient=recipient),
        now=at,
    )
    return issued


def test_issuing_to_an_email_offers_a_claim_and_records_activity_dates(web: Web) -> None:
    from openler.store.models.learner import OutgoingEmail

    _setup(web)
    data = _issue_form(web, activity_start="2026-09-01", activity_end="2026-11-15")
    assert web.post("/console/acme/issue", data).status_code == 303
    [issued] = _credentials(web)
    subject = issued.document["credentialSubject"]
    assert subject["activityStartDate"].startswith("2026-09-01")
    assert subject["activityEndDate"].startswith("2026-11-15")
    with web.session() as session:
        [mail] = session.scalars(sa.select(OutgoingEmail)).all()
    assert mail.to_address == "diego.ramirez@example.org"
    assert "/wallet/claim/" in mail.body_text

    backwards = _issue_form(web, activity_start="2026-11-15", activity_end="2026-09-01")
    before = web.counts()
    refused = web.post("/console/acme/issue", backwards)
    assert refused.status_code == 422
    assert "The activity cannot end before it starts." in refused.text
    assert web.counts() == before
