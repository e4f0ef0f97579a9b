"""The skills profile computation (openler.core.skills): verified evidence only, grouped by
framework, one skill per framework item, each with its evidence trail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openler.core.skills import (
    OTHER_FRAMEWORK,
    HeldCredential,
    awarded_achievements,
    build_skills_profile,
    text_value,
)

ONET = "O*NET Basic Skills"
ESCO = "ESCO"


def _alignment(
    name: str, framework: str | None, code: str | None, url: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["Alignment"], "targetName": name}
    if framework is not None:
        out["targetFramework"] = framework
    if code is not None:
        out["targetCode"] = code
    if url is not None:
        out["targetUrl"] = url
    return out


READING = _alignment("Reading Comprehension", ONET, "2.A.1.a", "https://onet.example/2.A.1.a")
WRITING = _alignment("Writing", ONET, "2.A.1.c", "https://onet.example/2.A.1.c")
ROUTING = _alignment("ICT network routing", ESCO, "0da6", "http://data.europa.eu/esco/skill/0da6")
LOCAL = _alignment("Forklift safety", None, None, None)


def _credential(
    n: int,
    alignments: list[dict[str, Any]],
    *,
    issuer: Any = None,
    date: str = "2026-01-01T00:00:00Z",
    results: list[dict[str, Any]] | None = None,
    result_descriptions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": f"https://issuer.example/achievements/{n}",
        "type": ["Achievement"],
        "name": f"Achievement {n}",
        "criteria": {"narrative": "Do it."},
        "alignment": alignments,
    }
    if result_descriptions:
        achievement["resultDescription"] = result_descriptions
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
    if results:
        subject["result"] = results
    return {
        "id": f"urn:uuid:0000000{n}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Credential {n}",
        "issuer": issuer or {"id": "did:web:college.example", "name": "Riverside College"},
        "validFrom": date,
        "credentialSubject": subject,
    }


def test_groups_verified_skills_by_framework_with_evidence() -> None:
    profile = build_skills_profile(
        [
            HeldCredential("issued:1", _credential(1, [READING, ROUTING]), verified=True),
            HeldCredential("issued:2", _credential(2, [WRITING, LOCAL]), verified=True),
        ]
    )
    assert [f.name for f in profile.frameworks] == [ESCO, ONET, OTHER_FRAMEWORK]
    onet = profile.framework(ONET)
    assert onet is not None
    assert [s.name for s in onet.skills] == ["Reading Comprehension", "Writing"]
    reading = onet.skills[0]
    assert (reading.code, reading.url) == ("2.A.1.a", "https://onet.example/2.A.1.a")
    [evidence] = reading.evidence
    assert evidence.credential_ref == "issued:1"
    assert evidence.credential_id == "urn:uuid:00000001"
    assert evidence.credential_name == "Credential 1"
    assert evidence.achievement_name == "Achievement 1"
    assert (evidence.issuer_id, evidence.issuer_name) == (
        "did:web:college.example",
        "Riverside College",
    )
    assert evidence.date == "2026-01-01T00:00:00Z"
    assert len(profile.skills) == 4
    assert profile.verified_credentials == 2
    assert profile.unverified_ignored == 0


def test_unverified_credentials_count_for_nothing() -> None:
    profile = build_skills_profile(
        [
            HeldCredential("imported:1", _credential(1, [READING]), verified=False),
            HeldCredential("issued:2", _credential(2, [WRITING]), verified=True),
        ]
    )
    assert [s.name for s in profile.skills] == ["Writing"]
    assert profile.unverified_ignored == 1
    assert profile.to_dict()["skillCount"] == 1


def test_one_skill_many_evidence_newest_first() -> None:
    same_by_code = _alignment("Reading", ONET, "2.A.1.a", None)
    reading_no_url = {k: v for k, v in READING.items() if k != "targetUrl"}
    profile = build_skills_profile(
        [
            HeldCredential(
                "a", _credential(1, [reading_no_url], date="2024-05-01T00:00:00Z"), True
            ),
            HeldCredential("b", _credential(2, [same_by_code], date="2026-02-01T00:00:00Z"), True),
        ]
    )
    [skill] = profile.skills
    assert [e.credential_ref for e in skill.evidence] == ["b", "a"]


def test_skill_identity_url_then_code_then_name() -> None:
    by_name_1 = _alignment("Forklift Safety", "Site rules", None, None)
    by_name_2 = _alignment("forklift safety", "Site rules", None, None)
    other_framework = _alignment("forklift safety", "Other rules", None, None)
    profile = build_skills_profile(
        [HeldCredential("a", _credential(1, [by_name_1, by_name_2, other_framework]), True)]
    )
    assert len(profile.skills) == 2
    # The same credential aligned twice to one skill is one piece of evidence.
    site = profile.framework("Site rules")
    assert site is not None
    assert len(site.skills[0].evidence) == 1


def test_results_in_words() -> None:
    descriptions: list[dict[str, Any]] = [
        {
            "id": "urn:rd:score",
            "type": ["ResultDescription"],
            "name": "Final exam",
            "resultType": "Percent",
        },
        {
            "id": "urn:rd:rubric",
            "type": ["ResultDescription"],
            "name": "Practical",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": "urn:level:1", "type": ["RubricCriterionLevel"], "name": "Proficient"}
            ],
        },
    ]
    results: list[dict[str, Any]] = [
        {"type": ["Result"], "resultDescription": "urn:rd:score", "value": "92"},
        {"type": ["Result"], "resultDescription": "urn:rd:rubric", "achievedLevel": "urn:level:1"},
        {"type": ["Result"], "status": "Completed"},
        {"type": ["Result"]},  # says nothing: left out
    ]
    cred = _credential(1, [READING], results=results, result_descriptions=descriptions)
    [skill] = build_skills_profile([HeldCredential("a", cred, True)]).skills
    assert [(r.name, r.value) for r in skill.evidence[0].results] == [
        ("Final exam", "92"),
        ("Practical", "Proficient"),
        (None, "Completed"),
    ]


def test_clr_counts_embedded_credentials_not_its_curriculum() -> None:
    inner = _credential(7, [WRITING], issuer="did:web:school.example")
    clr = {
        "id": "urn:uuid:clr",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": "did:web:college.example", "name": "Riverside College"},
        "validFrom": "2026-03-01T00:00:00Z",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "achievement": [_credential(8, [READING])["credentialSubject"]["achievement"]],
            "verifiableCredential": [inner, "eyJ.not-decoded.jwt"],
        },
    }
    profile = build_skills_profile([HeldCredential("issued:clr", clr, True)])
    [skill] = profile.skills
    assert skill.name == "Writing"
    evidence = skill.evidence[0]
    assert evidence.credential_ref == "issued:clr"  # the record item that holds it
    assert evidence.credential_id == "urn:uuid:00000007"
    assert evidence.issuer_id == "did:web:school.example"
    assert evidence.issuer_name is None


def test_malformed_documents_are_harmless() -> None:
    weird: list[Any] = [
        {},
        {"credentialSubject": "nope"},
        {"credentialSubject": [{"achievement": "not an object"}]},
        {"credentialSubject": {"achievement": {"alignment": [None, 3, {"targetName": ""}]}}},
        {"credentialSubject": {"achievement": {"alignment": {"targetName": {"en": "Welding"}}}}},
    ]
    profile = build_skills_profile(HeldCredential(str(i), d, True) for i, d in enumerate(weird))
    assert [s.name for s in profile.skills] == ["Welding"]
    assert profile.skills[0].framework == OTHER_FRAMEWORK


def test_inputs_are_not_modified() -> None:
    cred = _credential(1, [READING, WRITING])
    before = copy.deepcopy(cred)
    build_skills_profile([HeldCredential("a", cred, True)]).to_dict()
    assert cred == before


def test_nesting_is_bounded() -> None:
    doc: dict[str, Any] = _credential(1, [READING])
    for _ in range(10):
        doc = {"type": ["ClrCredential"], "credentialSubject": {"verifiableCredential": [doc]}}
    assert awarded_achievements(doc) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Welding ", "Welding"),
        ({"en": "Welding", "fr": "Soudage"}, "Welding"),
        ({"@value": "Welding", "@language": "en"}, "Welding"),
        (["Welding"], "Welding"),
        ("   ", None),
        (None, None),
        (True, None),
        (3, "3"),
    ],
)
def test_text_value(value: Any, expected: str | None) -> None:
    assert text_value(value) == expected
