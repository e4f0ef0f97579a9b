"""A small, realistic demo world, seeded idempotently.

``seed_demo`` creates four organizations (a K-12 district, a community college, an employer
and an industry association) with their profiles and signing keys, publishes their
achievement definitions (full OB 3.0 Achievements aligned to real O*NET and ESCO skills,
bundled in ``seed_data.json``), and issues credentials to a few fictional learners: one of
them is revoked and one suspendable credential is suspended.

Running it again creates nothing and issues nothing: organizations are found by slug,
achievements by logical id, and credentials are issued under stable idempotency keys
(``demo-seed:…``) with requests that do not depend on the clock, so a repeat is an
idempotent replay. Status changes are applied only to credentials issued by that very run.
Everything happens in the caller's transaction.

Each organization also gets a demo admin for the web console (``admin@<slug>.example.org``,
password :data:`DEMO_PASSWORD`, printed by ``openler seed``), except when ``OPENLER_ENV`` is
``production``: a published password must never guard a real deployment.

The framework items' origins, licences and required attribution texts are in
``seed_data.SOURCES.md`` beside this file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.core.keys.did_key import did_key_from_public_key
from openler.core.keys.keypair import KeyPair
from openler.core.model.builders import build_achievement
from openler.services.audit import record
from openler.services.issuing import IssueRequest, change_status, issue_credential
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization, org_did
from openler.store.models import (
    AchievementDefinition,
    AuditAction,
    Organization,
    OrganizationKind,
    PublicationStatus,
    StatusList,
)

__all__ = [
    "DATA_FILE",
    "DEMO_PASSWORD",
    "IDEMPOTENCY_PREFIX",
    "SeedSummary",
    "SeededAchievement",
    "SeededCredential",
    "SeededLogin",
    "SeededOrganization",
    "alignment",
    "demo_learner_did",
    "framework_items",
    "seed_demo",
]

#: The bundled framework items (see seed_data.SOURCES.md).
DATA_FILE: Final = Path(__file__).with_name("seed_data.json")
#: Every seeded credential's idempotency key starts with this.
IDEMPOTENCY_PREFIX: Final = "demo-seed:v1:"
#: The password of the demo console logins (demo only; never seeded in production).
DEMO_PASSWORD: Final = "openler-demo-password"  # noqa: S105 - a published demo password


# -- framework items ---------------------------------------------------------------------


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def framework_items() -> dict[str, dict[str, Any]]:
    """The bundled items by key (``onet:2.A.1.a``, ``esco:<uuid>``), each with its
    framework's name and licence filled in."""
    data = _data()
    out = {}
    for key, item in data["items"].items():
        framework = data["frameworks"][item["framework"]]
        out[key] = {**item, "frameworkName": framework["name"], "license": framework["license"]}
    return out


def alignment(key: str) -> dict[str, Any]:
    """An OB 3.0 Alignment to the bundled framework item ``key``."""
    item = framework_items().get(key)
    if item is None:
        raise KeyError(f"no bundled framework item {key!r}")
    out: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": item["name"],
        "targetUrl": item["url"],
        "targetFramework": item["frameworkName"],
        "targetCode": item["code"],
    }
    if item.get("description"):
        out["targetDescription"] = item["description"]
    if item.get("type"):
        out["targetType"] = item["type"]
    return out


def demo_learner_did(name: str) -> str:
    """A did:key for a demo learner, derived from their name (the same on every run).

    Demo only: anyone can derive the private key, so it must never hold real credentials."""
    seed = hashlib.sha256(f"openler demo learner: {name}".encode()).digest()
    return did_key_from_public_key(KeyPair.from_private_bytes("Ed25519", seed).public_key)


# -- the world ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Org:
    slug: str
    name: str
    kind: OrganizationKind
    profile: Mapping[str, Any]


def _address(street: str, city: str, region: str, postal: str) -> dict[str, Any]:
    return {
        "type": ["Address"],
        "streetAddress": street,
        "addressLocality": city,
        "addressRegion": region,
        "postalCode": postal,
        "addressCountry": "United States",
        "addressCountryCode": "US",
    }


