"""The vocabularies equal the enumerations of the official schemas; the public surface."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from pydantic import ValidationError

import openler.core.model as model
from openler.core.errors import InvalidInput, SchemaNotBundled
from openler.core.model import (
    Achievement,
    AchievementType,
    AlignmentTargetType,
    AssociationType,
    IdentifierType,
    ResultStatusType,
    ResultType,
)
from openler.core.model.schema import (
    CLR_CREDENTIAL_SCHEMA,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    bundled_schema,
)
from openler.core.model.vocab import is_extension_term


def _enum_of(schema_id: str, definition: str, prop: str) -> list[str]:
    node: Any = bundled_schema(schema_id)["$defs"][definition]["properties"][prop]
    for branch in node.get("oneOf", [node]):
        if "enum" in branch:
            return list(branch["enum"])
    raise AssertionError(f"no enum for {definition}.{prop}")


@pytest.mark.parametrize(
    ("terms", "schema_id", "definition", "prop"),
    [
        (AchievementType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "Achievement", "achievementType"),
        (AlignmentTargetType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "Alignment", "targetType"),
        (IdentifierType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "IdentityObject", "identityType"),
        (IdentifierType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "IdentifierEntry", "identifierType"),
        (ResultType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "ResultDescription", "resultType"),
        (ResultStatusType, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "Result", "status"),
        (AssociationType, CLR_CREDENTIAL_SCHEMA, "Association", "associationType"),
    ],
)
def test_vocabulary_equals_schema_enum(
    terms: type[StrEnum], schema_id: str, definition: str, prop: str
) -> None:
    assert [t.value for t in terms] == _enum_of(schema_id, definition, prop)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ext:MicroBadge", True),
        ("ext:a.b-c_d", True),
        ("ext:", False),
        ("Program", False),
        ("xext:A", False),
    ],
)
def test_extension_terms(value: str, expected: bool) -> None:
    assert is_extension_term(value) is expected


def test_models_are_strict_by_default_and_frozen() -> None:
    data = {
        "id": "urn:a",
        "name": "n",
        "description": "d",
        "criteria": {"narrative": "x"},
        "achievementType": "Program",
    }
    with pytest.raises(ValidationError, match="not a AchievementType term"):
        Achievement.model_validate(data)
    lenient = Achievement.model_validate(data, context={model.LENIENT: True})
    assert lenient.achievement_type == "Program"
    assert lenient.type == ["Achievement"]
    with pytest.raises(ValidationError):
        lenient.name = "other"  # type: ignore[misc]


def test_models_accept_python_names() -> None:
    ach = Achievement(
        id="urn:a",
        name="n",
        description="d",
        criteria=model.Criteria(narrative="x"),
        achievement_type=AchievementType.COURSE,
        credits_available=3.5,
    )
    out = ach.to_json_dict()
    assert out["achievementType"] == "Course"
    assert out["creditsAvailable"] == 3.5
    assert "credits_available" not in out


def test_public_surface() -> None:
    for name in model.__all__:
        assert hasattr(model, name), name
    assert {
        "parse_credential",
        "check_schema",
        "validate_credential",
        "declared_schemas",
        "assert_valid_for_signing",
        "check_limits",
        "build_achievement_credential",
        "build_endorsement_credential",
        "build_clr_credential",
        "hashed_identity",
        "OpenBadgeCredential",
        "ClrSubject",
    } <= set(model.__all__)
    assert model.OpenBadgeCredential is model.AchievementCredential


def test_error_codes() -> None:
    assert SchemaNotBundled.code == "schema_not_bundled"
    assert issubclass(SchemaNotBundled, InvalidInput)
    from openler.core import errors

    assert "SchemaNotBundled" in errors.__all__
    assert "schema_not_bundled" in (errors.__doc__ or "")
