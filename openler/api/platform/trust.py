"""``/api/v1/trust-registry``: the deployment's issuer trust registry (see
:mod:`openler.services.trust`). Deployment-wide: changes need the ``trust:manage`` scope
*and* a token of an operator organization (``OPENLER_OPERATOR_ORGS``; 403
``trust_curation_not_allowed`` otherwise)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, require_scope
from openler.api.platform._common import current_org
from openler.services.trust import (
    TrustEntryRequest,
    add_entry,
    check_curator,
    deactivate_entry,
    entry_view,
    list_entries,
    update_entry,
)

__all__ = ["router"]

router = APIRouter(prefix="/trust-registry", tags=["trust registry"])

Curator = Annotated[Principal, Depends(require_scope("trust:manage"))]


class TrustEntryBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "issuerId": "did:web:college.example",
                    "name": "Example Community College",
                    "accreditation": "Regional accreditor, 2021-2031",
                    "notes": "Vouched for by the state board.",
                }
            ]
        },
    )

    issuerId: str = Field(
        min_length=1, max_length=500, description="The issuer's DID or URL, as in credentials."
    )
    name: str = Field(min_length=1, max_length=200)
    accreditation: str | None = Field(default=None, max_length=5000)
    notes: str | None = Field(default=None, max_length=5000)
    active: bool = True

    def as_request(self) -> TrustEntryRequest:
        return TrustEntryRequest(
            issuer_id=self.issuerId,
            name=self.name,
            accreditation=self.accreditation,
            notes=self.notes,
            active=self.active,
        )


@router.get("", summary="List the trust registry")
def list_registry(
    session: DbSession, principal: Curator, active: bool | None = None
) -> dict[str, Any]:
    """Every entry (or only active or inactive ones), by name."""
    return {"items": [entry_view(e) for e in list_entries(session, active=active)]}


@router.post(
    "",
    status_code=201,
    summary="Add an issuer to the trust registry",
    responses={409: {"description": "The issuer already has an entry (conflict)."}},
)
def add(
    request: Request,
    session: DbSession,
    principal: Curator,
    body: Annotated[TrustEntryBody, Body()],
) -> dict[str, Any]:
    """Audited as ``trust_registry.change``."""
    org = current_org(session, principal)
    check_curator(request.app.state.settings, org)
    return entry_view(add_entry(session, org, body.as_request(), actor=principal.actor))


@router.put(
    "/{entry_id}",
    summary="Replace a trust registry entry",
    responses={404: {"description": "No such entry."}, 409: {"description": "Issuer taken."}},
)
def replace(
    request: Request,
    session: DbSession,
    principal: Curator,
    entry_id: str,
    body: Annotated[TrustEntryBody, Body()],
) -> dict[str, Any]:
    """Every member as given (``active: false`` withdraws trust)."""
    org = current_org(session, principal)
    check_curator(request.app.state.settings, org)
    entry = update_entry(session, org, entry_id, body.as_request(), actor=principal.actor)
    return entry_view(entry)


@router.delete(
    "/{entry_id}",
    summary="Deactivate a trust registry entry",
    responses={404: {"description": "No such entry."}},
)
def deactivate(
    request: Request, session: DbSession, principal: Curator, entry_id: str
) -> dict[str, Any]:
    """Withdraws trust but keeps the entry for the record (its ``active`` becomes false);
    verification then reports the issuer as ``issuer_not_in_registry``."""
    org = current_org(session, principal)
    check_curator(request.app.state.settings, org)
    return entry_view(deactivate_entry(session, org, entry_id, actor=principal.actor))