ORGANIZATIONS: Final = (
    _Org(
        "riverbend-usd",
        "Riverbend Unified School District",
        OrganizationKind.K12_DISTRICT,
        {
            "url": "https://riverbend-usd.example.org",
            "email": "credentials@riverbend-usd.example.org",
            "phone": "+1-555-0101",
            "description": "A public K-12 district of 14 schools that awards competency-based "
            "microcredentials and career and technical education badges alongside the high "
            "school diploma.",
            "address": _address("400 Mill Street", "Riverbend", "OH", "44000"),
        },
    ),
    _Org(
        "lakeshore-cc",
        "Lakeshore Community College",
        OrganizationKind.COLLEGE,
        {
            "url": "https://lakeshore-cc.example.org",
            "email": "registrar@lakeshore-cc.example.org",
            "phone": "+1-555-0102",
            "description": "A two-year public college offering associate degrees, short-term "
            "certificates and stackable skill badges in IT, advanced manufacturing and "
            "health care.",
            "address": _address("1200 Harbor Drive", "Lakeshore", "OH", "44001"),
        },
    ),
    _Org(
        "northfield-mfg",
        "Northfield Manufacturing Co.",
        OrganizationKind.EMPLOYER,
        {
            "url": "https://northfield-mfg.example.org",
            "email": "training@northfield-mfg.example.org",
            "phone": "+1-555-0103",
            "description": "A metal fabrication and assembly plant employing 650 people; its "
            "training department certifies powered industrial truck operators on the job.",
            "address": _address("77 Foundry Road", "Northfield", "OH", "44002"),
        },
    ),
    _Org(
        "great-lakes-msc",
        "Great Lakes Manufacturing Skills Council",
        OrganizationKind.INDUSTRY_ASSOCIATION,
        {
            "url": "https://great-lakes-msc.example.org",
            "email": "certification@great-lakes-msc.example.org",
            "phone": "+1-555-0104",
            "description": "An industry association of regional manufacturers that sets "
            "skill standards and awards industry-recognized production certifications.",
            "address": _address("1 Commerce Plaza, Suite 900", "Lakeshore", "OH", "44001"),
        },
    ),
)


def _rubric(
    base: str, name: str, levels: Sequence[tuple[str, str]], required: str
) -> dict[str, Any]:
    """A ResultDescription scored on a rubric of (level name, description), lowest first."""
    rid = f"{base}/results/{_slug(name)}"
    return {
        "id": rid,
        "type": ["ResultDescription"],
        "name": name,
        "resultType": "RubricCriterionLevel",
        "requiredLevel": f"{rid}/{_slug(required)}",
        "rubricCriterionLevel": [
            {
                "id": f"{rid}/{_slug(level)}",
                "type": ["RubricCriterionLevel"],
                "name": level,
                "description": description,
                "points": str(points),
            }
            for points, (level, description) in enumerate(levels, start=1)
        ],
    }


def _scored(
    base: str,
    name: str,
    result_type: str,
    low: str,
    high: str,
    required: str | None = None,
) -> dict[str, Any]:
    out = {
        "id": f"{base}/results/{_slug(name)}",
        "type": ["ResultDescription"],
        "name": name,
        "resultType": result_type,
        "valueMin": low,
        "valueMax": high,
    }
    if required is not None:
        out["requiredValue"] = required
    return out


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


_K12_LEVELS: Final = (
    ("Beginning", "Shows the skill only with step-by-step support."),
    ("Developing", "Shows parts of the skill; needs prompting for the rest."),
    ("Proficient", "Shows the whole skill on their own, in a new situation."),
    ("Advanced", "Applies the skill in complex situations and helps peers learn it."),
)


@dataclass(frozen=True)
class _Achievement:
    org: str
    logical_id: str
    name: str
    achievement_type: str
    description: str
    criteria: str
    alignments: Sequence[str]
    results: Sequence[Any] = ()  # callables base -> ResultDescription
    extra: Mapping[str, Any] = field(default_factory=dict)
    tags: Sequence[str] = ()

    def build(self, achievement_id: str) -> dict[str, Any]:
        return build_achievement(
            achievement_id=achievement_id,
            name=self.name,
            description=self.description,
            criteria_narrative=self.criteria,
            achievement_type=self.achievement_type,
            alignments=[alignment(key) for key in self.alignments],
            result_descriptions=[make(achievement_id) for make in self.results],
            tags=self.tags,
            extra={"inLanguage": "en", "version": "1", **self.extra},
        ).to_json_dict()


