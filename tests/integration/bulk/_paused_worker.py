"""A real bulk worker (``python -m tests.integration.bulk._paused_worker``) that stops
in the middle of the write transaction of its ``OPENLER_TEST_PAUSE_AT``-th chunk (after
inserting the chunk's credentials and claim e-mails, before the commit), writes
``OPENLER_TEST_MARKER`` and waits there to be killed. Configured like ``openler worker``
by the OPENLER_* variables."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from openler.services.bulk import engine

_original = engine._claims
_seen = 0


def _claims_then_pause(*args: Any, **kwargs: Any) -> Any:
    global _seen
    result = _original(*args, **kwargs)
    _seen += 1
    if _seen == int(os.environ["OPENLER_TEST_PAUSE_AT"]):
        Path(os.environ["OPENLER_TEST_MARKER"]).write_text(str(os.getpid()))
        time.sleep(600)  # inside the open transaction: the test kills us here
    return result


engine._claims = _claims_then_pause  # type: ignore[assignment]

if __name__ == "__main__":
    from openler.cli.worker import worker_command

    worker_command(job=os.environ.get("OPENLER_TEST_JOB"), until_done=True)
