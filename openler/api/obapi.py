"""The 1EdTech Open Badges 3.0 service API (``/ims/ob/v3p0``, OB 3.0 section 6 "Open
Badges API") for learners' apps: discovery, getCredentials, upsertCredential, getProfile
and putProfile over the learner's OpenBadgeCredentials (AchievementCredentials).

What it shares with the CLR 2.0 API (errors, paging, upsert, profile, discovery) is in
:mod:`openler.api.ims_common`; this module says which credentials are this API's.
"""

from __future__ import annotations

from typing import Any, Final

from openler.api.ims_common import ImsService, ImsxError, install_imsx_handler, service_router
from openler.core.model.schema import OB_PROFILE_SCHEMA
from openler.services.oauth_apps import OB_SCOPES
from openler.store.models import IssuedCredential, RecipientKind
from openler.store.models.enums import UserCredentialKind

__all__ = ["OB_SERVICE", "PREFIX", "ImsxError", "install_imsx_handler", "router"]

PREFIX: Final = "/ims/ob/v3p0"


def _issued_to(lookup: str) -> Any:
    """Credentials issued here to the learner's e-mail address."""
    return (IssuedCredential.recipient_lookup == lookup) & (
        IssuedCredential.recipient_kind == RecipientKind.EMAIL
    )


OB_SERVICE: Final = ImsService(
    key="ob",
    prefix=PREFIX,
    title="Open Badges 3.0",
    version="3.0",
    scope_base="https://purl.imsglobal.org/spec/ob/v3p0/scope/",
    tag="OpenBadgeCredentials",
    kind=UserCredentialKind.ACHIEVEMENT,
    credential_types=frozenset({"OpenBadgeCredential", "AchievementCredential"}),
    issued_model=IssuedCredential,
    issued_filter=_issued_to,
    profile_contexts=(
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ),
    profile_schema=OB_PROFILE_SCHEMA,
    scope_descriptions=dict(OB_SCOPES),
)

router = service_router(OB_SERVICE)