ACHIEVEMENTS: Final = (
    _Achievement(
        "riverbend-usd",
        "hs-diploma",
        "High School Diploma",
        "SecondarySchoolDiploma",
        "Awarded to students who complete Riverbend's graduation requirements: 24 credits "
        "across English, mathematics, science, social studies, world languages, fine arts "
        "and electives, and a senior capstone.",
        "Earn at least **24 credits** (4 English, 4 mathematics, 3 science, 3 social studies, "
        "2 world language, 1 fine arts, 7 electives), pass the state end-of-course exams and "
        "present a senior capstone project.",
        ("onet:2.A.1.a", "onet:2.A.1.c", "onet:2.A.1.e", "onet:2.A.1.f", "onet:2.A.2.a"),
        (lambda base: _scored(base, "Cumulative GPA", "GradePointAverage", "0.0", "4.0"),),
        {"creditsAvailable": 24, "fieldOfStudy": "General Studies", "humanCode": "RUSD-HSD"},
        ("K-12", "diploma"),
    ),
    _Achievement(
        "riverbend-usd",
        "collaboration",
        "Collaboration",
        "MicroCredential",
        "Works with others toward a shared goal: listens actively, coordinates tasks, gives "
        "and takes feedback, and resolves disagreements.",
        "Submit evidence from **two team projects** (a project log and a peer review) and a "
        "reflection; a teacher scores the evidence on the district collaboration rubric. "
        "*Proficient* or better earns the microcredential.",
        ("onet:2.B.1.b", "onet:2.A.1.b", "esco:60c78287-22eb-4103-9c8c-28deaa460da0"),
        (lambda base: _rubric(base, "Collaboration rubric", _K12_LEVELS, "Proficient"),),
        {"fieldOfStudy": "Employability Skills", "humanCode": "RUSD-MC-COLLAB"},
        ("K-12", "microcredential", "employability skills"),
    ),
    _Achievement(
        "riverbend-usd",
        "digital-literacy",
        "Digital Literacy",
        "MicroCredential",
        "Finds, evaluates and shares information with digital tools, collaborates online and "
        "protects their personal data and privacy.",
        "Complete the district's digital literacy performance task (a sourced research "
        "brief, a shared document built with classmates and a privacy checklist for their "
        "own accounts), scored *Proficient* or better on the digital literacy rubric.",
        (
            "esco:e439742d-558d-4f52-885e-afdc740b48cf",
            "esco:1d6c7de4-350e-4868-a47b-333b4b0d9650",
            "esco:2b34a99f-9813-4c91-9509-b6b9b8c3132e",
            "esco:33a82b83-c838-4889-ae62-fae1317481eb",
            "onet:2.C.3.a",
        ),
        (lambda base: _rubric(base, "Digital literacy rubric", _K12_LEVELS, "Proficient"),),
        {"fieldOfStudy": "Digital Literacy", "humanCode": "RUSD-MC-DIGLIT"},
        ("K-12", "microcredential", "digital skills"),
    ),
    _Achievement(
        "riverbend-usd",
        "welding-safety",
        "Intro to Welding Safety",
        "MicroCredential",
        "Knows the hazards of arc and gas welding and works safely in a school welding shop: "
        "selects and inspects personal protective equipment, sets up ventilation and fire "
        "watch, and follows lock-out and hot-work procedures.",
        "Pass the written shop-safety test with **80 %** or more and demonstrate a safe "
        "set-up of a welding station, observed by the career and technical education "
        "instructor.",
        (
            "esco:51754b8a-3e2c-4cc1-86e6-cf510d9c6fe4",
            "esco:dcc96a49-0bac-4a9c-8f8e-a32b4e47e6eb",
            "esco:2fcd95a4-1f9a-41cf-95a9-4701bde476b4",
            "onet:2.C.8.a",
        ),
        (lambda base: _scored(base, "Shop safety test", "Percent", "0", "100", "80"),),
        {
            "fieldOfStudy": "Welding Technology",
            "humanCode": "RUSD-CTE-WELD-SAFE",
            "creditsAvailable": 0.5,
        },
        ("K-12", "microcredential", "career and technical education", "welding"),
    ),
    _Achievement(
        "lakeshore-cc",
        "aas-it-networking",
        "Associate of Applied Science in Information Technology: Networking",
        "AssociateDegree",
        "A two-year degree preparing network support technicians to install, configure, "
        "secure and troubleshoot local and wide area networks and the servers and "
        "databases on them.",
        "Earn **60 credits** in the programme with a cumulative GPA of at least 2.0, "
        "including a network build capstone scored *Proficient* or better.",
        (
            "esco:2164e860-7f20-48bc-b98c-5d9f8a561550",
            "esco:744442ac-c157-4350-8be0-ce454df4f5c5",
            "esco:f9e788df-d68a-4f92-92c7-80e135fc35ff",
            "esco:7369f779-4b71-4aab-8836-48b69c676eec",
            "onet:2.B.3.k",
            "onet:2.C.9.a",
        ),
        (
            lambda base: _scored(
                base, "Cumulative GPA", "GradePointAverage", "0.0", "4.0", required="2.0"
            ),
            lambda base: _rubric(
                base,
                "Network build capstone",
                (
                    ("Developing", "Network works only with instructor help."),
                    ("Proficient", "Designs, builds and documents a working, secured network."),
                    ("Exemplary", "Also automates configuration and diagnoses injected faults."),
                ),
                "Proficient",
            ),
        ),
        {
            "creditsAvailable": 60,
            "fieldOfStudy": "Computer and Information Sciences",
            "specialization": "Networking",
            "humanCode": "AAS-ITN",
        },
        ("associate degree", "information technology", "networking"),
    ),
    _Achievement(
        "lakeshore-cc",
        "sql-fundamentals",
        "SQL Fundamentals",
        "Badge",
        "Writes SQL queries to retrieve, filter, join and aggregate data, and designs a "
        "normalized relational schema.",
        "Complete CIS 140 *Database Fundamentals* (3 credits) with a grade of C or better and "
        "score **70 %** or more on the proctored final exam.",
        (
            "esco:598de5b0-5b58-4ea7-8058-a4bc4d18c742",
            "esco:75f839c2-fd9a-4ad3-8921-6e734608568d",
            "esco:6c08403c-a5bb-4868-b8c2-b7d039c0e511",
            "onet:2.B.3.e",
        ),
        (
            lambda base: _scored(base, "Final exam", "Percent", "0", "100", "70"),
            lambda base: {
                "id": f"{base}/results/course-grade",
                "type": ["ResultDescription"],
                "name": "Course grade",
                "resultType": "LetterGrade",
                "allowedValue": ["A", "B", "C", "D", "F"],
                "requiredValue": "C",
            },
        ),
        {"creditsAvailable": 3, "fieldOfStudy": "Database Management", "humanCode": "CIS-140"},
        ("skill badge", "SQL", "databases"),
    ),
    _Achievement(
        "lakeshore-cc",
        "network-plus-readiness",
        "Network+ Readiness",
        "Badge",
        "Ready to sit an entry-level networking certification exam: explains routing and "
        "addressing, configures IP settings, uses network diagnostic tools and recognizes "
        "common network security risks.",
        "Score **720** or more (on a 100-900 scale) on the college's proctored practice exam "
        "after completing NET 110 and NET 120.",
        (
            "esco:0da6cab1-0ee9-4391-a299-f71fbf21db56",
            "esco:b9aad733-959a-4178-984f-53e4bd05b420",
            "esco:bf7ea00f-db77-4a95-9b9f-2d12b6d9fcb4",
            "esco:2ddb1226-1117-4eb4-ae65-3a2f5a5a3c80",
            "onet:2.C.9.a",
        ),
        (lambda base: _scored(base, "Practice exam", "ScaledScore", "100", "900", "720"),),
        {"fieldOfStudy": "Computer Networking", "humanCode": "NET-READY"},
        ("skill badge", "networking", "certification preparation"),
    ),
    _Achievement(
        "northfield-mfg",
        "forklift-operator",
        "Forklift Operation",
        "Certification",
        "Certified by the employer to operate sit-down counterbalanced forklifts (Class IV "
        "and V powered industrial trucks) in the plant, after formal instruction, practical "
        "training and an evaluation of performance in the workplace. Valid for three years.",
        "Complete the powered industrial truck training (classroom and hands-on), pass the "
        "written knowledge test with **80 %** or more, and be rated *Competent* on the "
        "practical driving evaluation by a qualified evaluator. Re-evaluated every three "
        "years, and after an incident or near miss.",
        (
            "esco:28cb374e-6261-4133-8371-f9a5470145da",
            "onet:2.B.3.h",
            "onet:1.A.2.b.2",
            "onet:1.A.4.a.6",
        ),
        (
            lambda base: _scored(base, "Written knowledge test", "Percent", "0", "100", "80"),
            lambda base: _rubric(
                base,
                "Practical driving evaluation",
                (
                    ("Not yet competent", "Needs further supervised practice."),
                    ("Competent", "Operates, loads and parks safely without supervision."),
                ),
                "Competent",
            ),
        ),
        {"fieldOfStudy": "Material Moving", "humanCode": "NMC-PIT-4-5"},
        ("employer certification", "on-the-job training", "warehouse", "forklift"),
    ),
    _Achievement(
        "great-lakes-msc",
        "certified-production-technician",
        "Certified Production Technician",
        "Certification",
        "An industry-recognized certification of the core skills of front-line production "
        "work: safety, quality practices and measurement, manufacturing processes and "
        "production, and maintenance awareness.",
        "Pass all four proctored module assessments (Safety; Quality Practices and "
        "Measurement; Manufacturing Processes and Production; Maintenance Awareness) with a "
        "score of **70** or more each.",
        (
            "onet:2.C.2.a",
            "onet:2.B.3.m",
            "onet:2.B.3.g",
            "onet:2.B.3.j",
            "onet:2.C.8.a",
            "esco:7aa52bdc-9c56-4341-be65-e8e30f64403f",
            "esco:8a4e99e0-f259-4931-888f-604cfdc15b31",
        ),
        tuple(
            (lambda base, m=module: _scored(base, m, "RawScore", "0", "100", "70"))
            for module in (
                "Safety",
                "Quality Practices and Measurement",
                "Manufacturing Processes and Production",
                "Maintenance Awareness",
            )
        ),
        {"fieldOfStudy": "Manufacturing Production", "humanCode": "GLMSC-CPT"},
        ("industry certification", "advanced manufacturing", "production"),
    ),
)


