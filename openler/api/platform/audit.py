"""``/api/v1/audit``: the organization's audit log, newest first, paged."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from openler.api.deps import DbSession, Principal, require_scope
from openler.api.platform._common import (
    DEFAULT_PAGE_SIZE,
    PageSize,
    current_org,
    iso,
)
from openler.store.models import AuditEvent
from openler.store.paging import decode_cursor, keyset_page

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require_scope("audit:read"))]


def event_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "at": iso(event.at),
        "action": event.action,
        "actor": {"type": event.actor_type.value, "id": event.actor_id},
        "subject": event.subject_id,
        "details": event.details,
    }


@router.get("", summary="The audit log, newest first")
def list_events(
    session: DbSession,
    principal: Auditor,
    action: Annotated[str | None, Query(description="Only this action (credential.revoke)")] = None,
    subject: Annotated[str | None, Query(description="Only events about this subject")] = None,
    cursor: str | None = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Who did what, when: every issue, status change, key change, achievement change and
    profile change of the organization. ``nextCursor`` fetches the next (older) page."""
    org = current_org(session, principal)
    query = sa.select(AuditEvent).where(AuditEvent.organization_id == org.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if subject is not None:
        query = query.where(AuditEvent.subject_id == subject)
    page, next_cursor = keyset_page(
        session,
        query,
        at=AuditEvent.at,
        row_id=AuditEvent.id,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return {"items": [event_view(e) for e in page], "nextCursor": next_cursor}
