"""Builders produce valid VCDM 2.0 OB 3.0 / CLR 2.0 documents and never touch their inputs."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from openler.core.errors import InvalidInput, SchemaInvalid
from openler.core.model import (
    CLR_CONTEXT,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC_V2_CONTEXT,
    Achievement,
    AchievementCredential,
    AchievementType,
    ClrCredential,
    EndorsementCredential,
    LanguageValue,
    Profile,
    SchemaStatus,
    build_achievement,
    build_achievement_credential,
    build_clr_credential,
    build_endorsement_credential,
    check_schema,
    hashed_identity,
    identity_matches,
    parse_credential,
    plain_identity,
)
from openler.core.model.schema import (
    CLR_CREDENTIAL_SCHEMA,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
)
from tests.unit.model.conftest import example

T0 = datetime(2024, 5, 1, 12, 30, 15, 999, tzinfo=UTC)
ISSUER: dict[str, Any] = {
    "id": "did:web:university.example",
    "type": ["Profile"],
    "name": "Example University",
    "url": "https://university.example",
}
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def achievement() -> Achievement:
    return build_achievement(
        achievement_id="https://university.example/achievements/teamwork",
        name="Teamwork",
        description="Collaborates within a group.",
        criteria_narrative="Nominated by **peers**.",
        achievement_type=AchievementType.BADGE,
        image="https://university.example/teamwork.png",
        tags=["teamwork", "soft skills"],
        alignments=[
            {
                "targetName": "Teamwork",
                "targetUrl": "https://skills.example/teamwork",
                "targetType": "CFItem",
            }
        ],
        result_descriptions=[
            {
                "id": "urn:uuid:6d4cf2a7-0f0a-4e0b-9d44-7f6c1b7f3e10",
                "name": "Grade",
                "resultType": "LetterGrade",
                "allowedValue": ["A", "B", "C"],
            }
        ],
        extra={"humanCode": "TW1", "fieldOfStudy": "Soft skills"},
    )


def badge(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "credential_id": "urn:uuid:2f1c7a38-59cd-4f2a-9e35-8d0a6f6c7a11",
        "issuer": ISSUER,
        "achievement": achievement(),
        "subject": LEARNER,
        "valid_from": T0,
    }
    args.update(overrides)
    return build_achievement_credential(**args)


def test_achievement_credential_is_valid_vcdm_2_and_ob_3() -> None:
    doc = badge()
    assert doc["@context"] == [VC_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["validFrom"] == "2024-05-01T12:30:15Z"
    assert doc["name"] == "Teamwork"
    assert doc["credentialSchema"] == [
        {"id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
    ]
    subject = doc["credentialSubject"]
    assert subject["id"] == LEARNER
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["image"] == {
        "id": "https://university.example/teamwork.png",
        "type": "Image",
    }
    assert subject["achievement"]["alignment"][0]["type"] == ["Alignment"]
    assert subject["achievement"]["humanCode"] == "TW1"
    assert "proof" not in doc
    verdict = check_schema(doc)
    assert verdict.status is SchemaStatus.VALID
    assert verdict.schema_ids == (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,)
    parsed = parse_credential(doc, strict=True)
    assert isinstance(parsed.model, AchievementCredential)
    assert parsed.issuer_id == ISSUER["id"]
    assert parsed.valid_from == T0.replace(microsecond=0)
    assert parsed.subject_ids == (LEARNER,)


def test_output_is_plain_json() -> None:
    doc = badge()
    assert json.loads(json.dumps(doc)) == doc


def test_without_credential_schema_the_extensions_context_is_not_needed() -> None:
    doc = badge(credential_schema=False)
    assert doc["@context"] == [VC_V2_CONTEXT, OB_CONTEXT]
    assert "credentialSchema" not in doc
    assert check_schema(doc).status is SchemaStatus.VALID


def test_revocation_list_status_brings_the_extensions_context() -> None:
    status = {"id": "https://university.example/revocations", "type": "1EdTechRevocationList"}
    doc = badge(credential_schema=False, credential_status=status)
    assert doc["@context"] == [VC_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT]
    assert doc["credentialStatus"] == status


def test_everything_optional_and_inputs_untouched() -> None:
    issuer = Profile.model_validate(ISSUER)
    ach = achievement()
    results = [
        {
            "type": ["Result"],
            "resultDescription": "urn:uuid:6d4cf2a7-0f0a-4e0b-9d44-7f6c1b7f3e10",
            "value": "A",
        }
    ]
    evidence = [
        {"type": "Evidence", "id": "https://university.example/evidence/1", "name": "Report"}
    ]
    status = {
        "id": "https://university.example/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://university.example/status/1",
    }
    endorsement = example("ob3-spec/endorsement.json")
    extra_context = {"ext": "https://university.example/vocab#"}
    inputs = copy.deepcopy([results, evidence, status, endorsement, extra_context])
    issuer_before = issuer.model_dump()
    ach_before = ach.model_dump()
    doc = badge(
        issuer=issuer,
        achievement=ach,
        subject={"id": LEARNER, "narrative": "Led the final project", "role": "Lead"},
        valid_until=T0 + timedelta(days=365),
        results=results,
        evidence=evidence,
        credential_status=status,
        name="Teamwork badge",
        description="Awarded for teamwork.",
        extra_contexts=[extra_context],
        image={"id": "https://university.example/badge.png", "type": "Image"},
        endorsements=[endorsement],
        awarded_date=T0.astimezone(timezone(timedelta(hours=2))),
        credential_type="AchievementCredential",
    )
    assert [results, evidence, status, endorsement, extra_context] == inputs
    assert issuer.model_dump() == issuer_before
    assert ach.model_dump() == ach_before
    assert doc["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert doc["@context"][-1] == extra_context
    assert doc["validUntil"] == "2025-05-01T12:30:15Z"
    assert doc["awardedDate"] == "2024-05-01T12:30:15Z"
    assert doc["endorsement"] == [endorsement]
    assert json.dumps(doc["endorsement"][0]) == json.dumps(endorsement)
    assert doc["credentialSubject"]["result"][0]["value"] == "A"
    assert doc["credentialSubject"]["role"] == "Lead"
    assert doc["credentialStatus"] == status
    assert check_schema(doc).status is SchemaStatus.VALID
    # what the caller gets is a new object: changing it does not reach the inputs
    doc["endorsement"][0]["name"] = "changed"
    assert endorsement["name"] != "changed"


def test_hashed_identity_follows_ob_3() -> None:
    identity = hashed_identity("emailAddress", "learner@example.org", "s4lt")
    expected = hashlib.sha256(b"learner@example.orgs4lt").hexdigest()
    assert identity.identity_hash == "sha256$" + expected
    assert identity.hashed is True
    assert identity.salt == "s4lt"
    assert identity_matches(identity, "learner@example.org")
    assert not identity_matches(identity, "other@example.org")
    doc = badge(subject=[identity, plain_identity("sisSourcedId", "12345")])
    identifiers = doc["credentialSubject"]["identifier"]
    assert "id" not in doc["credentialSubject"]
    assert identifiers[0]["identityHash"] == "sha256$" + expected
    assert identifiers[1] == {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": "12345",
        "identityType": "sisSourcedId",
    }
    assert parse_credential(doc, strict=True).subject_ids == ()


def test_identity_matches_raw_objects_and_md5() -> None:
    md5 = hashlib.md5(b"a@b.cpepper", usedforsecurity=False).hexdigest().upper()
    raw = {
        "hashed": True,
        "identityHash": f"md5${md5}",
        "salt": "pepper",
        "identityType": "emailAddress",
    }
    assert identity_matches(raw, "a@b.c")
    assert not identity_matches({**raw, "identityHash": f"sha1${md5}"}, "a@b.c")
    assert identity_matches({"hashed": False, "identityHash": "a@b.c"}, "a@b.c")


def test_identity_type_must_be_in_the_vocabulary() -> None:
    with pytest.raises(InvalidInput, match="identityType"):
        hashed_identity("email", "a@b.c", "salt")
    assert hashed_identity("ext:studentNumber", "1", "salt").identity_type == "ext:studentNumber"


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"valid_from": datetime(2024, 1, 1)}, InvalidInput, "naive datetime"),
        ({"valid_until": T0 - timedelta(seconds=1)}, InvalidInput, "earlier than valid_from"),
        ({"subject": 42}, InvalidInput, "subject must be"),
        ({"subject": []}, InvalidInput, "subject"),
        ({"subject": {"id": LEARNER, "achievement": {}}}, InvalidInput, "set by the builder"),
        ({"issuer": {"name": "no id"}}, InvalidInput, "invalid issuer: id"),
        ({"achievement": {"id": "x", "name": "n"}}, InvalidInput, "invalid achievement"),
        (
            {"name": LanguageValue(value="Teamwork", language="en")},
            SchemaInvalid,
            "/name",
        ),
    ],
)
def test_bad_input_is_refused(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        badge(**overrides)


def test_achievement_needs_criteria_and_known_type() -> None:
    with pytest.raises(InvalidInput, match="criteria"):
        build_achievement(achievement_id="urn:x", name="n", description="d")
    with pytest.raises(InvalidInput, match="achievementType"):
        build_achievement(
            achievement_id="urn:x",
            name="n",
            description="d",
            criteria_id="https://c",
            achievement_type="Program",
        )
    with pytest.raises(InvalidInput, match="duplicates"):
        build_achievement(
            achievement_id="urn:x",
            name="n",
            description="d",
            criteria_id="https://c",
            extra={"name": "x"},
        )


def test_endorsement_credential() -> None:
    doc = build_endorsement_credential(
        credential_id="urn:uuid:8a3c1e8e-3b4f-4f7e-b7e2-6c2fd0a9c001",
        issuer={"id": "https://accreditor.example", "type": "Profile", "name": "Accreditor"},
        endorsed_id="https://university.example/achievements/teamwork",
        name="Accreditor endorsement",
        valid_from=T0,
        endorsement_comment="Meets our standard.",
    )
    assert doc["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert doc["credentialSubject"] == {
        "id": "https://university.example/achievements/teamwork",
        "type": ["EndorsementSubject"],
        "endorsementComment": "Meets our standard.",
    }
    assert doc["issuer"]["type"] == ["Profile"]
    verdict = check_schema(doc)
    assert verdict.status is SchemaStatus.VALID
    assert verdict.schema_ids == (OB_ENDORSEMENT_CREDENTIAL_SCHEMA,)
    assert isinstance(parse_credential(doc, strict=True).model, EndorsementCredential)


def clr(**overrides: Any) -> dict[str, Any]:
    signed = [
        example("1edtech-validator/ob30/simple.json"),
        example("ob3-spec/basicOpenBadgeCredential.json"),
    ]
    args: dict[str, Any] = {
        "credential_id": "urn:uuid:0d3f5c8a-7c49-4c52-9d3b-3a7c4cf0c0de",
        "issuer": ISSUER,
        "credentials": signed,
        "name": "Transcript",
        "valid_from": T0,
        "subject_id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "achievements": [achievement()],
        "associations": [
            {
                "associationType": "isPartOf",
                "sourceId": signed[0]["credentialSubject"]["achievement"]["id"],
                "targetId": "https://university.example/achievements/teamwork",
            }
        ],
    }
    args.update(overrides)
    return build_clr_credential(**args)


def test_clr_credential_wraps_signed_credentials_verbatim() -> None:
    signed = [example("1edtech-validator/ob30/simple.json")]
    before = json.dumps(signed)
    doc = clr(credentials=signed, associations=(), partial=True)
    assert doc["@context"] == [VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "ClrCredential"]
    assert doc["partial"] is True
    assert json.dumps(doc["credentialSubject"]["verifiableCredential"]) == before
    assert json.dumps(signed) == before
    assert doc["credentialSubject"]["verifiableCredential"][0] is not signed[0]
    assert doc["credentialSchema"][0]["id"] == CLR_CREDENTIAL_SCHEMA
    assert check_schema(doc).status is SchemaStatus.VALID
    parsed = parse_credential(doc, strict=True)
    assert isinstance(parsed.model, ClrCredential)


def test_clr_with_associations_and_identifiers() -> None:
    doc = clr(subject_id=None, identifiers=[hashed_identity("emailAddress", "a@b.c", "x")])
    subject = doc["credentialSubject"]
    assert subject["association"][0]["type"] == "Association"
    assert subject["association"][0]["associationType"] == "isPartOf"
    assert subject["identifier"][0]["identityHash"].startswith("sha256$")
    assert check_schema(doc).status is SchemaStatus.VALID


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credentials": []}, "at least one verifiable credential"),
        ({"subject_id": None}, "subject id or at least one identifier"),
        ({"credentials": ["not a credential"]}, "signed credential"),
        (
            {
                "associations": [
                    {"associationType": "isPartOf", "sourceId": "urn:a", "targetId": "urn:b"}
                ]
            },
            "names no achievement",
        ),
        (
            {
                "associations": [
                    {"associationType": "likes", "sourceId": "urn:a", "targetId": "urn:b"}
                ]
            },
            "associationType",
        ),
    ],
)
def test_bad_clr_input(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        clr(**overrides)


def test_clr_refuses_a_vcdm_1_1_credential_inside() -> None:
    with pytest.raises(SchemaInvalid, match="verifiableCredential"):
        clr(credentials=[example("1edtech-validator/ob30/simple_v1.json")], associations=())
