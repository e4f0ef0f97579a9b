"""Engines and sessions: SQLite (the embedded default) or PostgreSQL (via psycopg 3).

``Database.from_settings(settings)`` is made once at start-up and passed down::

    db = Database.from_settings(settings)
    with db.session_scope() as session:      # commits on success, rolls back on error
        session.add(organization)

SQLite connections get ``foreign_keys=ON``, WAL journaling and a busy timeout, and
transactions are begun by SQLAlchemy (not by the ``sqlite3`` module), so SAVEPOINTs work.
``session_scope(immediate=True)`` begins SQLite transactions with ``BEGIN IMMEDIATE``: use it
for units of work that read and then write under concurrency (issuing, revoking), so that a
second writer waits for the lock instead of failing on a stale snapshot. PostgreSQL ignores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from openler.config import Settings

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "create_engine",
    "display_url",
    "normalize_url",
]

#: How long a SQLite writer waits for the lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000

_BEGIN_OPTION: Final = "openler_sqlite_begin"
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE"})


def normalize_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` mean PostgreSQL through psycopg 3."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    return normalize_url(url).render_as_string(hide_password=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin); the sqlite3 module's own
    # implicit transactions break SAVEPOINT and hide when a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    if mode not in _BEGIN_MODES:  # pragma: no cover - only set by this module
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine(url: str | URL, *, echo: bool = False, **options: Any) -> Engine:
    """An engine for ``url`` with openler's connection settings (see the module docstring).

    The folder of a SQLite database file is created when missing."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, echo=echo, **options)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    options.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, echo=echo, **options)


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str | URL, **options: Any) -> Database:
        engine = create_engine(url, **options)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Database:
        return cls.from_url(settings.sqlalchemy_url, **options)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session_scope(self, *, immediate: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back (and the
        error re-raised) when it raises."""
        bind: Engine = self.engine
        if immediate and self.backend == "sqlite":
            bind = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with self.sessions(bind=bind) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
