"""What the platform routers share: the caller's organization, cursor pagination and
responses that carry signed documents verbatim.

The organization is always the principal's: no route takes an organization from the
path or the body, so another tenant's resources are simply not found (404)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from openler.api.auth import authenticate
from openler.api.deps import DbSession, Principal
from openler.api.problems import ApiError, NotFound
from openler.store.models import Organization

__all__ = [
    "MAX_PAGE_SIZE",
    "Authenticated",
    "Cursor",
    "InvalidCursor",
    "PageSize",
    "current_org",
    "decode_cursor",
    "encode_cursor",
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

Cursor = tuple[datetime, uuid.UUID]


class InvalidCursor(ApiError):
    code = "bad_request"


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


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Cursor | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one this API handed out.") from exc


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
