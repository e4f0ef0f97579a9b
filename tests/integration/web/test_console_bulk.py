"""Bulk issuance in the issuer console: upload, map, the validation report with its CSV,
start (refused for invalid rows unless "issue only the valid rows"), the job run in-process
by the engine, the progress fragment (polls while running, stops when done), the result
report, cancel and resume, a re-uploaded fixed roster, a roster whose columns cannot be
guessed, roles, tenancy and a PNG that is no roster. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from typing import Any

import openpyxl
import sqlalchemy as sa

from openler.services.achievements import (
    create_achievement,
    latest_published,
    publish_achievement,
)
from openler.services.bulk import (
    JobOptions,
    create_job,
    finish_job,
    pending_chunks,
    process_chunk,
)
from openler.store.models import AuditEvent, IssuedCredential, Organization, Role
from openler.store.models.bulk import BulkJob, BulkMapping
from tests.integration.platform.conftest import KEYSTORE, SETTINGS
from tests.integration.web._console_fixtures import Web, web_fixture  # noqa: F401

BULK_SETTINGS = SETTINGS.model_copy(update={"bulk_chunk_size": 2})
GRADE = "urn:example:rd:grade"
ACHIEVEMENT: dict[str, Any] = {
    "type": ["Achievement"],
    "achievementType": "Certificate",
    "name": "Welding I",
    "description": "Safe setup and basic structural welds.",
    "criteria": {"narrative": "Pass the practical test."},
    "resultDescription": [
        {
            "id": GRADE,
            "type": ["ResultDescription"],
            "name": "Grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C"],
        }
    ],
}
ROSTER = (
    "Email,Name,Grade\n"
    "ada@example.org,Ada,A\n"
    "nope,Bob,B\n"
    "ce@example.org,Ce,C\n"
    "ADA@example.org,Ada again,B\n"
    "de@example.org,De,B\n"
)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
_JOB_URL = re.compile(r"/console/acme/bulk/([0-9a-f-]{36})")


def _setup(w: Web, role: Role = Role.ISSUER, email: str = "ivy@example.org") -> Organization:
    w.app.state.settings = BULK_SETTINGS
    org = w.org("acme", "Acme Welding")
    with w.session() as session:
        create_achievement(session, SETTINGS, org, ACHIEVEMENT, logical_id="welding-1")
        publish_achievement(session, org, "welding-1")
    w.user(email, org=org, role=role)
    assert w.sign_in(email).status_code == 303
    return org


def _upload(w: Web, data: bytes, name: str = "class.csv", **form: Any) -> Any:
    body = {"achievement": "welding-1", "claims": "link", "status_purpose": "revocation", **form}
    return w.post("/console/acme/bulk/new", body, files={"roster": (name, data, "text/csv")})


def _job_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    found = _JOB_URL.search(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select id="f-{name}" name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else ""


def _run(w: Web, job_id: str) -> None:
    """What a worker does: issue every chunk not done, then complete the job."""
    key = uuid.UUID(job_id)
    with w.session() as session:
        chunks = pending_chunks(session, key)
    assert chunks
    for chunk_no in chunks:
        outcome = process_chunk(w.database, BULK_SETTINGS, KEYSTORE, key, chunk_no, clock=w.clock)
        assert outcome.result == "issued"
    finish_job(w.database, key, now=w.clock())  # (the last chunk's write may have done it)
    assert _status(w, job_id) == "completed"


def _status(w: Web, job_id: str) -> str:
    with w.session() as session:
        job = session.get(BulkJob, uuid.UUID(job_id))
        assert job is not None
        return job.status.value


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_upload_map_validate_start_watch_and_report(web: Web) -> None:
    _setup(web)
    listing = web.client.get("/console/acme/bulk")
    assert listing.status_code == 200
    assert 'aria-current="page">Bulk issuance' in listing.text
    assert "No bulk jobs yet" in listing.text
    form = web.client.get("/console/acme/bulk/new")
    assert 'accept=".csv,.xlsx"' in form.text
    assert 'enctype="multipart/form-data"' in form.text

    job_id = _job_id(_upload(web, ROSTER.encode()))
    assert _status(web, job_id) == "validated"
    # the mapping page: each column's field prefilled (guessed from the headers)
    mapping = web.client.get(f"/console/acme/bulk/{job_id}/mapping")
    assert mapping.status_code == 200
    assert [_selected(mapping.text, f"column-{i}") for i in range(3)] == [
        "recipientEmail",
        "recipientName",
        "result-0",
    ]
    assert '<label for="f-column-0">Email</label>' in mapping.text
    assert "ada@example.org" in mapping.text  # the first values of each column
    # the same field for two columns: the error is next to the second, nothing changes
    twice = web.post(
        f"/console/acme/bulk/{job_id}/mapping",
        {"column-0": "recipientEmail", "column-1": "recipientEmail", "column-2": "result-0"},
    )
    assert twice.status_code == 422
    assert 'id="f-column-1-error"' in twice.text
    assert 'aria-invalid="true"' in twice.text
    confirmed = web.post(
        f"/console/acme/bulk/{job_id}/mapping",
        {
            "column-0": "recipientEmail",
            "column-1": "recipientName",
            "column-2": "result-0",
            "identifier_type": "identifier",
        },
    )
    assert confirmed.status_code == 303
    with web.session() as session:
        saved = session.scalar(sa.select(BulkMapping))
        assert saved is not None
        assert saved.mapping["results"] == {GRADE: "Grade"}

    # the validation report
    report = web.client.get(f"/console/acme/bulk/{job_id}?done=mapped")
    text = _text(report.text)
    assert "Rows 5 Valid 3 With problems 2" in text
    assert "invalid_email" in text
    assert "duplicate_recipient" in text
    assert "the same recipient as row 2" in text
    assert re.search(r'<button[^>]*id="issue-all"[^>]*disabled', report.text)
    errors = _csv(web.client.get(f"/console/acme/bulk/{job_id}/errors.csv"))
    assert errors[0] == ["row", "column", "field", "code", "message", "value"]
    assert [(r[0], r[3]) for r in errors[1:]] == [
        ("3", "invalid_email"),
        ("5", "duplicate_recipient"),
    ]

    # "issue all" is refused while rows are invalid; ticking "only the valid rows" starts
    refused = web.post(f"/console/acme/bulk/{job_id}/start", {"action": "all"})
    assert refused.status_code == 422
    assert 'id="f-valid_rows_only-error"' in refused.text
    assert _status(web, job_id) == "validated"
    started = web.post(f"/console/acme/bulk/{job_id}/start", {"valid_rows_only": "1"})
    assert started.status_code == 303
    assert started.headers["location"].endswith("?done=started")

    running = web.client.get(started.headers["location"])
    assert "The job started" in running.text
    assert 'hx-trigger="every 1s"' in running.text
    assert f'hx-get="/console/acme/bulk/{job_id}/progress"' in running.text
    assert 'id="bulk-refresh"' in running.text  # without JavaScript: a Refresh link
    assert re.search(r'<progress id="bulk-progress-bar"[^>]*aria-valuenow="0"', running.text)
    assert "0 of 3 rows done (0 %)" in _text(running.text)
    fragment = web.client.get(
        f"/console/acme/bulk/{job_id}/progress", headers={"HX-Request": "true"}
    )
    assert 'hx-trigger="every 1s"' in fragment.text
    assert "<html" not in fragment.text
    assert "hx-swap-oob" not in fragment.text

    _run(web, job_id)

    done = web.client.get(f"/console/acme/bulk/{job_id}/progress", headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert "hx-trigger" not in done.text  # polling stops
    assert re.search(
        r'<progress id="bulk-progress-bar"[^>]*value="100"[^>]*aria-valuenow="100"', done.text
    )
    assert "3 of 3 rows done (100 %)" in _text(done.text)
    assert 'id="bulk-status">completed<' in done.text
    assert 'id="bulk-actions" hx-swap-oob="true"' in done.text  # the result links appear
    assert 'id="download-results"' in done.text
    assert "3 credentials issued, 0 failed" in _text(done.text)

    results = _csv(web.client.get(f"/console/acme/bulk/{job_id}/results.csv"))
    assert results[0] == ["row", "recipient", "status", "credential_id", "claim_url", "error"]
    assert [r[:3] for r in results[1:]] == [
        ["2", "ada@example.org", "issued"],
        ["3", "nope", "invalid"],
        ["4", "ce@example.org", "issued"],
        ["5", "ADA@example.org", "invalid"],
        ["6", "de@example.org", "issued"],
    ]
    ids = [r[3] for r in results[1:] if r[2] == "issued"]
    assert all(r[4].startswith("https://issuer.example/") for r in results[1:] if r[2] == "issued")
    with web.session() as session:
        stored = set(session.scalars(sa.select(IssuedCredential.credential_id)))
        starts = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "bulk_job.start")
        )
    assert set(ids) == stored
    assert len(ids) == 3
    assert starts == 1

    page = web.client.get(f"/console/acme/bulk/{job_id}")
    assert "hx-trigger" not in page.text
    assert 'id="issued-credentials"' in page.text
    listed = web.client.get("/console/acme/credentials?achievement=welding-1")
    assert "3 credentials found" in listed.text
    jobs = _text(web.client.get("/console/acme/bulk").text)
    assert "Welding I class.csv completed 5 2 invalid 3" in jobs
    assert "by ivy@example.org" in jobs


def _staged_job(w: Web, org: Organization, roster: str = ROSTER) -> str:
    """A validated job made by the services (as the API or the CLI would)."""
    with w.session() as session:
        definition = latest_published(session, org, "welding-1")
        assert definition is not None
        job = create_job(
            session,
            BULK_SETTINGS,
            org,
            definition,
            io.BytesIO(roster.encode()),
            roster_name="staged.csv",
            options=JobOptions(claims="none"),
            now=w.clock(),
        )
        return str(job.id)


def test_a_viewer_watches_but_cannot_upload_start_or_download_claim_links(web: Web) -> None:
    org = _setup(web, Role.VIEWER, "vic@example.org")
    job_id = _staged_job(web, org, ROSTER.replace("nope", "bo@example.org").replace("ADA@", "al@"))
    page = web.client.get(f"/console/acme/bulk/{job_id}")
    assert page.status_code == 200
    assert "Rows 5 Valid 5" in _text(page.text)
    assert 'id="bulk-start-form"' not in page.text
    assert 'id="new-bulk-job"' not in web.client.get("/console/acme/bulk").text
    assert web.client.get("/console/acme/bulk/new").status_code == 403
    assert web.post(f"/console/acme/bulk/{job_id}/start", {}).status_code == 403
    assert _status(web, job_id) == "validated"
    assert _upload(web, ROSTER.encode()).status_code == 403
    assert web.client.get(f"/console/acme/bulk/{job_id}/results.csv").status_code == 403
    assert web.client.get(f"/console/acme/bulk/{job_id}/errors.csv").status_code == 200
    assert web.client.get(f"/console/acme/bulk/{job_id}/progress").status_code == 200
    with web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 1


def test_another_organizations_job_is_not_found(web: Web) -> None:
    _setup(web)
    other = web.org("globex", "Globex")
    with web.session() as session:
        create_achievement(session, SETTINGS, other, ACHIEVEMENT, logical_id="welding-1")
        publish_achievement(session, other, "welding-1")
    job_id = _staged_job(web, other)
    for path in ("", "/progress", "/mapping", "/errors.csv", "/results.csv", "/cancel"):
        response = web.client.get(f"/console/acme/bulk/{job_id}{path}")
        assert response.status_code == 404, path
        assert response.headers["x-openler-error"] == "not_found"
    assert (
        web.post(f"/console/acme/bulk/{job_id}/start", {"valid_rows_only": "1"}).status_code == 404
    )
    assert web.post(f"/console/acme/bulk/{job_id}/cancel", {}).status_code == 404
    assert web.client.get("/console/acme/bulk/not-a-uuid").status_code == 404
    assert web.client.get(f"/console/globex/bulk/{job_id}").status_code == 404  # not a member
    assert _status(web, job_id) == "validated"


def test_a_png_is_refused_with_a_clear_page_and_nothing_is_created(web: Web) -> None:
    _setup(web)
    before = web.counts()
    response = _upload(web, PNG, name="photo.png")
    assert response.status_code == 422
    assert 'id="f-roster-error"' in response.text
    assert "This file is a PNG image, not a roster" in response.text
    assert 'aria-invalid="true"' in response.text
    # a file the sniffing does not know is refused by the roster reader itself
    binary = _upload(web, b"\x00\x01\xfe\xff" * 64, name="data.bin")
    assert binary.status_code == 422
    assert "not UTF-8" in binary.text
    assert _upload(web, b"", name="empty.csv").status_code == 422
    missing = web.post(
        "/console/acme/bulk/new",
        {"achievement": "", "claims": "link", "status_purpose": "revocation"},
        files={"roster": ("", b"", "application/octet-stream")},
    )
    assert missing.status_code == 422
    assert 'id="f-achievement-error"' in missing.text
    assert 'id="f-roster-error"' in missing.text
    with web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(BulkMapping)) == 0
    assert web.counts() == before


def test_columns_that_cannot_be_guessed_are_mapped_by_hand(web: Web) -> None:
    _setup(web)
    roster = "Learner contact;Full name;Mark\nada@example.org;Ada;A\nce@example.org;Ce;Z\n"
    job_id = _job_id(_upload(web, roster.encode()))
    # staged unmapped: every row is invalid, it cannot start, the mapping page is the way on
    unmapped = web.client.get(f"/console/acme/bulk/{job_id}", follow_redirects=False)
    assert unmapped.headers["location"].endswith("/mapping")
    assert (
        web.post(f"/console/acme/bulk/{job_id}/start", {"valid_rows_only": "1"}).status_code == 303
    )
    assert _status(web, job_id) == "validated"
    with web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BulkMapping)) == 0
    page = web.client.get(f"/console/acme/bulk/{job_id}/mapping")
    assert 'id="mapping-unmatched"' in page.text
    assert [_selected(page.text, f"column-{i}") for i in range(3)] == ["", "recipientName", ""]
    nothing = web.post(f"/console/acme/bulk/{job_id}/mapping", {"column-1": "recipientName"})
    assert nothing.status_code == 422
    assert 'id="f-recipient"' in nothing.text
    mapped = web.post(
        f"/console/acme/bulk/{job_id}/mapping",
        {
            "column-0": "recipientEmail",
            "column-1": "recipientName",
            "column-2": "result-0",
            "identifier_type": "identifier",
        },
    )
    assert mapped.status_code == 303
    report = _text(web.client.get(mapped.headers["location"]).text)
    assert "Every row was checked again with the new mapping" in report
    assert "Rows 2 Valid 1 With problems 1" in report
    assert "'Z' is not an allowed value of 'Grade'" in report


def test_a_fixed_roster_replaces_the_upload_and_keeps_its_mapping(web: Web) -> None:
    _setup(web)
    first = _job_id(_upload(web, ROSTER.encode()))
    web.post(
        f"/console/acme/bulk/{first}/mapping",
        {"column-0": "recipientEmail", "column-1": "recipientName", "column-2": "result-0"},
    )
    fixed = ROSTER.replace("nope", "bo@example.org").replace("ADA@", "al@")
    again = _upload(web, fixed.encode(), name="class-fixed.csv", replaces=first)
    second = _job_id(again)
    assert not again.headers["location"].endswith("/mapping")  # same columns: the report
    assert _status(web, first) == "cancelled"
    report = web.client.get(f"/console/acme/bulk/{second}")
    assert "Rows 5 Valid 5 With problems none" in _text(report.text)
    assert re.search(r'<button[^>]*id="issue-all"(?![^>]*disabled)[^>]*>', report.text)
    listed = _text(web.client.get("/console/acme/bulk").text)
    assert "class-fixed.csv validated" in listed
    assert "class.csv cancelled" in listed


def test_cancel_and_resume_after_a_confirmation(web: Web) -> None:
    _setup(web)
    job_id = _job_id(
        _upload(web, ROSTER.replace("nope", "bo@example.org").replace("ADA@", "al@").encode())
    )
    assert web.post(f"/console/acme/bulk/{job_id}/start", {}).status_code == 303
    confirm = web.client.get(f"/console/acme/bulk/{job_id}/cancel")
    assert confirm.status_code == 200
    assert "Cancel this bulk job?" in confirm.text
    assert _status(web, job_id) == "running"  # asking changes nothing
    cancelled = web.post(f"/console/acme/bulk/{job_id}/cancel", {})
    assert cancelled.headers["location"].endswith("?done=cancelled")
    assert _status(web, job_id) == "cancelled"
    fragment = web.client.get(f"/console/acme/bulk/{job_id}/progress")
    assert "hx-trigger" not in fragment.text
    assert 'id="bulk-resume"' in fragment.text
    again = web.post(f"/console/acme/bulk/{job_id}/cancel", {})
    assert again.status_code == 409
    assert "only a running or validated job can be cancelled" in again.text
    assert "Resume this bulk job?" in web.client.get(f"/console/acme/bulk/{job_id}/resume").text
    resumed = web.post(f"/console/acme/bulk/{job_id}/resume", {})
    assert resumed.headers["location"].endswith("?done=resumed")
    assert 'hx-trigger="every 1s"' in web.client.get(resumed.headers["location"]).text
    # one chunk (2 rows) done in 2 s: 1 credential a second, 3 rows (3 s) to go
    process_chunk(web.database, BULK_SETTINGS, KEYSTORE, uuid.UUID(job_id), 0, clock=web.clock)
    web.clock.advance(seconds=2)
    halfway = _text(web.client.get(f"/console/acme/bulk/{job_id}/progress").text)
    assert "2 of 5 rows done (40 %)" in halfway
    assert "Rate 1.0 credentials a second Time left about 3 s" in halfway
    _run(web, job_id)
    assert "5 of 5 rows done (100 %)" in _text(web.client.get(f"/console/acme/bulk/{job_id}").text)
    assert web.client.get(f"/console/acme/bulk/{job_id}/launch").status_code == 404


def test_an_xlsx_roster(web: Web) -> None:
    _setup(web)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ("Email", "Name", "Grade"),
        ("ada@example.org", "Ada", "A"),
        ("bo@x.org", "Bo", "B"),
    ):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    job_id = _job_id(_upload(web, data.getvalue(), name="class.xlsx"))
    page = web.client.get(f"/console/acme/bulk/{job_id}/mapping")
    assert _selected(page.text, "column-0") == "recipientEmail"
    assert _selected(page.text, "column-2") == "result-0"
    assert "Rows 2 Valid 2 With problems none" in _text(
        web.client.get(f"/console/acme/bulk/{job_id}").text
    )
