"""Database fixtures for integration tests: every test that uses them runs twice, on SQLite
(a file in a temporary folder) and on PostgreSQL (a throwaway database, created once per
test session and dropped at the end).

- ``db_engine`` — an engine on a database migrated to the newest revision (session-scoped)
- ``db_session`` — a session inside a transaction that is rolled back after the test; the
  code under test may commit (it commits a SAVEPOINT) and roll back freely
- ``database`` — a :class:`~openler.store.db.Database` on the same engine, for tests that
  need real commits (concurrency); such tests clean up after themselves

PostgreSQL is taken from ``OPENLER_TEST_POSTGRES_URL`` (default: the local server, user
``postgres``). When it cannot be reached the PostgreSQL tests fail: ``make test`` starts it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from openler.store.db import Database, create_engine, display_url
from openler.store.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "OPENLER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=False)


def create_postgres_database(prefix: str = "openler_test") -> str:
    """Create an empty PostgreSQL database with a random name and return its URL; fails the
    test (never skips) when the server cannot be reached."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = _admin_engine()
    problem = None
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        problem = str(exc.orig or exc).strip().splitlines()[0]
    finally:
        admin.dispose()
    if problem is not None:
        pytest.fail(
            f"PostgreSQL is not reachable at {display_url(POSTGRES_ADMIN_URL)} ({problem}). "
            "Start it with `make services` (`make test` does this), or point "
            "OPENLER_TEST_POSTGRES_URL at a server.",
            pytrace=False,
        )
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def fresh_database_url(backend: str, folder: Path) -> str:
    """An empty database of ``backend`` (PostgreSQL ones must be dropped by the caller)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'openler-{secrets.token_hex(4)}.sqlite3'}"
    return create_postgres_database()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a database migrated to the newest revision."""
    backend: str = request.param
    url = fresh_database_url(backend, tmp_path_factory.mktemp("db"))
    try:
        upgrade(url)
        yield url
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    connection = db_engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def database(db_engine: Engine) -> Database:
    from sqlalchemy.orm import sessionmaker

    return Database(db_engine, sessionmaker(db_engine, expire_on_commit=False))
