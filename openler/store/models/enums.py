"""The closed vocabularies of the platform's records, stored as their string values."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActorType",
    "AuditAction",
    "BulkChunkState",
    "BulkJobStatus",
    "BulkRowState",
    "ClaimMode",
    "CredentialStatus",
    "EndorsementTarget",
    "ImportFormat",
    "OrganizationKind",
    "OutgoingEmailStatus",
    "PublicationStatus",
    "RecipientKind",
    "Role",
    "ShareAccessKind",
    "ShareItemKind",
    "SigningKeyStatus",
    "StatusPurpose",
    "UserCredentialKind",
]


class OrganizationKind(StrEnum):
    K12_DISTRICT = "k12_district"
    K12_SCHOOL = "k12_school"
    COLLEGE = "college"
    TRAINING_PROVIDER = "training_provider"
    EMPLOYER = "employer"
    UNION_APPRENTICESHIP = "union_apprenticeship"
    LICENSING_BOARD = "licensing_board"
    INDUSTRY_ASSOCIATION = "industry_association"


class SigningKeyStatus(StrEnum):
    ACTIVE = "active"  # signs new credentials
    RETIRED = "retired"  # no longer signs; still listed in the DID document
    REVOKED = "revoked"  # compromised: removed from the DID document


class Role(StrEnum):
    ADMIN = "admin"
    ISSUER = "issuer"
    VIEWER = "viewer"


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # immutable: an edit is a new version


class RecipientKind(StrEnum):
    EMAIL = "email"
    DID = "did"
    INSTITUTIONAL_ID = "institutional_id"


class CredentialStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


class StatusPurpose(StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class EndorsementTarget(StrEnum):
    ACHIEVEMENT = "achievement"
    PROFILE = "profile"


class ActorType(StrEnum):
    USER = "user"
    API_CLIENT = "api_client"
    API_KEY = "api_key"
    SYSTEM = "system"


class AuditAction(StrEnum):
    """Well-known audit actions. The column is a plain string so new actions need no
    migration; use these constants where one fits."""

    ORGANIZATION_CREATE = "organization.create"
    ORGANIZATION_UPDATE = "organization.update"
    CREDENTIAL_ISSUE = "credential.issue"
    CREDENTIAL_REVOKE = "credential.revoke"
    CREDENTIAL_SUSPEND = "credential.suspend"
    CREDENTIAL_UNSUSPEND = "credential.unsuspend"
    ACHIEVEMENT_CREATE = "achievement.create"
    ACHIEVEMENT_PUBLISH = "achievement.publish"
    KEY_CREATE = "key.create"
    KEY_ROTATE = "key.rotate"
    KEY_REVOKE = "key.revoke"
    MEMBERSHIP_CHANGE = "membership.change"
    API_CLIENT_CREATE = "api_client.create"
    API_CLIENT_REVOKE = "api_client.revoke"
    API_KEY_CREATE = "api_key.create"
    API_KEY_REVOKE = "api_key.revoke"
    ENDORSEMENT_ISSUE = "endorsement.issue"
    TRUST_REGISTRY_CHANGE = "trust_registry.change"
    CREDENTIAL_CLAIM = "credential.claim"
    OAUTH_GRANT_REVOKE = "oauth_grant.revoke"
    OFFER_CREATE = "offer.create"
    OFFER_DELIVER = "offer.deliver"
    OFFER_REFUSE = "offer.refuse"
    OFFER_CANCEL = "offer.cancel"
    BULK_JOB_CREATE = "bulk_job.create"
    BULK_JOB_START = "bulk_job.start"
    BULK_JOB_CANCEL = "bulk_job.cancel"
    BULK_JOB_RESUME = "bulk_job.resume"
    BULK_JOB_FINISH = "bulk_job.finish"
    #: One event per chunk of a bulk job (its credentials, counted), not one per credential.
    CREDENTIAL_ISSUE_BULK = "credential.issue_bulk"
    #: A learner's share links (openler.services.sharing); views are audited too.
    SHARE_CREATE = "share.create"
    SHARE_REVOKE = "share.revoke"
    SHARE_UPDATE = "share.update"
    SHARE_VIEW = "share.view"
    SHARE_PRESENT = "share.present"


class ClaimMode(StrEnum):
    """How a claimed credential was bound to the learner (openler.services.claims)."""

    REISSUED = "reissued"  # re-issued with credentialSubject.id = the learner's DID
    MATCHED = "matched"  # kept as issued; the learner's e-mail matched its IdentityObject


class ImportFormat(StrEnum):
    """What a learner uploaded or pasted into the record (openler.services.record_import)."""

    JSON = "json"  # a JSON-LD credential (VC 2.0 / 1.1) with embedded proof(s)
    JWT = "jwt"  # a VC-JWT compact string
    PNG = "png"  # a baked PNG image
    SVG = "svg"  # a baked SVG image


class OutgoingEmailStatus(StrEnum):
    """Where a message of the transactional outbox is (openler.services.outbox)."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a delivery run until its lease ends
    SENT = "sent"
    FAILED = "failed"  # gave up: a permanent error, or too many attempts


class UserCredentialKind(StrEnum):
    """Which 1EdTech service API a learner's app stored a credential through."""

    ACHIEVEMENT = "achievement"  # an OpenBadgeCredential, via /ims/ob/v3p0/credentials
    CLR = "clr"  # a ClrCredential, via /ims/clr/v2p0/credentials


class BulkJobStatus(StrEnum):
    """Where a bulk issuance job is (openler.services.bulk)."""

    STAGING = "staging"  # the roster is being read and checked
    VALIDATED = "validated"  # checked: waiting to be started (or re-mapped)
    RUNNING = "running"  # workers are issuing its chunks
    CANCELLED = "cancelled"  # stopped by a user; resumable
    COMPLETED = "completed"  # every chunk done
    FAILED = "failed"  # stopped by a job-wide problem (no signing key …); resumable


class BulkRowState(StrEnum):
    """A roster row's verdict (issued rows are those with a bulk_issued link)."""

    VALID = "valid"
    INVALID = "invalid"  # refused by validation; never issued
    FAILED = "failed"  # valid, but issuing it failed (the error is kept)


class BulkChunkState(StrEnum):
    """A chunk of a running job's rows, claimed by one worker at a time."""

    PENDING = "pending"
    LEASED = "leased"  # claimed by a worker until lease_until
    DONE = "done"


class ShareItemKind(StrEnum):
    """What a share item is (openler.services.sharing)."""

    CREDENTIAL = "credential"  # a credential of the learner's record
    EMPLOYMENT = "employment"  # a self-asserted employment entry


class ShareAccessKind(StrEnum):
    """How a share was accessed (openler.services.sharing)."""

    VIEW = "view"  # the landing page
    PRESENTATION = "presentation"  # a verifiable presentation was requested
