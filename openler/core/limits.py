"""Caps on untrusted input: bytes, nesting depth, number of values, proofs, contexts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openler.core.errors import InputTooLarge, MalformedJson

__all__ = ["DEFAULT_LIMITS", "Limits", "check_shape_limits", "parse_json"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 100_000
    max_proofs: int = 16
    max_contexts: int = 32
    max_credentials: int = 256  # in one presentation or CLR


DEFAULT_LIMITS = Limits()


def parse_json(data: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse JSON text under the byte, depth and size caps; rejects duplicate-free
    garbage, NaN/Infinity and lone surrogates with clear errors."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise InputTooLarge(
            f"The document is {size:,} bytes; the limit is {limits.max_bytes:,}.",
            details={"bytes": size, "limit": limits.max_bytes},
        )
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"The document is not UTF-8 text: {exc.reason}.") from None
    else:
        text = data.lstrip("\ufeff")

    def _no_constants(name: str) -> Any:
        raise MalformedJson(f"{name} is not a JSON value.")

    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"The document is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise InputTooLarge("The document is nested too deeply.") from None
    check_shape_limits(value, limits)
    return value


def check_shape_limits(value: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise InputTooLarge when ``value`` nests deeper than ``max_depth`` or holds more
    than ``max_values`` values; MalformedJson for lone surrogates in strings."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_values:
            raise InputTooLarge(
                f"The document holds more than {limits.max_values:,} values.",
                details={"limit": limits.max_values},
            )
        if depth > limits.max_depth:
            raise InputTooLarge(
                f"The document nests deeper than {limits.max_depth} levels.",
                details={"limit": limits.max_depth},
            )
        if isinstance(node, dict):
            for k, v in node.items():
                _check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedJson(
            "The document contains a lone UTF-16 surrogate, which no signature can cover."
        ) from None
