"""The closed vocabularies of the platform's records, stored as their string values."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActorType",
    "AuditAction",
    "CredentialStatus",
    "EndorsementTarget",
    "OrganizationKind",
    "PublicationStatus",
    "RecipientKind",
    "Role",
    "SigningKeyStatus",
    "StatusPurpose",
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
