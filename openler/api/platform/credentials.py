"""``/api/v1/credentials``: issue, list, read (the signed bytes verbatim) and change the
status of the organization's credentials."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session, selectinload

from openler.api.deps import (
    DbSession,
    Principal,
    get_keystore,
    get_settings,
    require_scope,
)
from openler.api.platform._common import (
    DEFAULT_PAGE_SIZE,
    PageSize,
    current_org,
    iso,
    json_with_document,
    now,
)
from openler.api.problems import NotFound
from openler.config import Settings
from openler.services.achievements import get_achievement, latest_published
from openler.services.issuing import (
    IssueRequest,
    change_status,
    issue_credential,
    recipient_lookup,
)
from openler.services.keystore import KeyStore
from openler.store.models import (
    AchievementDefinition,
    CredentialStatus,
    IssuedCredential,
    Organization,
    RecipientKind,
    StatusList,
)
from openler.store.paging import decode_cursor, keyset_page

__all__ = ["CREDENTIAL_MEDIA_TYPE", "credential_view", "find_credential", "router"]

router = APIRouter(prefix="/credentials", tags=["credentials"])

#: The media type of a signed credential served as a document.
CREDENTIAL_MEDIA_TYPE: Final = "application/vc+ld+json"

Issuer = Annotated[Principal, Depends(require_scope("credentials:issue"))]
Reader = Annotated[Principal, Depends(require_scope("credentials:read"))]
StatusManager = Annotated[Principal, Depends(require_scope("credentials:status"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]

Suite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]


class Recipient(BaseModel):
    """Exactly one of ``email``, ``did`` (a DID or other URI) or ``identifier`` (an
    institutional identifier, e.g. a student number). Email addresses and identifiers
    appear in the credential only as salted hashes."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    did: str | None = Field(default=None, max_length=500)
    identifier: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _exactly_one(self) -> Recipient:
        given = [v for v in (self.email, self.did, self.identifier) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of email, did, identifier")
        return self

    def as_request(self) -> tuple[str, RecipientKind]:
        if self.email is not None:
            return self.email, RecipientKind.EMAIL
        if self.did is not None:
            return self.did, RecipientKind.DID
        assert self.identifier is not None
        return self.identifier, RecipientKind.INSTITUTIONAL_ID


class IssueBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "achievement": "welding-1",
                    "recipient": {"email": "ada@example.org"},
                    "results": [],
                    "suites": ["eddsa-rdfc-2022", "Ed25519Signature2020"],
                }
            ]
        },
    )

    achievement: str = Field(description="The achievement's logical id.", max_length=100)
    achievementVersion: int | None = Field(
        default=None, ge=1, description="A published version (default: the latest published)."
    )
    recipient: Recipient
    results: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    evidence: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    validFrom: AwareDatetime | None = None
    validUntil: AwareDatetime | None = None
    activityStartDate: AwareDatetime | None = Field(
        default=None, description="When the learner started the work this credential is for."
    )
    activityEndDate: AwareDatetime | None = Field(
        default=None, description="When the learner finished it."
    )
    claimLink: bool = Field(
        default=True,
        description="For an e-mail recipient: e-mail a one-time claim link to the learner "
        "(the learner record's way in).",
    )
    statusPurpose: Literal["revocation", "suspension"] = "revocation"
    suites: list[Suite] = Field(default=["eddsa-rdfc-2022"], min_length=1, max_length=2)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


def credential_view(settings: Settings, issued: IssuedCredential) -> dict[str, Any]:
    """The credential's metadata (not the signed document)."""
    status_list: StatusList | None
    if issued.revocation_list is not None:
        status_list, index = issued.revocation_list, issued.revocation_index
    else:
        status_list, index = issued.suspension_list, issued.suspension_index
    return {
        "credentialId": issued.credential_id,
        "achievement": {
            "logicalId": issued.achievement.logical_id,
            "version": issued.achievement.version,
            "id": issued.achievement.achievement.get("id"),
        },
        "recipient": {
            "kind": issued.recipient_kind.value,
            "identifier": issued.recipient_identifier,
            "hashed": issued.recipient_hashed,
        },
        "status": issued.status.value,
        "statusReason": issued.status_reason,
        "statusChangedAt": iso(issued.status_changed_at),
        "credentialStatus": None
        if status_list is None
        else {
            "statusPurpose": status_list.purpose.value,
            "statusListCredential": settings.base_url + status_list.url_path,
            "statusListIndex": index,
        },
        "issuedAt": iso(issued.issued_at),
        "validUntil": iso(issued.valid_until),
        "signingKey": issued.signing_key.key_id if issued.signing_key is not None else None,
        "sha256": issued.credential_sha256,
        "document": f"/api/v1/credentials/{issued.credential_id}/document",
    }


