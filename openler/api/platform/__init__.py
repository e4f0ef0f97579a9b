"""The platform's REST API under ``/api/v1``, one module per resource.

Every route authenticates the caller (``openler.api.auth.authenticate``) and checks a
scope (``openler.api.deps.SCOPES``); the organization is always the caller's, so another
organization's resources answer 404 (never 403: their existence is not leaked)."""

from __future__ import annotations

from fastapi import APIRouter

from openler.api.platform import (
    achievements,
    audit,
    bulk,
    clr,
    credentials,
    endorsements,
    members,
    offers,
    organization,
    status_lists,
    trust,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
for _module in (
    organization,
    achievements,
    credentials,
    status_lists,
    audit,
    endorsements,
    trust,
    clr,
    members,
    offers,
    bulk,
):
    router.include_router(_module.router)
