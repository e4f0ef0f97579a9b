"""Bulk issuance in a real browser: the demo admin of Riverbend USD uploads a generated roster
of 50 learners (two with problems) for the published "Collaboration" microcredential, checks
the guessed column mapping, reads the validation report, issues the valid rows, watches the
progress bar (htmx polling the server's embedded bulk worker) reach 100 % and downloads the
result report. Every page passes the axe-core audit; screenshots land in
``test-artifacts/e2e/``."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

from playwright.sync_api import Page, expect

from openler.services.seed import DEMO_PASSWORD
from tests.e2e.conftest import Audit, LiveServer, Shot

SLUG = "riverbend-usd"
LOGIN = f"admin@{SLUG}.example.org"
LEVELS = ("Beginning", "Developing", "Proficient", "Advanced")


def roster(folder: Path, rows: int = 50) -> tuple[Path, str]:
    """A CSV of ``rows`` learners; row 4 has a bad e-mail address, row 7 an unknown level."""
    tag = secrets.token_hex(3)
    lines = ["Email,Name,Collaboration rubric"]
    for n in range(rows):
        email = f"learner{n}.{tag}@example.org"
        level = LEVELS[n % 4]
        if n == 2:
            email = "not-an-address"
        if n == 5:
            level = "Stellar"
        lines.append(f"{email},Learner {n},{level}")
    path = folder / f"collaboration-{tag}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, tag


def test_bulk_issue_in_the_console(
    page: Page, live: LiveServer, audit: Audit, shot: Shot, tmp_path: Path
) -> None:
    page.goto("/signin")
    page.fill("#f-email", LOGIN)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("#signin-submit")
    page.wait_for_load_state()

    page.goto(f"/console/{SLUG}/bulk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk issuance")
    audit(page)
    shot(page, "bulk-list")

    page.click("#new-bulk-job")
    expect(page.get_by_role("heading", level=1)).to_have_text("New bulk issue")
    assert page.get_attribute("#f-roster", "accept") == ".csv,.xlsx"
    audit(page)
    path, tag = roster(tmp_path)
    page.select_option("#f-achievement", "collaboration")
    page.set_input_files("#f-roster", str(path))
    page.check("#f-claims-link")
    shot(page, "bulk-upload")
    page.click("#bulk-upload-submit")

    # the mapping: guessed from the headers, the rubric column by the result's name
    expect(page.get_by_role("heading", level=1)).to_have_text("Map the roster's columns")
    assert page.input_value("#f-column-0") == "recipientEmail"
    assert page.input_value("#f-column-1") == "recipientName"
    assert page.input_value("#f-column-2") == "result-0"
    audit(page)
    shot(page, "bulk-mapping")
    page.click("#bulk-mapping-submit")

    # the validation report: two rows with problems, "issue all" disabled
    expect(page.get_by_role("heading", level=1)).to_have_text("Validation report")
    expect(page.locator("#bulk-valid")).to_have_text("48")
    expect(page.locator("#bulk-invalid")).to_have_text("2")
    expect(page.locator("#bulk-problems tbody tr")).to_have_count(2)
    expect(page.locator("#issue-all")).to_be_disabled()
    audit(page)
    shot(page, "bulk-validation-report")
    with page.expect_download() as errors_download:
        page.click("#download-errors")
    errors = errors_download.value.path().read_text(encoding="utf-8-sig")
    problems = list(csv.reader(io.StringIO(errors)))[1:]
    assert [(line[0], line[1], line[3]) for line in problems] == [
        ("4", "Email", "invalid_email"),
        ("7", "Collaboration rubric", "unknown_result"),
    ]

    # issuing the valid rows is a choice: tick it, then start
    page.check("#f-valid_rows_only")
    page.click("#issue-valid")

    # the job page: the progress bar, updated by htmx until the job is completed
    expect(page.locator("#bulk-progress-bar")).to_be_visible()
    shot(page, "bulk-progress")
    expect(page.locator("#bulk-status")).to_have_text("completed", timeout=60_000)
    bar = page.locator("#bulk-progress-bar")
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.evaluate("document.querySelector('#bulk-progress-bar').value") == 100
    expect(page.locator("#bulk-progress-label")).to_have_text("48 of 48 rows done (100 %)")
    expect(page.locator("#bulk-issued")).to_have_text("48")
    assert page.locator("#bulk-progress").get_attribute("hx-trigger") is None  # polling stopped
    expect(page.locator("#download-results")).to_be_visible()  # swapped in when it finished
    audit(page)
    shot(page, "bulk-completed")

    with page.expect_download() as results_download:
        page.click("#download-results")
    rows = list(
        csv.DictReader(io.StringIO(results_download.value.path().read_text(encoding="utf-8-sig")))
    )
    assert len(rows) == 50
    issued = [r for r in rows if r["status"] == "issued"]
    assert len(issued) == 48
    assert all(r["credential_id"].startswith("urn:uuid:") for r in issued)
    assert all("/wallet/claim/" in r["claim_url"] for r in issued)
    assert {r["row"] for r in rows if r["status"] == "invalid"} == {"4", "7"}
    assert all(tag in r["recipient"] for r in issued)

    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the job page scrolls sideways on a phone ({width}px)"
    shot(page, "bulk-completed-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#issued-credentials")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issued credentials")
    page.goto(f"/console/{SLUG}/bulk")
    expect(page.locator("#bulk-jobs tbody tr").first).to_contain_text("completed")
    audit(page)
    shot(page, "bulk-list-after")
