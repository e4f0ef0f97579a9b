"""What the platform publishes for verifiers, without authentication and cacheable:
organizations' DID documents (did:web), issuer Profiles, published achievements and
signed status lists.

Caching: DID documents, Profiles and achievements may be cached for 5 minutes
(``Cache-Control: public, max-age=300``). Status lists for 1 minute (``max-age=60``):
a revocation or suspension changes the list at once (its version, which is also its
``ETag``, grows), so a verifier that honours the header sees the change on its next fetch
at most a minute later; one that revalidates with ``If-None-Match`` gets ``304 Not
Modified`` while the list is unchanged, and the new list as soon as it changes.
"""

from __future__ import annotations

import json
from typing import Annotated, Final

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.problems import NotFound
from openler.config import Settings
from openler.services.achievements import latest_published
from openler.services.endorsements import achievement_endorsements
from openler.services.issuing import signed_status_list
from openler.services.keystore import KeyStore
from openler.services.organizations import did_document, issuer_profile
from openler.store.models import Organization, StatusList, StatusPurpose
from openler.store.status import status_list_path

__all__ = [
    "DID_CACHE_CONTROL",
    "PUBLIC_PREFIXES",
    "STATUS_LIST_CACHE_CONTROL",
    "STATUS_LIST_MEDIA_TYPE",
    "router",
]

#: Paths of this router (public: rate-limited per client).
PUBLIC_PREFIXES: Final = ("/orgs/",)

DID_CACHE_CONTROL: Final = "public, max-age=300"
STATUS_LIST_CACHE_CONTROL: Final = "public, max-age=60"
STATUS_LIST_MEDIA_TYPE: Final = "application/vc+ld+json"
DID_MEDIA_TYPE: Final = "application/did+json"

router = APIRouter(prefix="/orgs", tags=["public"])

SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]


def _org(session: Session, slug: str) -> Organization:
    org = session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"No organization {slug!r}.")
    return org


@router.get(
    "/{slug}/did.json",
    summary="An organization's DID document (did:web)",
    response_class=JSONResponse,
    responses={200: {"content": {DID_MEDIA_TYPE: {}}}},
)
def get_did_document(session: DbSession, settings: SettingsDep, slug: str) -> Response:
    """The DID document of ``did:web:<host>:orgs:<slug>``: the active key and the
    retired ones (so credentials they signed still verify); revoked keys are left out."""
    document = did_document(session, settings, _org(session, slug))
    return JSONResponse(
        document, media_type=DID_MEDIA_TYPE, headers={"Cache-Control": DID_CACHE_CONTROL}
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


@router.get(
    "/{slug}/status/{purpose}/{sequence}",
    summary="A signed status list",
    response_class=Response,
    responses={
        200: {"content": {STATUS_LIST_MEDIA_TYPE: {}}},
        304: {"description": "Not modified (If-None-Match names the current ETag)."},
    },
)
def get_status_list(
    session: DbSession,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    slug: str,
    purpose: str,
    sequence: int,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The BitstringStatusListCredential, exactly as signed. ``ETag`` is the list's
    version; ``Cache-Control: public, max-age=60``."""
    try:
        status_purpose = StatusPurpose(purpose)
    except ValueError:
        raise NotFound(f"No {purpose!r} status lists.") from None
    path = status_list_path(slug, status_purpose, sequence)
    found = session.scalar(sa.select(StatusList).where(StatusList.url_path == path))
    if found is None:
        raise NotFound("No such status list.")
    etag = f'"v{found.version}"'
    headers = {"ETag": etag, "Cache-Control": STATUS_LIST_CACHE_CONTROL}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    data = signed_status_list(session, settings, keystore, found)
    return Response(data, media_type=STATUS_LIST_MEDIA_TYPE, headers=headers)


@router.get("/{slug}/achievements/{logical_id}", summary="A published achievement")
def get_published_achievement(session: DbSession, slug: str, logical_id: str) -> Response:
    """The latest published version of an achievement (drafts are never public)."""
    definition = latest_published(session, _org(session, slug), logical_id)
    if definition is None:
        raise NotFound("No such published achievement.")
    return JSONResponse(definition.achievement, headers={"Cache-Control": DID_CACHE_CONTROL})


@router.get(
    "/{slug}/achievements/{logical_id}/endorsements",
    summary="The endorsements of a published achievement",
)
def get_achievement_endorsements(session: DbSession, slug: str, logical_id: str) -> Response:
    """``{"achievement": id, "endorsements": [...]}``: every EndorsementCredential issued
    on this platform about the achievement (any version), oldest first, each exactly as
    signed."""
    definition = latest_published(session, _org(session, slug), logical_id)
    if definition is None:
        raise NotFound("No such published achievement.")
    achievement_id = str(definition.achievement.get("id"))
    signed = achievement_endorsements(session, achievement_id)
    head = json.dumps({"achievement": achievement_id}, separators=(",", ":"))
    body = head[:-1].encode() + b',"endorsements":[' + b",".join(signed) + b"]}"
    return Response(
        body, media_type="application/json", headers={"Cache-Control": DID_CACHE_CONTROL}
    )


@router.get("/{slug}", summary="An organization's issuer Profile")
def get_profile(session: DbSession, settings: SettingsDep, slug: str) -> Response:
    """The OB 3.0 Profile that the organization's credentials name as their issuer."""
    profile = issuer_profile(settings, _org(session, slug))
    return JSONResponse(profile, headers={"Cache-Control": DID_CACHE_CONTROL})
