"""``/api/v1/achievements``: OB 3.0 Achievement definitions, versioned; a published
version is immutable (an edit starts the next version as a draft)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, get_settings, require_scope
from openler.api.platform._common import current_org, iso
from openler.config import Settings
from openler.services.achievements import (
    create_achievement,
    edit_achievement,
    get_achievement,
    latest_versions,
    publish_achievement,
)
from openler.store.models import AchievementDefinition

__all__ = ["achievement_view", "router"]

router = APIRouter(prefix="/achievements", tags=["achievements"])

Reader = Annotated[Principal, Depends(require_scope("achievements:read"))]
Writer = Annotated[Principal, Depends(require_scope("achievements:write"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_EXAMPLE: dict[str, Any] = {
    "logicalId": "welding-1",
    "achievement": {
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": "Welding I",
        "description": "Safe setup and basic structural welds.",
        "criteria": {"narrative": "Pass the practical test."},
    },
}


class AchievementBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [dict(_EXAMPLE)]})

    logicalId: str | None = Field(
        default=None,
        description="Stable id across versions (letters, digits, '.', '_', '-'); "
        "generated when absent.",
    )
    achievement: dict[str, Any] = Field(
        description="An OB 3.0 Achievement. `id` defaults to the platform's URL for it."
    )


class AchievementEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    achievement: dict[str, Any]


def achievement_view(definition: AchievementDefinition) -> dict[str, Any]:
    return {
        "logicalId": definition.logical_id,
        "version": definition.version,
        "status": definition.status.value,
        "achievement": definition.achievement,
        "createdAt": iso(definition.created_at),
        "updatedAt": iso(definition.updated_at),
        "publishedAt": iso(definition.published_at),
    }


@router.post("", status_code=201, summary="Create an achievement (a draft)")
def create(
    session: DbSession,
    principal: Writer,
    settings: SettingsDep,
    body: Annotated[AchievementBody, Body()],
) -> dict[str, Any]:
    """Version 1 of a new achievement, as a draft; the Achievement is checked strictly
    (422 ``invalid_input``); an existing logical id is a 409 ``conflict``."""
    org = current_org(session, principal)
    definition = create_achievement(
        session,
        settings,
        org,
        body.achievement,
        logical_id=body.logicalId,
        actor=principal.actor,
    )
    return achievement_view(definition)


@router.get("", summary="List achievements (latest versions)")
def list_achievements(session: DbSession, principal: Reader) -> dict[str, Any]:
    org = current_org(session, principal)
    return {"items": [achievement_view(d) for d in latest_versions(session, org)]}


@router.get("/{logical_id}", summary="One achievement (latest, or ?version=N)")
def get_one(
    session: DbSession,
    principal: Reader,
    logical_id: str,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    org = current_org(session, principal)
    return achievement_view(get_achievement(session, org, logical_id, version))


@router.put("/{logical_id}", summary="Edit an achievement")
def edit(
    session: DbSession,
    principal: Writer,
    settings: SettingsDep,
    logical_id: str,
    body: Annotated[AchievementEdit, Body()],
) -> dict[str, Any]:
    """Changes the draft in place; when the latest version is published, creates the
    next version as a draft (the published one never changes)."""
    org = current_org(session, principal)
    definition = edit_achievement(
        session, settings, org, logical_id, body.achievement, actor=principal.actor
    )
    return achievement_view(definition)


@router.post("/{logical_id}/publish", summary="Publish the latest version")
def publish(session: DbSession, principal: Writer, logical_id: str) -> dict[str, Any]:
    """Publishes the latest version (a draft): from now on it can be issued and never
    changes (audit ``achievement.publish``). Publishing twice is a 409 ``conflict``."""
    org = current_org(session, principal)
    return achievement_view(publish_achievement(session, org, logical_id, actor=principal.actor))
