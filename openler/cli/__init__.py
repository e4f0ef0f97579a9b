"""The ``openler`` command line: keys, DIDs, issuing, verifying, status lists, a demo.

See ``docs/cli.md``. ``main()`` is the console script; ``app`` the Typer application.
"""

import sys

from openler.cli.app import app
from openler.cli.app import main as _run

__all__ = ["app", "main"]


def main() -> None:
    """Run ``openler`` with ``sys.argv`` and exit with its status."""
    sys.exit(_run())
