"""``/api/v1/status-lists``: the organization's Bitstring Status Lists and where they are
published."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends

from openler.api.deps import DbSession, Principal, get_settings, require_scope
from openler.api.platform._common import current_org, iso
from openler.config import Settings
from openler.store.models import StatusList

__all__ = ["router"]

router = APIRouter(prefix="/status-lists", tags=["status lists"])

Reader = Annotated[Principal, Depends(require_scope("credentials:read"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def status_list_view(settings: Settings, status_list: StatusList) -> dict[str, Any]:
    return {
        "url": settings.base_url + status_list.url_path,
        "statusPurpose": status_list.purpose.value,
        "sequence": status_list.sequence,
        "length": status_list.length,
        "allocated": status_list.next_index,
        "version": status_list.version,
        "createdAt": iso(status_list.created_at),
        "updatedAt": iso(status_list.updated_at),
    }


@router.get("", summary="The organization's status lists")
def list_status_lists(
    session: DbSession, principal: Reader, settings: SettingsDep
) -> dict[str, Any]:
    """Each list with its public URL, how many entries are handed out, and its version
    (which grows with every status change; it is the ETag of the published list)."""
    org = current_org(session, principal)
    lists = session.scalars(
        sa.select(StatusList)
        .where(StatusList.organization_id == org.id)
        .order_by(StatusList.purpose, StatusList.sequence)
    )
    return {"items": [status_list_view(settings, s) for s in lists]}