def _normalized_id(credential_id: str) -> str:
    return credential_id if ":" in credential_id else f"urn:uuid:{credential_id}"


def find_credential(session: Session, org: Organization, credential_id: str) -> IssuedCredential:
    """The organization's credential ``credential_id`` (``urn:uuid:…`` or the bare UUID);
    another organization's is not found."""
    found = session.scalar(
        sa.select(IssuedCredential).where(
            IssuedCredential.organization_id == org.id,
            IssuedCredential.credential_id == _normalized_id(credential_id),
        )
    )
    if found is None:
        raise NotFound("No such credential in this organization.")
    return found


def _achievement_for(
    session: Session, org: Organization, body: IssueBody, idempotency_key: str | None
) -> AchievementDefinition:
    if body.achievementVersion is not None:
        return get_achievement(session, org, body.achievement, body.achievementVersion)
    if idempotency_key is not None:
        # A repeat after a newer version was published still names what the first did.
        earlier = session.scalar(
            sa.select(IssuedCredential).where(
                IssuedCredential.organization_id == org.id,
                IssuedCredential.idempotency_key == idempotency_key,
            )
        )
        if earlier is not None and earlier.achievement.logical_id == body.achievement:
            return earlier.achievement
    # The latest published version; a draft-only achievement is refused by the issuer (422).
    return latest_published(session, org, body.achievement) or get_achievement(
        session, org, body.achievement
    )


