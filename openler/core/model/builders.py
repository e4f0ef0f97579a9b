"""Builders of unsigned VCDM 2.0 credentials: OB 3.0 OpenBadgeCredential and
EndorsementCredential, CLR 2.0 ClrCredential.

Every builder returns a new plain-JSON ``dict`` that has been checked against the typed
model (strictly: spec vocabularies, required properties) and against the matching bundled
1EdTech JSON Schema; it raises :class:`~openler.core.errors.InvalidInput` or
:class:`~openler.core.errors.SchemaInvalid` otherwise. Inputs are never modified; signed
documents handed in (endorsements, the credentials of a CLR) are copied verbatim.

Note that the 1EdTech JSON Schemas do not accept JSON-LD language value objects
(``{"@value": …, "@language": …}``) although the VCDM 2.0 and OB contexts do: give plain
strings to the builders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from openler.core.errors import InvalidInput
from openler.core.model.clr2 import Association, ClrCredential
from openler.core.model.common import (
    VC_V2_CONTEXT,
    OpenModel,
    Text,
    as_list,
    format_date_time,
    json_copy,
)
from openler.core.model.identity import hashed_identity, identity_matches, plain_identity
from openler.core.model.ob3 import (
    Achievement,
    AchievementCredential,
    Alignment,
    Criteria,
    EndorsementCredential,
    IdentityObject,
    Image,
    Profile,
    Result,
    ResultDescription,
)
from openler.core.model.schema import (
    CLR_CREDENTIAL_SCHEMA,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
    SCHEMA_VALIDATOR_TYPE,
    assert_valid_for_signing,
)
from openler.core.model.vc import CredentialStatus, Evidence

__all__ = [
    "CLR_CONTEXT",
    "OB_CONTEXT",
    "OB_EXTENSIONS_CONTEXT",
    "build_achievement",
    "build_achievement_credential",
    "build_clr_credential",
    "build_endorsement_credential",
    "hashed_identity",
    "identity_matches",
    "plain_identity",
]

OB_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Defines ``1EdTechJsonSchemaValidator2019``, ``1EdTechRevocationList`` and
#: ``1EdTechCredentialRefresh``, which the OB 3.0.3 context does not.
OB_EXTENSIONS_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_CONTEXT: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

_STRICT: Final[dict[str, Any]] = {}  # an empty validation context: every rule applies
M = TypeVar("M", bound=BaseModel)


# -- helpers -------------------------------------------------------------------------------


def _model(cls: type[M], data: Any, what: str) -> M:
    try:
        return cls.model_validate(data, context=_STRICT)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise InvalidInput(
            f"invalid {what}: {where}: {str(first['msg']).removeprefix('Value error, ')}"
        ) from None


def _as_json(value: Any, cls: type[OpenModel], what: str) -> dict[str, Any]:
    """A model instance or a mapping -> JSON checked against ``cls``."""
    if isinstance(value, cls):
        return value.to_json_dict()
    if isinstance(value, BaseModel) or not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a {cls.__name__} or a JSON object")
    return _model(cls, json_copy(value), what).to_json_dict()


def _image(value: Image | str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"id": value, "type": "Image"}
    return _as_json(value, Image, "image")


def _profile(value: Profile | Mapping[str, Any], what: str) -> dict[str, Any]:
    return _as_json(value, Profile, what)


def _contexts(extra: Sequence[str | Mapping[str, Any]], *, base: list[str], doc: Any) -> list[Any]:
    contexts: list[Any] = list(base)
    if _uses_1edtech_terms(doc):
        contexts.append(OB_EXTENSIONS_CONTEXT)
    for context in extra:
        item = json_copy(context)
        if item not in contexts:
            contexts.append(item)
    return contexts


def _uses_1edtech_terms(doc: Mapping[str, Any]) -> bool:
    """True when a top-level service object has a type only extensions.json defines."""
    for key in ("credentialSchema", "credentialStatus", "refreshService"):
        for entry in as_list(doc.get(key)):
            if isinstance(entry, Mapping) and any(
                isinstance(t, str) and t.startswith("1EdTech") for t in as_list(entry.get("type"))
            ):
                return True
    return False


def _window(valid_from: datetime, valid_until: datetime | None) -> dict[str, str]:
    out = {"validFrom": format_date_time(valid_from)}
    if valid_until is not None:
        if valid_until < valid_from:
            raise InvalidInput("valid_until is earlier than valid_from")
        out["validUntil"] = format_date_time(valid_until)
    return out


def _text(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    return json_copy(value)


StatusArg = (
    CredentialStatus | Mapping[str, Any] | Sequence[CredentialStatus | Mapping[str, Any]] | None
)


def _finish(
    doc: dict[str, Any],
    *,
    schema_id: str,
    credential_schema: bool,
    status: StatusArg,
    extra_contexts: Sequence[str | Mapping[str, Any]],
    base_contexts: list[str],
    model: type[OpenModel],
) -> dict[str, Any]:
    if isinstance(status, Sequence):  # several entries, e.g. revocation and suspension
        doc["credentialStatus"] = [
            _as_json(s, CredentialStatus, "credential_status") for s in status
        ]
    elif status is not None:
        doc["credentialStatus"] = _as_json(status, CredentialStatus, "credential_status")
    if credential_schema:
        doc["credentialSchema"] = [{"id": schema_id, "type": SCHEMA_VALIDATOR_TYPE}]
    out = {"@context": _contexts(extra_contexts, base=base_contexts, doc=doc), **doc}
    _model(model, out, model.__name__)
    assert_valid_for_signing(out)
    return out


# -- Open Badges ---------------------------------------------------------------------------


def build_achievement(
    *,
    achievement_id: str,
    name: Text,
    description: Text,
    criteria_narrative: Text | None = None,
    criteria_id: str | None = None,
    achievement_type: str | None = None,
    image: Image | str | Mapping[str, Any] | None = None,
    creator: Profile | Mapping[str, Any] | None = None,
    alignments: Sequence[Alignment | Mapping[str, Any]] = (),
    result_descriptions: Sequence[ResultDescription | Mapping[str, Any]] = (),
    tags: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> Achievement:
    """An Achievement (checked strictly). ``criteria_narrative`` (Markdown) and/or
    ``criteria_id`` (a URL) describe how it is earned; one of them is required.
    ``extra`` holds further properties (``fieldOfStudy``, ``humanCode``, extensions …)."""
    if criteria_narrative is None and criteria_id is None:
        raise InvalidInput("an achievement needs criteria: a narrative and/or a criteria URL")
    criteria: dict[str, Any] = {}
    if criteria_id is not None:
        criteria["id"] = criteria_id
    if criteria_narrative is not None:
        criteria["narrative"] = _text(criteria_narrative)
    data: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": _text(name),
        "description": _text(description),
        "criteria": _as_json(criteria, Criteria, "criteria"),
    }
    if achievement_type is not None:
        data["achievementType"] = str(achievement_type)
    if image is not None:
        data["image"] = _image(image)
    if creator is not None:
        data["creator"] = _profile(creator, "creator")
    if alignments:
        data["alignment"] = [_as_json(a, Alignment, "alignment") for a in alignments]
    if result_descriptions:
        data["resultDescription"] = [
            _as_json(r, ResultDescription, "result description") for r in result_descriptions
        ]
    if tags:
        data["tag"] = [str(t) for t in tags]
    for key, value in (extra or {}).items():
        if key in data:
            raise InvalidInput(f"extra property {key!r} duplicates a named argument")
        data[key] = json_copy(value)
    return _model(Achievement, data, "achievement")


def _subject(subject: Any) -> dict[str, Any]:
    if isinstance(subject, str):
        return {"id": subject}
    if isinstance(subject, IdentityObject):
        return {"identifier": [subject.to_json_dict()]}
    if isinstance(subject, Sequence) and all(isinstance(i, IdentityObject) for i in subject):
        if not subject:
            raise InvalidInput("subject: give a subject id or at least one IdentityObject")
        return {"identifier": [i.to_json_dict() for i in subject]}
    if isinstance(subject, Mapping):
        data: dict[str, Any] = json_copy(subject)
        for key in ("achievement", "result", "type"):
            if key in data:
                raise InvalidInput(f"subject: {key!r} is set by the builder, not in subject")
        return data
    raise InvalidInput(
        "subject must be an id (a DID or URL), an IdentityObject, a list of them, "
        "or a mapping of AchievementSubject properties"
    )


def build_achievement_credential(
    *,
    credential_id: str,
    issuer: Profile | Mapping[str, Any],
    achievement: Achievement | Mapping[str, Any],
    subject: str | IdentityObject | Sequence[IdentityObject] | Mapping[str, Any],
    valid_from: datetime,
    valid_until: datetime | None = None,
    results: Sequence[Result | Mapping[str, Any]] = (),
    evidence: Sequence[Evidence | Mapping[str, Any]] = (),
    credential_status: StatusArg = None,
    name: Text | None = None,
    description: Text | None = None,
    extra_contexts: Sequence[str | Mapping[str, Any]] = (),
    image: Image | str | Mapping[str, Any] | None = None,
    endorsements: Sequence[Mapping[str, Any]] = (),
    credential_schema: bool = True,
    awarded_date: datetime | None = None,
    credential_type: Literal["OpenBadgeCredential", "AchievementCredential"] = (
        "OpenBadgeCredential"
    ),
) -> dict[str, Any]:
    """An unsigned OB 3.0 credential awarding ``achievement`` to ``subject``: an id (a DID
    or URL), IdentityObject(s) from :func:`hashed_identity`, or a mapping of further
    AchievementSubject properties (``id``, ``identifier``, ``narrative``, ``role`` …).
    ``name`` defaults to the achievement's name. ``endorsements`` are signed
    EndorsementCredentials, embedded verbatim."""
    ach = _as_json(achievement, Achievement, "achievement")
    subject_json = {"type": ["AchievementSubject"], **_subject(subject), "achievement": ach}
    if results:
        subject_json["result"] = [_as_json(r, Result, "result") for r in results]
    doc: dict[str, Any] = {
        "id": credential_id,
        "type": ["VerifiableCredential", credential_type],
        "name": _text(name) if name is not None else ach["name"],
    }
    if description is not None:
        doc["description"] = _text(description)
    if image is not None:
        doc["image"] = _image(image)
    doc["issuer"] = _profile(issuer, "issuer")
    doc.update(_window(valid_from, valid_until))
    if awarded_date is not None:
        doc["awardedDate"] = format_date_time(awarded_date)
    doc["credentialSubject"] = subject_json
    if evidence:
        doc["evidence"] = [_as_json(e, Evidence, "evidence") for e in evidence]
    if endorsements:
        doc["endorsement"] = [_signed(e, "endorsement") for e in endorsements]
    return _finish(
        doc,
        schema_id=OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
        credential_schema=credential_schema,
        status=credential_status,
        extra_contexts=extra_contexts,
        base_contexts=[VC_V2_CONTEXT, OB_CONTEXT],
        model=AchievementCredential,
    )


def _signed(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a signed credential (a JSON object)")
    copied: dict[str, Any] = json_copy(value)
    return copied


def build_endorsement_credential(
    *,
    credential_id: str,
    issuer: Profile | Mapping[str, Any],
    endorsed_id: str,
    name: Text,
    valid_from: datetime,
    valid_until: datetime | None = None,
    endorsement_comment: Text | None = None,
    description: Text | None = None,
    credential_status: StatusArg = None,
    extra_contexts: Sequence[str | Mapping[str, Any]] = (),
    credential_schema: bool = True,
) -> dict[str, Any]:
    """An unsigned OB 3.0 EndorsementCredential: ``issuer`` endorses the achievement,
    profile or credential whose id is ``endorsed_id``."""
    subject: dict[str, Any] = {"id": endorsed_id, "type": ["EndorsementSubject"]}
    if endorsement_comment is not None:
        subject["endorsementComment"] = _text(endorsement_comment)
    doc: dict[str, Any] = {
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": _text(name),
    }
    if description is not None:
        doc["description"] = _text(description)
    doc["issuer"] = _profile(issuer, "issuer")
    doc.update(_window(valid_from, valid_until))
    doc["credentialSubject"] = subject
    return _finish(
        doc,
        schema_id=OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
        credential_schema=credential_schema,
        status=credential_status,
        extra_contexts=extra_contexts,
        base_contexts=[VC_V2_CONTEXT, OB_CONTEXT],
        model=EndorsementCredential,
    )


# -- CLR ----------------------------------------------------------------------------------


def _known_achievement_ids(
    achievements: list[dict[str, Any]], vcs: list[dict[str, Any]]
) -> set[str]:
    ids = {a["id"] for a in achievements if isinstance(a.get("id"), str)}
    for vc in vcs:
        for subject in as_list(vc.get("credentialSubject")):
            if isinstance(subject, Mapping):
                for ach in as_list(subject.get("achievement")):
                    if isinstance(ach, Mapping) and isinstance(ach.get("id"), str):
                        ids.add(ach["id"])
    return ids


def build_clr_credential(
    *,
    credential_id: str,
    issuer: Profile | Mapping[str, Any],
    credentials: Sequence[Mapping[str, Any]],
    name: Text,
    valid_from: datetime,
    subject_id: str | None = None,
    identifiers: Sequence[IdentityObject] = (),
    achievements: Sequence[Achievement | Mapping[str, Any]] = (),
    associations: Sequence[Association | Mapping[str, Any]] = (),
    valid_until: datetime | None = None,
    description: Text | None = None,
    image: Image | str | Mapping[str, Any] | None = None,
    partial: bool | None = None,
    credential_status: StatusArg = None,
    extra_contexts: Sequence[str | Mapping[str, Any]] = (),
    credential_schema: bool = True,
) -> dict[str, Any]:
    """An unsigned CLR 2.0 ClrCredential wrapping already-signed ``credentials`` exactly as
    given. The learner is ``subject_id`` and/or ``identifiers``. Every association must link
    achievements found in ``achievements`` or in the wrapped credentials."""
    if not credentials:
        raise InvalidInput("a CLR needs at least one verifiable credential")
    if subject_id is None and not identifiers:
        raise InvalidInput("a CLR needs a subject id or at least one identifier")
    vcs = [_signed(c, "each credential") for c in credentials]
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if subject_id is not None:
        subject["id"] = subject_id
    if identifiers:
        subject["identifier"] = [_as_json(i, IdentityObject, "identifier") for i in identifiers]
    subject["verifiableCredential"] = vcs
    achs = [_as_json(a, Achievement, "achievement") for a in achievements]
    if achs:
        subject["achievement"] = achs
    if associations:
        links = [_as_json(a, Association, "association") for a in associations]
        known = _known_achievement_ids(achs, vcs)
        for link in links:
            for end in ("sourceId", "targetId"):
                if link[end] not in known:
                    raise InvalidInput(
                        f"association {end} {link[end]!r} names no achievement of this CLR"
                    )
        subject["association"] = links
    doc: dict[str, Any] = {
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": _text(name),
    }
    if description is not None:
        doc["description"] = _text(description)
    if image is not None:
        doc["image"] = _image(image)
    if partial is not None:
        doc["partial"] = partial
    doc["issuer"] = _profile(issuer, "issuer")
    doc.update(_window(valid_from, valid_until))
    doc["credentialSubject"] = subject
    return _finish(
        doc,
        schema_id=CLR_CREDENTIAL_SCHEMA,
        credential_schema=credential_schema,
        status=credential_status,
        extra_contexts=extra_contexts,
        base_contexts=[VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        model=ClrCredential,
    )
