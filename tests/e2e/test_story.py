"""The story of issue 4 in a real browser: an issuer publishes an achievement and issues
it to a learner's e-mail address; the learner gets the claim link by e-mail, creates a
record, claims the credential, imports one from another issuer, adds a job and shares two
credentials; an employer opens the link and sees both verified; the issuer revokes one;
the employer reloads and sees it revoked. Then the learner's main pages at phone width.

Every distinct page passes the axe-core audit; screenshots of each step land in
``test-artifacts/e2e/``. One browser context plays each role in turn (signing out in
between), so the console/CSP watch of the ``page`` fixture covers all of them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from openler.services.seed import DEMO_PASSWORD
from tests.e2e.conftest import Audit, LiveServer, Shot

ISSUER_SLUG = "lakeshore-cc"
ISSUER_LOGIN = f"admin@{ISSUER_SLUG}.example.org"
LEARNER_PASSWORD = "a long learner passphrase"
PHONE = {"width": 375, "height": 740}

_CLAIM_LINK = re.compile(r"https?://\S+/wallet/claim/[A-Za-z0-9_-]+")


def claim_link(live: LiveServer, email: str) -> str:
    """The claim link e-mailed to ``email``: the console offers it when it issues, the
    server's mail pump writes it to the outbox folder (no SMTP is configured)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in reversed(live.emails()):
            if f"To: {email}" in message:
                found = _CLAIM_LINK.search(message.replace("=\n", ""))
                if found:
                    return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no claim e-mail to {email} in {live.data_dir / 'outbox'}")


