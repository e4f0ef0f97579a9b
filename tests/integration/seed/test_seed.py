"""The demo world: what ``seed_demo`` creates, that a second run creates and issues nothing,
and that every seeded credential verifies against the DID documents and status lists the
platform would serve (on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.model.ob3 import Achievement
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization, org_did
from openler.services.seed import (
    IDEMPOTENCY_PREFIX,
    SeedSummary,
    demo_learner_did,
    framework_items,
    seed_demo,
)
from openler.store.models import (
    AchievementDefinition,
    AuditEvent,
    CredentialStatus,
    IssuedCredential,
    Organization,
    OrganizationKind,
    PublicationStatus,
    SigningKey,
    StatusList,
)
from tests.integration.platform_view import PlatformView

SETTINGS = Settings(base_url="https://demo.example", env="test")
KEYSTORE = KeyStore("a-seed-test-secret-that-is-long-enough-0123456789")
NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)

KINDS = {
    "riverbend-usd": OrganizationKind.K12_DISTRICT,
    "lakeshore-cc": OrganizationKind.COLLEGE,
    "northfield-mfg": OrganizationKind.EMPLOYER,
    "great-lakes-msc": OrganizationKind.INDUSTRY_ASSOCIATION,
}
SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


def _seed(session: Session, now: datetime = NOW) -> SeedSummary:
    return seed_demo(session, SETTINGS, KEYSTORE, now=now)


def _org_ids(session: Session) -> list[Any]:
    return list(session.scalars(sa.select(Organization.id).where(Organization.slug.in_(KINDS))))


def _counts(session: Session) -> dict[str, Any]:
    ids = _org_ids(session)

    def count(model: Any, column: Any) -> int:
        return int(
            session.scalar(sa.select(sa.func.count()).select_from(model).where(column.in_(ids)))
            or 0
        )

    return {
        "organizations": len(ids),
        "keys": count(SigningKey, SigningKey.organization_id),
        "achievements": count(AchievementDefinition, AchievementDefinition.organization_id),
        "credentials": count(IssuedCredential, IssuedCredential.organization_id),
        "audit": count(AuditEvent, AuditEvent.organization_id),
        "status_lists": sorted(
            session.execute(
                sa.select(StatusList.url_path, StatusList.next_index, StatusList.version).where(
                    StatusList.organization_id.in_(ids)
                )
            ).all()
        ),
    }


def _credentials(session: Session) -> list[IssuedCredential]:
    return list(
        session.scalars(
            sa.select(IssuedCredential)
            .where(IssuedCredential.organization_id.in_(_org_ids(session)))
            .order_by(IssuedCredential.credential_id)
        )
    )


def test_seeding_creates_the_demo_world(db_session: Session) -> None:
    summary = _seed(db_session)

    assert {o.slug: o.kind for o in summary.organizations} == {
        slug: kind.value for slug, kind in KINDS.items()
    }
    assert all(o.created for o in summary.organizations)
    for seeded in summary.organizations:
        assert seeded.did == org_did(SETTINGS, seeded.slug)
        assert seeded.did_document_url == f"https://demo.example/orgs/{seeded.slug}/did.json"
        assert seeded.status_list_urls
        org = db_session.scalar(sa.select(Organization).where(Organization.slug == seeded.slug))
        assert org is not None
        for key in ("url", "email", "description", "address"):
            assert org.profile[key], (seeded.slug, key)
        keys = db_session.scalars(sa.select(SigningKey).where(SigningKey.organization_id == org.id))
        assert [k.key_id for k in keys] == ["key-1"]

    assert summary.created == {"organizations": 4, "achievements": 9, "credentials": 13}
    definitions = db_session.scalars(
        sa.select(AchievementDefinition).where(
            AchievementDefinition.organization_id.in_(_org_ids(db_session))
        )
    ).all()
    assert len(definitions) == 9
    assert all(d.status is PublicationStatus.PUBLISHED and d.published_at for d in definitions)
    by_name = {d.achievement["name"]: d.achievement for d in definitions}
    for name in (
        "High School Diploma",
        "Collaboration",
        "Digital Literacy",
        "Intro to Welding Safety",
        "Associate of Applied Science in Information Technology: Networking",
        "SQL Fundamentals",
        "Network+ Readiness",
        "Forklift Operation",
        "Certified Production Technician",
    ):
        achievement = by_name[name]
        Achievement.model_validate(achievement, context={})  # strict OB 3.0
        for key in ("criteria", "description", "achievementType", "alignment", "humanCode"):
            assert achievement.get(key), (name, key)
        assert achievement["id"].startswith("https://demo.example/orgs/")
    assert by_name["High School Diploma"]["achievementType"] == "SecondarySchoolDiploma"
    aas = by_name["Associate of Applied Science in Information Technology: Networking"]
    assert aas["achievementType"] == "AssociateDegree"
    assert aas["creditsAvailable"] == 60
    rubric = by_name["Collaboration"]["resultDescription"][0]
    assert rubric["resultType"] == "RubricCriterionLevel"
    assert [lv["name"] for lv in rubric["rubricCriterionLevel"]] == [
        "Beginning",
        "Developing",
        "Proficient",
        "Advanced",
    ]

    issued = _credentials(db_session)
    assert len(issued) == 13
    assert {c.credential_id for c in issued} == {c.credential_id for c in summary.credentials}
    assert all((c.idempotency_key or "").startswith(IDEMPOTENCY_PREFIX) for c in issued)
    statuses = Counter(c.status for c in issued)
    assert statuses == {
        CredentialStatus.ACTIVE: 11,
        CredentialStatus.REVOKED: 1,
        CredentialStatus.SUSPENDED: 1,
    }
    revoked = next(c for c in issued if c.status is CredentialStatus.REVOKED)
    assert "Issued in error" in (revoked.status_reason or "")
    suspended = next(c for c in issued if c.status is CredentialStatus.SUSPENDED)
    assert suspended.status_reason
    assert suspended.suspension_list_id is not None
    assert suspended.achievement.logical_id == "forklift-operator"

    learner_did = demo_learner_did("Aisha Johnson")
    assert learner_did.startswith("did:key:z6Mk")
    own = [c for c in issued if c.recipient_identifier == learner_did]
    assert len(own) == 3
    assert all(c.document["credentialSubject"]["id"] == learner_did for c in own)
    emails = [c for c in issued if c.recipient_hashed]
    assert len(emails) == 10
    for credential in emails:  # the credential carries only a salted hash of the address
        assert credential.recipient_identifier.startswith("sha256$")
        assert b"@example.org" not in credential.credential_bytes
    with_results = [c for c in issued if c.document["credentialSubject"].get("result")]
    assert len(with_results) == 13


def test_seeding_twice_creates_and_issues_nothing(db_session: Session) -> None:
    first = _seed(db_session)
    before = _counts(db_session)
    stored = {c.credential_id: c.credential_bytes for c in _credentials(db_session)}

    second = _seed(db_session, LATER)

    assert _counts(db_session) == before
    assert not second.created_anything
    assert second.existing == {"organizations": 4, "achievements": 9, "credentials": 13}
    assert [c.credential_id for c in second.credentials] == [
        c.credential_id for c in first.credentials
    ]
    assert [(a.id, a.achievement_id) for a in second.achievements] == [
        (a.id, a.achievement_id) for a in first.achievements
    ]
    assert [o.did for o in second.organizations] == [o.did for o in first.organizations]
    assert {c.credential_id: c.credential_bytes for c in _credentials(db_session)} == stored
    assert [c.status for c in second.credentials] == [c.status for c in first.credentials]


def test_seeding_completes_a_partial_world(db_session: Session) -> None:
    existing = create_organization(
        db_session, SETTINGS, KEYSTORE, slug="lakeshore-cc", name="Lakeshore CC (made by hand)"
    )
    summary = _seed(db_session)
    created = {o.slug: o.created for o in summary.organizations}
    assert created == {
        "riverbend-usd": True,
        "lakeshore-cc": False,
        "northfield-mfg": True,
        "great-lakes-msc": True,
    }
    college = [c for c in summary.credentials if c.organization == "lakeshore-cc"]
    assert college
    assert all(c.created for c in college)
    assert all(
        c.organization_id == existing.id
        for c in _credentials(db_session)
        if c.credential_id in {x.credential_id for x in college}
    )


def test_every_seeded_credential_verifies(db_session: Session) -> None:
    summary = _seed(db_session)
    view = PlatformView(db_session, SETTINGS, KEYSTORE, now=LATER)
    expected = {"active": [], "revoked": ["revoked"], "suspended": ["suspended"]}
    for credential in _credentials(db_session):
        codes = view.error_codes(credential.credential_bytes)
        assert codes == expected[credential.status.value], (
            credential.achievement.logical_id,
            codes,
        )
        issuer = credential.document["issuer"]
        seeded = next(o for o in summary.organizations if o.did == issuer["id"])
        assert issuer["name"] == seeded.name
    # a second run does not disturb what verifiers see
    _seed(db_session, LATER)
    revoked = [c for c in _credentials(db_session) if c.status is CredentialStatus.REVOKED]
    assert [view.error_codes(c.credential_bytes) for c in revoked] == [["revoked"]]


def test_alignments_reference_the_bundled_framework_items(db_session: Session) -> None:
    _seed(db_session)
    items = {item["url"]: item for item in framework_items().values()}
    used = set()
    for credential in _credentials(db_session):
        achievement = credential.document["credentialSubject"]["achievement"]
        assert achievement["alignment"], achievement["name"]
        for alignment in achievement["alignment"]:
            item = items[alignment["targetUrl"]]
            assert alignment["targetName"] == item["name"]
            assert alignment["targetCode"] == item["code"]
            assert alignment["targetFramework"] == item["frameworkName"]
            used.add(alignment["targetUrl"])
    frameworks = {items[url]["framework"] for url in used}
    assert {"onet-basic-skills", "onet-cross-functional-skills", "esco-ict"} <= frameworks
    # the bundle holds only what the demo world uses (every item of an issued achievement)
    definitions = db_session.scalars(
        sa.select(AchievementDefinition).where(
            AchievementDefinition.organization_id.in_(_org_ids(db_session))
        )
    )
    all_used = {a["targetUrl"] for d in definitions for a in d.achievement["alignment"]}
    assert all_used == set(items)


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the shared data bundle is not here")
def test_bundled_items_match_the_shared_data() -> None:
    onet: dict[str, dict[str, Any]] = {}
    for path in (SHARED_DATA / "frameworks" / "onet-ctdl-asn").glob("*.json"):
        for node in json.loads(path.read_text("utf-8"))["@graph"][1:]:
            onet[node["@id"]] = node
    lines = (SHARED_DATA / "esco/ict/skills.jsonl").read_text("utf-8").splitlines()
    esco_ict = {row["uri"]: row for row in map(json.loads, lines)}
    with (SHARED_DATA / "esco/full/skills.csv").open(encoding="utf-8") as handle:
        esco_full = {row["id"]: row["description"] for row in csv.DictReader(handle)}
    for key, item in framework_items().items():
        if key.startswith("onet:"):
            node = onet[item["url"]]
            assert node["ceasn:codedNotation"] == item["code"] == key.removeprefix("onet:")
            assert node["ceasn:competencyLabel"]["en-us"] == item["name"]
            assert node["ceasn:competencyText"]["en-us"] == item["description"]
        elif item["framework"] == "esco-ict":
            row = esco_ict[item["url"]]
            assert (row["label"], row["description"]) == (item["name"], item["description"])
        else:
            text = esco_full[item["url"]]
            assert text.startswith(item["name"] + " ")
            assert text.endswith(item["description"])
