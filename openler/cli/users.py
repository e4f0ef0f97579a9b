"""``openler user create``: a user with a password and a role in one organization.

The password is asked for at the prompt (hidden, twice), or read from
``OPENLER_USER_PASSWORD`` for scripts; it is never a command-line argument (which other
users of the machine could see in the process list).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from openler.cli._common import CliError, echo
from openler.cli.admin import CLI_ACTOR, _session
from openler.config import Settings
from openler.services.organizations import get_organization
from openler.services.users import add_member, create_user, parse_role
from openler.store.models import Role

__all__ = ["PASSWORD_ENV", "user_app"]

PASSWORD_ENV = "OPENLER_USER_PASSWORD"  # noqa: S105 - the variable's name, not a password

user_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@user_app.command("create")
def create_user_command(
    email: Annotated[str, typer.Option("--email", help="The user's e-mail address.")],
    org: Annotated[str, typer.Option("--org", help="The organization's slug.")],
    role: Annotated[
        str, typer.Option("--role", help="One of: " + ", ".join(r.value for r in Role) + ".")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Display name (default: from the address).")
    ] = None,
) -> None:
    """Create a user with a password (prompted for, or ``$OPENLER_USER_PASSWORD``) and
    make them a member of an organization."""
    wanted = parse_role(role)
    settings = Settings()
    settings.check()
    password = _password()
    if not password:
        raise CliError("A password is needed.", "invalid_input")
    with _session(settings) as session:
        organization = get_organization(session, org)
        user = create_user(session, email=email, display_name=name, password=password)
        add_member(session, organization, user, wanted, CLI_ACTOR)
        summary = f"Created {user.email} ({user.display_name}) as {wanted.value} of {org}."
    echo(summary)