def foreign_credential(live: LiveServer, folder: Path, email: str) -> Path:
    """A credential from an issuer on another platform (a did:key), made with the CLI."""
    achievement = folder / "first-aid.json"
    achievement.write_text(
        json.dumps(
            {
                "id": "https://redcross.example/achievements/first-aid",
                "type": ["Achievement"],
                "name": "First Aid and CPR",
                "description": "Adult first aid, CPR and AED use.",
                "criteria": {"narrative": "Pass the practical assessment."},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "provide first aid",
                        "targetUrl": "https://redcross.example/skills/first-aid",
                        "targetFramework": "Red Cross skills",
                        "targetCode": "FA-1",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    key = folder / "redcross-key.json"
    live.cli("keys", "generate", "--out", str(key))
    out = folder / "first-aid-credential.json"
    live.cli(
        "issue",
        "--achievement",
        str(achievement),
        "--recipient",
        email,
        "--key",
        str(key),
        "--issuer-name",
        "Red Cross Local Chapter",
        "--out",
        str(out),
    )
    return out


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/signin")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("#signin-submit")
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url("**/")


_TOO_WIDE = """(limit) => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > limit + 1)
  .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
    + ' ' + Math.round(e.getBoundingClientRect().right) + 'px: '
    + (e.textContent || '').trim().slice(0, 60))"""


def fits_a_phone(page: Page) -> None:
    """The page does not scroll sideways; else name the elements that stick out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        culprits = page.evaluate(_TOO_WIDE, PHONE["width"])
        raise AssertionError(f"{page.url} scrolls sideways on a phone ({width}px): {culprits}")


def no_sideways_scroll(page: Page, path: str) -> None:
    page.goto(path)
    fits_a_phone(page)


def test_issue_claim_import_share_verify_revoke(
    page: Page, live: LiveServer, audit: Audit, shot: Shot, tmp_path: Path
) -> None:
    learner = f"sam.{secrets.token_hex(3)}@example.org"
    logical_id = f"forklift-{secrets.token_hex(3)}"
    console = f"/console/{ISSUER_SLUG}"

    # -- the issuer publishes an achievement and issues it ---------------------------------
    sign_in(page, ISSUER_LOGIN, DEMO_PASSWORD)
    page.goto(f"{console}/achievements/new")
    page.fill("#f-logical_id", logical_id)
    page.fill("#f-name", "Forklift Operator Safety")
    page.fill("#f-description", "Safe operation of counterbalance forklifts in a warehouse.")
    page.fill("#f-criteria_narrative", "Pass the written test and a supervised practical.")
    page.fill("#f-skill_q", "forklift")  # htmx searches the bundled frameworks
    page.locator("#skill-results input[name=alignment]").first.check()
    audit(page)
    shot(page, "issuer-new-achievement")
    page.click("#save-achievement")
    page.click("#publish-link")
    page.click("#publish-confirm")
    expect(page.locator("#achievement-status")).to_have_text("published")
    page.goto(f"{console}/issue")
    page.select_option("#f-achievement", logical_id)
    page.fill("#f-recipient", learner)
    audit(page)
    page.click("#issue-submit")
    page.wait_for_url(re.compile(r"/credentials/[0-9a-f-]+\?done=issued"))
    credential_page = page.url.split("?")[0]
    shot(page, "issuer-issued")
    sign_out(page)

    # -- the learner claims it -------------------------------------------------------------
    link = claim_link(live, learner)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Claim your credential")
    expect(page.locator(".claim-card")).to_contain_text("Forklift Operator Safety")
    audit(page)
    shot(page, "learner-claim-link")
    page.click("#claim-signup")
    page.fill("#f-name", "Sam Rivera")
    page.fill("#f-email", learner)
    page.fill("#f-password", LEARNER_PASSWORD)
    page.click("#signup-submit")
    page.click("#finish-claim")
    page.click("#claim-button")
    expect(page.locator(".notice")).to_have_text("The credential is in your record now.")
    expect(page.locator("h1")).to_have_text("Forklift Operator Safety")
    expect(page.locator(".state-tag").first).to_have_text("Verified")
    audit(page)
    shot(page, "learner-claimed")
    page.click("#offer-button")  # "add to a wallet app": QR codes and the LCW deep link
    expect(page.locator("#lcw-link")).to_have_attribute("href", re.compile("^https://lcw.app/"))
    audit(page)
    shot(page, "learner-wallet-app-offer")

    # -- imports a credential from another issuer ------------------------------------------
    other = foreign_credential(live, tmp_path, learner)
    page.goto("/wallet/import")
    audit(page)
    page.set_input_files("#f-file", str(other))
    page.click("#import-submit")
    expect(page.locator(".notice")).to_contain_text("imported and verified")
    expect(page.locator("h1")).to_have_text("First Aid and CPR")
    expect(page.locator("#live-heading")).to_be_visible()
    audit(page)
    shot(page, "learner-imported")

    # -- adds a job ------------------------------------------------------------------------
    page.goto("/wallet/employment/new")
    page.fill("#f-employer", "Harbor Logistics")
    page.fill("#f-role", "Warehouse associate")
    page.fill("#f-start_date", "2024-04-01")
    page.fill("#f-skills", "inventory counts, loading docks")
    audit(page)
    page.click("#job-submit")
    expect(page.locator(".job").first).to_contain_text("Self-asserted")
    audit(page)
    shot(page, "learner-employment")

    page.goto("/wallet")
    expect(page.locator(".record-item")).to_have_count(2)
    audit(page)
    shot(page, "learner-record")
    page.goto("/wallet/skills")
    expect(page.locator("main")).to_contain_text("provide first aid")
    audit(page)

    # -- shares the two credentials --------------------------------------------------------
    page.goto("/wallet/shares/new")
    for box in page.locator("input[name=credentials]").all():
        box.check()
    page.fill("#f-title", "Application: forklift driver")
    page.fill("#f-note", "Thank you for considering me.")
    audit(page)
    page.click("#share-submit")
    share_url = page.input_value("#share-url")
    assert "/s/" in share_url
    expect(page.locator("img.qr")).to_be_visible()
    audit(page)
    shot(page, "learner-share-link")
    page.goto("/wallet/shares")
    audit(page)
    page.goto("/wallet/exports")
    audit(page)
    sign_out(page)

    # -- an employer opens the link --------------------------------------------------------
    page.goto(share_url)
    expect(page.locator("#share-summary")).to_contain_text("2 of 2 credentials verified")
    expect(page.locator(".shared-credential")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Sam Rivera")
    audit(page)
    shot(page, "employer-verified")

    # -- the issuer revokes the achievement credential -------------------------------------
    sign_in(page, ISSUER_LOGIN, DEMO_PASSWORD)
    page.goto(f"{credential_page}/revoke")
    page.fill("#f-reason", "Issued in error.")
    page.click("#status-confirm")
    expect(page.locator(".notice")).to_contain_text("The credential was revoked.")
    shot(page, "issuer-revoked")
    sign_out(page)

    # -- the employer reloads and sees it revoked ------------------------------------------
    page.goto(share_url)
    expect(page.locator("#share-summary")).to_contain_text("1 of 2 credentials verified")
    revoked = page.locator('.shared-credential[data-state="revoked"]')
    expect(revoked).to_have_count(1)
    expect(revoked).to_contain_text("Forklift Operator Safety")
    expect(revoked.locator(".state-tag")).to_have_text("Revoked")
    shot(page, "employer-sees-revoked")

    # -- the learner's pages at phone width ------------------------------------------------
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, share_url)
    shot(page, "phone-share-page")
    sign_in(page, learner, LEARNER_PASSWORD)
    for path in (
        "/wallet",
        "/wallet/import",
        "/wallet/employment",
        "/wallet/skills",
        "/wallet/shares",
        "/wallet/shares/new",
        "/wallet/exports",
    ):
        no_sideways_scroll(page, path)
    page.goto("/wallet")
    shot(page, "phone-record")
    links = [a.get_attribute("href") or "" for a in page.locator(".record-item a").all()]
    assert len(links) == 2
    for href in links:
        no_sideways_scroll(page, href)
    shot(page, "phone-credential")
