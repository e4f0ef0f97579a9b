"""Employment history: self-asserted entries (the learner's own, never verified) and
employer-issued ``ext:Employment`` credentials (verified through the record)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from openler.core.errors import InvalidInput
from openler.services.employment import (
    EMPLOYMENT_ACHIEVEMENT_TYPE,
    EmploymentCredentialRequest,
    EmploymentInput,
    EmploymentNotFound,
    add_entry,
    delete_entry,
    employment_history,
    get_entry,
    issue_employment_credential,
    list_entries,
    skill_choices,
    update_entry,
)
from openler.services.issuing import IdempotencyConflict, change_status
from openler.services.skills_profile import skills_profile
from openler.store.models import AchievementDefinition, AuditEvent, RecipientKind
from tests.integration.platform_view import PlatformView
from tests.integration.sharing.conftest import KEYSTORE, NOW, SETTINGS, TEAMWORK, WELDING, World

JOB = EmploymentInput(
    employer="Harbor Diner",
    role="Line cook",
    start_date=date(2019, 6, 1),
    end_date=date(2021, 2, 28),
    description="Prep and grill during the weekend rush.",
    skills=["Food safety", "food safety", "  Inventory  "],
    framework_skills=[TEAMWORK],
)


def _employ(world: World, **changes: object) -> EmploymentCredentialRequest:
    fields: dict[str, object] = {
        "recipient": world.ada_did,
        "role": "Welder II",
        "start_date": date(2021, 3, 1),
        "narrative": "Structural welding on the shipyard line.",
        "skills": [WELDING],
    }
    fields.update(changes)
    return EmploymentCredentialRequest(**fields)  # type: ignore[arg-type]


def test_self_asserted_entries(world: World) -> None:
    entry = add_entry(world.session, world.ada, JOB)
    assert entry.skills == ["Food safety", "Inventory"]  # trimmed, case-insensitively unique
    assert entry.framework_skills[0]["targetName"] == "work in teams"
    assert entry.framework_skills[0]["targetFramework"].startswith("ESCO")
    current = add_entry(
        world.session,
        world.ada,
        EmploymentInput(employer="Acme", role="Welder", start_date=date(2021, 3, 1)),
    )
    assert [e.id for e in list_entries(world.session, world.ada)] == [current.id, entry.id]
    changed = update_entry(
        world.session,
        world.ada,
        entry.id,
        EmploymentInput(employer="Harbor Diner", role="Sous chef", start_date=date(2019, 6, 1)),
    )
    assert changed.role == "Sous chef"
    assert changed.skills == []
    [first, second] = employment_history(world.session, world.ada, now=NOW)
    assert first.role == "Welder"  # current job first
    assert first.end_date is None
    assert all(item.self_asserted and not item.verified for item in (first, second))
    assert first.label == "Self-asserted"
    delete_entry(world.session, world.ada, entry.id)
    assert [e.id for e in list_entries(world.session, world.ada)] == [current.id]


def test_another_learners_entry_is_not_found(world: World) -> None:
    entry = add_entry(world.session, world.ada, JOB)
    for call in (
        lambda: get_entry(world.session, world.bob, entry.id),
        lambda: update_entry(world.session, world.bob, entry.id, JOB),
        lambda: delete_entry(world.session, world.bob, entry.id),
        lambda: get_entry(world.session, world.ada, "not-a-uuid"),
    ):
        with pytest.raises(EmploymentNotFound):
            call()
    assert get_entry(world.session, world.ada, str(entry.id)).role == "Line cook"


@pytest.mark.parametrize(
    "bad",
    [
        EmploymentInput(employer=" ", role="Cook", start_date=date(2020, 1, 1)),
        EmploymentInput(employer="Diner", role="", start_date=date(2020, 1, 1)),
        EmploymentInput(
            employer="Diner", role="Cook", start_date=date(2020, 1, 1), end_date=date(2019, 1, 1)
        ),
        EmploymentInput(
            employer="Diner", role="Cook", start_date=date(2020, 1, 1), framework_skills=["x:y"]
        ),
        EmploymentInput(
            employer="Diner", role="Cook", start_date=date(2020, 1, 1), skills=["s" * 101]
        ),
        EmploymentInput(
            employer="Diner",
            role="Cook",
            start_date=date(2020, 1, 1),
            skills=[f"skill {n}" for n in range(31)],
        ),
        EmploymentInput(employer="D" * 201, role="Cook", start_date=date(2020, 1, 1)),
    ],
)
def test_bad_entries_are_refused(world: World, bad: EmploymentInput) -> None:
    with pytest.raises(InvalidInput):
        add_entry(world.session, world.ada, bad)


def test_skill_choices_come_from_the_bundled_frameworks() -> None:
    choices = skill_choices()
    keys = {c["key"] for c in choices}
    assert {WELDING, TEAMWORK} <= keys
    assert choices == sorted(choices, key=lambda c: (c["framework"], c["name"].casefold()))


def test_employer_issued_employment_credential(world: World) -> None:
    issued, created = issue_employment_credential(
        world.session, SETTINGS, KEYSTORE, world.employer, _employ(world), now=NOW
    )
    assert created
    view = PlatformView(world.session, SETTINGS, KEYSTORE, now=NOW)
    assert view.error_codes(issued.credential_bytes) == []
    doc = json.loads(issued.credential_bytes)
    subject = doc["credentialSubject"]
    assert subject["id"] == world.ada_did
    assert subject["achievement"]["achievementType"] == EMPLOYMENT_ACHIEVEMENT_TYPE
    assert subject["achievement"]["name"] == subject["role"] == "Welder II"
    assert subject["activityStartDate"] == "2021-03-01T00:00:00Z"
    assert "activityEndDate" not in subject
    assert doc["issuer"]["name"] == "Acme Fabrication"
    assert subject["achievement"]["alignment"][0]["targetName"] == "operate welding equipment"
    audit = world.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.organization_id == world.employer.id,
            AuditEvent.action == "credential.issue",
        )
    )
    assert audit is not None
    assert audit.details["employment"] is True

    add_entry(world.session, world.ada, JOB)
    history = employment_history(world.session, world.ada, now=NOW)
    [verified] = [item for item in history if not item.self_asserted]
    assert verified.verified
    assert verified.label == "Verified"
    assert (verified.employer, verified.role) == ("Acme Fabrication", "Welder II")
    assert verified.start_date == date(2021, 3, 1)
    assert verified.description == "Structural welding on the shipyard line."
    assert verified.record_key == f"issued:{issued.id}"
    assert [item.self_asserted for item in history] == [False, True]

    # Its skills are verified skills.
    names = {skill.name for skill in skills_profile(world.session, world.ada, now=NOW).skills}
    assert "operate welding equipment" in names

    change_status(world.session, world.employer, issued.credential_id, "revoke")
    [revoked] = [
        item
        for item in employment_history(world.session, world.ada, now=NOW)
        if not item.self_asserted
    ]
    assert not revoked.verified
    assert revoked.label == "Revoked by the employer"
    names = {skill.name for skill in skills_profile(world.session, world.ada, now=NOW).skills}
    assert "operate welding equipment" not in names


def test_one_achievement_per_role_new_version_when_skills_change(world: World) -> None:
    first, _ = issue_employment_credential(
        world.session, SETTINGS, KEYSTORE, world.employer, _employ(world), now=NOW
    )
    second, _ = issue_employment_credential(
        world.session,
        SETTINGS,
        KEYSTORE,
        world.employer,
        _employ(world, recipient=world.ada_did, start_date=date(2022, 1, 1)),
        now=NOW,
    )
    assert first.achievement_id == second.achievement_id
    third, _ = issue_employment_credential(
        world.session,
        SETTINGS,
        KEYSTORE,
        world.employer,
        _employ(world, skills=[WELDING, TEAMWORK]),
        now=NOW,
    )
    assert third.achievement_id != first.achievement_id
    versions = world.session.scalars(
        sa.select(AchievementDefinition.version).where(
            AchievementDefinition.organization_id == world.employer.id
        )
    ).all()
    assert sorted(versions) == [1, 2]


def test_idempotent_issue_and_email_recipient(world: World) -> None:
    request = _employ(
        world,
        recipient="Ada.Worker@Example.org",
        end_date=date(2023, 12, 31),
        idempotency_key="hr-4711",
    )
    issued, created = issue_employment_credential(
        world.session, SETTINGS, KEYSTORE, world.employer, request, now=NOW
    )
    again, created_again = issue_employment_credential(
        world.session, SETTINGS, KEYSTORE, world.employer, request, now=NOW
    )
    assert created
    assert not created_again
    assert again.id == issued.id
    assert issued.recipient_kind is RecipientKind.EMAIL
    doc = json.loads(issued.credential_bytes)
    assert "ada.worker" not in issued.credential_bytes.decode().lower()
    assert doc["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")
    assert doc["credentialSubject"]["activityEndDate"] == "2023-12-31T00:00:00Z"
    with pytest.raises(IdempotencyConflict):
        issue_employment_credential(
            world.session,
            SETTINGS,
            KEYSTORE,
            world.employer,
            _employ(world, role="Welder III", idempotency_key="hr-4711"),
            now=NOW,
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": "not a recipient"},
        {"role": "  "},
        {"end_date": date(2020, 1, 1)},
        {"skills": ["nope:1"]},
    ],
)
def test_bad_employment_requests(world: World, changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        issue_employment_credential(
            world.session, SETTINGS, KEYSTORE, world.employer, _employ(world, **changes), now=NOW
        )
