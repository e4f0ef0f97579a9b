"""Fixtures for the sign-in and issuer console tests, on SQLite and PostgreSQL.

``web`` is the whole application over the test database inside one transaction that is
rolled back after the test (as ``tests/integration/platform``), with a clock the test
moves (``web.clock.advance(minutes=31)``), a browser-like client on ``https://`` (the
session cookie is Secure), and helpers to make people and sign them in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from openler.api import create_app
from openler.services.organizations import create_organization
from openler.services.users import add_member, create_user
from openler.store.db import Database
from openler.store.models import (
    AchievementDefinition,
    AuditEvent,
    IssuedCredential,
    Organization,
    Role,
    SigningKey,
    StatusList,
    User,
)
from tests.integration.api._client import TestClient
from tests.integration.platform.conftest import KEYSTORE, SETTINGS, InProcessWeb, RolledBackDatabase
from tests.unit._http_fakes import block_network

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"|"X-CSRF-Token": "([0-9a-f]+)"')


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Web:
    app: FastAPI
    client: TestClient
    database: Database
    clock: Clock
    orgs: dict[str, Organization] = field(default_factory=dict)

    def org(self, slug: str, name: str | None = None) -> Organization:
        with self.database.session_scope() as session:
            org = create_organization(
                session, SETTINGS, KEYSTORE, slug=slug, name=name or slug.title()
            )
        self.orgs[slug] = org
        return org

    def user(
        self, email: str, *, org: Organization | None = None, role: Role | None = None
    ) -> User:
        with self.database.session_scope() as session:
            user = create_user(session, email=email, password=PASSWORD)
            if org is not None and role is not None:
                add_member(session, org, user, role, None)
        return user

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, f"no csrf_token on {path}: {page.status_code}"
        return found.group(1) or found.group(2)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        token = self.csrf("/")
        return self.client.post(
            "/signin",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=False,
        )

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a console form with this browser's CSRF token (taken from ``path``'s page
        when it is a GET-able form, else from the console start page)."""
        body = dict(data or {})
        body.setdefault("csrf_token", self.csrf("/"))
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data=body, **kwargs)

    def session(self) -> Any:
        return self.database.session_scope()

    def counts(self) -> dict[str, Any]:
        with self.database.session_scope() as session:
            return {
                "credentials": _count(session, IssuedCredential),
                "audit": _count(session, AuditEvent),
                "achievements": sorted(
                    (a.logical_id, a.version, a.status.value, str(a.achievement))
                    for a in session.scalars(sa.select(AchievementDefinition))
                ),
                "keys": _count(session, SigningKey),
                "lists": sorted(
                    (str(r.id), r.version, r.next_index)
                    for r in session.scalars(sa.select(StatusList))
                ),
            }


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@pytest.fixture(name="web")
def web_fixture(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    block_network(monkeypatch)
    connection = db_engine.connect()
    transaction = connection.begin()
    sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    database = RolledBackDatabase(db_engine, sessions)
    resolver = InProcessWeb()
    clock = Clock()
    app = create_app(
        SETTINGS,
        database=database,
        keystore=KEYSTORE,
        rate_limit=None,
        resolver=resolver,
        status_fetcher=resolver,
        clock=clock,
    )
    client = TestClient(app, base_url="https://testserver")
    resolver.client = client
    try:
        yield Web(app=app, client=client, database=database, clock=clock)
    finally:
        client.close()
        transaction.rollback()
        connection.close()
