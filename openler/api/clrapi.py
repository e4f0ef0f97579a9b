"""The 1EdTech Comprehensive Learner Record 2.0 service API (``/ims/clr/v2p0``) for
learners' apps: discovery, getCredentials, upsertCredential, getProfile and putProfile over
the learner's ClrCredentials: the transcripts issued here to the learner's e-mail address
(:mod:`openler.services.clr`), then those the learner's apps stored here.

The operations are the Open Badges 3.0 ones over another credential type and scopes; what
the two share is in :mod:`openler.api.ims_common`.
"""

from __future__ import annotations

from typing import Any, Final

from openler.api.ims_common import ImsService, service_router
from openler.services.oauth_apps import CLR_SCOPES
from openler.store.models import ClrCredential
from openler.store.models.enums import UserCredentialKind

__all__ = ["CLR_SERVICE", "PREFIX", "router"]

PREFIX: Final = "/ims/clr/v2p0"
_PROFILE_SCHEMA: Final = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_profile_schema.json"
)


def _issued_to(lookup: str) -> Any:
    """Transcripts issued here to the learner (a CLR keeps the lookup of its recipient)."""
    return ClrCredential.recipient_lookup == lookup


CLR_SERVICE: Final = ImsService(
    key="clr",
    prefix=PREFIX,
    title="CLR 2.0",
    version="2.0",
    scope_base="https://purl.imsglobal.org/spec/clr/v2p0/scope/",
    tag="ClrCredentials",
    kind=UserCredentialKind.CLR,
    credential_types=frozenset({"ClrCredential"}),
    issued_model=ClrCredential,
    issued_filter=_issued_to,
    profile_contexts=(
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    ),
    profile_schema=_PROFILE_SCHEMA,
    scope_descriptions=dict(CLR_SCOPES),
)

router = service_router(CLR_SERVICE)
