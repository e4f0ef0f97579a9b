"""Open Badges 3.0 data model (1EdTech OB 3.0 §"Data Model"), as pydantic models.

Names follow the spec (``achievementType``, ``resultDescription`` …) through aliases;
Python attributes are snake_case. Arrays are normalized to lists; a parsed document's
original JSON is kept separately (see :mod:`openler.core.model.parse`). Closed and
extensible vocabularies are checked (``ext:Name`` accepted where the spec allows it)
unless the validation context sets :data:`~openler.core.model.common.LENIENT`.
Property *types* required by the spec are enforced; value *constraints* beyond that are
left to the JSON Schema check (:mod:`openler.core.model.schema`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from openler.core.model.common import (
    LENIENT,
    DateTimeStamp,
    ListOrOne,
    OpenModel,
    Text,
    TextItem,
    context_flag,
    vocabulary,
)
from openler.core.model.vc import CredentialBase
from openler.core.model.vocab import (
    AchievementType,
    AlignmentTargetType,
    IdentifierType,
    ResultStatusType,
    ResultType,
)

__all__ = [
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
]

AchievementTypeTerm = Annotated[str, vocabulary(AchievementType, extensible=True)]
AlignmentTargetTypeTerm = Annotated[str, vocabulary(AlignmentTargetType, extensible=True)]
IdentifierTypeTerm = Annotated[str, vocabulary(IdentifierType, extensible=True)]
ResultTypeTerm = Annotated[str, vocabulary(ResultType, extensible=True)]
ResultStatusTerm = Annotated[str, vocabulary(ResultStatusType, extensible=False)]


def _one_subject(value: Any) -> Any:
    """OB credentials have exactly one subject; a one-element array is its compacted twin."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(
                f"expected exactly one credentialSubject object, got an array of {len(value)}"
            )
        return value[0]
    return value


def _require_type(value: list[str], wanted: str) -> list[str]:
    if wanted not in value:
        raise ValueError(f'type must include "{wanted}"')
    return value


class Image(OpenModel):
    """An image: ``id`` is its URI (may be a ``data:`` URI), ``type`` is ``"Image"``."""

    id: str
    type: str = "Image"
    caption: Text | None = None


class IdentityObject(OpenModel):
    """A (possibly hashed) identifier of the learner: ``identityHash`` is the plain value
    when ``hashed`` is false, else ``"sha256$" + hex(sha256(value + salt))``."""

    type: str = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: IdentifierTypeTerm
    salt: str | None = None


class IdentifierEntry(OpenModel):
    type: str = "IdentifierEntry"
    identifier: str
    identifier_type: IdentifierTypeTerm


class Criteria(OpenModel):
    """How the achievement is earned: a URI (``id``) and/or a Markdown ``narrative``."""

    id: str | None = None
    narrative: Text | None = None


class Alignment(OpenModel):
    type: ListOrOne[str] = Field(default_factory=lambda: ["Alignment"])
    target_code: str | None = None
    target_description: Text | None = None
    target_name: Text
    target_framework: Text | None = None
    target_type: AlignmentTargetTypeTerm | None = None
    target_url: str


class RubricCriterionLevel(OpenModel):
    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["RubricCriterionLevel"])
    alignment: ListOrOne[Alignment] | None = None
    description: Text | None = None
    level: Text | None = None
    name: Text
    points: str | None = None


class ResultDescription(OpenModel):
    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["ResultDescription"])
    alignment: ListOrOne[Alignment] | None = None
    allowed_value: ListOrOne[TextItem] | None = None
    name: Text
    required_level: str | None = None
    required_value: str | None = None
    result_type: ResultTypeTerm
    rubric_criterion_level: ListOrOne[RubricCriterionLevel] | None = None
    value_max: str | None = None
    value_min: str | None = None


class Result(OpenModel):
    type: ListOrOne[str] = Field(default_factory=lambda: ["Result"])
    achieved_level: str | None = None
    alignment: ListOrOne[Alignment] | None = None
    result_description: str | None = None
    status: ResultStatusTerm | None = None
    value: str | None = None


class Related(OpenModel):
    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["Related"])
    in_language: str | None = None
    version: str | None = None


class GeoCoordinates(OpenModel):
    type: str = "GeoCoordinates"
    latitude: float
    longitude: float


