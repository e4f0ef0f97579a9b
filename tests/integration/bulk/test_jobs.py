"""A bulk job from roster to result report, on SQLite and PostgreSQL: validation and its
error report, the "issue the valid rows" choice, mappings, cancel and resume."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from openler.core import verify_credential
from openler.core.keys.resolve import StaticResolver
from openler.services.bulk import (
    BulkJobConflict,
    ColumnMapping,
    JobOptions,
    RosterInvalid,
    cancel_job,
    claim_chunk,
    error_report,
    process_chunk,
    remap_job,
    result_report,
    resume_job,
    saved_mapping,
    transactions,
)
from openler.services.organizations import did_document, org_did, rotate_key
from openler.store.models import AuditEvent, IssuedCredential, SigningKey, SigningKeyStatus
from openler.store.models.bulk import BulkIssued
from openler.store.models.learner import CredentialClaim, OutgoingEmail
from tests.integration.bulk.conftest import KEYSTORE, World, learners, now, roster


def _csv(chunks: object) -> list[list[str]]:
    text = "".join(chunks)  # type: ignore[call-overload]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_roster_is_staged_and_every_row_checked(world: World) -> None:
    rows = [
        "ada@example.org,Ada,A",
        "not-an-email,Bob,B",
        "cy@example.org,Cy,F",
        "",  # blank: skipped, numbered
        "ADA@example.org,Ada again,B",
        "dee@example.org,Dee,C",
    ]
    job = world.job(
        roster(rows),
        mapping={"recipientEmail": "Email", "recipientName": "Name", "results": {"Grade": "Grade"}},
    )
    assert job.status.value == "validated"
    assert (job.total_rows, job.invalid_rows) == (5, 3)
    assert job.roster_info == {"format": "csv", "delimiter": ",", "bom": False}
    assert world.row_states(job) == {
        2: "valid",
        3: "invalid",
        4: "invalid",
        6: "invalid",
        7: "valid",
    }
    report = _csv(error_report(transactions(world.database), job))
    assert report[0] == ["row", "column", "field", "code", "message", "value"]
    assert [(r[0], r[1], r[3], r[5]) for r in report[1:]] == [
        ("3", "Email", "invalid_email", "not-an-email"),
        ("4", "Grade", "unknown_result", "F"),
        ("6", "", "duplicate_recipient", ""),
    ]
    assert report[3][4] == "the same recipient as row 2"


def test_an_invalid_roster_is_not_issued_unless_asked(world: World) -> None:
    job = world.job(roster(["ada@example.org,Ada,A", "bad,Bob,B", "cy@example.org,Cy,C"]))
    with pytest.raises(RosterInvalid) as caught:
        world.start(job)
    assert caught.value.code == "roster_invalid"
    assert world.reload(job).status.value == "validated"
    assert world.count(IssuedCredential, IssuedCredential.organization_id == world.org.id) == 0

    world.start(job, valid_rows_only=True)
    world.run(job)
    done = world.reload(job)
    assert done.status.value == "completed"
    assert [row_no for row_no, _ in world.issued(job)] == [2, 4]
    results = _csv(result_report(transactions(world.database), done))
    assert [(r[0], r[1], r[2]) for r in results[1:]] == [
        ("2", "ada@example.org", "issued"),
        ("3", "bad", "invalid"),
        ("4", "cy@example.org", "issued"),
    ]
    assert "Email: 'bad' is not an e-mail address" in results[2][5]


def test_a_job_end_to_end(world: World) -> None:
    job = world.job(roster(learners(12)))  # chunks of 5: 5 + 5 + 2
    assert job.status.value == "validated"
    assert job.invalid_rows == 0
    started = world.start(job)
    assert started.status.value == "running"
    assert world.chunk_states(job) == ["pending"] * 3
    assert world.progress(job).to_json()["total"] == 12

    world.run(job)

    done = world.reload(job)
    assert done.status.value == "completed"
    progress = world.progress(job)
    assert (progress.issued, progress.failed, progress.remaining, progress.percent) == (
        12,
        0,
        0,
        100.0,
    )
    issued = world.issued(job)
    assert [row_no for row_no, _ in issued] == list(range(2, 14))
    entries = world.status_entries()
    assert sorted(entries) == [(1, i) for i in range(12)]  # one list, no gaps, no repeats

    # The credentials are the organization's, signed by its key, and verify.
    resolver = StaticResolver({org_did(world.settings, world.org.slug): _did_document(world)})
    _, first = issued[0]
    document = json.loads(first.credential_bytes)
    assert document["issuer"]["id"] == org_did(world.settings, world.org.slug)
    assert document["credentialSubject"]["result"][0]["value"] == "A"
    verdict = verify_credential(document, resolver=resolver, now=now())
    assert {c.name: c.status for c in verdict.checks}["proof"] == "pass"

    # A claim link and one claim e-mail per credential, and a result report naming them.
    credential_ids = [c.id for _, c in issued]
    assert world.count(CredentialClaim, CredentialClaim.credential_id.in_(credential_ids)) == 12
    keys = {f"claim:{c.credential_id}" for _, c in issued}
    assert world.count(OutgoingEmail, OutgoingEmail.idempotency_key.in_(keys)) == 12
    results = _csv(result_report(transactions(world.database), done))
    assert results[0] == ["row", "recipient", "status", "credential_id", "claim_url", "error"]
    assert [r[2] for r in results[1:]] == ["issued"] * 12
    assert results[1][3] == issued[0][1].credential_id
    assert results[1][4].startswith("https://issuer.example/wallet/claim/")

    actions = [
        a
        for (a,) in world.rows(
            sa.select(AuditEvent.action)
            .where(AuditEvent.organization_id == world.org.id, AuditEvent.action.like("%bulk%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ]
    assert actions.count("credential.issue_bulk") == 3
    assert {"bulk_job.create", "bulk_job.start", "bulk_job.finish"} <= set(actions)


def _did_document(world: World) -> dict:
    with world.database.session_scope() as session:
        return did_document(session, world.settings, world.org)


def test_claim_modes(world: World) -> None:
    rows = ["ada@example.org,Ada,A"]
    link_only = world.job(roster(rows), options=JobOptions(claims="link", status_list_length=16))
    world.start(link_only)
    world.run(link_only)
    ((_, credential),) = world.issued(link_only)
    assert world.count(CredentialClaim, CredentialClaim.credential_id == credential.id) == 1
    assert (
        world.count(
            OutgoingEmail, OutgoingEmail.idempotency_key == f"claim:{credential.credential_id}"
        )
        == 0
    )

    none = world.job(
        roster(["bo@example.org,Bo,B"]), options=JobOptions(claims="none", status_list_length=16)
    )
    world.start(none)
    world.run(none)
    ((_, credential),) = world.issued(none)
    assert world.count(CredentialClaim, CredentialClaim.credential_id == credential.id) == 0
    assert world.rows(sa.select(BulkIssued.claim_url).where(BulkIssued.job_id == none.id)) == [
        (None,)
    ]


def test_remapping_rechecks_every_row_and_the_mapping_is_remembered(world: World) -> None:
    data = roster(["ada@example.org,Ada,A", "bo@example.org,Bo,Z"], header="Contact,Who,Mark")
    with pytest.raises(Exception, match="map a recipient column"):
        world.job(data)  # nothing to guess from these headers
    job = world.job(data, mapping={"recipientEmail": "Contact"})
    assert job.invalid_rows == 0  # the Mark column is not mapped yet
    with world.database.session_scope(immediate=True) as session:
        remapped = remap_job(
            session,
            world.org,
            job.id,
            ColumnMapping.from_json({"recipientEmail": "Contact", "results": {"Grade": "Mark"}}),
            now=now(),
        )
        assert remapped.invalid_rows == 1
    assert world.row_states(job) == {2: "valid", 3: "invalid"}
    with world.database.session_scope() as session:
        saved = saved_mapping(session, world.org, "welding-1")
    assert saved is not None
    assert dict(saved.results) == {"Grade": "Mark"}
    again = world.job(data)  # no mapping given: the saved one is used
    assert again.invalid_rows == 1
    assert again.mapping["results"] == {"Grade": "Mark"}


def test_cancel_stops_issuing_and_resume_finishes_exactly_once(world: World) -> None:
    job = world.job(roster(learners(15)))
    world.start(job)
    ref = claim_chunk(world.database, worker_id="w1", now=now(), lease=_lease(), job_id=job.id)
    assert ref is not None
    assert process_chunk(world.database, world.settings, KEYSTORE, job.id, ref.chunk_no).issued == 5
    held = claim_chunk(world.database, worker_id="w1", now=now(), lease=_lease(), job_id=job.id)
    assert held is not None

    with world.database.session_scope(immediate=True) as session:
        cancelled = cancel_job(session, world.org, job.id, now=now())
    assert cancelled.status.value == "cancelled"
    # The chunk claimed before the cancel does not commit; nothing more can be claimed.
    stopped = process_chunk(world.database, world.settings, KEYSTORE, job.id, held.chunk_no)
    assert stopped.result == "stopped"
    assert (
        claim_chunk(world.database, worker_id="w2", now=now(), lease=_lease(), job_id=job.id)
        is None
    )
    results = _csv(result_report(transactions(world.database), world.reload(job)))
    assert [r[2] for r in results[1:]].count("cancelled") == 10
    with world.database.session_scope(immediate=True) as session, pytest.raises(BulkJobConflict):
        cancel_job(session, world.org, job.id, now=now())

    with world.database.session_scope(immediate=True) as session:
        assert resume_job(session, world.org, job.id, now=now()).status.value == "running"
    world.run(job)
    assert world.reload(job).status.value == "completed"
    assert [row for row, _ in world.issued(job)] == list(range(2, 17))
    assert sorted(world.status_entries()) == [(1, i) for i in range(15)]


def _lease():  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(seconds=60)


def test_a_job_without_a_signing_key_fails_and_resumes(world: World) -> None:
    job = world.job(roster(learners(3)))
    world.start(job)
    with world.database.session_scope() as session:
        session.execute(
            sa.update(SigningKey)
            .where(SigningKey.organization_id == world.org.id)
            .values(status=SigningKeyStatus.RETIRED)
        )
    world.run(job)
    failed = world.reload(job)
    assert failed.status.value == "failed"
    assert "no active signing key" in (failed.error or "")
    assert world.issued(job) == []

    with world.database.session_scope(immediate=True) as session:
        rotate_key(session, world.settings, KEYSTORE, world.org)
        resume_job(session, world.org, job.id, now=now())
    world.run(job)
    assert world.reload(job).status.value == "completed"
    assert len(world.issued(job)) == 3


def test_an_xlsx_roster(world: World) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Roster")
    sheet.append(["Email", "Name", "Grade", "Completed"])
    sheet.append(["ada@example.org", "Ada", "A", None])
    sheet.append(["bo@example.org", "Bo", "B", None])
    out = io.BytesIO()
    book.save(out)
    job = world.job(out.getvalue())
    assert job.roster_info == {"format": "xlsx", "sheet": "Roster"}
    assert (job.total_rows, job.invalid_rows) == (2, 0)
    world.start(job)
    world.run(job)
    assert len(world.issued(job)) == 2


def test_other_organizations_jobs_are_not_found(world: World, bulk_url: str) -> None:
    from openler.services.bulk import BulkJobNotFound, get_job
    from tests.integration.bulk.conftest import make_world

    other = make_world(bulk_url, world.database)
    job = world.job(roster(learners(1)))
    with world.database.session_scope() as session, pytest.raises(BulkJobNotFound):
        get_job(session, other.org, job.id)
