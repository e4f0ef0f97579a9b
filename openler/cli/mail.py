"""``openler mail send``: deliver the e-mail outbox once (``openler serve`` also delivers it
in the background, every few seconds)."""

from __future__ import annotations

from typing import Annotated

import typer

from openler.cli._common import echo, utc_now

__all__ = ["mail_app"]

mail_app = typer.Typer(help="The outgoing e-mail outbox.", no_args_is_help=True)


@mail_app.command("send")
def send_command(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100_000, help="Most messages to send now.")
    ] = 1000,
) -> None:
    """Send the messages that are due (claim links, sign-in links), at the configured rate
    (OPENLER_MAIL_MAX_PER_SECOND), through OPENLER_SMTP_URL or into <data dir>/outbox."""
    from openler.cli.seed import _settings
    from openler.services.mail_pump import deliver_once
    from openler.store.db import Database

    settings = _settings()
    database = Database.from_settings(settings)
    try:
        report = deliver_once(database, settings, now=utc_now(), limit=limit)
    finally:
        database.dispose()
    echo(
        f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed, "
        f"{report.skipped} taken by another run."
    )
