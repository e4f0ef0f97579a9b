"""Share links and exports on the learner's pages: create, QR code, view count and access
log, preview, revoke; another learner's share id; the CLR bundle and the PDF résumé
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from openler.store.models.sharing import EmploymentEntry, Share
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Issued,
    Wallet,
    dumps,
    wallet_fixture,
    web_fixture,
)

JOB = {
    "employer": "Northfield Manufacturing",
    "role": "Forklift operator",
    "start_date": "2024-03-01",
}


def _setup(wallet: Wallet) -> tuple[Issued, str]:
    """A learner with a claimed credential, an import and a self-asserted job."""
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org")
    wallet.claim(issued)
    wallet.post("/wallet/employment/new", JOB)
    with wallet.web.session() as session:
        entry = session.scalar(sa.select(EmploymentEntry))
        assert entry is not None
        return issued, str(entry.id)


def _share(wallet: Wallet, data: dict[str, object]) -> str:
    response = wallet.post("/wallet/shares/new", data)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location.split("/wallet/shares/", 1)[1].split("?", 1)[0]


def test_create_a_share_with_a_qr_code_and_see_its_views(wallet: Wallet) -> None:
    issued, entry = _setup(wallet)
    form = wallet.client.get(f"/wallet/shares/new?key={issued.key}")
    assert form.status_code == 200
    assert re.search(rf'value="{issued.key}" checked', form.text)
    assert "Self-asserted" in form.text
    share_id = _share(
        wallet,
        {
            "credentials": issued.key,
            "employment": entry,
            "expires": "2026-12-31",
            "title": "Welder application",
            "note": "As discussed on the phone.",
        },
    )
    page = wallet.client.get(f"/wallet/shares/{share_id}?done=shared")
    assert page.status_code == 200
    assert "The share link is ready." in page.text
    match = re.search(
        r'id="share-url" type="text" readonly value="(https://[^"]+/s/([^"]+))"', page.text
    )
    assert match, page.text
    token = match.group(2)
    assert len(token) >= 43  # 256 bits
    assert 'alt="QR code of the share link"' in page.text
    assert 'src="data:image/svg+xml;base64,' in page.text
    assert 'id="view-count">0<' in page.text
    wallet.client.get(
        f"/s/{token}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}
    )
    after = wallet.client.get(f"/wallet/shares/{share_id}")
    assert 'id="view-count">1<' in after.text
    assert "Firefox on Linux" in after.text
    assert "testclient" not in after.text  # only a coarse network, never an address
    listing = wallet.client.get("/wallet/shares")
    assert "Welder application" in listing.text
    assert 'data-state="active"' in listing.text


def test_preview_is_not_counted_and_revoke_ends_the_link(wallet: Wallet) -> None:
    issued, _ = _setup(wallet)
    share_id = _share(wallet, {"credentials": issued.key, "expires": "2026-12-01"})
    preview = wallet.client.get(f"/wallet/shares/{share_id}/preview")
    assert preview.status_code == 200
    assert "Preview: this is what the recipient sees." in preview.text
    assert "Forklift Operator" in preview.text
    revoked = wallet.post(f"/wallet/shares/{share_id}/revoke")
    assert revoked.headers["location"] == f"/wallet/shares/{share_id}?done=share-revoked"
    page = wallet.client.get(revoked.headers["location"])
    assert 'id="share-state">Revoked<' in page.text
    assert 'id="share-url"' not in page.text
    with wallet.web.session() as session:
        share = session.scalar(sa.select(Share))
        assert share is not None
        assert share.revoked_at is not None
        assert share.view_count == 0
        token = share.token
    assert wallet.client.get(f"/s/{token}").status_code == 410


def test_bad_share_forms_say_what_is_wrong_and_store_nothing(wallet: Wallet) -> None:
    issued, _ = _setup(wallet)
    nothing = wallet.post("/wallet/shares/new", {"expires": "2026-12-01"})
    assert nothing.status_code == 422
    assert "Choose at least one credential or job to share." in nothing.text
    too_far = wallet.post(
        "/wallet/shares/new", {"credentials": issued.key, "expires": "2030-01-01"}
    )
    assert too_far.status_code == 422
    assert "A share lasts at most" in too_far.text
    past = wallet.post("/wallet/shares/new", {"credentials": issued.key, "expires": "2020-01-01"})
    assert past.status_code == 422
    assert "The expiry is in the past." in past.text
    bad_date = wallet.post("/wallet/shares/new", {"credentials": issued.key, "expires": "soon"})
    assert bad_date.status_code == 422
    with wallet.web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Share)) == 0


def test_another_learners_share_id_and_items_are_not_found(wallet: Wallet) -> None:
    issued, entry = _setup(wallet)
    share_id = _share(wallet, {"credentials": issued.key, "expires": "2026-12-01"})
    wallet.sign_out()
    wallet.sign_up("eve@example.org", name="Eve")
    for path in (
        f"/wallet/shares/{share_id}",
        f"/wallet/shares/{share_id}/preview",
        f"/wallet/exports/resume.pdf?share={share_id}",
        "/wallet/shares/not-a-uuid",
    ):
        response = wallet.client.get(path)
        assert response.status_code == 404, path
        assert "Forklift" not in response.text
    assert wallet.post(f"/wallet/shares/{share_id}/revoke").status_code == 404
    # Ada's credential and job cannot be put into Eve's share
    stolen = wallet.post(
        "/wallet/shares/new",
        {"credentials": issued.key, "employment": entry, "expires": "2026-12-01"},
    )
    assert stolen.status_code == 422
    assert "not in your record" in stolen.text
    assert "Welder" not in wallet.client.get("/wallet/shares").text
    with wallet.web.session() as session:
        share = session.scalar(sa.select(Share))
        assert share is not None
        assert share.revoked_at is None


def test_exports_bundle_and_resume(wallet: Wallet) -> None:
    issued, _ = _setup(wallet)
    page = wallet.client.get("/wallet/exports")
    assert page.status_code == 200
    assert 'id="export-clr"' in page.text
    assert "create a share link" in page.text
    bundle = wallet.client.get("/wallet/exports/learner-record.json")
    assert bundle.status_code == 200
    assert "attachment" in bundle.headers["content-disposition"]
    presentation = json.loads(bundle.content)
    assert "VerifiablePresentation" in presentation["type"]
    assert presentation["holder"].startswith("did:key:")
    assert presentation["proof"]["proofPurpose"] == "authentication"
    assert len(presentation["verifiableCredential"]) == 1
    share_id = _share(wallet, {"credentials": issued.key, "expires": "2026-12-01"})
    assert share_id in wallet.client.get("/wallet/exports").text
    pdf = wallet.client.get(f"/wallet/exports/resume.pdf?share={share_id}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert wallet.client.get("/wallet/exports/resume.pdf").status_code == 422
    wallet.post(f"/wallet/shares/{share_id}/revoke")
    gone = wallet.client.get(f"/wallet/exports/resume.pdf?share={share_id}")
    assert gone.status_code == 409
    assert "share_revoked" in gone.headers["x-openler-error"]


def test_an_empty_record_has_nothing_to_bundle(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    response = wallet.client.get("/wallet/exports/learner-record.json")
    assert response.status_code == 422
    assert "Nothing to export yet" in response.text
