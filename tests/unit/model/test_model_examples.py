"""Every example credential of the standards bundle is read by the models, and the JSON
Schema verdicts equal the ones recorded in MANIFEST.json (computed offline, independently)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openler.core.errors import InvalidInput
from openler.core.model import (
    AchievementCredential,
    ClrCredential,
    EndorsementCredential,
    SchemaStatus,
    VerifiableCredential,
    check_schema,
    parse_credential,
)
from openler.core.model.schema import _fast, _validator
from tests.unit.model.conftest import MANIFEST, credential_files, example

#: Examples that are not readable credentials, and the message that says why.
UNREADABLE = {
    "1edtech-validator/ob30/simple-err-context.json": "first @context entry",
    "1edtech-validator/ob30/simple-err-issuer.json": "issuer is missing",
}
#: OB examples without ``achievement``: read, but with the generic model.
UNTYPED = {
    "1edtech-validator/ob30/simple-err-issued.json",
    "1edtech-validator/ob30/simple-noproof.json",
}
MODEL_FOR_KIND = {
    "achievement": AchievementCredential,
    "endorsement": EndorsementCredential,
    "clr": ClrCredential,
    "generic": VerifiableCredential,
}
SCHEMA_ITEMS = [i for i in MANIFEST if i["file"].endswith(".json") and "jsonSchema" in i]


def test_the_example_set_is_complete() -> None:
    files = credential_files()
    assert len(files) >= 120
    assert "ob3-spec/fullOpenBadge.json" in files
    assert "1edtech-validator/clr20/complex.json" in files


@pytest.mark.parametrize("name", credential_files())
def test_every_example_is_read_or_refused_with_a_reason(name: str) -> None:
    doc = example(name)
    if name in UNREADABLE:
        with pytest.raises(InvalidInput, match=UNREADABLE[name]):
            parse_credential(doc)
        return
    parsed = parse_credential(doc)
    assert isinstance(parsed.model, MODEL_FOR_KIND[parsed.kind])
    assert parsed.document == doc
    assert parsed.issuer_id == (
        doc["issuer"]["id"] if isinstance(doc["issuer"], dict) else doc["issuer"]
    )
    assert parsed.valid_from is None or parsed.valid_from.tzinfo is not None
    if name in UNTYPED:
        assert parsed.kind == "generic"
        assert parsed.declared_kind == "achievement"
        assert parsed.model_error is not None
        assert "achievement" in parsed.model_error
    else:
        assert parsed.kind == parsed.declared_kind
        assert parsed.model_error is None


@pytest.mark.parametrize("item", SCHEMA_ITEMS, ids=lambda i: i["file"])
def test_schema_verdict_equals_manifest(item: dict[str, Any]) -> None:
    doc = example(item["file"])
    expected = item["jsonSchema"]
    verdict = check_schema(doc)
    if expected is None:
        assert verdict.status is SchemaStatus.NOT_APPLICABLE
        assert verdict.reason
        return
    assert verdict.schema_ids[0].endswith("/" + expected["schema"])
    assert (verdict.status is SchemaStatus.VALID) is expected["valid"]
    messages = [i.message for i in verdict.issues]
    for first in expected["firstErrors"]:
        assert any(m.startswith(first) for m in messages), (first, messages)


@pytest.mark.parametrize("item", SCHEMA_ITEMS, ids=lambda i: i["file"])
def test_compiled_check_agrees_with_jsonschema(item: dict[str, Any]) -> None:
    doc = example(item["file"])
    for schema_id in check_schema(doc).schema_ids:
        fast = _fast(schema_id)
        assert fast is not None
        assert fast(doc) is _validator(schema_id).is_valid(doc)


def test_manifest_covers_both_verdicts() -> None:
    verdicts = [i["jsonSchema"]["valid"] for i in SCHEMA_ITEMS if i["jsonSchema"]]
    assert verdicts.count(True) > 40
    assert verdicts.count(False) >= 5


@pytest.mark.parametrize(
    ("name", "issued", "expires"),
    [
        ("1edtech-validator/ob30/simple_v1.json", datetime(2010, 1, 1, tzinfo=UTC), None),
        (
            "1edtech-validator/clr20/complex.json",
            datetime(2022, 12, 5, 21, 39, 7, tzinfo=UTC),
            None,
        ),
        (
            "dcc-vc-test-fixtures/verifiableCredentials/v1/ed25519/didKey/legacy-noStatus-expired.json",
            None,
            "from-document",
        ),
    ],
)
def test_vcdm_1_1_dates_come_from_issuance_and_expiration(
    name: str, issued: datetime | None, expires: Any
) -> None:
    doc = example(name)
    parsed = parse_credential(doc)
    assert parsed.vcdm_version == "1.1"
    if issued is not None:
        assert parsed.valid_from == issued
    assert parsed.valid_from is not None
    assert parsed.valid_from.isoformat().startswith(doc["issuanceDate"][:19])
    if expires == "from-document":
        assert parsed.valid_until is not None
        assert parsed.valid_until.isoformat().startswith(doc["expirationDate"][:19])
    else:
        assert parsed.valid_until is expires
    assert check_schema(doc).status is SchemaStatus.NOT_APPLICABLE


def test_vcdm_1_1_schema_check_is_not_applicable_not_a_failure() -> None:
    verdict = check_schema(example("1edtech-validator/ob30/complete_v1.json"))
    assert verdict.status is SchemaStatus.NOT_APPLICABLE
    assert verdict.ok
    assert "1.1" in verdict.reason
    assert verdict.issues == ()


def test_a_profile_document_is_checked_against_the_profile_schema() -> None:
    doc = example("dcc-vc-test-fixtures/dids/oidf/did.json")
    verdict = check_schema(doc)
    assert verdict.schema_ids == (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json",
    )
    assert verdict.status is SchemaStatus.INVALID
    assert [i.path for i in verdict.issues] == ["/image"]


def test_typed_access_to_a_rich_credential() -> None:
    parsed = parse_credential(example("ob3-spec/fullOpenBadge.json"), strict=True)
    model = parsed.model
    assert isinstance(model, AchievementCredential)
    achievement = model.credential_subject.achievement
    assert achievement.achievement_type == "Degree"
    assert achievement.result_description is not None
    levels = achievement.result_description[1].rubric_criterion_level
    assert levels is not None
    assert [lvl.name for lvl in levels] == ["Mastery", "Basic"]
    assert achievement.creator is not None
    assert achievement.creator.address is not None
    assert achievement.creator.address.geo is not None
    assert achievement.creator.address.geo.latitude == 1
    assert achievement.creator.parent_org is not None
    assert model.endorsement is not None
    assert model.endorsement[0].credential_subject.endorsement_comment
    assert parsed.subject_ids == ("did:example:ebfeb1f712ebc6f1c276e12ec21",)


def test_clr_keeps_nested_credentials_as_given() -> None:
    doc = example("1edtech-validator/clr20/simple.json")
    parsed = parse_credential(doc, strict=True)
    assert isinstance(parsed.model, ClrCredential)
    subject = parsed.model.credential_subject
    assert subject.verifiable_credential == doc["credentialSubject"]["verifiableCredential"]
    assert list(subject.verifiable_credential[0]) == list(
        doc["credentialSubject"]["verifiableCredential"][0]
    )
    assert subject.association is not None
    assert subject.association[0].association_type == "isParentOf"
    nested = parse_credential(subject.verifiable_credential[0])
    assert nested.kind == "achievement"
