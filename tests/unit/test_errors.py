"""Error codes are public API: unique, snake_case, and drawn in the module docstring."""

from __future__ import annotations

import re

from openler.core import errors


def _classes() -> list[type[errors.OpenlerError]]:
    return [getattr(errors, name) for name in errors.__all__]


def test_every_error_has_a_unique_snake_case_code_listed_in_the_tree() -> None:
    codes = [cls.code for cls in _classes()]
    assert len(codes) == len(set(codes))
    doc = errors.__doc__ or ""
    for cls in _classes():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls
        assert re.search(rf"{cls.__name__}\s+{cls.code}\b", doc), f"{cls.__name__} not drawn"


def test_errors_serialize_with_code_message_and_details() -> None:
    exc = errors.ContextNotAllowed("No.", details={"url": "https://x.example"})
    assert exc.to_dict() == {
        "code": "context_not_allowed",
        "message": "No.",
        "details": {"url": "https://x.example"},
    }
    assert isinstance(exc, errors.JsonLdError)
    assert isinstance(exc, errors.OpenlerError)
