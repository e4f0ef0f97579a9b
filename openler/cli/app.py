"""The ``openler`` command: its sub-commands and the one place errors are reported.

Every error ends up as one line on standard error, ``error: <message> [code]``, and exit
status 2; verification verdicts use 0 (valid) and 1 (invalid). No traceback is shown
unless ``OPENLER_DEBUG=1`` is set.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from openler.cli._common import CliError
from openler.cli.admin import org_app, token_app
from openler.cli.bulk import bulk_app
from openler.cli.db import db_app
from openler.cli.demo import demo_command
from openler.cli.issue import issue_command
from openler.cli.keys import did_app, keys_app
from openler.cli.mail import mail_app
from openler.cli.seed import seed_command
from openler.cli.serve import serve_command
from openler.cli.status import status_app
from openler.cli.users import user_app
from openler.cli.verify import verify_command
from openler.cli.worker import worker_command
from openler.core import OpenlerError

try:  # typer >= 0.20 vendors click as typer._click
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click import exceptions as _click_exceptions  # type: ignore[no-redef]  # same module, older home

__all__ = ["app", "main"]


def _report(message: str, code: str) -> None:
    text = " ".join(str(message).split())  # one line, whatever the message held
    typer.echo(f"error: {text} [{code}]", err=True)


def _usage_message(exc: Any) -> str:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message = f"{message.rstrip()} (see '{ctx.command_path} --help')"
    return str(message)


def _handle(exc: BaseException) -> int:
    """Report ``exc`` in one line and return the exit status."""
    if os.environ.get("OPENLER_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, CliError):
        _report(exc.message, exc.code)
        return exc.exit_code
    if isinstance(exc, OpenlerError):
        _report(exc.message, exc.code)
        return 2
    if type(exc).__name__ == "NoArgsIsHelpError":
        typer.echo(exc.format_message())  # type: ignore[attr-defined]  # a UsageError, by name
        return 2
    if isinstance(exc, _click_exceptions.UsageError):
        _report(_usage_message(exc), "usage_error")
        return 2
    if isinstance(exc, _click_exceptions.ClickException):
        _report(exc.format_message(), "usage_error")
        return 2
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        _report("Interrupted.", "interrupted")
        return 130
    if isinstance(exc, OSError):
        if exc.errno == errno.EPIPE:
            return 1
        where = f": {exc.filename}" if exc.filename else ""
        _report(f"{exc.strerror or exc}{where}.", "os_error")
        return 2
    if isinstance(exc, json.JSONDecodeError | UnicodeError):
        _report(f"Not valid JSON or text: {exc}.", "malformed_json")
        return 2
    _report(
        f"Unexpected {type(exc).__name__}: {exc}. Set OPENLER_DEBUG=1 to see where.",
        "internal_error",
    )
    return 2


class OpenlerGroup(TyperGroup):
    """Runs the command without click's own error display and reports errors our way,
    both for the console script and for ``typer.testing.CliRunner``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            outcome = super().main(
                args=args,
                prog_name=prog_name or "openler",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = outcome if isinstance(outcome, int) else 0
        except Exception as exc:
            code = _handle(exc)
        except KeyboardInterrupt as exc:
            code = _handle(exc)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=OpenlerGroup,
    name="openler",
    help="Issue, verify and revoke Open Badges 3.0 / CLR 2.0 credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(keys_app, name="keys")
app.add_typer(did_app, name="did")
app.add_typer(status_app, name="status")
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(mail_app, name="mail")
app.add_typer(bulk_app, name="bulk")
app.command("issue")(issue_command)
app.command("verify")(verify_command)
app.command("demo")(demo_command)
app.command("serve")(serve_command)
app.command("seed")(seed_command)
app.command("worker")(worker_command)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script ``openler`` (and ``python -m openler.cli``)."""
    command = typer.main.get_command(app)
    result: int = command.main(args=argv, prog_name="openler", standalone_mode=False)
    return result
