"""Caps on untrusted input: bytes, nesting depth, number of values, proofs, contexts.

The one place JSON text from outside is parsed: duplicate keys (which parsers resolve
differently), ``NaN``/``Infinity`` and lone UTF-16 surrogates (which no signature can
cover) are refused with clear errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openler.core.errors import InputTooLarge, MalformedJson

__all__ = ["DEFAULT_LIMITS", "Limits", "check_shape_limits", "parse_json"]

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 100_000
    max_proofs: int = 16
    max_contexts: int = 32
    max_credentials: int = 256  # in one presentation or CLR


DEFAULT_LIMITS = Limits()


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedJson(f"The key {key!r} appears twice in one JSON object.")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON value.")


def parse_json(data: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse JSON text under the byte, depth and size caps."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise InputTooLarge(
            f"The document is {size:,} bytes; the limit is {limits.max_bytes:,}.",
            details={"bytes": size, "limit": limits.max_bytes},
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"The document is not UTF-8 text: {exc.reason}.") from None
    else:
        text = data.lstrip("\ufeff")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
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
    than ``max_values`` values; MalformedJson for lone surrogates in strings. Iterative,
    so hostile input cannot exhaust the stack."""
    count = 1
    stack: list[tuple[Any, int]] = [(value, 1)]
    texts: list[str] = []
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise InputTooLarge(
                f"The document nests deeper than {limits.max_depth} levels.",
                details={"limit": limits.max_depth},
            )
        if isinstance(node, Mapping):
            texts.extend(k for k in node if isinstance(k, str))
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        count += len(children)
        if count > limits.max_values:
            raise InputTooLarge(
                f"The document holds more than {limits.max_values:,} values.",
                details={"limit": limits.max_values},
            )
        for child in children:
            if isinstance(child, str):
                texts.append(child)
            elif isinstance(child, Mapping | list | tuple):
                stack.append((child, depth + 1))
    if isinstance(value, str):
        texts.append(value)
    if _SURROGATE.search("".join(texts)) is not None:
        raise MalformedJson(
            "The document contains a lone UTF-16 surrogate, which no signature can cover."
        )
