"""What the platform routers share: the caller's organization, cursor pagination and
responses that carry signed documents verbatim.

The organization is always the principal's: no route takes an organization from the
path or the body, so another tenant's resources are simply not found (404)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from openler.api.auth import authenticate
from openler.api.deps import DbSession, Principal
from openler.api.problems import NotFound
from openler.store.models import Organization

__all__ = [
    "MAX_PAGE_SIZE",
    "Authenticated",
    "PageSize",
    "current_org",
    "iso",
    "json_with_document",
    "now",
]

#: The most items one page holds; ``limit`` above it is a 422.
MAX_PAGE_SIZE: Final = 200
DEFAULT_PAGE_SIZE: Final = 50

PageSize = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (at most {MAX_PAGE_SIZE}).")
]

#: Any authenticated caller (no particular scope).
Authenticated = Annotated[Principal, Depends(authenticate)]


def current_org(session: DbSession, principal: Principal) -> Organization:
    org = session.get(Organization, principal.organization_id)
    if org is None:
        raise NotFound("The organization of this token no longer exists.")
    return org


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def json_with_document(
    meta: Mapping[str, Any],
    member: str,
    document: bytes,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``meta`` as JSON with ``document`` (JSON bytes) spliced in verbatim as ``member``,
    so a signed document inside the response is byte-for-byte the stored one."""
    head = json.dumps(dict(meta), ensure_ascii=False, separators=(",", ":"))
    prefix = head[:-1] + ("," if meta else "") + json.dumps(member) + ":"
    body = prefix.encode("utf-8") + document + b"}"
    return Response(
        body, status_code=status_code, media_type="application/json", headers=dict(headers or {})
    )