class Address(OpenModel):
    type: ListOrOne[str] = Field(default_factory=lambda: ["Address"])
    address_country: Text | None = None
    address_country_code: str | None = None
    address_region: Text | None = None
    address_locality: Text | None = None
    street_address: Text | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class Profile(OpenModel):
    """An issuer, creator, source or endorser (OB 3.0 Profile)."""

    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["Profile"])
    name: Text | None = None
    url: str | None = None
    phone: str | None = None
    description: Text | None = None
    endorsement: ListOrOne[EndorsementCredential] | None = None
    endorsement_jwt: ListOrOne[str] | None = None
    image: Image | str | None = None
    email: str | None = None
    address: Address | None = None
    other_identifier: ListOrOne[IdentifierEntry] | None = None
    official: Text | None = None
    parent_org: Profile | None = None
    family_name: Text | None = None
    given_name: Text | None = None
    additional_name: Text | None = None
    patronymic_name: Text | None = None
    honorific_prefix: Text | None = None
    honorific_suffix: Text | None = None
    family_name_prefix: Text | None = None
    date_of_birth: str | None = None


class Achievement(OpenModel):
    """What was accomplished (OB 3.0 Achievement, every property of the spec)."""

    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["Achievement"])
    alignment: ListOrOne[Alignment] | None = None
    achievement_type: AchievementTypeTerm | None = None
    creator: Profile | None = None
    credits_available: float | None = None
    criteria: Criteria
    description: Text
    endorsement: ListOrOne[EndorsementCredential] | None = None
    endorsement_jwt: ListOrOne[str] | None = None
    field_of_study: Text | None = None
    human_code: str | None = None
    image: Image | str | None = None
    in_language: str | None = None
    name: Text
    other_identifier: ListOrOne[IdentifierEntry] | None = None
    related: ListOrOne[Related] | None = None
    result_description: ListOrOne[ResultDescription] | None = None
    specialization: Text | None = None
    tag: ListOrOne[TextItem] | None = None
    version: str | None = None


class AchievementSubject(OpenModel):
    """The learner and what they achieved. Either ``id`` or at least one ``identifier``
    must be given (OB 3.0 AchievementSubject.id)."""

    id: str | None = None
    type: ListOrOne[str] = Field(default_factory=lambda: ["AchievementSubject"])
    activity_end_date: str | None = None
    activity_start_date: str | None = None
    credits_earned: float | None = None
    achievement: Achievement
    identifier: ListOrOne[IdentityObject] | None = None
    image: Image | str | None = None
    license_number: str | None = None
    narrative: Text | None = None
    result: ListOrOne[Result] | None = None
    role: Text | None = None
    source: Profile | None = None
    term: Text | None = None

    @model_validator(mode="after")
    def _identified(self, info: ValidationInfo) -> AchievementSubject:
        if not self.id and not self.identifier and not context_flag(info, LENIENT):
            raise ValueError("an AchievementSubject needs an id or at least one identifier")
        return self


class EndorsementSubject(OpenModel):
    """The thing endorsed (its ``id``) and the endorser's comment."""

    id: str
    type: ListOrOne[str] = Field(default_factory=lambda: ["EndorsementSubject"])
    endorsement_comment: Text | None = None


class EndorsementCredential(CredentialBase):
    """OB 3.0 EndorsementCredential."""

    issuer: str | Profile
    credential_subject: Annotated[EndorsementSubject, BeforeValidator(_one_subject)]
    awarded_date: DateTimeStamp | None = None

    @field_validator("type")
    @classmethod
    def _is_endorsement(cls, value: list[str]) -> list[str]:
        return _require_type(value, "EndorsementCredential")


class AchievementCredential(CredentialBase):
    """OB 3.0 AchievementCredential; ``OpenBadgeCredential`` is the same class (the spec
    makes the two type names aliases)."""

    issuer: str | Profile
    credential_subject: Annotated[AchievementSubject, BeforeValidator(_one_subject)]
    image: Image | str | None = None
    awarded_date: DateTimeStamp | None = None
    endorsement: ListOrOne[EndorsementCredential] | None = None
    endorsement_jwt: ListOrOne[str] | None = None

    @field_validator("type")
    @classmethod
    def _is_achievement_credential(cls, value: list[str]) -> list[str]:
        if "AchievementCredential" not in value and "OpenBadgeCredential" not in value:
            raise ValueError('type must include "OpenBadgeCredential" or "AchievementCredential"')
        return value


OpenBadgeCredential = AchievementCredential

Profile.model_rebuild()
Achievement.model_rebuild()