@dataclass(frozen=True)
class _Learner:
    name: str
    recipient: str


LEARNERS: Final = {
    "maya": _Learner("Maya Chen", "maya.chen@example.org"),
    "diego": _Learner("Diego Ramirez", "diego.ramirez@example.org"),
    "aisha": _Learner("Aisha Johnson", demo_learner_did("Aisha Johnson")),
    "sam": _Learner("Sam Okafor", "sam.okafor@example.org"),
}


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Award:
    learner: str
    achievement: str  # "<org slug>/<logical id>"
    awarded: str
    #: (result description name, value): a level name for rubric results, else the value.
    results: Sequence[tuple[str, str]] = ()
    valid_until: str | None = None
    suspendable: bool = False
    then: tuple[str, str] | None = None  # ("revoke" | "suspend", reason)

    @property
    def key(self) -> str:
        return f"{IDEMPOTENCY_PREFIX}{self.learner}:{self.achievement}"


AWARDS: Final = (
    _Award("maya", "riverbend-usd/hs-diploma", "2025-06-13", (("Cumulative GPA", "3.82"),)),
    _Award(
        "maya", "riverbend-usd/collaboration", "2025-03-21", (("Collaboration rubric", "Advanced"),)
    ),
    _Award(
        "maya",
        "riverbend-usd/digital-literacy",
        "2024-12-18",
        (("Digital literacy rubric", "Proficient"),),
    ),
    _Award(
        "maya",
        "lakeshore-cc/sql-fundamentals",
        "2025-12-12",
        (("Final exam", "91"), ("Course grade", "A")),
    ),
    _Award("diego", "riverbend-usd/welding-safety", "2024-10-04", (("Shop safety test", "96"),)),
    _Award("diego", "riverbend-usd/hs-diploma", "2025-06-13", (("Cumulative GPA", "3.15"),)),
    _Award(
        "diego",
        "northfield-mfg/forklift-operator",
        "2025-09-08",
        (("Written knowledge test", "92"), ("Practical driving evaluation", "Competent")),
        valid_until="2028-09-08",
        suspendable=True,
    ),
    _Award(
        "diego",
        "great-lakes-msc/certified-production-technician",
        "2026-02-20",
        (
            ("Safety", "88"),
            ("Quality Practices and Measurement", "81"),
            ("Manufacturing Processes and Production", "77"),
            ("Maintenance Awareness", "84"),
        ),
    ),
    _Award(
        "aisha",
        "lakeshore-cc/aas-it-networking",
        "2025-05-16",
        (("Cumulative GPA", "3.55"), ("Network build capstone", "Exemplary")),
    ),
    _Award(
        "aisha",
        "lakeshore-cc/network-plus-readiness",
        "2025-04-25",
        (("Practice exam", "812"),),
    ),
    _Award(
        "aisha",
        "lakeshore-cc/sql-fundamentals",
        "2024-12-13",
        (("Final exam", "86"), ("Course grade", "B")),
    ),
    _Award(
        "sam",
        "lakeshore-cc/network-plus-readiness",
        "2026-04-24",
        (("Practice exam", "735"),),
        then=(
            "revoke",
            "Issued in error: the practice exam was scored against the wrong answer key; "
            "the corrected score is below the passing mark.",
        ),
    ),
    _Award(
        "sam",
        "northfield-mfg/forklift-operator",
        "2025-11-03",
        (("Written knowledge test", "84"), ("Practical driving evaluation", "Competent")),
        valid_until="2028-11-03",
        suspendable=True,
        then=(
            "suspend",
            "Suspended pending refresher training and re-evaluation after a near miss in "
            "the shipping dock.",
        ),
    ),
)


