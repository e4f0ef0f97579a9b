"""Fixtures for the learner record's services, on SQLite and PostgreSQL.

``Issuer`` makes an organization with a published achievement and issues credentials as
the platform API would; ``verifier_for(session)`` verifies against the DID documents and
status lists the platform publishes (no network); ``other_issuer`` signs credentials as an
issuer elsewhere (a did:key), to import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import Verifier, VerifyPolicy, issue
from openler.core.keys.keypair import KeyPair
from openler.core.model.builders import build_achievement_credential
from openler.services.issuing import IssueRequest, issue_credential
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.models import AchievementDefinition, IssuedCredential, Organization
from openler.store.models.enums import PublicationStatus
from tests.integration.platform_view import PlatformView
from tests.unit._http_fakes import block_network

SETTINGS = Settings(base_url="https://issuer.example", env="test")
KEYSTORE = KeyStore("an-encryption-secret-for-learner-tests-0123456789")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


def verifier_for(session: Session, now: datetime = NOW) -> Verifier:
    view = PlatformView(session, SETTINGS, KEYSTORE, now=now)
    return Verifier(resolver=view, status_fetcher=view, policy=VerifyPolicy())


@dataclass
class Issuer:
    session: Session
    org: Organization
    achievement: AchievementDefinition

    def issue(self, recipient: str, *, now: datetime = NOW, **options: Any) -> IssuedCredential:
        request = IssueRequest(achievement_id=self.achievement.id, recipient=recipient, **options)
        issued, _ = issue_credential(self.session, SETTINGS, KEYSTORE, self.org, request, now=now)
        return issued


def make_issuer(session: Session, slug: str | None = None, *, reissue: bool = False) -> Issuer:
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    org = create_organization(session, SETTINGS, KEYSTORE, slug=slug, name="Riverside College")
    org.reissue_on_claim = reissue
    achievement = AchievementDefinition(
        organization_id=org.id,
        logical_id="welding-1",
        status=PublicationStatus.PUBLISHED,
        published_at=NOW,
        achievement={
            "id": f"https://issuer.example/orgs/{slug}/achievements/welding-1",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": "Welding I",
            "description": "Safe setup and basic structural welds.",
            "criteria": {"narrative": "Pass the practical test."},
        },
    )
    session.add(achievement)
    session.flush()
    return Issuer(session, org, achievement)


@pytest.fixture
def issuer(db_session: Session) -> Issuer:
    return make_issuer(db_session)


class OtherIssuer:
    """An issuer on another platform, identified by a did:key (resolves offline)."""

    def __init__(self) -> None:
        self.key = KeyPair.generate("Ed25519")

    def credential(self, *, name: str = "First Aid", valid_until: datetime | None = None) -> Any:
        unsigned = build_achievement_credential(
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            issuer={"id": self.key.controller, "type": ["Profile"], "name": "Red Cross Local"},
            achievement={
                "id": "https://other.example/achievements/first-aid",
                "type": ["Achievement"],
                "name": name,
                "description": "Basic first aid.",
                "criteria": {"narrative": "Complete the course."},
            },
            subject="did:example:learner",
            valid_from=NOW - timedelta(days=30),
            valid_until=valid_until,
            credential_schema=False,
        )
        return issue(unsigned, self.key.signer(), created=NOW - timedelta(days=30))


@pytest.fixture
def other_issuer() -> OtherIssuer:
    return OtherIssuer()
