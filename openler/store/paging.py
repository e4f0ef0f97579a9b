"""Keyset paging over rows ordered newest first by ``(timestamp, id)``: an opaque cursor
names the last row of a page, so pages stay stable while rows are added (no OFFSET scans).
Used by the platform API and the issuer console alike."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from openler.core.errors import InvalidInput

__all__ = ["Cursor", "InvalidCursor", "decode_cursor", "encode_cursor", "keyset_page"]

Cursor = tuple[datetime, uuid.UUID]
T = TypeVar("T")

_MAX_CURSOR_CHARS = 200


class InvalidCursor(InvalidInput):
    """A cursor this platform did not hand out (400)."""

    code = "bad_request"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Cursor | None:
    """``None`` for no cursor; :class:`InvalidCursor` for one not made by
    :func:`encode_cursor`."""
    if not cursor:
        return None
    try:
        if len(cursor) > _MAX_CURSOR_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one this platform handed out.") from exc


def keyset_page(
    session: Session,
    query: sa.Select[T],
    *,
    at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    after: Cursor | None,
    limit: int,
) -> tuple[list[T], str | None]:
    """One page of ``query``, newest first by ``(at, row_id)``, after the cursor
    position; and the cursor of the next page (``None`` on the last one)."""
    if after is not None:
        when, last = after
        query = query.where(sa.or_(at < when, sa.and_(at == when, row_id < last)))
    rows: list[Any] = list(
        session.scalars(query.order_by(at.desc(), row_id.desc()).limit(limit + 1))
    )
    page = rows[:limit]
    following = None
    if len(rows) > limit and page:
        following = encode_cursor(getattr(page[-1], at.key), getattr(page[-1], row_id.key))
    return page, following
