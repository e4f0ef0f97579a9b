"""Achievement definitions: drafts, versions and publication.

An achievement has a *logical id* (stable, chosen by the organization or generated) and
numbered versions. The latest version is either a draft, which edits change in place, or
published, which is immutable: editing it starts version N+1 as a draft. Only published
versions can be issued (see :mod:`openler.services.issuing`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.common import json_copy
from openler.core.model.ob3 import Achievement
from openler.services.audit import Actor, record
from openler.store.models import (
    AchievementDefinition,
    AuditAction,
    Organization,
    PublicationStatus,
    utcnow,
)

__all__ = [
    "AchievementConflict",
    "AchievementNotFound",
    "achievement_url",
    "create_achievement",
    "edit_achievement",
    "get_achievement",
    "latest_published",
    "latest_versions",
    "publish_achievement",
    "validate_achievement",
]

_LOGICAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Audit action for an edit of a draft in place (not in AuditAction: the column is a string).
ACHIEVEMENT_UPDATE = "achievement.update"


class AchievementNotFound(OpenlerError):
    code = "not_found"


class AchievementConflict(OpenlerError):
    code = "conflict"


def achievement_url(settings: Settings, org: Organization, logical_id: str) -> str:
    """Where the platform publishes the latest published version (the default ``id``)."""
    return f"{settings.base_url}/orgs/{org.slug}/achievements/{logical_id}"


def validate_achievement(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` checked strictly as an OB 3.0 Achievement; the normalized JSON."""
    try:
        model = Achievement.model_validate(json_copy(dict(data)), context={})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "achievement"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"invalid achievement: {where}: {message}") from None
    doc = model.to_json_dict()
    types = doc.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if "Achievement" not in names:
        raise InvalidInput("invalid achievement: type must include 'Achievement'")
    return doc


def _versions(session: Session, org: Organization, logical_id: str) -> list[AchievementDefinition]:
    return list(
        session.scalars(
            sa.select(AchievementDefinition)
            .where(
                AchievementDefinition.organization_id == org.id,
                AchievementDefinition.logical_id == logical_id,
            )
            .order_by(AchievementDefinition.version)
        )
    )


def get_achievement(
    session: Session, org: Organization, logical_id: str, version: int | None = None
) -> AchievementDefinition:
    """One version (default: the latest) of the organization's achievement."""
    versions = _versions(session, org, logical_id)
    if version is not None:
        versions = [v for v in versions if v.version == version]
    if not versions:
        raise AchievementNotFound(
            "No such achievement in this organization.",
            details={"logicalId": logical_id, **({"version": version} if version else {})},
        )
    return versions[-1]


def latest_published(
    session: Session, org: Organization, logical_id: str
) -> AchievementDefinition | None:
    published = [
        v for v in _versions(session, org, logical_id) if v.status is PublicationStatus.PUBLISHED
    ]
    return published[-1] if published else None


def latest_versions(session: Session, org: Organization) -> list[AchievementDefinition]:
    """The latest version of each of the organization's achievements, by logical id."""
    newest = (
        sa.select(
            AchievementDefinition.logical_id,
            sa.func.max(AchievementDefinition.version).label("version"),
        )
        .where(AchievementDefinition.organization_id == org.id)
        .group_by(AchievementDefinition.logical_id)
        .subquery()
    )
    return list(
        session.scalars(
            sa.select(AchievementDefinition)
            .join(
                newest,
                sa.and_(
                    AchievementDefinition.logical_id == newest.c.logical_id,
                    AchievementDefinition.version == newest.c.version,
                ),
            )
            .where(AchievementDefinition.organization_id == org.id)
            .order_by(AchievementDefinition.logical_id)
        )
    )


def _with_id(
    settings: Settings, org: Organization, logical_id: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    doc = dict(data)
    doc.setdefault("id", achievement_url(settings, org, logical_id))
    doc.setdefault("type", ["Achievement"])
    return validate_achievement(doc)


def create_achievement(
    session: Session,
    settings: Settings,
    org: Organization,
    achievement: Mapping[str, Any],
    *,
    logical_id: str | None = None,
    actor: Actor | None = None,
) -> AchievementDefinition:
    """Version 1 of a new achievement, as a draft."""
    logical_id = logical_id or f"ach-{secrets.token_hex(6)}"
    if not _LOGICAL_ID.match(logical_id):
        raise InvalidInput(
            "A logical id is 1-100 letters, digits, '.', '_' or '-' (starting with a "
            "letter or digit).",
            details={"logicalId": logical_id},
        )
    doc = _with_id(settings, org, logical_id, achievement)
    if _versions(session, org, logical_id):
        raise AchievementConflict(
            f"The achievement {logical_id!r} exists; edit it instead.",
            details={"logicalId": logical_id},
        )
    return _new_draft(session, org, logical_id, 1, doc, actor)


def edit_achievement(
    session: Session,
    settings: Settings,
    org: Organization,
    logical_id: str,
    achievement: Mapping[str, Any],
    *,
    actor: Actor | None = None,
) -> AchievementDefinition:
    """Change the draft in place, or (when the latest version is published) start the
    next version as a draft. A published version is never changed."""
    latest = get_achievement(session, org, logical_id)
    data = dict(achievement)
    data.setdefault("id", latest.achievement.get("id"))
    doc = _with_id(settings, org, logical_id, data)
    if latest.status is PublicationStatus.DRAFT:
        latest.achievement = doc
        session.flush()
        record(session, org, actor, ACHIEVEMENT_UPDATE, logical_id, {"version": latest.version})
        return latest
    return _new_draft(session, org, logical_id, latest.version + 1, doc, actor)


def _new_draft(
    session: Session,
    org: Organization,
    logical_id: str,
    version: int,
    doc: dict[str, Any],
    actor: Actor | None,
) -> AchievementDefinition:
    definition = AchievementDefinition(
        organization_id=org.id,
        logical_id=logical_id,
        version=version,
        status=PublicationStatus.DRAFT,
        achievement=doc,
    )
    session.add(definition)
    session.flush()
    record(
        session,
        org,
        actor,
        AuditAction.ACHIEVEMENT_CREATE,
        logical_id,
        {"version": version, "achievementId": doc["id"]},
    )
    return definition


def publish_achievement(
    session: Session,
    org: Organization,
    logical_id: str,
    *,
    actor: Actor | None = None,
) -> AchievementDefinition:
    """Publish the latest version (a draft); publishing a published one is a conflict."""
    latest = get_achievement(session, org, logical_id)
    if latest.status is PublicationStatus.PUBLISHED:
        raise AchievementConflict(
            f"Version {latest.version} of {logical_id!r} is already published; edit it to "
            "start a new version.",
            details={"logicalId": logical_id, "version": latest.version},
        )
    latest.status = PublicationStatus.PUBLISHED
    latest.published_at = utcnow()
    session.flush()
    record(
        session,
        org,
        actor,
        AuditAction.ACHIEVEMENT_PUBLISH,
        logical_id,
        {"version": latest.version, "achievementId": latest.achievement.get("id")},
    )
    return latest
