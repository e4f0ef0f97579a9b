"""The *schema* check: the official 1EdTech JSON Schemas, bundled, never fetched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openler.core.model.schema import SchemaIssue, SchemaStatus, check_schema, declared_schemas
from openler.core.results import Check
from openler.core.verification.structure import Outline

__all__ = ["schema_check"]

_MAX_REPORTED = 5


def _summary(issues: Sequence[SchemaIssue]) -> str:
    parts = [f"{i.path or '(root)'}: {i.message}" for i in issues[:_MAX_REPORTED]]
    more = len(issues) - _MAX_REPORTED
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def schema_check(credential: Mapping[str, Any], outline: Outline, *, strict: bool) -> list[Check]:
    """Declared schemas must pass; an undeclared mismatch with the official schema for
    the credential's type is a warning (a failure under a strict policy)."""
    verdict = check_schema(credential)
    out: list[Check] = []
    if verdict.notes:
        out.append(Check("schema", "warning", "schema_not_bundled", _summary(verdict.notes)))
    if verdict.status is SchemaStatus.NOT_APPLICABLE:
        out.append(
            Check(
                "schema",
                "skipped",
                "schema_not_applicable",
                f"No official JSON Schema was applied: {verdict.reason}.",
            )
        )
        return out
    if verdict.status is SchemaStatus.VALID:
        out.append(
            Check(
                "schema",
                "pass",
                "schema_valid",
                "The credential matches the official 1EdTech JSON Schema.",
                {"schemas": list(verdict.schema_ids)},
            )
        )
        return out
    details = {"issues": [{"path": i.path, "message": i.message} for i in verdict.issues[:50]]}
    declared = any(d.bundled for d in declared_schemas(credential))
    if declared or strict:
        out.append(
            Check(
                "schema",
                "fail",
                "schema_invalid",
                "The credential does not match the JSON Schema it declares: "
                + _summary(verdict.issues),
                details,
            )
        )
    else:
        out.append(
            Check(
                "schema",
                "warning",
                "schema_mismatch",
                "The credential declares no schema and does not match the official "
                "one for its type: " + _summary(verdict.issues),
                details,
            )
        )
    return out
