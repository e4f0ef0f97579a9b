"""JSON Schema checks: schema choice, declared schemas, signing gate, no fetching, and the
compiled fast path agreeing with ``jsonschema`` on mutated documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openler.core.errors import SchemaInvalid, SchemaNotBundled
from openler.core.model import (
    SchemaStatus,
    assert_valid_for_signing,
    bundled_schema_ids,
    check_schema,
    declared_schemas,
    validate_against,
    validate_credential,
)
from openler.core.model.schema import (
    CLR_CREDENTIAL_SCHEMA,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
    _fast,
    _validator,
    bundled_schema,
    schema_for_types,
)
from tests.unit.model.conftest import example

SIMPLE = "1edtech-validator/ob30/simple.json"


def test_every_1edtech_schema_is_bundled_and_compiled() -> None:
    ids = bundled_schema_ids()
    assert len(ids) == 13
    for schema_id in ids:
        assert bundled_schema(schema_id)["$id"] == schema_id
        if "imsglobal" in schema_id:
            assert _fast(schema_id) is not None, schema_id
    assert _fast("https://www.w3.org/2022/credentials/v2/verifiable-credential-schema.json") is None


def test_bundled_schema_is_a_copy() -> None:
    schema = bundled_schema(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    schema["required"].append("nonsense")
    assert "nonsense" not in bundled_schema(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)["required"]


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["VerifiableCredential", "OpenBadgeCredential"], OB_ACHIEVEMENT_CREDENTIAL_SCHEMA),
        (["VerifiableCredential", "AchievementCredential"], OB_ACHIEVEMENT_CREDENTIAL_SCHEMA),
        (["VerifiableCredential", "EndorsementCredential"], OB_ENDORSEMENT_CREDENTIAL_SCHEMA),
        (["VerifiableCredential", "ClrCredential"], CLR_CREDENTIAL_SCHEMA),
        (
            ["Profile"],
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json",
        ),
        (["VerifiableCredential", "BitstringStatusListCredential"], None),
    ],
)
def test_schema_is_chosen_by_type(types: list[str], expected: str | None) -> None:
    assert schema_for_types(types) == expected


def test_unknown_type_is_not_applicable() -> None:
    doc = example("1edtech-validator/ob30/bit-string-list/testlist.json")
    verdict = check_schema(doc)
    assert verdict.status is SchemaStatus.NOT_APPLICABLE
    assert "BitstringStatusListCredential" in verdict.reason
    assert validate_credential(doc) == []


def test_issue_carries_pointer_message_and_schema() -> None:
    doc = example(SIMPLE)
    doc["credentialSubject"]["achievement"]["achievementType"] = "Program"
    del doc["credentialSubject"]["achievement"]["criteria"]
    issues = validate_credential(doc)
    paths = {i.path for i in issues}
    assert "/credentialSubject/achievement" in paths
    assert "/credentialSubject/achievement/achievementType" in paths
    assert all(i.schema_id == OB_ACHIEVEMENT_CREDENTIAL_SCHEMA for i in issues)
    assert any("'criteria' is a required property" in i.message for i in issues)
    oneof = next(i for i in issues if i.path.endswith("achievementType"))
    assert "closest" in oneof.message


def test_non_object_document_is_invalid() -> None:
    verdict = check_schema(["not", "a", "credential"])
    assert verdict.status is SchemaStatus.INVALID
    assert verdict.issues[0].message == "a credential must be a JSON object"


def test_declared_schemas_map_to_bundled_files() -> None:
    doc = example("1edtech-validator/ob30/complete.json")
    declared = declared_schemas(doc)
    assert [(d.schema_id, d.bundled) for d in declared] == [
        (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "ob-3.0/ob_v3p0_achievementcredential_schema.json")
    ]
    assert declared[0].issue is None


def test_unknown_declared_schema_is_a_note_not_a_fetch() -> None:
    doc = example(SIMPLE)
    doc["credentialSchema"] = [
        {"id": "https://schemas.example.org/custom.json", "type": "1EdTechJsonSchemaValidator2019"},
        {"id": "https://schemas.example.org/other.json", "type": "JsonSchema"},
    ]
    declared = declared_schemas(doc)
    assert len(declared) == 1
    assert declared[0].bundled is None
    assert declared[0].issue is not None
    assert "not bundled" in declared[0].issue.message
    assert declared[0].issue.path == "/credentialSchema/0/id"
    verdict = check_schema(doc)
    assert verdict.status is SchemaStatus.VALID
    assert verdict.notes == (declared[0].issue,)


def test_declared_bundled_schema_is_applied_too() -> None:
    doc = example(SIMPLE)
    doc["credentialSchema"] = {
        "id": CLR_CREDENTIAL_SCHEMA,
        "type": "1EdTechJsonSchemaValidator2019",
    }
    verdict = check_schema(doc)
    assert verdict.schema_ids == (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, CLR_CREDENTIAL_SCHEMA)
    assert verdict.status is SchemaStatus.INVALID
    assert {i.schema_id for i in verdict.issues} == {CLR_CREDENTIAL_SCHEMA}


def test_validate_against_an_unbundled_schema_raises() -> None:
    with pytest.raises(SchemaNotBundled) as info:
        validate_against({}, "https://example.org/schema.json")
    assert info.value.code == "schema_not_bundled"


def test_signing_gate_passes_a_valid_credential_and_lists_issues_otherwise() -> None:
    assert_valid_for_signing(example(SIMPLE))
    doc = example(SIMPLE)
    del doc["issuer"]
    doc["credentialSubject"]["achievement"]["achievementType"] = "Program"
    with pytest.raises(SchemaInvalid) as info:
        assert_valid_for_signing(doc, max_issues=1)
    assert info.value.code == "schema_invalid"
    assert "/: 'issuer' is a required property" in info.value.message
    assert "(and 1 more)" in info.value.message
    assert info.value.details["count"] == 2
    assert len(info.value.details["issues"]) == 1


def test_signing_gate_refuses_what_it_cannot_check() -> None:
    with pytest.raises(SchemaInvalid, match=r"VCDM 1\.1"):
        assert_valid_for_signing(example("1edtech-validator/ob30/simple_v1.json"))


def test_input_is_not_modified() -> None:
    doc = example("1edtech-validator/ob30/simple-err-credential-subject-type.json")
    before = json.dumps(doc)
    check_schema(doc)
    assert json.dumps(doc) == before


def test_other_mappings_are_validated_like_dicts() -> None:
    from types import MappingProxyType

    doc = example(SIMPLE)
    proxied = MappingProxyType({**doc, "type": tuple(doc["type"])})
    assert check_schema(proxied).status is SchemaStatus.VALID


# -- the compiled check never says "valid" when jsonschema says "invalid" ----------------

_BASES = [
    SIMPLE,
    "1edtech-validator/ob30/complete.json",
    "1edtech-validator/clr20/simple.json",
    "ob3-spec/endorsement.json",
]
_REPLACEMENTS: list[Any] = [None, 1, 1.5, True, "x", [], {}, ["x"], {"en": "x"}, {"@value": "x"}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "unwrap" and isinstance(parent[key], list) and parent[key]:
        parent[key] = parent[key][0]
    else:
        parent[key] = value
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_check_agrees_with_jsonschema_on_mutations(data: st.DataObject) -> None:
    base = example(data.draw(st.sampled_from(_BASES)))
    doc = base
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)[1:]))
        action = data.draw(st.sampled_from(["delete", "wrap", "unwrap", "replace"]))
        doc = _mutate(doc, path, action, data.draw(st.sampled_from(_REPLACEMENTS)))
    schema_id = schema_for_types(["VerifiableCredential", *base["type"][1:]])
    assert schema_id is not None
    fast = _fast(schema_id)
    assert fast is not None
    assert fast(doc) is _validator(schema_id).is_valid(doc)
    assert (validate_against(doc, schema_id) == []) is _validator(schema_id).is_valid(doc)
