"""A small world for the sharing tests, on SQLite and PostgreSQL: a college that issues two
skill-aligned credentials to Ada (a learner with a holder key), an employer, and Bob, a
second learner. Verification goes through :class:`PlatformView` (the DID documents and
status lists the platform would publish), so an issuer's revocation shows at once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import Verifier, VerifyPolicy
from openler.services.issuing import IssueRequest, issue_credential
from openler.services.keystore import KeyStore
from openler.services.learners import ensure_learner
from openler.services.organizations import create_organization
from openler.services.seed import alignment
from openler.store.models import (
    IssuedCredential,
    Organization,
    OrganizationKind,
    PublicationStatus,
    User,
)
from openler.store.models.enums import ImportFormat
from openler.store.models.learner import ImportedCredential
from tests.integration.platform_view import PlatformView
from tests.integration.store.factories import make_achievement, make_user

SETTINGS = Settings(base_url="https://openler.example", env="test")
KEYSTORE = KeyStore("an-encryption-secret-for-tests-only-0123456789")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

READING = "onet:2.A.1.a"
WRITING = "onet:2.A.1.c"
SQL = "esco:598de5b0-5b58-4ea7-8058-a4bc4d18c742"
WELDING = "esco:2fcd95a4-1f9a-41cf-95a9-4701bde476b4"
TEAMWORK = "esco:60c78287-22eb-4103-9c8c-28deaa460da0"


def verifier_for(session: Session, now: datetime = NOW) -> Verifier:
    view = PlatformView(session, SETTINGS, KEYSTORE, now=now)
    return Verifier(resolver=view, status_fetcher=view, policy=VerifyPolicy())


def published(session: Session, org: Organization, name: str, skills: list[str]) -> Any:
    slug = name.lower().replace(" ", "-")
    achievement = make_achievement(
        session,
        org,
        logical_id=slug,
        achievement={
            "id": f"{SETTINGS.base_url}/orgs/{org.slug}/achievements/{slug}",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": name,
            "description": f"{name}, assessed in practice.",
            "criteria": {"narrative": "Pass the practical."},
            "alignment": [alignment(key) for key in skills],
            "resultDescription": [
                {
                    "id": f"urn:rd:{slug}",
                    "type": ["ResultDescription"],
                    "name": "Final score",
                    "resultType": "Percent",
                }
            ],
        },
    )
    achievement.status = PublicationStatus.PUBLISHED
    achievement.published_at = NOW
    session.flush()
    return achievement


@dataclass
class World:
    session: Session
    college: Organization
    employer: Organization
    ada: User
    ada_did: str
    bob: User
    sql: IssuedCredential
    writing: IssuedCredential

    @property
    def sql_key(self) -> str:
        return f"issued:{self.sql.id}"

    @property
    def writing_key(self) -> str:
        return f"issued:{self.writing.id}"

    def verifier(self, now: datetime = NOW) -> Verifier:
        return verifier_for(self.session, now)

    def import_unverified(self, user: User, skills: list[str]) -> ImportedCredential:
        """An import that did not verify (a tampered copy of a credential aligned to
        ``skills``), kept in the record as unverified."""
        achievement = published(
            self.session, self.college, f"Tampered {uuid.uuid4().hex[:6]}", skills
        )
        issued, _ = issue_credential(
            self.session,
            SETTINGS,
            KEYSTORE,
            self.college,
            IssueRequest(achievement.id, "did:example:someone-else"),
            now=NOW,
        )
        document = json.loads(issued.credential_bytes)
        document["credentialSubject"]["id"] = self.ada_did  # breaks the proof
        data = json.dumps(document).encode()
        row = ImportedCredential(
            user_id=user.id,
            source_format=ImportFormat.JSON,
            credential_bytes=data,
            credential_sha256=uuid.uuid4().hex,
            credential_id=document["id"],
            issuer_id=document["issuer"]["id"],
            name=document["name"],
            verified=False,
            verification={"verified": False, "errors": ["proof_invalid"], "checks": []},
            verified_at=NOW,
        )
        self.session.add(row)
        self.session.flush()
        return row


@pytest.fixture
def world(db_session: Session) -> World:
    college = create_organization(
        db_session,
        SETTINGS,
        KEYSTORE,
        slug=f"college-{uuid.uuid4().hex[:6]}",
        name="Riverside College",
    )
    employer = create_organization(
        db_session,
        SETTINGS,
        KEYSTORE,
        slug=f"acme-{uuid.uuid4().hex[:6]}",
        name="Acme Fabrication",
        kind=OrganizationKind.EMPLOYER,
    )
    ada = make_user(
        db_session, display_name="Ada Lovelace", email=f"ada-{uuid.uuid4().hex[:6]}@example.org"
    )
    bob = make_user(
        db_session, display_name="Bob Byron", email=f"bob-{uuid.uuid4().hex[:6]}@example.org"
    )
    ada_did = ensure_learner(db_session, KEYSTORE, ada).did
    ensure_learner(db_session, KEYSTORE, bob)
    databases = published(db_session, college, "Databases I", [SQL, READING])
    writing = published(db_session, college, "Technical Writing", [WRITING, READING])
    issued_sql, _ = issue_credential(
        db_session,
        SETTINGS,
        KEYSTORE,
        college,
        IssueRequest(
            databases.id,
            ada_did,
            results=[
                {"type": ["Result"], "resultDescription": "urn:rd:databases-i", "value": "92"}
            ],
        ),
        now=NOW,
    )
    issued_writing, _ = issue_credential(
        db_session, SETTINGS, KEYSTORE, college, IssueRequest(writing.id, ada_did), now=NOW
    )
    return World(db_session, college, employer, ada, ada_did, bob, issued_sql, issued_writing)
