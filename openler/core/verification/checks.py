"""Small helpers shared by the checks: building Check objects, ordering a report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openler.core.results import CHECK_ORDER, Check

__all__ = ["as_types", "fail", "ordered", "outline_issuer", "passed", "skip", "warn"]


def fail(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "fail", code, message, details)


def passed(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "pass", code, message, details)


def warn(name: str, code: str, message: str, **details: Any) -> Check:
    return Check(name, "warning", code, message, details)


def skip(name: str, code: str, message: str) -> Check:
    return Check(name, "skipped", code, message)


def outline_issuer(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer_id if isinstance(issuer_id, str) else None


def as_types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


_ORDER = {name: i for i, name in enumerate(CHECK_ORDER)}


def ordered(checks: list[Check]) -> list[Check]:
    """Checks in report order (structure first, status last); stable within a step."""
    return sorted(checks, key=lambda c: _ORDER.get(c.name, len(_ORDER)))