# -- the summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededOrganization:
    slug: str
    name: str
    kind: str
    did: str
    did_document_url: str
    status_list_urls: tuple[str, ...]
    created: bool


@dataclass(frozen=True)
class SeededAchievement:
    organization: str
    logical_id: str
    #: The definition's database id (what issuing APIs take).
    id: str
    #: The OB 3.0 Achievement's ``id`` (a URL).
    achievement_id: str
    name: str
    achievement_type: str
    created: bool


@dataclass(frozen=True)
class SeededCredential:
    organization: str
    achievement: str
    learner: str
    recipient: str
    credential_id: str
    status: str
    created: bool


@dataclass(frozen=True)
class SeededLogin:
    """A demo sign-in for the web console (``role`` in ``organization``)."""

    organization: str
    email: str
    password: str
    role: str
    created: bool


@dataclass(frozen=True)
class SeedSummary:
    organizations: tuple[SeededOrganization, ...]
    achievements: tuple[SeededAchievement, ...]
    credentials: tuple[SeededCredential, ...]
    #: Demo console logins (none in production).
    logins: tuple[SeededLogin, ...] = ()

    @property
    def created(self) -> dict[str, int]:
        return {
            "organizations": sum(o.created for o in self.organizations),
            "achievements": sum(a.created for a in self.achievements),
            "credentials": sum(c.created for c in self.credentials),
        }

    @property
    def existing(self) -> dict[str, int]:
        return {
            "organizations": sum(not o.created for o in self.organizations),
            "achievements": sum(not a.created for a in self.achievements),
            "credentials": sum(not c.created for c in self.credentials),
        }

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


