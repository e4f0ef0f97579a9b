"""Fixtures for the learner's pages and the share landing page (SQLite and PostgreSQL).

``wallet`` wraps the ``web`` application of :mod:`._console_fixtures` (one rolled-back
transaction, a clock the test moves, a browser-like client) with what these tests need:
an issuer with a published achievement aligned to two skills, credentials issued to an
e-mail address with a claim link, a credential signed by an issuer elsewhere (a did:key)
to import, and learners signed up through the pages themselves."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from openler.core import issue
from openler.core.keys.keypair import KeyPair
from openler.core.model.builders import build_achievement_credential
from openler.services.claims import offer_claim
from openler.services.issuing import IssueRequest, change_status, issue_credential
from openler.services.seed import alignment
from openler.store.models import AchievementDefinition, IssuedCredential, Organization
from openler.store.models.enums import PublicationStatus
from openler.store.models.organizations import User
from tests.integration.platform.conftest import KEYSTORE, SETTINGS
from tests.integration.web._console_fixtures import PASSWORD, Web, web_fixture

__all__ = ["PASSWORD", "Wallet", "csrf_of", "wallet_fixture", "web_fixture"]

SKILLS = ("esco:28cb374e-6261-4133-8371-f9a5470145da", "esco:0da6cab1-0ee9-4391-a299-f71fbf21db56")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token in the page"
    return found.group(1)


@dataclass
class Issued:
    id: uuid.UUID
    credential_id: str
    token: str
    org_slug: str

    @property
    def key(self) -> str:
        return f"issued:{self.id}"


@dataclass
class Wallet:
    web: Web

    @property
    def client(self) -> Any:
        return self.web.client

    # -- people ----------------------------------------------------------------------------

    def sign_up(self, email: str, name: str = "Ada Learner", password: str = PASSWORD) -> Any:
        """Make a learner account through /signup (this browser is then signed in)."""
        page = self.client.get("/signup")
        response = self.client.post(
            "/signup",
            data={
                "email": email,
                "name": name,
                "password": password,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return response

    def sign_out(self) -> None:
        self.client.post("/signout", data={"csrf_token": self.web.csrf("/")})
        self.client.cookies.clear()

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.sign_out()
        response = self.web.sign_in(email, password)
        assert response.status_code == 303, response.text

    def user(self, email: str) -> User:
        with self.web.session() as session:
            user: User | None = session.scalar(sa.select(User).where(User.email == email))
            assert user is not None
            return user

    # -- forms -----------------------------------------------------------------------------

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST with this browser's CSRF token."""
        body = dict(data or {})
        body.setdefault("csrf_token", self.web.csrf("/"))
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data=body, **kwargs)

    # -- issuers ---------------------------------------------------------------------------

    def issuer(self, slug: str = "lakeshore", *, reissue: bool = False) -> Organization:
        """An organization with a published achievement aligned to two ESCO skills."""
        org = self.web.org(slug, "Lakeshore College")
        with self.web.session() as session:
            row = session.get(Organization, org.id)
            assert row is not None
            row.reissue_on_claim = reissue
            session.add(
                AchievementDefinition(
                    organization_id=org.id,
                    logical_id="forklift-1",
                    status=PublicationStatus.PUBLISHED,
                    published_at=self.web.clock.now,
                    achievement={
                        "id": f"{SETTINGS.base_url}/orgs/{slug}/achievements/forklift-1",
                        "type": ["Achievement"],
                        "achievementType": "Certificate",
                        "name": "Forklift Operator",
                        "description": "Safe operation of powered industrial trucks.",
                        "criteria": {"narrative": "Pass the practical test."},
                        "alignment": [alignment(k) for k in SKILLS],
                    },
                )
            )
        return org

    def issue(self, org: Organization, email: str, *, purpose: str = "revocation") -> Issued:
        """A credential to ``email`` and its claim link (the e-mail goes to the outbox)."""
        with self.web.session() as session:
            achievement = session.scalar(
                sa.select(AchievementDefinition).where(
                    AchievementDefinition.organization_id == org.id
                )
            )
            row = session.get(Organization, org.id)
            assert achievement is not None
            assert row is not None
            now = self.web.clock.now
            issued, _ = issue_credential(
                session,
                SETTINGS,
                KEYSTORE,
                row,
                IssueRequest(
                    achievement_id=achievement.id, recipient=email, status_purpose=purpose
                ),
                now=now,
            )
            offer = offer_claim(session, issued, now=now, base_url=SETTINGS.base_url)
            return Issued(issued.id, issued.credential_id, offer.token, org.slug)

    def change(self, issued: Issued, action: str = "revoke") -> None:
        with self.web.session() as session:
            credential = session.get(IssuedCredential, issued.id)
            assert credential is not None
            change_status(session, credential.organization, credential.credential_id, action)

    def claim(self, issued: Issued) -> str:
        """Claim through the claim page (signed in); the record key of the claimed credential."""
        response = self.post(f"/wallet/claim/{issued.token}")
        assert response.status_code == 303, response.text
        location: str = response.headers["location"]
        return location.split("/wallet/credentials/", 1)[1].split("?", 1)[0]

    # -- credentials from elsewhere --------------------------------------------------------

    def foreign_credential(self, name: str = "First Aid", **changes: Any) -> dict[str, Any]:
        """A credential signed by an issuer elsewhere (a did:key: it resolves offline)."""
        key = KeyPair.generate("Ed25519")
        now = self.web.clock.now
        unsigned = build_achievement_credential(
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            issuer={"id": key.controller, "type": ["Profile"], "name": "Red Cross Local"},
            achievement={
                "id": "https://other.example/achievements/first-aid",
                "type": ["Achievement"],
                "name": name,
                "description": "Basic first aid.",
                "criteria": {"narrative": "Complete the course."},
                "alignment": [alignment("esco:2b34a99f-9813-4c91-9509-b6b9b8c3132e")],
            },
            subject="did:example:learner",
            valid_from=now - timedelta(days=30),
            credential_schema=False,
            **changes,
        )
        signed: dict[str, Any] = issue(unsigned, key.signer(), created=now - timedelta(days=30))
        return signed

    def import_text(self, text: str) -> Any:
        return self.post(
            "/wallet/import",
            {"credential": text},
            files={"file": ("", b"", "application/octet-stream")},
        )

    def import_file(self, name: str, data: bytes, media_type: str) -> Any:
        return self.post(
            "/wallet/import", {"credential": ""}, files={"file": (name, data, media_type)}
        )


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2)


@pytest.fixture(name="wallet")
def wallet_fixture(web: Web) -> Wallet:
    return Wallet(web)
