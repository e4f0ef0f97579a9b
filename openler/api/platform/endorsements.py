"""``/api/v1/endorsements``: the caller's organization endorses another organization's
published achievement or its profile (an OB 3.0 EndorsementCredential, signed with the
caller's active key), and reads the endorsements it gave or received."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, get_keystore, get_settings, require_scope
from openler.api.platform._common import Authenticated, current_org, iso, json_with_document, now
from openler.config import Settings
from openler.services.endorsements import (
    EndorsementRequest,
    endorse,
    find_endorsement,
    list_endorsements,
)
from openler.services.keystore import KeyStore
from openler.store.models import Endorsement

__all__ = ["router"]

router = APIRouter(prefix="/endorsements", tags=["endorsements"])

ENDORSEMENT_MEDIA_TYPE: Final = "application/vc+ld+json"

Endorser = Annotated[Principal, Depends(require_scope("endorsements:write"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]


class EndorseBody(BaseModel):
    """Exactly one target: ``achievementId`` (the achievement's public id URL), ``org`` +
    ``logicalId``, or ``profile`` (an organization's slug or DID)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "org": "riverside",
                    "logicalId": "welding-1",
                    "endorsementComment": "Graduates meet our entry-level welding standard.",
                }
            ]
        },
    )

    achievementId: str | None = Field(default=None, max_length=500)
    org: str | None = Field(default=None, max_length=63)
    logicalId: str | None = Field(default=None, max_length=100)
    profile: str | None = Field(default=None, max_length=500)
    endorsementComment: str = Field(min_length=1, max_length=10_000)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)


def endorsement_view(endorsement: Endorsement) -> dict[str, Any]:
    return {
        "credentialId": endorsement.credential_id,
        "endorser": endorsement.endorser.slug,
        "targetKind": endorsement.target_kind.value,
        "target": endorsement.target_id,
        "targetOrganization": endorsement.target_organization.slug
        if endorsement.target_organization is not None
        else None,
        "issuedAt": iso(endorsement.issued_at),
        "sha256": endorsement.credential_sha256,
        "document": f"/api/v1/endorsements/{endorsement.credential_id}/document",
    }


@router.post(
    "",
    status_code=201,
    summary="Endorse an achievement or an organization",
    responses={
        201: {"description": "Issued: metadata, with the signed credential under `credential`."},
        404: {"description": "No such organization or published achievement."},
        422: {"description": "Invalid request, or an endorsement of one's own organization."},
    },
)
def create(
    request: Request,
    session: DbSession,
    principal: Endorser,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    body: Annotated[EndorseBody, Body()],
) -> Response:
    """Sign an EndorsementCredential as the caller's organization about another
    organization's published achievement or its profile; audited as
    ``endorsement.issue``."""
    org = current_org(session, principal)
    endorsement = endorse(
        session,
        settings,
        keystore,
        org,
        EndorsementRequest(
            comment=body.endorsementComment,
            achievement_id=body.achievementId,
            org=body.org,
            logical_id=body.logicalId,
            profile=body.profile,
            name=body.name,
            description=body.description,
        ),
        actor=principal.actor,
        now=now(request),
    )
    return json_with_document(
        endorsement_view(endorsement),
        "credential",
        endorsement.credential_bytes,
        status_code=201,
        headers={"Location": f"/api/v1/endorsements/{endorsement.credential_id}"},
    )


@router.get("", summary="Endorsements given or received")
def list_all(
    session: DbSession,
    principal: Authenticated,
    role: Literal["given", "received"] = "given",
) -> dict[str, Any]:
    """``role=given`` (default): those the organization issued; ``role=received``: those
    about its achievements or its profile. Newest first."""
    org = current_org(session, principal)
    return {"items": [endorsement_view(e) for e in list_endorsements(session, org, role=role)]}


@router.get("/{credential_id}", summary="One endorsement: metadata and the signed document")
def get_one(session: DbSession, principal: Authenticated, credential_id: str) -> Response:
    """Only an endorsement the organization gave or received (any other is a 404)."""
    endorsement = find_endorsement(session, current_org(session, principal), credential_id)
    return json_with_document(
        endorsement_view(endorsement), "credential", endorsement.credential_bytes
    )


@router.get(
    "/{credential_id}/document",
    summary="The signed endorsement, byte for byte",
    response_class=Response,
    responses={200: {"content": {ENDORSEMENT_MEDIA_TYPE: {}}}},
)
def get_document(session: DbSession, principal: Authenticated, credential_id: str) -> Response:
    endorsement = find_endorsement(session, current_org(session, principal), credential_id)
    return Response(
        endorsement.credential_bytes,
        media_type=ENDORSEMENT_MEDIA_TYPE,
        headers={"ETag": f'"{endorsement.credential_sha256}"'},
    )
