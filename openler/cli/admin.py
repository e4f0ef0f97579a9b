"""Platform administration: ``openler org create`` and ``openler token create``.

Both read the settings (``OPENLER_*``), open the database (migrated first with
``openler db upgrade``) and the key store (the development secret warns outside
production), and do their work in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openler.cli._common import CliError, echo
from openler.config import Settings
from openler.services.audit import Actor
from openler.services.auth import SCOPES, create_api_key, validate_scopes
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization, get_organization, org_did
from openler.store.db import Database, display_url
from openler.store.models import ActorType, OrganizationKind

__all__ = ["org_app", "token_app"]

org_app = typer.Typer(help="Manage organizations (tenants).", no_args_is_help=True)
token_app = typer.Typer(help="Make API tokens.", no_args_is_help=True)

#: Who the audit log names for what these commands do.
CLI_ACTOR = Actor(ActorType.SYSTEM, "cli")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One transaction on the configured database, with one-line errors for a database
    that cannot be reached or has not been migrated."""
    url = display_url(settings.sqlalchemy_url)
    database = Database.from_settings(settings)
    try:
        try:
            migrated = sa.inspect(database.engine).has_table("organizations")
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise CliError(
                f"Cannot reach the database at {url}: {reason}", "database_unavailable"
            ) from None
        if not migrated:
            raise CliError(
                f"The database at {url} has no schema yet; run `openler db upgrade` first.",
                "database_not_migrated",
            )
        with database.session_scope(immediate=True) as session:
            yield session
    finally:
        database.engine.dispose()


@org_app.command("create")
def create_org_command(
    slug: Annotated[str, typer.Argument(help="URL name: lower-case letters, digits, hyphens.")],
    name: Annotated[str, typer.Option("--name", help="The organization's display name.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="One of: " + ", ".join(k.value for k in OrganizationKind) + "."
        ),
    ] = OrganizationKind.COLLEGE.value,
) -> None:
    """Create an organization with its first signing key; print its DID and the URL of its
    DID document (the last line)."""
    settings = Settings()
    settings.check()
    keystore = KeyStore.for_settings(settings)
    with _session(settings) as session:
        org = create_organization(
            session, settings, keystore, slug=slug, name=name, kind=kind, actor=CLI_ACTOR
        )
        summary = f"Created {org.name} ({org.kind.value}) as {org_did(settings, org.slug)}"
    echo(summary)
    echo(f"{settings.base_url}/orgs/{slug}/did.json")


@token_app.command("create")
def create_token_command(
    org: Annotated[str, typer.Option("--org", help="The organization's slug.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope", help="A scope to grant (repeatable; default: all). " + ", ".join(SCOPES)
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "cli",
    expires_days: Annotated[
        int | None,
        typer.Option("--expires-days", min=1, max=3650, help="Expire after N days."),
    ] = None,
) -> None:
    """Create an API key for an organization and print it as a bearer token (the last
    line). The token is shown this once only; store it now."""
    settings = Settings()
    settings.check()
    scopes = validate_scopes(scope) if scope else list(SCOPES)
    expires_at = (
        datetime.now(UTC) + timedelta(days=expires_days) if expires_days is not None else None
    )
    with _session(settings) as session:
        organization = get_organization(session, org)
        key, token = create_api_key(
            session,
            organization,
            name=name,
            scopes=scopes,
            expires_at=expires_at,
            actor=CLI_ACTOR,
        )
        prefix = key.prefix
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    echo(f"API key {prefix} for {org} with scopes {' '.join(scopes)}{until}.")
    echo("The token below is shown this once only; store it now (Authorization: Bearer ...).")
    echo(token)
