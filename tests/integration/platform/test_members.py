"""``/api/v1/members`` on SQLite and PostgreSQL: adding, listing, changing and removing
members, the last-admin rule, validation, tenancy, scopes and the audit trail."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openler.services.auth import SCOPES
from openler.store.models import AuditEvent, Membership, User
from tests.integration.platform.conftest import Platform, assert_problem

MEMBERS = "/api/v1/members"


def _state(platform: Platform) -> dict[str, Any]:
    with platform.database.session_scope() as session:
        return {
            **platform.counts(),
            "users": sorted(u.email for u in session.scalars(sa.select(User))),
            "memberships": sorted(
                (str(m.user_id), str(m.organization_id), m.role.value)
                for m in session.scalars(sa.select(Membership))
            ),
        }


def _membership_events(platform: Platform) -> list[dict[str, Any]]:
    with platform.database.session_scope() as session:
        events = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "membership.change")
            .order_by(AuditEvent.at)
        )
        return [{"subject": e.subject_id, "actor": e.actor_id, **e.details} for e in events]


def _add(platform: Platform, email: str, role: str, **extra: Any) -> dict[str, Any]:
    response = platform.client.post(MEMBERS, json={"email": email, "role": role, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_add_list_change_remove(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org, ["org:admin"])

    ada = _add(platform, "Ada@Example.org ", "admin", displayName="Ada Lovelace")
    assert ada["email"] == "ada@example.org"
    assert ada["displayName"] == "Ada Lovelace"
    assert ada["role"] == "admin"
    bob = _add(platform, "bob@example.org", "viewer", password="correct horse battery")
    assert bob["displayName"] == "bob"

    listed = platform.client.get(MEMBERS)
    assert listed.status_code == 200, listed.text
    assert [(m["email"], m["role"]) for m in listed.json()["items"]] == [
        ("ada@example.org", "admin"),
        ("bob@example.org", "viewer"),
    ]

    changed = platform.client.patch(f"{MEMBERS}/{bob['userId']}", json={"role": "issuer"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "issuer"

    removed = platform.client.delete(f"{MEMBERS}/{bob['userId']}")
    assert removed.status_code == 204, removed.text
    assert [m["email"] for m in platform.client.get(MEMBERS).json()["items"]] == ["ada@example.org"]

    events = _membership_events(platform)
    actor = "test-key-riverside"
    assert events == [
        {
            "subject": f"user:{ada['userId']}",
            "actor": actor,
            "email": "ada@example.org",
            "oldRole": None,
            "newRole": "admin",
        },
        {
            "subject": f"user:{bob['userId']}",
            "actor": actor,
            "email": "bob@example.org",
            "oldRole": None,
            "newRole": "viewer",
        },
        {
            "subject": f"user:{bob['userId']}",
            "actor": actor,
            "email": "bob@example.org",
            "oldRole": "viewer",
            "newRole": "issuer",
        },
        {
            "subject": f"user:{bob['userId']}",
            "actor": actor,
            "email": "bob@example.org",
            "oldRole": "issuer",
            "newRole": None,
        },
    ]

    with platform.database.session_scope() as session:
        users = {u.email: u for u in session.scalars(sa.select(User))}
        assert users["ada@example.org"].password_hash == ""  # none set without a password
        assert users["bob@example.org"].password_hash.startswith("scrypt$")
        assert "correct horse" not in users["bob@example.org"].password_hash


def test_an_existing_user_joins_another_organization(platform: Platform) -> None:
    a, b = platform.org("riverside"), platform.org("hillcrest")
    platform.act_as(a)
    first = _add(platform, "ada@example.org", "admin", displayName="Ada")
    platform.act_as(b)
    second = _add(platform, "ADA@example.org", "viewer", displayName="ignored")
    assert second["userId"] == first["userId"]
    assert second["displayName"] == "Ada"
    # Adding the same user twice to one organization is a conflict.
    before = _state(platform)
    assert_problem(
        platform.client.post(MEMBERS, json={"email": "ada@example.org", "role": "issuer"}),
        409,
        "conflict",
    )
    assert _state(platform) == before


def test_the_last_admin_can_be_neither_demoted_nor_removed(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org)
    ada = _add(platform, "ada@example.org", "admin")
    before = _state(platform)
    body = assert_problem(
        platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "viewer"}),
        409,
        "conflict",
    )
    assert "last admin" in body["detail"]
    assert_problem(platform.client.delete(f"{MEMBERS}/{ada['userId']}"), 409, "conflict")
    assert _state(platform) == before

    # With a second admin, the first may go.
    _add(platform, "bob@example.org", "admin")
    demoted = platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "viewer"})
    assert demoted.status_code == 200, demoted.text
    # Same role again: nothing changes, nothing is recorded.
    events = len(_membership_events(platform))
    again = platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "viewer"})
    assert again.status_code == 200
    assert len(_membership_events(platform)) == events


def test_invalid_requests_change_nothing(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org)
    ada = _add(platform, "ada@example.org", "admin")
    before = _state(platform)
    for body in (
        {"email": "bob@example.org", "role": "owner"},
        {"email": "not-an-address", "role": "viewer"},
        {"email": "bob@example.org", "role": "viewer", "password": "too short"},
        {"email": "bob@example.org", "role": "viewer", "extra": 1},
        {"email": "bob@example.org"},
    ):
        response = platform.client.post(MEMBERS, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert_problem(
        platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "superuser"}),
        422,
        "request_invalid",
    )
    assert_problem(
        platform.client.post(MEMBERS, json={"email": "not-an-address", "role": "viewer"}),
        422,
        "invalid_input",
    )
    assert_problem(
        platform.client.patch(f"{MEMBERS}/not-a-uuid", json={"role": "viewer"}), 404, "not_found"
    )
    assert _state(platform) == before


def test_another_organizations_members_are_not_found(platform: Platform) -> None:
    a, b = platform.org("riverside"), platform.org("hillcrest")
    platform.act_as(a)
    ada = _add(platform, "ada@example.org", "admin")
    _add(platform, "bob@example.org", "admin")
    platform.act_as(b)
    before = _state(platform)
    assert platform.client.get(MEMBERS).json() == {"items": []}
    assert_problem(
        platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "viewer"}),
        404,
        "not_found",
    )
    assert_problem(platform.client.delete(f"{MEMBERS}/{ada['userId']}"), 404, "not_found")
    assert _state(platform) == before


def test_members_need_the_org_admin_scope(platform: Platform) -> None:
    org = platform.org("riverside")
    platform.act_as(org)
    ada = _add(platform, "ada@example.org", "admin")
    platform.act_as(org, [s for s in SCOPES if s != "org:admin"])
    before = _state(platform)
    assert_problem(platform.client.get(MEMBERS), 403, "insufficient_scope")
    assert_problem(
        platform.client.post(MEMBERS, json={"email": "bob@example.org", "role": "viewer"}),
        403,
        "insufficient_scope",
    )
    assert_problem(
        platform.client.patch(f"{MEMBERS}/{ada['userId']}", json={"role": "viewer"}),
        403,
        "insufficient_scope",
    )
    assert_problem(platform.client.delete(f"{MEMBERS}/{ada['userId']}"), 403, "insufficient_scope")
    assert _state(platform) == before
