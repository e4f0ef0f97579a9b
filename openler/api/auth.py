"""Authentication of API callers: OAuth 2.0 access tokens and API keys (RFC 6750 bearer).

``authenticate`` turns ``Authorization: Bearer <access token | olr_ API key>`` into a
:class:`~openler.api.deps.Principal` (one organization, its scopes, who acts) or raises
:class:`Unauthenticated` (401, with ``WWW-Authenticate: Bearer``, and
``error="invalid_token"`` when a token was given but does not authenticate);
:class:`InsufficientScope` is the 403. Neither says why a token failed nor echoes it.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from openler.api.deps import DbSession, Principal, get_keystore, get_settings
from openler.api.problems import ApiError
from openler.services.auth import InvalidToken, verify_bearer

__all__ = ["InsufficientScope", "Unauthenticated", "authenticate", "bearer_token"]

_REALM = 'Bearer realm="openler"'
_MAX_HEADER_CHARS = 8192


class Unauthenticated(ApiError):
    """No usable credentials (401)."""

    code = "unauthenticated"

    def __init__(self, message: str, *, invalid_token: bool = False) -> None:
        challenge = _REALM + (', error="invalid_token"' if invalid_token else "")
        super().__init__(message, headers={"WWW-Authenticate": challenge})


class InsufficientScope(ApiError):
    """The caller is authenticated but its token lacks the scope (403)."""

    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This needs the scope {scope!r}.",
            details={"scope": scope},
            headers={"WWW-Authenticate": f'{_REALM}, error="insufficient_scope", scope="{scope}"'},
        )


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; ``None`` when there is no such
    header (another scheme counts as none); :class:`Unauthenticated` when it is malformed."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token or len(header) > _MAX_HEADER_CHARS or " " in token:
        raise Unauthenticated("The bearer token is malformed.", invalid_token=True)
    return token


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now().astimezone()


def authenticate(request: Request, session: DbSession) -> Principal:
    """The caller, from its bearer token (an OAuth access token or an API key)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("This endpoint needs a bearer token (Authorization: Bearer ...).")
    try:
        grant = verify_bearer(
            session, get_settings(request), get_keystore(request), token, now=_now(request)
        )
    except InvalidToken:
        raise Unauthenticated(
            "The bearer token is invalid, expired or revoked.", invalid_token=True
        ) from None
    return Principal(organization_id=grant.organization_id, scopes=grant.scopes, actor=grant.actor)
