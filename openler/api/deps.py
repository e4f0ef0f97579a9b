"""Request dependencies shared by the routers: settings, a database session per request,
the keystore, and the authenticated principal with its scopes.

``Principal`` is who is calling: an API client (OAuth 2.0 client credentials) or an API
key, always on behalf of exactly one organization, with scopes. Routers ask for
``require_scope("credentials:issue")`` and get the principal, or a 401/403 problem.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.services.audit import Actor
from openler.services.auth import SCOPES  # the one list; re-exported here for routers
from openler.services.keystore import KeyStore
from openler.store.db import Database

__all__ = [
    "SCOPES",
    "DbSession",
    "Principal",
    "get_database",
    "get_keystore",
    "get_settings",
    "require_scope",
]

_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Principal:
    organization_id: uuid.UUID
    scopes: frozenset[str]
    actor: Actor


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    return database_of(request.app)


def database_of(app: Any) -> Database:
    """The application's database, opened from its settings on first use."""
    state = app.state
    if state.database is None:
        with _LOCK:
            if state.database is None:
                state.database = Database.from_settings(state.settings)
    database: Database = state.database
    return database


def get_keystore(request: Request) -> KeyStore:
    return keystore_of(request.app)


def keystore_of(app: Any) -> KeyStore:
    """The application's keystore, made from its settings on first use."""
    state = app.state
    if state.keystore is None:
        with _LOCK:
            if state.keystore is None:
                state.keystore = KeyStore.for_settings(state.settings)
    keystore: KeyStore = state.keystore
    return keystore


def _session(
    request: Request, database: Annotated[Database, Depends(get_database)]
) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when
    it raises (so a failed request changes nothing). Requests that may write (any method
    but GET/HEAD/OPTIONS) take SQLite's write lock at once (``BEGIN IMMEDIATE``), so
    concurrent issuers queue instead of failing on a stale snapshot."""
    immediate = request.method not in ("GET", "HEAD", "OPTIONS")
    with database.session_scope(immediate=immediate) as session:
        yield session


# scope="function": the transaction ends (commits) before the response is sent, so a
# client never sees a success whose commit failed, and its next request sees the change.
# The authentication dependency and the route share this one session.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def require_scope(scope: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    from openler.api.auth import authenticate  # the token/key checks live there

    # ``authenticate`` is imported here (openler.api.auth imports this module), so it is a
    # local name: it goes in the default, not in the (string) annotation, where FastAPI,
    # resolving annotations against this module's globals, would not find it.
    def dependency(principal: Principal = Depends(authenticate)) -> Principal:  # noqa: B008 - FastAPI's dependency marker
        from openler.api.auth import InsufficientScope

        if scope not in principal.scopes:
            raise InsufficientScope(scope)
        return principal

    return dependency
