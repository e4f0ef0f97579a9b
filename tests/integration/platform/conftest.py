"""Fixtures for the platform API tests, on SQLite and PostgreSQL.

``platform`` is the whole application over the test database, inside one transaction that
is rolled back after the test (each request commits a SAVEPOINT, or rolls it back when it
fails). Verification resolves DID documents and status lists *through the application
itself* (:class:`InProcessWeb` asks the app's own ``/orgs/...`` routes), so an issued
credential is verified end to end exactly as a verifier on the web would, without network.
Authentication is replaced by a chosen principal: ``platform.act_as(org, scopes)``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from openler.api import create_app
from openler.api.auth import authenticate
from openler.api.deps import SCOPES, Principal
from openler.config import Settings
from openler.core.errors import DidNotFound, StatusListError
from openler.services.audit import Actor
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.db import Database
from openler.store.models import (
    AchievementDefinition,
    ActorType,
    AuditEvent,
    IssuedCredential,
    Organization,
    SigningKey,
    StatusList,
)
from tests.integration.api._client import TestClient
from tests.unit._http_fakes import block_network

SETTINGS = Settings(env="test", base_url="https://issuer.example")
KEYSTORE = KeyStore("an-encryption-secret-for-platform-tests-0123456789")
ALL_SCOPES = frozenset(SCOPES)
PROBLEM_JSON = "application/problem+json"


class RolledBackDatabase(Database):
    """A Database whose sessions live inside the test's outer transaction."""

    @contextmanager
    def session_scope(self, *, immediate: bool = False) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session


class InProcessWeb:
    """A ControllerResolver and StatusListFetcher that GETs the application's own public
    routes (``https://issuer.example/...`` -> the TestClient)."""

    def __init__(self) -> None:
        self.client: TestClient | None = None

    def _get(self, path: str) -> Any:
        assert self.client is not None
        return self.client.get(path)

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        prefix = f"did:web:{SETTINGS.did_web_host}:orgs:"
        if not identifier.startswith(prefix):
            raise DidNotFound(identifier)
        response = self._get(f"/orgs/{identifier.removeprefix(prefix)}/did.json")
        if response.status_code != 200:
            raise DidNotFound(identifier)
        loaded: Mapping[str, Any] = response.json()
        return loaded

    def fetch(self, url: str) -> Mapping[str, Any]:
        if not url.startswith(SETTINGS.base_url + "/"):
            raise StatusListError(f"not served here: {url}")
        response = self._get(url.removeprefix(SETTINGS.base_url))
        if response.status_code != 200:
            raise StatusListError(f"{response.status_code} for {url}")
        loaded: Mapping[str, Any] = json.loads(response.content)
        return loaded


@dataclass
class Platform:
    app: FastAPI
    client: TestClient
    database: Database
    orgs: dict[str, Organization] = field(default_factory=dict)

    def org(self, slug: str, name: str | None = None) -> Organization:
        """A new organization (with its first key), committed to the test transaction."""
        with self.database.session_scope() as session:
            org = create_organization(
                session, SETTINGS, KEYSTORE, slug=slug, name=name or slug.title()
            )
        self.orgs[slug] = org
        return org

    def act_as(self, org: Organization, scopes: Iterable[str] = ALL_SCOPES) -> None:
        principal = Principal(
            organization_id=org.id,
            scopes=frozenset(scopes),
            actor=Actor(ActorType.API_KEY, f"test-key-{org.slug}"),
        )
        self.app.dependency_overrides[authenticate] = lambda: principal

    def counts(self) -> dict[str, Any]:
        """What a failed request must leave unchanged."""
        with self.database.session_scope() as session:
            return {
                "credentials": _count(session, IssuedCredential),
                "audit": _count(session, AuditEvent),
                "achievements": _count(session, AchievementDefinition),
                "keys": _count(session, SigningKey),
                "lists": sorted(
                    (str(row.id), row.version, row.next_index)
                    for row in session.scalars(sa.select(StatusList))
                ),
                "statuses": sorted(
                    (c.credential_id, c.status.value)
                    for c in session.scalars(sa.select(IssuedCredential))
                ),
                "achievement_states": sorted(
                    (a.logical_id, a.version, a.status.value, json.dumps(a.achievement))
                    for a in session.scalars(sa.select(AchievementDefinition))
                ),
            }

    # -- shortcuts ------------------------------------------------------------------------

    def published_achievement(self, logical_id: str = "welding-1", **overrides: Any) -> Any:
        body = {"logicalId": logical_id, "achievement": achievement_json(**overrides)}
        created = self.client.post("/api/v1/achievements", json=body)
        assert created.status_code == 201, created.text
        published = self.client.post(f"/api/v1/achievements/{logical_id}/publish")
        assert published.status_code == 200, published.text
        return published.json()

    def issue(self, **body: Any) -> Any:
        body.setdefault("achievement", "welding-1")
        body.setdefault("recipient", {"email": "ada@example.org"})
        response = self.client.post("/api/v1/credentials", json=body)
        assert response.status_code == 201, response.text
        return response


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def achievement_json(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": "Welding I",
        "description": "Safe setup and basic structural welds.",
        "criteria": {"narrative": "Pass the practical test."},
    }
    doc.update(overrides)
    return doc


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return body


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


@pytest.fixture
def platform(db_engine: Engine) -> Iterator[Platform]:
    connection = db_engine.connect()
    transaction = connection.begin()
    sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    database = RolledBackDatabase(db_engine, sessions)
    web = InProcessWeb()
    app = create_app(
        SETTINGS,
        database=database,
        keystore=KEYSTORE,
        rate_limit=None,
        resolver=web,
        status_fetcher=web,
    )
    client = TestClient(app)
    web.client = client
    try:
        yield Platform(app=app, client=client, database=database)
    finally:
        client.close()
        transaction.rollback()
        connection.close()
