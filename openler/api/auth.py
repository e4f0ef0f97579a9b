"""Authentication of API callers (being built: OAuth 2.0 client credentials and API keys).

``authenticate`` turns the ``Authorization`` header into a :class:`~openler.api.deps.Principal`
or raises :class:`Unauthenticated` (401); :class:`InsufficientScope` is the 403."""

from __future__ import annotations

from fastapi import Request

from openler.api.deps import Principal
from openler.core.errors import OpenlerError

__all__ = ["InsufficientScope", "Unauthenticated", "authenticate"]


class Unauthenticated(OpenlerError):
    code = "unauthenticated"


class InsufficientScope(OpenlerError):
    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This needs the scope {scope!r}.", details={"scope": scope})


def authenticate(request: Request) -> Principal:
    raise Unauthenticated("No valid bearer token was given.")
