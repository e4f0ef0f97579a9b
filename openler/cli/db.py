"""``openler db upgrade``: bring the platform's database to the newest schema."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from openler.cli._common import CliError, echo
from openler.config import Settings
from openler.store.db import display_url
from openler.store.migrate import upgrade

__all__ = ["db_app"]

db_app = typer.Typer(help="Manage the platform's database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply the database migrations (OPENLER_DATABASE_URL, or the SQLite file in
    OPENLER_DATA_DIR) and print the revision the database is at (the last line)."""
    settings = Settings()
    settings.check()
    url = display_url(settings.sqlalchemy_url)
    try:
        revision = upgrade(settings)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise CliError(
            f"Cannot migrate the database at {url}: {reason}", "database_unavailable"
        ) from None
    echo(f"The database at {url} is up to date.")
    echo(revision or "base")
