"""The audit log: who did what, when, to which subject. Written in the same transaction as
the change it records, so a change and its record commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openler.store.models import ActorType, AuditAction, AuditEvent, Organization

__all__ = ["SYSTEM", "Actor", "record"]


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: str | None = None


SYSTEM = Actor(ActorType.SYSTEM, None)


def record(
    session: Session,
    org: Organization | None,
    actor: Actor | None,
    action: AuditAction | str,
    subject_id: str | None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    actor = actor or SYSTEM
    event = AuditEvent(
        organization_id=org.id if org is not None else None,
        actor_type=actor.type,
        actor_id=actor.id,
        action=str(action.value if isinstance(action, AuditAction) else action),
        subject_id=subject_id,
        details=dict(details or {}),
    )
    session.add(event)
    return event
