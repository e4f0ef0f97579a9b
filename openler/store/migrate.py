"""Alembic migrations, run programmatically (no ``alembic.ini`` needed)::

    from openler.store.migrate import upgrade
    revision = upgrade(settings)          # to the newest schema; returns the revision

The scripts live in ``openler/store/migrations``; the same ones serve SQLite (through
batch mode) and PostgreSQL. For a new revision, from the repository root::

    .venv/bin/alembic -c openler/store/migrations/alembic.ini revision --autogenerate -m "…"
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine

from openler.config import Settings
from openler.store.db import create_engine

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "downgrade", "head", "upgrade"]

#: The folder holding ``env.py`` and ``versions/``.
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for openler's migrations, optionally bound to ``connection``
    (``env.py`` then runs on it instead of opening its own)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision the scripts know."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the initial revision is always there
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return revision


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def _engine(target: Settings | Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    url = target.sqlalchemy_url if isinstance(target, Settings) else target
    return create_engine(url), True


def upgrade(target: Settings | Engine | str | URL, revision: str = "head") -> str | None:
    """Migrate the database named by ``target`` (settings, an engine or a URL) up to
    ``revision`` and return the revision it is then at."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
            return current_revision(connection)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: Settings | Engine | str | URL, revision: str) -> str | None:
    """Migrate down to ``revision`` (``"base"``: drop everything) and return where it is."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
            return current_revision(connection)
    finally:
        if owned:
            engine.dispose()
