"""``/api/v1/bulk``: upload and validate, the error report, re-mapping, start (refused for
an invalid roster unless asked), progress, cancel/resume, the result report, scopes and
tenancy. On SQLite and PostgreSQL, inside the platform tests' rolled-back transaction."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest

from openler.services.bulk import pending_chunks, process_chunk
from tests.integration.platform.conftest import (  # noqa: F401 - fixtures used by name
    KEYSTORE,
    SETTINGS,
    Platform,
    _no_network,
    assert_problem,
    platform,
)

GRADES = {
    "resultDescription": [
        {
            "id": "urn:example:rd:grade",
            "type": ["ResultDescription"],
            "name": "Grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C"],
        }
    ]
}


@pytest.fixture
def api(platform: Platform) -> Platform:  # noqa: F811 - the imported fixture
    platform.app.state.settings = SETTINGS.model_copy(update={"bulk_chunk_size": 2})
    org = platform.org("lakeshore")
    platform.act_as(org)
    platform.published_achievement("welding-1", **GRADES)
    return platform


def _upload(api: Platform, text: str, **form: Any) -> Any:
    return api.client.post(
        "/api/v1/bulk/jobs",
        files={"roster": ("class.csv", text.encode("utf-8"), "text/csv")},
        data={"achievement": "welding-1", **form},
    )


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _finish(api: Platform, job_id: str) -> None:
    """What a worker (or a task queue) does: process every chunk not done."""
    key = uuid.UUID(job_id)
    with api.database.session_scope() as session:
        chunks = pending_chunks(session, key)
    for chunk_no in chunks:
        process_chunk(api.database, SETTINGS, KEYSTORE, key, chunk_no)


ROSTER = (
    "Email;Name;Grade\n"
    "ada@example.org;Ada;A\nnope;Bob;B\nce@example.org;Ce;C\nde@example.org;De;B\n"
)


def test_upload_validate_fix_the_mapping_start_and_report(api: Platform) -> None:
    uploaded = _upload(api, ROSTER, mapping=json.dumps({"recipientEmail": "Email"}))
    assert uploaded.status_code == 201, uploaded.text
    job = uploaded.json()
    assert job["status"] == "validated"
    assert job["roster"] == {"name": "class.csv", "format": "csv", "delimiter": ";", "bom": False}
    assert job["headers"] == ["Email", "Name", "Grade"]
    assert job["validation"] == {"rows": 4, "validRows": 3, "invalidRows": 1}
    errors = _csv(api.client.get(job["links"]["errors"]))
    assert errors[1][:4] == ["3", "Email", "recipientEmail", "invalid_email"]

    remapped = api.client.put(
        f"/api/v1/bulk/jobs/{job['id']}/mapping",
        json={"recipientEmail": "Email", "recipientName": "Name", "results": {"Grade": "Grade"}},
    )
    assert remapped.status_code == 200, remapped.text
    assert remapped.json()["validation"]["invalidRows"] == 1
    saved = api.client.get("/api/v1/bulk/mappings/welding-1").json()
    assert saved["saved"] is True
    assert saved["mapping"]["results"] == {"Grade": "Grade"}

    refused = api.client.post(f"/api/v1/bulk/jobs/{job['id']}/start")
    assert_problem(refused, 422, "roster_invalid")
    started = api.client.post(f"/api/v1/bulk/jobs/{job['id']}/start", json={"validRowsOnly": True})
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "running"
    progress = api.client.get(job["links"]["progress"]).json()
    assert (progress["total"], progress["done"], progress["chunks"]) == (3, 0, 2)

    _finish(api, job["id"])

    progress = api.client.get(job["links"]["progress"]).json()
    assert progress["status"] == "completed"
    assert (progress["issued"], progress["failed"], progress["percent"]) == (3, 0, 100.0)
    results = _csv(api.client.get(job["links"]["results"]))
    assert [r[:3] for r in results[1:]] == [
        ["2", "ada@example.org", "issued"],
        ["3", "nope", "invalid"],
        ["4", "ce@example.org", "issued"],
        ["5", "de@example.org", "issued"],
    ]
    credential = api.client.get(f"/api/v1/credentials/{results[1][3]}").json()
    assert credential["credential"]["credentialSubject"]["result"][0]["value"] == "A"
    listed = api.client.get("/api/v1/credentials", params={"recipient": "ce@example.org"})
    assert [c["credentialId"] for c in listed.json()["items"]] == [results[3][3]]
    jobs = api.client.get("/api/v1/bulk/jobs").json()["items"]
    assert [j["id"] for j in jobs] == [job["id"]]


def test_cancel_and_resume(api: Platform) -> None:
    job = _upload(api, ROSTER.replace("nope", "bo@example.org")).json()
    assert job["validation"]["invalidRows"] == 0
    api.client.post(f"/api/v1/bulk/jobs/{job['id']}/start")
    cancelled = api.client.post(f"/api/v1/bulk/jobs/{job['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    _finish(api, job["id"])  # workers find nothing to do
    assert api.client.get(job["links"]["progress"]).json()["done"] == 0
    assert_problem(api.client.post(f"/api/v1/bulk/jobs/{job['id']}/cancel"), 409, "conflict")
    resumed = api.client.post(f"/api/v1/bulk/jobs/{job['id']}/resume")
    assert resumed.json()["status"] == "running"
    _finish(api, job["id"])
    assert api.client.get(job["links"]["progress"]).json()["issued"] == 4


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"mapping": "{not json"}, 422, "mapping_invalid"),
        ({"mapping": json.dumps({"recipientEmail": "Mail"})}, 422, "mapping_invalid"),
        ({"achievement": "no-such-thing"}, 404, "not_found"),
        ({"claims": "pigeon"}, 422, "request_invalid"),
    ],
)
def test_bad_uploads(api: Platform, form: dict[str, str], status: int, code: str) -> None:
    assert_problem(_upload(api, ROSTER, **form), status, code)


def test_an_unreadable_roster(api: Platform) -> None:
    response = api.client.post(
        "/api/v1/bulk/jobs",
        files={
            "roster": ("class.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64, "application/vnd.ms-excel")
        },
        data={"achievement": "welding-1"},
    )
    assert_problem(response, 422, "roster_unreadable")


def test_a_draft_achievement_cannot_be_issued(api: Platform) -> None:
    api.client.post(
        "/api/v1/achievements",
        json={
            "logicalId": "draft-1",
            "achievement": {
                "type": ["Achievement"],
                "name": "D",
                "description": "d",
                "criteria": {"narrative": "n"},
            },
        },
    )
    assert_problem(_upload(api, ROSTER, achievement="draft-1"), 422, "mapping_invalid")


def test_other_organizations_jobs_are_404_and_scopes_are_checked(api: Platform) -> None:
    job = _upload(api, ROSTER).json()
    other = api.org("harbor")
    api.act_as(other)
    for path in ("", "/progress", "/errors.csv", "/results.csv"):
        assert_problem(api.client.get(f"/api/v1/bulk/jobs/{job['id']}{path}"), 404, "not_found")
    assert_problem(api.client.post(f"/api/v1/bulk/jobs/{job['id']}/start"), 404, "not_found")
    assert api.client.get("/api/v1/bulk/jobs").json()["items"] == []
    assert_problem(api.client.get("/api/v1/bulk/jobs/not-a-uuid"), 404, "not_found")

    api.act_as(api.orgs["lakeshore"], scopes={"credentials:read"})
    assert api.client.get(f"/api/v1/bulk/jobs/{job['id']}").status_code == 200
    assert_problem(_upload(api, ROSTER), 403, "insufficient_scope")
    assert_problem(
        api.client.get(f"/api/v1/bulk/jobs/{job['id']}/results.csv"), 403, "insufficient_scope"
    )
    assert_problem(
        api.client.post(f"/api/v1/bulk/jobs/{job['id']}/start"), 403, "insufficient_scope"
    )


def test_fields_and_guessed_mappings(api: Platform) -> None:
    fields = api.client.get("/api/v1/bulk/fields").json()["fields"]
    assert "recipientEmail" in [f["name"] for f in fields]
    guess = api.client.get(
        "/api/v1/bulk/mappings/welding-1", params={"headers": ["E-mail", "Student name", "Grade"]}
    ).json()
    assert guess["saved"] is False
    assert guess["mapping"]["recipientEmail"] == "E-mail"
    assert guess["mapping"]["results"] == {"urn:example:rd:grade": "Grade"}
    put = api.client.put("/api/v1/bulk/mappings/welding-1", json={"recipientName": "Name"})
    assert_problem(put, 422, "mapping_invalid")