# -- seeding -----------------------------------------------------------------------------


def _organization(
    session: Session, settings: Settings, keystore: KeyStore, spec: _Org
) -> tuple[Organization, bool]:
    org = session.scalar(sa.select(Organization).where(Organization.slug == spec.slug))
    if org is not None:
        return org, False
    org = create_organization(
        session,
        settings,
        keystore,
        slug=spec.slug,
        name=spec.name,
        kind=spec.kind,
        profile={"type": ["Profile"], **spec.profile},
    )
    return org, True


def _achievement(
    session: Session, settings: Settings, org: Organization, spec: _Achievement, now: datetime
) -> tuple[AchievementDefinition, bool]:
    versions = list(
        session.scalars(
            sa.select(AchievementDefinition)
            .where(
                AchievementDefinition.organization_id == org.id,
                AchievementDefinition.logical_id == spec.logical_id,
            )
            .order_by(AchievementDefinition.version.desc())
        )
    )
    published = [v for v in versions if v.status is PublicationStatus.PUBLISHED]
    if published:
        return published[0], False
    if versions:
        raise InvalidInput(
            f"{org.slug} has an unpublished achievement {spec.logical_id!r}; publish or "
            "remove it before seeding the demo world.",
            details={"organization": org.slug, "logicalId": spec.logical_id},
        )
    achievement_id = f"{settings.base_url}/orgs/{org.slug}/achievements/{spec.logical_id}"
    definition = AchievementDefinition(
        organization_id=org.id,
        logical_id=spec.logical_id,
        version=1,
        status=PublicationStatus.PUBLISHED,
        achievement=spec.build(achievement_id),
        published_at=now,
    )
    session.add(definition)
    session.flush()
    details = {"logicalId": spec.logical_id, "version": 1}
    record(session, org, None, AuditAction.ACHIEVEMENT_CREATE, achievement_id, details)
    record(session, org, None, AuditAction.ACHIEVEMENT_PUBLISH, achievement_id, details)
    return definition, True


