"""``/console/{slug}/audit``: the organization's audit log, newest first, with filters
(action, subject, dates) and paging."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.store.models import ActorType, AuditAction, AuditEvent, User
from openler.store.paging import keyset_page
from openler.web.console._common import (
    PAGE_SIZE,
    Viewer,
    console_page,
    decode_cursor,
    parse_date,
)
from openler.web.templating import web_router

__all__ = ["describe", "router"]

router = web_router()

_ACTOR_TYPES = {
    ActorType.USER: "person",
    ActorType.API_CLIENT: "API client",
    ActorType.API_KEY: "API key",
    ActorType.SYSTEM: "system",
}


def describe(session: Session, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Events for display: who (a person's e-mail address where the actor is a user)."""
    user_ids = set()
    for event in events:
        if event.actor_type is ActorType.USER and event.actor_id:
            with contextlib.suppress(ValueError):
                user_ids.add(uuid.UUID(event.actor_id))
    emails = (
        dict(session.execute(sa.select(User.id, User.email).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    out = []
    for event in events:
        who = _ACTOR_TYPES.get(event.actor_type, str(event.actor_type))
        if event.actor_type is ActorType.USER and event.actor_id:
            with contextlib.suppress(ValueError):
                who = emails.get(uuid.UUID(event.actor_id), who)
        elif event.actor_id:
            who = f"{who} {event.actor_id}"
        out.append(
            {
                "at": event.at,
                "action": event.action,
                "who": who,
                "subject": event.subject_id or "",
                "details": event.details or {},
            }
        )
    return out


@router.get("/console/{slug}/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: DbSession,
    access: Viewer,
    action: str = "",
    subject: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
) -> HTMLResponse:
    org = access.org
    action, subject = action.strip()[:100], subject.strip()[:500]
    query = sa.select(AuditEvent).where(AuditEvent.organization_id == org.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if subject:
        query = query.where(AuditEvent.subject_id == subject)
    start, end = parse_date(since), parse_date(until, end_of_day=True)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at <= end)
    after = decode_cursor(cursor)
    page, next_cursor = keyset_page(
        session, query, at=AuditEvent.at, row_id=AuditEvent.id, after=after, limit=PAGE_SIZE
    )
    filters = {
        "action": action,
        "subject": subject,
        "since": since if start else "",
        "until": until if end else "",
    }
    kept = {k: v for k, v in filters.items() if v}
    next_url = None
    if next_cursor is not None:
        params = {**kept, "cursor": next_cursor}
        next_url = f"/console/{org.slug}/audit?{urlencode(params)}"
    used = set(
        session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.organization_id == org.id).distinct()
        )
    )
    actions = sorted(used | {a.value for a in AuditAction})
    return console_page(
        request,
        access,
        "console/audit.html",
        "audit",
        {
            "title": "Audit log",
            "events": describe(session, page),
            "filters": filters,
            "actions": actions,
            "next_url": next_url,
            "first_url": f"/console/{org.slug}/audit?{urlencode(kept)}" if after else None,
        },
    )
