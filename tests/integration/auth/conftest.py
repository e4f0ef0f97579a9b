"""Fixtures for authentication tests: two organizations committed to the test database
(removed afterwards), an application over that database with a test-only route that needs
a scope, and a clock the tests move."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
import sqlalchemy as sa
from fastapi import Depends

from openler.api import create_app
from openler.api.deps import Principal, require_scope
from openler.config import Settings
from openler.resolvers import FolderResolver, FolderStatusFetcher
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.db import Database
from openler.store.models import AuditEvent, Organization
from tests.integration.api._client import TestClient
from tests.unit._http_fakes import block_network

TEST_SECRET = "auth-tests-secret-0123456789-abcdefghijklmnop"
START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

CanRead = Annotated[Principal, Depends(require_scope("credentials:read"))]
CanIssue = Annotated[Principal, Depends(require_scope("credentials:issue"))]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """Two organizations, ``a`` and ``b`` (committed), and their ids."""

    a: uuid.UUID
    b: uuid.UUID
    slugs: dict[str, str] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "var", base_url="https://badges.example")


@pytest.fixture
def keystore() -> KeyStore:
    return KeyStore(TEST_SECRET)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(database: Database, settings: Settings, keystore: KeyStore) -> Iterator[World]:
    tag = secrets.token_hex(4)
    slugs = {"a": f"auth-a-{tag}", "b": f"auth-b-{tag}"}
    with database.session_scope() as session:
        a = create_organization(session, settings, keystore, slug=slugs["a"], name="Org A")
        b = create_organization(session, settings, keystore, slug=slugs["b"], name="Org B")
        ids = (a.id, b.id)
    yield World(a=ids[0], b=ids[1], slugs=slugs)
    with database.session_scope() as session:
        session.execute(sa.delete(AuditEvent).where(AuditEvent.organization_id.in_(ids)))
        session.execute(sa.delete(Organization).where(Organization.id.in_(ids)))


def whoami(principal: Principal) -> dict[str, Any]:
    return {
        "org": str(principal.organization_id),
        "scopes": sorted(principal.scopes),
        "actor": [principal.actor.type.value, principal.actor.id],
    }


@pytest.fixture
def client(
    settings: Settings,
    database: Database,
    keystore: KeyStore,
    clock: Clock,
    tmp_path: Path,
) -> Iterator[TestClient]:
    """The application, plus ``GET /_test/read`` (needs ``credentials:read``) and
    ``GET /_test/issue`` (needs ``credentials:issue``), which echo the principal."""
    app = create_app(
        settings,
        database=database,
        keystore=keystore,
        rate_limit=None,
        clock=clock,
        resolver=FolderResolver(tmp_path),
        status_fetcher=FolderStatusFetcher(tmp_path),
    )

    @app.get("/_test/read")
    def read_route(principal: CanRead) -> dict[str, Any]:
        return whoami(principal)

    @app.get("/_test/issue")
    def issue_route(principal: CanIssue) -> dict[str, Any]:
        return whoami(principal)

    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
