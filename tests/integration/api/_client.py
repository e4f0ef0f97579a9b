"""Starlette's in-process ``TestClient`` (the one ``fastapi.testclient`` re-exports).

Starlette 1.x prefers the ``httpx2`` package and warns (an error under this project's
``filterwarnings = error``) when it falls back to ``httpx``, which is what this
environment has; the client works the same, so that one warning is silenced here, at
import, and nowhere else."""

from __future__ import annotations

import warnings

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message=r"Using `httpx` with `starlette\.testclient`",
        category=StarletteDeprecationWarning,
    )
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]
