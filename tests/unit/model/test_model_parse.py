"""parse_credential: compaction variants, language values, wrong types with clear messages,
dates, size limits and safe JSON loading."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from openler.core.errors import InputTooLarge, InvalidInput, MalformedJson
from openler.core.model import (
    AchievementCredential,
    ClrCredential,
    LanguageValue,
    check_limits,
    load_json,
    parse_credential,
    parse_date_time,
    text_value,
)
from tests.unit.model.conftest import example

SIMPLE = "1edtech-validator/ob30/simple.json"


def simple() -> dict[str, Any]:
    doc: dict[str, Any] = example(SIMPLE)
    return doc


# -- compaction variants -------------------------------------------------------------------


def test_single_values_parse_where_the_spec_has_arrays() -> None:
    doc = simple()
    subject = doc["credentialSubject"]
    subject["type"] = "AchievementSubject"
    achievement = subject["achievement"]
    achievement["type"] = "Achievement"
    achievement["alignment"] = {
        "type": "Alignment",
        "targetName": "Teamwork",
        "targetUrl": "https://example.org/teamwork",
    }
    achievement["tag"] = "teamwork"
    doc["issuer"]["type"] = "Profile"
    doc["proof"] = doc["proof"][0]
    doc["evidence"] = {"type": "Evidence", "name": "Report"}
    doc["credentialSchema"] = {
        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        "type": "1EdTechJsonSchemaValidator2019",
    }
    doc["credentialSubject"] = [subject]
    parsed = parse_credential(doc, strict=True)
    model = parsed.model
    assert isinstance(model, AchievementCredential)
    assert model.credential_subject.type == ["AchievementSubject"]
    ach = model.credential_subject.achievement
    assert ach.type == ["Achievement"]
    assert ach.tag == ["teamwork"]
    assert ach.alignment is not None
    assert ach.alignment[0].target_name == "Teamwork"
    assert model.proof is not None
    assert len(model.proof) == 1
    assert model.evidence is not None
    assert model.evidence[0].name == "Report"
    assert model.credential_schema is not None
    assert model.credential_schema[0].type == "1EdTechJsonSchemaValidator2019"
    assert parsed.subject_ids == ("did:example:ebfeb1f712ebc6f1c276e12ec21",)
    # The original shapes are kept; normalized output only when asked for.
    assert parsed.to_json() == doc
    assert parsed.to_json()["proof"] == doc["proof"]
    normalized = parsed.to_json(normalized=True)
    assert isinstance(normalized["proof"], list)
    assert normalized["credentialSubject"]["achievement"]["tag"] == ["teamwork"]


def test_clr_compaction_variants() -> None:
    doc = example("1edtech-validator/clr20/simple.json")
    subject = doc["credentialSubject"]
    subject["verifiableCredential"] = subject["verifiableCredential"][0]
    subject["achievement"] = subject["achievement"][0]
    subject["association"] = subject["association"][0]
    parsed = parse_credential(doc, strict=True)
    assert isinstance(parsed.model, ClrCredential)
    clr = parsed.model.credential_subject
    assert len(clr.verifiable_credential) == 1
    assert clr.achievement is not None
    assert len(clr.achievement) == 1
    assert clr.association is not None
    assert clr.association[0].target_id.startswith("urn:uuid:")


def test_single_string_context_and_type_make_a_generic_credential() -> None:
    doc = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "VerifiableCredential",
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject", "claim": 1},
    }
    parsed = parse_credential(doc)
    assert parsed.kind == "generic"
    assert parsed.types == ("VerifiableCredential",)
    assert parsed.model.context == ["https://www.w3.org/ns/credentials/v2"]
    assert parsed.issuer_id == "did:example:issuer"


def test_extension_properties_are_kept() -> None:
    doc = simple()
    doc["credentialSubject"]["achievement"]["ext:creditHours"] = 3
    parsed = parse_credential(doc)
    assert isinstance(parsed.model, AchievementCredential)
    extra = parsed.model.credential_subject.achievement.model_extra
    assert extra == {"ext:creditHours": 3}


def test_snake_case_keys_in_json_are_not_taken_for_spec_properties() -> None:
    doc = simple()
    doc["valid_until"] = "2000-01-01T00:00:00Z"
    parsed = parse_credential(doc)
    assert parsed.model.valid_until is None
    assert parsed.valid_until is None
    assert (parsed.model.model_extra or {})["valid_until"] == "2000-01-01T00:00:00Z"


def test_several_subjects_in_an_open_badge() -> None:
    doc = simple()
    doc["credentialSubject"] = [doc["credentialSubject"], doc["credentialSubject"]]
    with pytest.raises(InvalidInput, match="exactly one credentialSubject"):
        parse_credential(doc, strict=True)
    parsed = parse_credential(doc)
    assert parsed.kind == "generic"
    assert parsed.model_error is not None
    assert len(parsed.subject_ids) == 2


def test_strict_reading_rejects_terms_outside_the_vocabulary() -> None:
    doc = simple()
    doc["credentialSubject"]["achievement"]["achievementType"] = "Program"
    assert parse_credential(doc).kind == "achievement"
    with pytest.raises(InvalidInput, match="achievementType: 'Program' is not a AchievementType"):
        parse_credential(doc, strict=True)
    doc["credentialSubject"]["achievement"]["achievementType"] = "ext:Program"
    assert parse_credential(doc, strict=True).kind == "achievement"


def test_subject_without_id_or_identifier() -> None:
    doc = simple()
    del doc["credentialSubject"]["id"]
    assert parse_credential(doc).subject_ids == ()
    with pytest.raises(InvalidInput, match="needs an id or at least one identifier"):
        parse_credential(doc, strict=True)


# -- language values ---------------------------------------------------------------------


def test_language_value_objects_are_accepted_for_text() -> None:
    doc = simple()
    ach = doc["credentialSubject"]["achievement"]
    ach["name"] = [
        {"@value": "Teamwork", "@language": "en"},
        {"@value": "Travail d'équipe", "@language": "fr-CA", "@direction": "ltr"},
    ]
    ach["description"] = {"@value": "Works well in a team", "@language": "en"}
    ach["criteria"]["narrative"] = [{"@value": "Nominated by peers", "@language": "en"}]
    doc["name"] = "Plain string stays a string"
    parsed = parse_credential(doc, strict=True)
    assert isinstance(parsed.model, AchievementCredential)
    model_ach = parsed.model.credential_subject.achievement
    assert isinstance(model_ach.name, list)
    assert model_ach.name[1] == LanguageValue(
        value="Travail d'équipe", language="fr-CA", direction="ltr"
    )
    assert text_value(model_ach.name, "fr") == "Travail d'équipe"
    assert text_value(model_ach.name, "en-US") == "Teamwork"
    assert text_value(model_ach.name) == "Teamwork"
    assert text_value(model_ach.description) == "Works well in a team"
    assert text_value(ach["name"], "fr-CA") == "Travail d'équipe"
    assert parsed.model.name == "Plain string stays a string"
    dumped = parsed.to_json(normalized=True)["credentialSubject"]["achievement"]["name"]
    assert dumped == ach["name"]


@pytest.mark.parametrize(
    "bad",
    [{"en": "Teamwork"}, 42, [{"@language": "en"}], ["ok", 3]],
    ids=["language-map", "number", "no-value", "mixed"],
)
def test_other_text_shapes_are_refused_clearly(bad: Any) -> None:
    doc = simple()
    doc["credentialSubject"]["achievement"]["name"] = bad
    with pytest.raises(InvalidInput) as info:
        parse_credential(doc, strict=True)
    assert "credentialSubject.achievement.name" in info.value.message
    assert "language value object" in info.value.message


def test_language_value_with_unknown_member_is_refused() -> None:
    doc = simple()
    doc["credentialSubject"]["achievement"]["name"] = {"@value": "x", "@type": "xsd:string"}
    with pytest.raises(InvalidInput, match=r"credentialSubject\.achievement\.name"):
        parse_credential(doc, strict=True)


# -- wrong types -----------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    doc = simple()
    del doc[key]
    return doc


def _with(key: str, value: Any) -> dict[str, Any]:
    doc = simple()
    doc[key] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_without("issuer"), "issuer is missing"),
        (_with("issuer", 7), "issuer must be a URL string or an object with an id, got number"),
        (_with("issuer", {"name": "No id"}), "issuer is an object without a string id"),
        (_without("credentialSubject"), "credentialSubject is missing"),
        (
            _with("credentialSubject", 5),
            "credentialSubject must be an object or an array of objects, got number",
        ),
        (_with("credentialSubject", []), "credentialSubject is an empty array"),
        (
            _with("credentialSubject", ["did:example:x"]),
            "credentialSubject must hold objects, found a string",
        ),
        (_without("type"), "type is missing"),
        (_with("type", ["OpenBadgeCredential"]), 'type must include "VerifiableCredential"'),
        (_with("type", 3), "type must be a string or a non-empty array of strings"),
        (_without("@context"), "@context is missing"),
        (_with("@context", ["https://example.org/ctx"]), "first @context entry"),
        (_with("validFrom", "2010-01-01"), "validFrom: '2010-01-01' is not an XSD dateTimeStamp"),
        (_with("validFrom", "2010-01-01T00:00:00"), "validFrom: .* has no time zone offset"),
        (_with("validFrom", "2010-01-01t00:00:00z"), "is not an XSD dateTimeStamp"),
        (_with("validFrom", "2010-02-30T00:00:00Z"), "is not a valid date"),
        (_with("validFrom", 1262304000), "validFrom: expected a date-time string, got int"),
        (_with("validUntil", "2009-12-31T23:59:59Z"), "ceases to be valid before it becomes valid"),
        (_with("proof", {"proofValue": "z"}), "proof.type: Field required"),
    ],
)
def test_wrong_types_give_clear_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_credential(doc)


def test_not_an_object() -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object, got array"):
        parse_credential([1, 2])  # type: ignore[arg-type]


def test_nested_type_error_names_the_property() -> None:
    doc = simple()
    doc["credentialSubject"]["achievement"]["criteria"] = "https://example.org/criteria"
    with pytest.raises(InvalidInput, match=r"credentialSubject\.achievement\.criteria"):
        parse_credential(doc, strict=True)


def test_vcdm_1_1_needs_issuance_date() -> None:
    doc = example("1edtech-validator/ob30/simple_v1.json")
    del doc["issuanceDate"]
    with pytest.raises(InvalidInput, match="issuanceDate is missing"):
        parse_credential(doc)


def test_naive_date_time_can_be_read_as_utc() -> None:
    parsed = parse_credential(_with("validFrom", "2010-01-01T00:00:00"), naive_as_utc=True)
    assert parsed.valid_from == datetime(2010, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-01-01T19:23:24Z", datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)),
        ("2010-01-01T19:23:24.5Z", datetime(2010, 1, 1, 19, 23, 24, 500000, tzinfo=UTC)),
        ("2010-01-01T19:23:24.123456789Z", datetime(2010, 1, 1, 19, 23, 24, 123456, tzinfo=UTC)),
        (
            "2022-11-10T07:38:00-08:00",
            datetime(2022, 11, 10, 7, 38, tzinfo=timezone(timedelta(hours=-8))),
        ),
        ("2010-01-01T24:00:00Z", datetime(2010, 1, 2, tzinfo=UTC)),
        ("2010-01-01T00:00:00+14:00", datetime(2009, 12, 31, 10, tzinfo=UTC)),
    ],
)
def test_date_time_stamps(text: str, expected: datetime) -> None:
    parsed = parse_date_time(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    [
        "2010-01-01T00:00:00+15:00",
        "2010-13-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        " 2010-01-01T00:00:00Z",
    ],
)
def test_bad_date_time_stamps(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_date_time(text)


# -- copies, limits and JSON -------------------------------------------------------------------


def test_input_is_not_modified_and_document_is_a_copy() -> None:
    doc = simple()
    before = copy.deepcopy(doc)
    parsed = parse_credential(doc)
    assert doc == before
    parsed.document["name"] = "changed"
    assert doc["name"] == before["name"]
    out = parsed.to_json()
    out["issuer"]["name"] = "changed"
    assert parsed.document["issuer"]["name"] == before["issuer"]["name"]


def _nested(depth: int) -> Any:
    node: Any = "leaf"
    for _ in range(depth - 1):
        node = [node]
    return {"a": node} if depth else node


def test_depth_limit() -> None:
    check_limits(_nested(64))
    with pytest.raises(InputTooLarge, match="deeper than 64"):
        check_limits(_nested(65))
    check_limits(_nested(65), max_depth=65)


def test_node_limit() -> None:
    check_limits({"a": list(range(99_998))})
    with pytest.raises(InputTooLarge, match="more than 100,000 values"):
        check_limits({"a": list(range(99_999))})
    with pytest.raises(InputTooLarge):
        check_limits({"a": [1, 2, 3]}, max_nodes=3)


def test_cycles_are_caught_by_the_limits() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(InputTooLarge):
        check_limits(loop)


def test_parse_applies_the_limits() -> None:
    doc = simple()
    doc["credentialSubject"]["deep"] = _nested(70)
    with pytest.raises(InputTooLarge):
        parse_credential(doc)
    doc["credentialSubject"]["deep"] = ["x"] * 200
    with pytest.raises(InputTooLarge):
        parse_credential(doc, max_nodes=150)


def test_check_limits_is_fast_enough_for_a_hot_path() -> None:
    import time

    doc = example("ob3-spec/fullOpenBadge.json")
    start = time.perf_counter()
    for _ in range(100):
        check_limits(doc)
    assert (time.perf_counter() - start) / 100 < 0.005


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": {1, 2}}, "a set is not a JSON value"),
        ({"a": float("nan")}, "is not a JSON number"),
        ({"a": {1: "x"}}, "object keys must be strings"),
        ({"a": b"bytes"}, "a bytes is not a JSON value"),
    ],
)
def test_non_json_values_are_refused(value: dict[str, Any], message: str) -> None:
    doc = simple()
    doc["credentialSubject"]["extra"] = value
    with pytest.raises(MalformedJson, match=message):
        parse_credential(doc)


def test_load_json() -> None:
    assert load_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert load_json(json.dumps(simple()).encode()) == simple()
    with pytest.raises(MalformedJson, match="key 'a' appears twice"):
        load_json('{"a": 1, "a": 2}')
    with pytest.raises(MalformedJson, match="NaN is not a JSON value"):
        load_json('{"a": NaN}')
    with pytest.raises(MalformedJson, match="not valid JSON"):
        load_json('{"a": ')
    with pytest.raises(MalformedJson, match="not UTF-8 text"):
        load_json(b"\xff\xfe{")
    with pytest.raises(InputTooLarge, match="the limit is 10"):
        load_json('{"a": "0123456789"}', max_bytes=10)
    with pytest.raises(InputTooLarge):
        load_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputTooLarge):
        load_json("[" * 65 + "]" * 65)
