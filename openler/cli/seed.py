"""``openler seed``: migrate the database and seed the demo world (idempotently)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from openler.cli._common import CliError, echo, utc_now
from openler.config import ConfigurationError, Settings
from openler.services.keystore import KeyStore
from openler.services.seed import SeedSummary, seed_demo
from openler.store.db import Database, display_url
from openler.store.migrate import upgrade

__all__ = ["print_summary", "run_seed", "seed_command"]

_CREATED = "created"
_FOUND = "already there"


def _settings() -> Settings:
    try:
        settings = Settings()
        settings.check()
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration_error") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"OPENLER_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise CliError(f"Invalid configuration: {problems}.", "configuration_error") from None
    return settings


def run_seed(settings: Settings) -> SeedSummary:
    """Migrate the database named by ``settings`` and seed the demo world in one
    transaction; the summary says what was created and what was already there."""
    url = display_url(settings.sqlalchemy_url)
    try:
        keystore = KeyStore.for_settings(settings)
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration_error") from None
    database = Database.from_settings(settings)
    try:
        upgrade(database.engine)
        with database.session_scope(immediate=True) as session:
            return seed_demo(session, settings, keystore, now=utc_now())
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise CliError(
            f"Cannot seed the database at {url}: {reason}", "database_unavailable"
        ) from None
    finally:
        database.dispose()


def _state(created: bool) -> str:
    return f"{_CREATED if created else _FOUND:<13}"


def print_summary(summary: SeedSummary, settings: Settings) -> None:
    echo("Organizations:")
    for org in summary.organizations:
        echo(f"  {_state(org.created)}  {org.slug:<16} {org.name} ({org.kind})")
        echo(f"  {'':13}  {'':16} {org.did}")
    echo("Achievements (published):")
    for achievement in summary.achievements:
        where = f"{achievement.organization}/{achievement.logical_id}"
        echo(f"  {_state(achievement.created)}  {where:<48} {achievement.name}")
    echo("Credentials:")
    for credential in summary.credentials:
        echo(
            f"  {_state(credential.created)}  {credential.credential_id}  "
            f"{credential.achievement} -> {credential.learner} [{credential.status}]"
        )
    created, existing = summary.created, summary.existing
    counts = ", ".join(f"{n} {what}" for what, n in created.items())
    if summary.created_anything:
        echo(f"\nSeeded the demo world: created {counts}.")
        if any(existing.values()):
            found = ", ".join(f"{n} {what}" for what, n in existing.items())
            echo(f"Left as they were ({_FOUND}): {found}.")
    else:
        found = ", ".join(f"{n} {what}" for what, n in existing.items())
        echo(f"\nNothing to do: the demo world is {_FOUND} ({found}).")

    echo(
        "Skill alignments use O*NET data (USDOL/ETA, CC BY 4.0) and the ESCO classification "
        "(© European Union); see openler/services/seed_data.SOURCES.md."
    )

    base = settings.base_url
    if summary.logins:
        echo(f"\nDemo console logins (sign in at {base}/signin; demo only):")
        for login in summary.logins:
            echo(f"  {login.organization:<17} {login.email:<40} {login.password}  ({login.role})")
    echo("\nDemo URLs (once `openler serve` is running):")
    echo(f"  API docs          {base}/docs")
    echo(f"  OpenAPI           {base}/openapi.json")
    for org in summary.organizations:
        echo(f"  {org.slug:<17} {org.did_document_url}")
        for status_url in org.status_list_urls:
            echo(f"  {'':<17} {status_url}")


def seed_command() -> None:
    """Migrate the database and seed a demo world: a K-12 district, a community college,
    an employer and an industry association, their published achievements aligned to
    O*NET and ESCO skills, and credentials issued to a few fictional learners.

    Idempotent: a second run creates and issues nothing. Configuration comes only from
    OPENLER_* environment variables (see README)."""
    settings = _settings()
    echo(
        f"Seeding the demo world into {display_url(settings.sqlalchemy_url)} "
        f"(base URL {settings.base_url})."
    )
    print_summary(run_seed(settings), settings)
