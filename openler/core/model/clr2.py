"""Comprehensive Learner Record 2.0 data model (1EdTech CLR 2.0 §"Data Model").

The credentials a CLR wraps (``credentialSubject.verifiableCredential``) are signed by
their own issuers: they are kept as the JSON objects they were given — never re-shaped —
so their proofs still verify. Parse them one by one with
:func:`openler.core.model.parse.parse_credential` when typed access is needed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from openler.core.model.common import (
    LENIENT,
    DateTimeStamp,
    ListOrOne,
    OpenModel,
    context_flag,
    vocabulary,
)
from openler.core.model.ob3 import (
    Achievement,
    EndorsementCredential,
    IdentityObject,
    Image,
    Profile,
)
from openler.core.model.vc import CredentialBase
from openler.core.model.vocab import AssociationType

__all__ = ["Association", "ClrCredential", "ClrSubject"]

AssociationTypeTerm = Annotated[str, vocabulary(AssociationType, extensible=False)]


def _one_subject(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(
                f"expected exactly one credentialSubject object, got an array of {len(value)}"
            )
        return value[0]
    return value


class Association(OpenModel):
    """A relation between two achievements of the CLR (by their ``id``)."""

    type: str = "Association"
    association_type: AssociationTypeTerm
    source_id: str
    target_id: str


class ClrSubject(OpenModel):
    """The learner, the signed credentials of the record, and how achievements relate."""

    id: str | None = None
    type: ListOrOne[str] = Field(default_factory=lambda: ["ClrSubject"])
    identifier: ListOrOne[IdentityObject] | None = None
    achievement: ListOrOne[Achievement] | None = None
    verifiable_credential: Annotated[ListOrOne[dict[str, Any]], Field(min_length=1)]
    association: ListOrOne[Association] | None = None

    @model_validator(mode="after")
    def _identified(self, info: ValidationInfo) -> ClrSubject:
        if not self.id and not self.identifier and not context_flag(info, LENIENT):
            raise ValueError("a ClrSubject needs an id or at least one identifier")
        return self


class ClrCredential(CredentialBase):
    """CLR 2.0 ClrCredential."""

    issuer: str | Profile
    credential_subject: Annotated[ClrSubject, BeforeValidator(_one_subject)]
    image: Image | str | None = None
    partial: bool | None = None
    awarded_date: DateTimeStamp | None = None
    endorsement: ListOrOne[EndorsementCredential] | None = None
    endorsement_jwt: ListOrOne[str] | None = None

    @field_validator("type")
    @classmethod
    def _is_clr(cls, value: list[str]) -> list[str]:
        if "ClrCredential" not in value:
            raise ValueError('type must include "ClrCredential"')
        return value
