"""The skills profile fed with a learner's record: verified credentials only."""

from __future__ import annotations

from datetime import date

from openler.services.employment import EmploymentInput, add_entry
from openler.services.issuing import change_status
from openler.services.skills_profile import skills_profile
from tests.integration.sharing.conftest import NOW, TEAMWORK, WELDING, World


def _names(world: World) -> set[str]:
    return {s.name for s in skills_profile(world.session, world.ada, now=NOW).skills}


def test_skills_of_verified_credentials_grouped_with_evidence(world: World) -> None:
    profile = skills_profile(world.session, world.ada, now=NOW)
    frameworks = [f.name for f in profile.frameworks]
    assert len(frameworks) == 2
    assert frameworks[0].startswith("ESCO")
    assert frameworks[1].startswith("O*NET")
    onet = profile.frameworks[1]
    assert [s.name for s in onet.skills] == ["Reading Comprehension", "Writing"]
    reading = onet.skills[0]
    assert reading.code == "2.A.1.a"
    assert reading.url is not None
    # Both credentials align to Reading Comprehension: one skill, two pieces of evidence.
    assert {e.credential_ref for e in reading.evidence} == {world.sql_key, world.writing_key}
    [sql] = profile.frameworks[0].skills
    [evidence] = sql.evidence
    assert evidence.credential_id == world.sql.credential_id
    assert evidence.issuer_name == "Riverside College"
    assert evidence.achievement_name == "Databases I"
    assert evidence.date is not None
    assert evidence.date.startswith("2026-06-01")
    assert [(r.name, r.value) for r in evidence.results] == [("Final score", "92")]
    assert profile.verified_credentials == 2


def test_unverified_imports_and_self_asserted_skills_are_ignored(world: World) -> None:
    world.import_unverified(world.ada, [WELDING])
    add_entry(
        world.session,
        world.ada,
        EmploymentInput(
            employer="Shipyard",
            role="Welder",
            start_date=date(2020, 1, 1),
            skills=["Welding"],
            framework_skills=[WELDING, TEAMWORK],
        ),
    )
    profile = skills_profile(world.session, world.ada, now=NOW)
    names = {s.name for s in profile.skills}
    assert "operate welding equipment" not in names
    assert "work in teams" not in names
    assert "Welding" not in names
    assert profile.unverified_ignored == 1
    assert profile.verified_credentials == 2


def test_a_revoked_credential_leaves_the_profile(world: World) -> None:
    assert "SQL" in _names(world)
    change_status(world.session, world.college, world.sql.credential_id, "revoke")
    names = _names(world)
    assert "SQL" not in names
    assert "Reading Comprehension" in names  # still evidenced by the other credential


def test_another_learner_has_no_skills(world: World) -> None:
    assert skills_profile(world.session, world.bob, now=NOW).skills == ()
