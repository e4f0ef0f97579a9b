"""Employment history and the skills profile on the learner's pages (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from openler.store.models.sharing import EmploymentEntry
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Wallet,
    wallet_fixture,
    web_fixture,
)

JOB = {
    "employer": "Northfield Manufacturing",
    "role": "Forklift operator",
    "start_date": "2024-03-01",
    "end_date": "",
    "description": "Loading bays and inventory.",
    "skills": "pallet handling, safety checks",
    "framework_skills": "esco:28cb374e-6261-4133-8371-f9a5470145da",
}


def _entries(wallet: Wallet) -> list[EmploymentEntry]:
    with wallet.web.session() as session:
        return list(session.scalars(sa.select(EmploymentEntry)))


def test_add_edit_and_delete_a_self_asserted_job(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    form = wallet.client.get("/wallet/employment/new")
    assert form.status_code == 200
    assert "self-asserted" in form.text
    assert 'name="framework_skills"' in form.text
    added = wallet.post("/wallet/employment/new", JOB)
    assert added.status_code == 303
    assert added.headers["location"] == "/wallet/employment?done=job-added"
    page = wallet.client.get("/wallet/employment")
    assert "Forklift operator" in page.text
    assert 'data-state="self_asserted"' in page.text
    assert "Self-asserted" in page.text
    assert "pallet handling, safety checks, operate forklift" in page.text
    (entry,) = _entries(wallet)
    edit = wallet.client.get(f"/wallet/employment/{entry.id}/edit")
    assert 'value="Northfield Manufacturing"' in edit.text
    assert re.search(r'value="esco:28cb374e[^"]*" checked', edit.text)
    saved = wallet.post(
        f"/wallet/employment/{entry.id}/edit",
        {**JOB, "role": "Shift lead", "end_date": "2025-01-31"},
    )
    assert saved.headers["location"] == "/wallet/employment?done=job-saved"
    assert "Shift lead" in wallet.client.get("/wallet/employment").text
    confirm = wallet.client.get(f"/wallet/employment/{entry.id}/delete")
    assert "Delete" in confirm.text
    deleted = wallet.post(f"/wallet/employment/{entry.id}/delete")
    assert deleted.headers["location"] == "/wallet/employment?done=job-deleted"
    assert _entries(wallet) == []


def test_bad_job_fields_are_shown_next_to_the_fields(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    response = wallet.post(
        "/wallet/employment/new",
        {**JOB, "employer": "", "start_date": "2025-05-01", "end_date": "2024-01-01"},
    )
    assert response.status_code == 422
    assert 'id="f-employer-error"' in response.text
    assert "The end date is before the start date." in response.text
    unknown = wallet.post("/wallet/employment/new", {**JOB, "framework_skills": "esco:nope"})
    assert unknown.status_code == 422
    assert "Unknown framework skill." in unknown.text
    assert _entries(wallet) == []


def test_another_learners_job_is_not_found(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    wallet.post("/wallet/employment/new", JOB)
    (entry,) = _entries(wallet)
    wallet.sign_out()
    wallet.sign_up("eve@example.org", name="Eve")
    for path in (f"/wallet/employment/{entry.id}/edit", f"/wallet/employment/{entry.id}/delete"):
        assert wallet.client.get(path).status_code == 404
    assert wallet.post(f"/wallet/employment/{entry.id}/delete").status_code == 404
    assert wallet.post(f"/wallet/employment/{entry.id}/edit", JOB).status_code == 404
    assert wallet.client.get("/wallet/employment/not-a-uuid/edit").status_code == 404
    assert len(_entries(wallet)) == 1
    assert "Northfield" not in wallet.client.get("/wallet/employment").text


def test_the_skills_profile_counts_only_verified_evidence(wallet: Wallet) -> None:
    org = wallet.issuer()
    issued = wallet.issue(org, "ada@example.org")
    wallet.sign_up("ada@example.org")
    wallet.post("/wallet/employment/new", JOB)  # self-asserted: never counted
    empty = wallet.client.get("/wallet/skills")
    assert "No skills yet" in empty.text
    wallet.claim(issued)
    page = wallet.client.get("/wallet/skills")
    assert "ESCO" in page.text
    assert "operate forklift" in page.text
    assert "ICT network routing" in page.text
    assert f'href="/wallet/credentials/{issued.key}"' in page.text  # the evidence trail
    assert "Lakeshore College" in page.text
    wallet.change(issued, "revoke")
    assert "operate forklift" not in wallet.client.get("/wallet/skills").text
