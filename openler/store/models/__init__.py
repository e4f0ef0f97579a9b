"""The platform's tables as SQLAlchemy 2 typed declarative models.

``Base.metadata`` is what the Alembic migrations must match (a test compares them)."""

# Feature modules: importing them registers their tables with Base.metadata. Import their
# classes from the module itself (e.g. ``from openler.store.models.bulk import BulkJob``).
from openler.store.models import bulk, exchanges, learner, sharing, web  # noqa: F401
from openler.store.models._base import Base, JsonDocument, UTCDateTime, new_id, utcnow
from openler.store.models.clr import ClrCredential
from openler.store.models.credentials import (
    AchievementDefinition,
    Endorsement,
    ImmutableRecordError,
    IssuedCredential,
    StatusList,
)
from openler.store.models.enums import (
    ActorType,
    AuditAction,
    CredentialStatus,
    EndorsementTarget,
    OrganizationKind,
    PublicationStatus,
    RecipientKind,
    Role,
    SigningKeyStatus,
    StatusPurpose,
)
from openler.store.models.organizations import (
    ApiClient,
    ApiKey,
    Membership,
    Organization,
    SigningKey,
    User,
)
from openler.store.models.registry import AuditEvent, TrustedIssuer
from openler.store.models.wallet import OAuthApp, OAuthAuthorizationCode, UserCredential

__all__ = [
    "AchievementDefinition",
    "ActorType",
    "ApiClient",
    "ApiKey",
    "AuditAction",
    "AuditEvent",
    "Base",
    "ClrCredential",
    "CredentialStatus",
    "Endorsement",
    "EndorsementTarget",
    "ImmutableRecordError",
    "IssuedCredential",
    "JsonDocument",
    "Membership",
    "OAuthApp",
    "OAuthAuthorizationCode",
    "Organization",
    "OrganizationKind",
    "PublicationStatus",
    "RecipientKind",
    "Role",
    "SigningKey",
    "SigningKeyStatus",
    "StatusList",
    "StatusPurpose",
    "TrustedIssuer",
    "UTCDateTime",
    "User",
    "UserCredential",
    "new_id",
    "utcnow",
]
