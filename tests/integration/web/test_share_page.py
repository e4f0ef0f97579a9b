"""The share-link landing page ``/s/{id}`` and its presentation endpoint: every shared
item verified live, the skills summary, self-asserted jobs labelled, revoked and expired
shares, unknown ids (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from openler.core.verification import verify_presentation_with
from openler.services.employment import EmploymentCredentialRequest, issue_employment_credential
from openler.services.learners import holder_did
from openler.store.models import Organization
from openler.store.models.sharing import Share, ShareAccess
from tests.integration.platform.conftest import KEYSTORE, SETTINGS
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Issued,
    Wallet,
    dumps,
    wallet_fixture,
    web_fixture,
)

JOB = {"employer": "Corner Diner", "role": "Line cook", "start_date": "2022-06-01"}


def _entry_id(wallet: Wallet) -> str:
    page = wallet.client.get("/wallet/employment")
    found = re.search(r"/wallet/employment/([0-9a-f-]{36})/edit", page.text)
    assert found
    return found.group(1)


def _shared(wallet: Wallet) -> tuple[Issued, str, str]:
    """Ada claims a credential, imports one and adds a job, then shares all three; the
    browser is signed out afterwards (an employer opens the link). (issued, token, id)."""
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org", name="Ada Lovelace")
    wallet.claim(issued)
    imported = wallet.import_text(dumps(wallet.foreign_credential()))
    imported_key = imported.headers["location"].split("/wallet/credentials/")[1].split("?")[0]
    wallet.post("/wallet/employment/new", JOB)
    response = wallet.post(
        "/wallet/shares/new",
        {
            "credentials": [issued.key, imported_key],
            "employment": _entry_id(wallet),
            "expires": "2026-12-31",
            "note": "Here are my certificates.",
        },
    )
    share_id = response.headers["location"].split("/wallet/shares/")[1].split("?")[0]
    with wallet.web.session() as session:
        share = session.scalar(sa.select(Share))
        assert share is not None
        token = share.token
    wallet.sign_out()
    return issued, token, share_id


def test_an_employer_sees_every_item_verified_live(wallet: Wallet) -> None:
    issued, token, _ = _shared(wallet)
    page = wallet.client.get(f"/s/{token}")
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert "Ada Lovelace" in page.text
    assert "Here are my certificates." in page.text
    assert "2 of 2 credentials verified" in page.text
    assert page.text.count('class="card shared-credential"') == 2
    assert 'data-state="verified"' in page.text
    assert 'data-state="revoked"' not in page.text
    assert "Forklift Operator" in page.text
    assert "First Aid" in page.text
    # the self-asserted job, labelled as such
    assert "Line cook" in page.text
    assert 'data-state="self_asserted"' in page.text
    assert "The learner's own statement; nobody has verified it." in page.text
    # the skills summary of the verified credentials
    summary = page.text.split('id="skills-heading"', 1)[1]
    assert "operate forklift" in summary
    assert "collaborate through digital technologies" in summary
    # the issuer revokes; the employer reloads
    wallet.change(issued, "revoke")
    again = wallet.client.get(f"/s/{token}")
    assert "1 of 2 credentials verified" in again.text
    assert re.search(r'class="card shared-credential"[^>]*data-state="revoked"', again.text)
    skills = again.text.split('id="skills-heading"', 1)[1]
    assert "operate forklift" not in skills  # revoked evidence leaves the skills summary
    assert "collaborate through digital technologies" in skills
    with wallet.web.session() as session:
        share = session.scalar(sa.select(Share))
        assert share is not None
        assert share.view_count == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(ShareAccess)) == 2


def test_revoked_and_expired_shares_are_gone(wallet: Wallet) -> None:
    _, token, share_id = _shared(wallet)
    wallet.web.clock.advance(days=60)
    expired = wallet.client.get(f"/s/{token}")
    assert expired.status_code == 410
    assert "This share link has expired" in expired.text
    assert "Forklift" not in expired.text
    wallet.sign_in("ada@example.org")
    wallet.post(f"/wallet/shares/{share_id}/revoke")
    wallet.sign_out()
    revoked = wallet.client.get(f"/s/{token}")
    assert revoked.status_code == 410
    assert revoked.headers["x-openler-error"] == "share_revoked"
    assert "This share link was withdrawn" in revoked.text
    assert "Ada" not in revoked.text


def test_unknown_ids_look_alike_and_tell_nothing(wallet: Wallet) -> None:
    _, token, share_id = _shared(wallet)
    unknown = wallet.client.get("/s/" + "A" * 43)
    short = wallet.client.get("/s/x")
    internal = wallet.client.get(f"/s/{share_id}")  # the internal id is not a link
    for response in (unknown, short, internal):
        assert response.status_code == 404
        assert "This share link does not exist" in response.text
        assert "Ada" not in response.text
    # a deactivated learner's share reads exactly like an unknown one
    with wallet.web.session() as session:
        share = session.scalar(sa.select(Share))
        assert share is not None
        share.user.is_active = False
    disabled = wallet.client.get(f"/s/{token}")
    assert disabled.status_code == 404
    assert disabled.text == unknown.text


def test_an_employer_issued_job_shows_as_verified(wallet: Wallet) -> None:
    org = wallet.issuer("northfield")
    wallet.sign_up("ada@example.org")
    with wallet.web.session() as session:
        user = wallet.user("ada@example.org")
        did = holder_did(session, user)
        employer = session.get(Organization, org.id)
        assert employer is not None
        credential, _ = issue_employment_credential(
            session,
            SETTINGS,
            KEYSTORE,
            employer,
            EmploymentCredentialRequest(
                recipient=did, role="Welder", start_date=date(2023, 1, 9), narrative="MIG welds."
            ),
            now=wallet.web.clock.now,
        )
        key = f"issued:{credential.id}"
    jobs = wallet.client.get("/wallet/employment")
    assert "Welder" in jobs.text
    assert "Verified: issued by the employer" in jobs.text
    response = wallet.post("/wallet/shares/new", {"credentials": key, "expires": "2026-12-31"})
    assert response.status_code == 303
    with wallet.web.session() as session:
        token = session.scalar(sa.select(Share.token))
    page = wallet.client.get(f"/s/{token}")
    assert "1 of 1 credential verified" in page.text
    assert "Verified: issued by the employer" in page.text


def test_the_presentation_is_signed_for_the_verifiers_challenge(wallet: Wallet) -> None:
    _, token, _ = _shared(wallet)
    response = wallet.client.get(
        f"/s/{token}/presentation", params={"challenge": "c-123", "domain": "hr.example"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    presentation = response.json()
    assert presentation["holder"].startswith("did:key:")
    assert len(presentation["verifiableCredential"]) == 2  # the self-asserted job is left out
    verifier = wallet.web.app.state.verifier
    now = wallet.web.clock.now
    good = verify_presentation_with(
        verifier, presentation, challenge="c-123", domain="hr.example", now=now
    )
    assert good.verified, good.errors
    replayed = verify_presentation_with(
        verifier, presentation, challenge="other", domain="hr.example", now=now
    )
    assert not replayed.verified
    missing = wallet.client.get(f"/s/{token}/presentation")
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    unknown = wallet.client.get("/s/" + "B" * 43 + "/presentation", params={"challenge": "c"})
    assert unknown.status_code == 404
    wallet.web.clock.advance(days=90)
    gone = wallet.client.get(f"/s/{token}/presentation", params={"challenge": "c"})
    assert gone.status_code == 410
    assert gone.json()["type"] == "urn:openler:problem:share_expired"
