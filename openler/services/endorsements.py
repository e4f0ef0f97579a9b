"""Endorsements: one organization vouches for another organization's published
achievement or for its profile, with an OB 3.0 EndorsementCredential.

``endorse`` runs in the caller's transaction: it finds the target (only *published*
achievements and existing organizations of this platform; a draft is not found, since
drafts are never public), builds the EndorsementCredential with the endorser's issuer
Profile, signs it with the endorser's active key, stores the signed bytes verbatim and
audits ``endorsement.issue``. An organization cannot endorse itself or its own
achievements. Endorsements carry no status entry.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import issue
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.builders import build_endorsement_credential
from openler.services.achievements import latest_published
from openler.services.audit import Actor, record
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile, org_did, signer_for
from openler.store.models import (
    AchievementDefinition,
    AuditAction,
    Endorsement,
    EndorsementTarget,
    Organization,
    utcnow,
)

__all__ = [
    "EndorsementNotFound",
    "EndorsementRequest",
    "achievement_endorsements",
    "endorse",
    "find_endorsement",
    "list_endorsements",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class EndorsementNotFound(OpenlerError):
    code = "not_found"


@dataclass(frozen=True)
class EndorsementRequest:
    """Exactly one target: an achievement (``achievement_id``, its public id URL, or
    ``org`` + ``logical_id``) or a profile (``profile``: an organization's slug or DID)."""

    comment: str
    achievement_id: str | None = None
    org: str | None = None
    logical_id: str | None = None
    profile: str | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class _Target:
    kind: EndorsementTarget
    target_id: str
    label: str
    organization: Organization
    achievement: AchievementDefinition | None = None


def _org_by_slug(session: Session, slug: str) -> Organization:
    org = (
        session.scalar(sa.select(Organization).where(Organization.slug == slug))
        if _SLUG.match(slug)
        else None
    )
    if org is None:
        raise EndorsementNotFound(f"No organization {slug!r}.", details={"org": slug[:100]})
    return org


def _achievement_target(session: Session, slug: str, logical_id: str) -> _Target:
    owner = _org_by_slug(session, slug)
    definition = latest_published(session, owner, logical_id)
    if definition is None:
        raise EndorsementNotFound(
            "No such published achievement.", details={"org": slug, "logicalId": logical_id}
        )
    target_id = definition.achievement.get("id")
    if not isinstance(target_id, str):
        raise InvalidInput("The achievement has no id to endorse.")
    name = definition.achievement.get("name")
    return _Target(
        EndorsementTarget.ACHIEVEMENT,
        target_id,
        name if isinstance(name, str) else logical_id,
        owner,
        definition,
    )


def _split_achievement_url(settings: Settings, url: str) -> tuple[str, str]:
    prefix = f"{settings.base_url}/orgs/"
    parts = url.removeprefix(prefix).split("/") if url.startswith(prefix) else []
    if len(parts) != 3 or parts[1] != "achievements" or not parts[0] or not parts[2]:
        raise EndorsementNotFound(
            "Not an achievement published on this platform.",
            details={"achievementId": url[:200]},
        )
    return parts[0], parts[2]


def _profile_target(session: Session, settings: Settings, given: str) -> _Target:
    prefix = org_did(settings, "")
    slug = given.removeprefix(prefix) if given.startswith(prefix) else given
    owner = _org_by_slug(session, slug)
    return _Target(EndorsementTarget.PROFILE, org_did(settings, owner.slug), owner.name, owner)


def _target(session: Session, settings: Settings, request: EndorsementRequest) -> _Target:
    by_url = request.achievement_id is not None
    by_logical = request.org is not None or request.logical_id is not None
    by_profile = request.profile is not None
    if [by_url, by_logical, by_profile].count(True) != 1:
        raise InvalidInput("Name exactly one target: achievementId, org + logicalId, or profile.")
    if by_profile:
        assert request.profile is not None
        return _profile_target(session, settings, request.profile)
    if by_url:
        assert request.achievement_id is not None
        slug, logical_id = _split_achievement_url(settings, request.achievement_id)
    else:
        if request.org is None or request.logical_id is None:
            raise InvalidInput("An achievement is named by org and logicalId together.")
        slug, logical_id = request.org, request.logical_id
    return _achievement_target(session, slug, logical_id)


def endorse(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    endorser: Organization,
    request: EndorsementRequest,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Endorsement:
    if not request.comment.strip():
        raise InvalidInput("An endorsement needs a comment.")
    target = _target(session, settings, request)
    if target.organization.id == endorser.id:
        raise InvalidInput(
            "An organization cannot endorse itself or its own achievements.",
            details={"target": target.target_id},
        )
    now = now or utcnow()
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    unsigned = build_endorsement_credential(
        credential_id=credential_id,
        issuer=issuer_profile(settings, endorser),
        endorsed_id=target.target_id,
        name=request.name or f"{endorser.name} endorses {target.label}",
        description=request.description,
        endorsement_comment=request.comment.strip(),
        valid_from=now,
        credential_schema=False,
    )
    key, signer = signer_for(session, settings, keystore, endorser)
    signed = issue(unsigned, signer, created=now)
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    endorsement = Endorsement(
        endorser_organization_id=endorser.id,
        target_kind=target.kind,
        target_id=target.target_id,
        target_achievement_id=target.achievement.id if target.achievement else None,
        target_organization_id=target.organization.id,
        credential_id=credential_id,
        issued_at=now,
    )
    endorsement.set_signed_document(data)
    session.add(endorsement)
    session.flush()
    record(
        session,
        endorser,
        actor,
        AuditAction.ENDORSEMENT_ISSUE,
        credential_id,
        {
            "targetKind": target.kind.value,
            "target": target.target_id,
            "targetOrganization": target.organization.slug,
            "key": key.key_id,
        },
    )
    return endorsement


def list_endorsements(
    session: Session, org: Organization, *, role: str = "given"
) -> list[Endorsement]:
    """Endorsements ``org`` gave (``given``) or received (``received``: about its
    achievements or its profile), newest first."""
    column = (
        Endorsement.endorser_organization_id
        if role == "given"
        else Endorsement.target_organization_id
    )
    return list(
        session.scalars(
            sa.select(Endorsement)
            .where(column == org.id)
            .order_by(Endorsement.issued_at.desc(), Endorsement.id.desc())
        )
    )


def find_endorsement(session: Session, org: Organization, credential_id: str) -> Endorsement:
    """An endorsement ``org`` gave or received; any other is not found."""
    wanted = credential_id if ":" in credential_id else f"urn:uuid:{credential_id}"
    found = session.scalar(
        sa.select(Endorsement).where(
            Endorsement.credential_id == wanted,
            sa.or_(
                Endorsement.endorser_organization_id == org.id,
                Endorsement.target_organization_id == org.id,
            ),
        )
    )
    if found is None:
        raise EndorsementNotFound("No such endorsement given or received by this organization.")
    return found


def achievement_endorsements(session: Session, achievement_id: str) -> list[bytes]:
    """The signed endorsements of the achievement whose public id is ``achievement_id``
    (every version shares it), oldest first, as stored."""
    return list(
        session.scalars(
            sa.select(Endorsement.credential_bytes)
            .where(
                Endorsement.target_kind == EndorsementTarget.ACHIEVEMENT,
                Endorsement.target_id == achievement_id,
            )
            .order_by(Endorsement.issued_at, Endorsement.id)
        )
    )