@router.post(
    "",
    status_code=201,
    summary="Issue a credential",
    responses={
        200: {"description": "An idempotent repeat: the credential issued the first time."},
        201: {"description": "Issued: metadata, with the signed credential under `credential`."},
        404: {"description": "No such achievement (not_found)."},
        409: {"description": "The Idempotency-Key was used for a different request."},
        422: {"description": "Invalid request, or the achievement is not published."},
    },
)
def issue(
    request: Request,
    session: DbSession,
    principal: Issuer,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    body: Annotated[IssueBody, Body()],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> Response:
    """Issue an AchievementCredential for a published achievement, signed with the
    organization's active key (eddsa-rdfc-2022, optionally plus an Ed25519Signature2020
    proof), with a Bitstring status entry. With an ``Idempotency-Key`` header the same
    request issues once: a repeat answers 200 with the same credential, a different
    request under the same key is a 409 ``idempotency_conflict``."""
    org = current_org(session, principal)
    achievement = _achievement_for(session, org, body, idempotency_key)
    recipient, kind = body.recipient.as_request()
    issued, created = issue_credential(
        session,
        settings,
        keystore,
        org,
        IssueRequest(
            achievement_id=achievement.id,
            recipient=recipient,
            recipient_kind=kind,
            results=body.results,
            evidence=body.evidence,
            valid_from=body.validFrom,
            valid_until=body.validUntil,
            activity_start=body.activityStartDate,
            activity_end=body.activityEndDate,
            offer_claim=body.claimLink,
            suites=list(body.suites),
            status_purpose=body.statusPurpose,
            idempotency_key=idempotency_key,
        ),
        actor=principal.actor,
        now=now(request),
    )
    return json_with_document(
        credential_view(settings, issued),
        "credential",
        issued.credential_bytes,
        status_code=201 if created else 200,
        headers={"Location": f"/api/v1/credentials/{issued.credential_id}"},
    )


@router.get("", summary="List credentials")
def list_credentials(
    session: DbSession,
    principal: Reader,
    settings: SettingsDep,
    status: CredentialStatus | None = None,
    achievement: Annotated[str | None, Query(description="An achievement's logical id.")] = None,
    recipient: Annotated[
        str | None,
        Query(description="An email address, DID or identifier, as given when issuing."),
    ] = None,
    issued_after: AwareDatetime | None = None,
    issued_before: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Newest first (by issue time, then id: a stable order). ``nextCursor`` fetches the
    next page; it is null on the last one."""
    org = current_org(session, principal)
    query = (
        sa.select(IssuedCredential)
        .where(IssuedCredential.organization_id == org.id)
        .options(
            selectinload(IssuedCredential.achievement),
            selectinload(IssuedCredential.signing_key),
            selectinload(IssuedCredential.revocation_list),
            selectinload(IssuedCredential.suspension_list),
        )
    )
    if status is not None:
        query = query.where(IssuedCredential.status == status)
    if achievement is not None:
        ids = sa.select(AchievementDefinition.id).where(
            AchievementDefinition.organization_id == org.id,
            AchievementDefinition.logical_id == achievement,
        )
        query = query.where(IssuedCredential.achievement_id.in_(ids))
    if recipient is not None:
        query = query.where(IssuedCredential.recipient_lookup == recipient_lookup(recipient))
    if issued_after is not None:
        query = query.where(IssuedCredential.issued_at > issued_after)
    if issued_before is not None:
        query = query.where(IssuedCredential.issued_at < issued_before)
    page, next_cursor = keyset_page(
        session,
        query,
        at=IssuedCredential.issued_at,
        row_id=IssuedCredential.id,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return {"items": [credential_view(settings, c) for c in page], "nextCursor": next_cursor}


@router.get("/{credential_id}", summary="One credential: metadata and the signed document")
def get_credential(
    session: DbSession, principal: Reader, settings: SettingsDep, credential_id: str
) -> Response:
    """The metadata, with the signed credential under ``credential`` exactly as stored
    (the stored bytes are spliced into the response unchanged)."""
    issued = find_credential(session, current_org(session, principal), credential_id)
    return json_with_document(
        credential_view(settings, issued), "credential", issued.credential_bytes
    )


@router.get(
    "/{credential_id}/document",
    summary="The signed credential, byte for byte",
    response_class=Response,
    responses={200: {"content": {CREDENTIAL_MEDIA_TYPE: {}}}},
)
def get_document(session: DbSession, principal: Reader, credential_id: str) -> Response:
    """Exactly the bytes that were signed and handed out when it was issued."""
    issued = find_credential(session, current_org(session, principal), credential_id)
    return Response(
        issued.credential_bytes,
        media_type=CREDENTIAL_MEDIA_TYPE,
        headers={"ETag": f'"{issued.credential_sha256}"'},
    )


def _change(
    action: str,
    session: Session,
    principal: Principal,
    settings: Settings,
    credential_id: str,
    body: StatusChange | None,
) -> dict[str, Any]:
    org = current_org(session, principal)
    issued = find_credential(session, org, credential_id)
    changed = change_status(
        session,
        org,
        issued.credential_id,
        action,
        reason=body.reason if body is not None else None,
        actor=principal.actor,
    )
    return credential_view(settings, changed)


_STATUS_DOC = (
    "The published status list shows the change on its next fetch (its version, and "
    "ETag, change at once). A change that does not apply (revoking twice, unsuspending "
    "an active credential, suspending one that has only a revocation entry) is a 409 "
    "``status_conflict`` and changes nothing."
)


@router.post("/{credential_id}/revoke", summary="Revoke a credential", description=_STATUS_DOC)
def revoke(
    session: DbSession,
    principal: StatusManager,
    settings: SettingsDep,
    credential_id: str,
    body: Annotated[StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    return _change("revoke", session, principal, settings, credential_id, body)


@router.post("/{credential_id}/suspend", summary="Suspend a credential", description=_STATUS_DOC)
def suspend(
    session: DbSession,
    principal: StatusManager,
    settings: SettingsDep,
    credential_id: str,
    body: Annotated[StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    return _change("suspend", session, principal, settings, credential_id, body)


@router.post("/{credential_id}/unsuspend", summary="Lift a suspension", description=_STATUS_DOC)
def unsuspend(
    session: DbSession,
    principal: StatusManager,
    settings: SettingsDep,
    credential_id: str,
    body: Annotated[StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    return _change("unsuspend", session, principal, settings, credential_id, body)
