"""``/api/v1/clr``: a CLR 2.0 transcript (ClrCredential) bundling credentials the
organization issued to one learner (see :mod:`openler.services.clr`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, get_keystore, get_settings, require_scope
from openler.api.platform._common import current_org, iso, json_with_document, now
from openler.api.platform.credentials import Recipient
from openler.config import Settings
from openler.services.clr import MAX_CLR_CREDENTIALS, ClrRequest, issue_clr
from openler.services.keystore import KeyStore
from openler.store.models import ClrCredential

__all__ = ["router"]

router = APIRouter(prefix="/clr", tags=["CLR"])

Issuer = Annotated[Principal, Depends(require_scope("credentials:issue"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]


class ClrBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "recipient": {"email": "ada@example.org"},
                    "credentialIds": ["urn:uuid:0b3c8f1e-6a54-4d43-9d1e-2f3a4b5c6d7e"],
                }
            ]
        },
    )

    recipient: Recipient
    credentialIds: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=MAX_CLR_CREDENTIALS
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)


def clr_view(clr: ClrCredential) -> dict[str, Any]:
    return {
        "credentialId": clr.credential_id,
        "includedCredentialIds": list(clr.included_credential_ids),
        "issuedAt": iso(clr.issued_at),
        "sha256": clr.credential_sha256,
    }


@router.post(
    "",
    status_code=201,
    summary="Issue a CLR 2.0 transcript",
    responses={
        201: {"description": "Issued: metadata, with the signed ClrCredential under `credential`."},
        404: {"description": "A named credential is not one of this organization's."},
        422: {"description": "Invalid request, another recipient's or an inactive credential."},
    },
)
def create(
    request: Request,
    session: DbSession,
    principal: Issuer,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    body: Annotated[ClrBody, Body()],
) -> Response:
    """A ClrCredential for ``recipient`` embedding the named credentials (issued by this
    organization to that recipient, active) exactly as stored, signed with the active key;
    stored and audited as ``clr.issue``."""
    org = current_org(session, principal)
    recipient, kind = body.recipient.as_request()
    clr = issue_clr(
        session,
        settings,
        keystore,
        org,
        ClrRequest(
            recipient=recipient,
            recipient_kind=kind,
            credential_ids=body.credentialIds,
            name=body.name,
            description=body.description,
        ),
        actor=principal.actor,
        now=now(request),
    )
    return json_with_document(clr_view(clr), "credential", clr.credential_bytes, status_code=201)