def _results(achievement: Mapping[str, Any], wanted: Sequence[tuple[str, str]]) -> list[Any]:
    """Result objects pointing at the achievement's own ResultDescriptions (by name)."""
    by_name = {d["name"]: d for d in achievement.get("resultDescription", [])}
    out = []
    for name, value in wanted:
        description = by_name[name]
        result: dict[str, Any] = {"type": ["Result"], "resultDescription": description["id"]}
        levels = {lv["name"]: lv["id"] for lv in description.get("rubricCriterionLevel", [])}
        if levels:
            result["achievedLevel"] = levels[value]
        else:
            result["value"] = value
        out.append(result)
    return out


def _demo_admin(session: Session, org: Organization) -> SeededLogin:
    """The organization's demo admin (made when missing; an existing user keeps its
    password, and gets the admin role if it has none there)."""
    from openler.services.users import add_member, create_user, find_user
    from openler.store.models import Membership, Role

    email = f"admin@{org.slug}.example.org"
    user = find_user(session, email)
    created = user is None
    if user is None:
        user = create_user(
            session, email=email, display_name=f"{org.name} (demo admin)", password=DEMO_PASSWORD
        )
    member = session.scalar(
        sa.select(Membership).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if member is None:
        add_member(session, org, user, Role.ADMIN, None)
    return SeededLogin(org.slug, email, DEMO_PASSWORD, Role.ADMIN.value, created)


def seed_demo(
    session: Session, settings: Settings, keystore: KeyStore, *, now: datetime
) -> SeedSummary:
    """Create whatever part of the demo world is missing (in the caller's transaction) and
    describe all of it; see the module docstring."""
    orgs: dict[str, tuple[Organization, bool]] = {}
    for org_spec in ORGANIZATIONS:
        orgs[org_spec.slug] = _organization(session, settings, keystore, org_spec)

    definitions: dict[str, tuple[AchievementDefinition, bool]] = {}
    for spec in ACHIEVEMENTS:
        org, _ = orgs[spec.org]
        definitions[f"{spec.org}/{spec.logical_id}"] = _achievement(
            session, settings, org, spec, now
        )

    credentials = []
    for award in AWARDS:
        definition, _ = definitions[award.achievement]
        org, _ = orgs[award.achievement.split("/", 1)[0]]
        learner = LEARNERS[award.learner]
        request = IssueRequest(
            achievement_id=definition.id,
            recipient=learner.recipient,
            results=_results(definition.achievement, award.results),
            valid_from=_day(award.awarded),
            valid_until=_day(award.valid_until) if award.valid_until else None,
            status_purpose="suspension" if award.suspendable else "revocation",
            idempotency_key=award.key,
        )
        issued, created = issue_credential(session, settings, keystore, org, request, now=now)
        if created and award.then is not None:
            action, reason = award.then
            change_status(session, org, issued.credential_id, action, reason=reason)
        credentials.append(
            SeededCredential(
                organization=org.slug,
                achievement=definition.logical_id,
                learner=learner.name,
                recipient=learner.recipient,
                credential_id=issued.credential_id,
                status=issued.status.value,
                created=created,
            )
        )

    organizations = []
    for slug, (org, created) in orgs.items():
        lists = tuple(
            settings.base_url + path
            for path in session.scalars(
                sa.select(StatusList.url_path)
                .where(StatusList.organization_id == org.id)
                .order_by(StatusList.purpose, StatusList.sequence)
            )
        )
        organizations.append(
            SeededOrganization(
                slug=slug,
                name=org.name,
                kind=org.kind.value,
                did=org_did(settings, slug),
                did_document_url=f"{settings.base_url}/orgs/{slug}/did.json",
                status_list_urls=lists,
                created=created,
            )
        )
    achievements = tuple(
        SeededAchievement(
            organization=key.split("/", 1)[0],
            logical_id=definition.logical_id,
            id=str(definition.id),
            achievement_id=definition.achievement["id"],
            name=definition.achievement["name"],
            achievement_type=definition.achievement.get("achievementType", ""),
            created=created,
        )
        for key, (definition, created) in definitions.items()
    )
    logins = (
        ()
        if settings.env == "production"
        else tuple(_demo_admin(session, org) for org, _ in orgs.values())
    )
    return SeedSummary(tuple(organizations), achievements, tuple(credentials), logins)
