"""``/api/v1/org`` (the caller's organization and its issuer Profile) and
``/api/v1/keys`` (its signing keys; rotation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openler.api.deps import (
    DbSession,
    Principal,
    get_keystore,
    get_settings,
    require_scope,
)
from openler.api.platform._common import Authenticated, current_org, iso
from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.core.model.common import json_copy
from openler.core.model.ob3 import Profile
from openler.services.audit import record
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, org_did, rotate_key
from openler.store.models import AuditAction, Organization, SigningKey, SigningKeyStatus

__all__ = ["router"]

router = APIRouter(tags=["organization"])

Admin = Annotated[Principal, Depends(require_scope("org:admin"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]

#: Profile members the platform sets itself.
_RESERVED = ("id", "type")


def org_view(settings: Settings, org: Organization) -> dict[str, Any]:
    return {
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind.value,
        "did": org_did(settings, org.slug),
        "didDocument": f"{settings.base_url}/orgs/{org.slug}/did.json",
        "profile": issuer_profile(settings, org),
        "createdAt": iso(org.created_at),
        "updatedAt": iso(org.updated_at),
    }


def key_view(settings: Settings, org: Organization, key: SigningKey) -> dict[str, Any]:
    return {
        "keyId": key.key_id,
        "verificationMethod": f"{org_did(settings, org.slug)}#{key.key_id}",
        "algorithm": key.algorithm,
        "publicKeyMultibase": key.public_key_multibase,
        "status": key.status.value,
        "inDidDocument": key.status is not SigningKeyStatus.REVOKED,
        "createdAt": iso(key.created_at),
        "retiredAt": iso(key.retired_at),
        "revokedAt": iso(key.revoked_at),
    }


class OrgUpdate(BaseModel):
    """What ``PUT /api/v1/org`` may change: the display name and the OB 3.0 Profile
    members (``url``, ``email``, ``description``, ``image``, ``address``, ...). ``id`` and
    ``type`` are the platform's (the organization's DID)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    profile: dict[str, Any] | None = None


@router.get("/org", summary="The caller's organization")
def get_org(session: DbSession, principal: Authenticated, settings: SettingsDep) -> dict[str, Any]:
    """The organization the token acts for, with its DID and the issuer Profile that
    its credentials carry."""
    return org_view(settings, current_org(session, principal))


@router.put("/org", summary="Update the organization's name and Profile")
def put_org(
    session: DbSession,
    principal: Admin,
    settings: SettingsDep,
    body: Annotated[OrgUpdate, Body()],
) -> dict[str, Any]:
    """Replace the Profile members (all of them: send the whole profile) and/or the
    name. The new Profile is checked as an OB 3.0 Profile; credentials issued earlier keep
    the Profile they were signed with."""
    org = current_org(session, principal)
    changed: dict[str, Any] = {}
    name = body.name.strip() if body.name is not None else org.name
    if not name:
        raise InvalidInput("An organization needs a name.")
    profile = org.profile
    if body.profile is not None:
        profile = {k: v for k, v in json_copy(body.profile).items() if k not in _RESERVED}
        candidate = {"id": org_did(settings, org.slug), "type": ["Profile"], "name": name}
        try:
            Profile.model_validate({**candidate, **profile}, context={})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "profile"
            raise InvalidInput(
                f"invalid profile: {where}: {str(first['msg']).removeprefix('Value error, ')}"
            ) from None
        profile.pop("name", None)
        changed["profile"] = sorted(profile)
    if name != org.name:
        changed["name"] = name
    org.name = name
    org.profile = profile
    session.flush()
    record(
        session,
        org,
        principal.actor,
        AuditAction.ORGANIZATION_UPDATE,
        org_did(settings, org.slug),
        changed,
    )
    return org_view(settings, org)


@router.get("/keys", summary="The organization's signing keys")
def list_keys(
    session: DbSession, principal: Authenticated, settings: SettingsDep
) -> dict[str, Any]:
    """Every key, oldest first: the active one signs; retired ones stay in the DID
    document so what they signed still verifies; revoked ones are gone from it."""
    org = current_org(session, principal)
    keys = sorted(org.signing_keys, key=lambda k: (k.created_at, k.key_id))
    return {"items": [key_view(settings, org, k) for k in keys]}


@router.post("/keys/rotate", status_code=201, summary="Rotate the signing key")
def rotate(
    session: DbSession,
    principal: Admin,
    settings: SettingsDep,
    keystore: KeyStoreDep,
) -> dict[str, Any]:
    """Retire the active key (it stays in the DID document) and make a new one active
    (audit ``key.rotate``). Returns the new key."""
    org = current_org(session, principal)
    key = rotate_key(session, settings, keystore, org, actor=principal.actor)
    return key_view(settings, org, key)
