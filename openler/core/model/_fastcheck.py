"""A small JSON Schema (Draft 2019-09) compiler used as a fast *yes/no* pre-check.

``jsonschema`` walks a schema afresh for every instance and builds a new validator
object for every subschema it descends into; for the 1EdTech schemas (one ``oneOf`` per
string value) that costs several milliseconds for a rich credential. This module turns a
schema into nested Python closures once, so a valid credential is confirmed in a fraction
of that time. It only answers *valid or not*: when it says "not valid", the caller asks
``jsonschema`` for the errors, so messages always come from the reference implementation.

Only the keywords the bundled schemas use are compiled; a schema using anything else
raises :class:`Unsupported` and the caller falls back to ``jsonschema`` alone. Semantics
follow ``jsonschema``'s Draft 2019-09 validator (``format`` is an annotation; ``$ref``
siblings are evaluated; ``items`` as an array is the tuple form with ``additionalItems``).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

__all__ = ["Check", "Compiler", "Unsupported"]

Check = Callable[[Any], bool]

#: Keywords that never affect validity (annotations, identifiers, containers handled
#: elsewhere).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "$anchor",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "definitions",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return True
    return isinstance(x, float) and x.is_integer()


_TYPES: Mapping[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema means it: ``True`` is not ``1``."""
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _x: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    frozen = tuple(checks)
    return lambda x: all(c(x) for c in frozen)


class Compiler:
    """Compiles schemas from ``resources`` (``$id`` -> schema); ``$ref`` may point within
    a schema or to another resource by its ``$id``; nothing is ever fetched."""

    def __init__(self, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self._resources = resources
        self._cells: dict[tuple[str, str], list[Check]] = {}

    def compile(self, schema_id: str) -> Check:
        root = self._resources.get(schema_id)
        if root is None or "2019-09" not in str(root.get("$schema", "")):
            raise Unsupported(f"only bundled Draft 2019-09 schemas are compiled: {schema_id}")
        return self._ref(schema_id, "")

    # -- references -------------------------------------------------------------------
    def _ref(self, base: str, ref: str) -> Check:
        url, fragment = urldefrag(urljoin(base, ref))
        key = (url, fragment)
        cell = self._cells.get(key)
        if cell is None:
            cell = []
            self._cells[key] = cell  # registered before compiling: recursion resolves here
            cell.append(self._schema(self._resolve(url, fragment), url))
        return lambda x: cell[0](x)

    def _resolve(self, url: str, fragment: str) -> Any:
        if url not in self._resources:
            raise Unsupported(f"reference to a schema that is not bundled: {url}")
        node: Any = self._resources[url]
        if fragment and not fragment.startswith("/"):
            raise Unsupported(f"anchor references are not compiled: #{fragment}")
        for token in fragment.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    # -- schemas ----------------------------------------------------------------------
    def _schema(self, schema: Any, base: str) -> Check:
        if schema is True:
            return lambda _x: True
        if schema is False:
            return lambda _x: False
        if not isinstance(schema, Mapping):
            raise Unsupported(f"not a schema: {schema!r}")
        if "$id" in schema and isinstance(schema["$id"], str):
            base = urljoin(base, schema["$id"])
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS:
                continue
            handler = getattr(self, "_kw_" + key.lstrip("$"), None)
            if handler is None:
                raise Unsupported(f"keyword not compiled: {key}")
            check = handler(value, schema, base)
            if check is not None:
                checks.append(check)
        return _all(checks)

    def _sub(self, schema: Any, base: str) -> Check:
        return self._schema(schema, base)

    # -- keywords (each returns a Check, or None when it adds nothing) ------------------
    def _kw_ref(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        return self._ref(base, value)

    def _kw_type(self, value: Any, _schema: Mapping[str, Any], _base: str) -> Check:
        names = [value] if isinstance(value, str) else list(value)
        preds = tuple(_TYPES[n] for n in names)
        if len(preds) == 1:
            return preds[0]
        return lambda x: any(p(x) for p in preds)

    def _kw_enum(self, value: Any, _schema: Mapping[str, Any], _base: str) -> Check:
        options = list(value)
        if all(isinstance(o, str) for o in options):
            strings = frozenset(options)
            return lambda x: isinstance(x, str) and x in strings
        return lambda x: any(_json_equal(x, o) for o in options)

    def _kw_const(self, value: Any, _schema: Mapping[str, Any], _base: str) -> Check:
        return lambda x: _json_equal(x, value)

    def _kw_pattern(self, value: Any, _schema: Mapping[str, Any], _base: str) -> Check:
        search = re.compile(value).search
        return lambda x: not isinstance(x, str) or search(x) is not None

    def _kw_minLength(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, str) or len(x) >= value

    def _kw_maxLength(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, str) or len(x) <= value

    def _kw_minimum(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not _is_number(x) or x >= value

    def _kw_maximum(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not _is_number(x) or x <= value

    def _kw_exclusiveMinimum(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not _is_number(x) or x > value

    def _kw_exclusiveMaximum(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not _is_number(x) or x < value

    def _kw_multipleOf(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        def check(x: Any) -> bool:
            if not _is_number(x):
                return True
            if isinstance(value, float) or isinstance(x, float):
                quotient = x / value
                return math.isfinite(quotient) and quotient.is_integer()
            return bool(x % value == 0)

        return check

    def _kw_minItems(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, list) or len(x) >= value

    def _kw_maxItems(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, list) or len(x) <= value

    def _kw_minProperties(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, dict) or len(x) >= value

    def _kw_maxProperties(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        return lambda x: not isinstance(x, dict) or len(x) <= value

    def _kw_required(self, value: Any, _schema: Mapping[str, Any], _base: str) -> Check:
        names = tuple(value)
        return lambda x: not isinstance(x, dict) or all(n in x for n in names)

    def _kw_properties(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        props = tuple((name, self._sub(sub, base)) for name, sub in value.items())

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            return all(sub(x[name]) for name, sub in props if name in x)

        return check

    def _kw_patternProperties(self, value: Any, _s: Mapping[str, Any], base: str) -> Check:
        pats = tuple((re.compile(p).search, self._sub(sub, base)) for p, sub in value.items())

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            return all(sub(v) for k, v in x.items() for search, sub in pats if search(k))

        return check

    def _kw_additionalProperties(self, value: Any, schema: Mapping[str, Any], base: str) -> Check:
        known = frozenset(schema.get("properties", {}))
        patterns = "|".join(schema.get("patternProperties", {}))
        search = re.compile(patterns).search if patterns else None
        sub = self._sub(value, base)

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for k, v in x.items():
                if k in known or (search is not None and search(k)):
                    continue
                if not sub(v):
                    return False
            return True

        return check

    def _kw_propertyNames(self, value: Any, _s: Mapping[str, Any], base: str) -> Check:
        sub = self._sub(value, base)
        return lambda x: not isinstance(x, dict) or all(sub(k) for k in x)

    def _kw_items(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        if isinstance(value, list):
            subs = tuple(self._sub(s, base) for s in value)
            return lambda x: (
                not isinstance(x, list) or all(s(i) for s, i in zip(subs, x, strict=False))
            )
        sub = self._sub(value, base)
        return lambda x: not isinstance(x, list) or all(sub(i) for i in x)

    def _kw_additionalItems(self, value: Any, schema: Mapping[str, Any], base: str) -> Check | None:
        items = schema.get("items", {})
        if not isinstance(items, list):
            return None
        start = len(items)
        sub = self._sub(value, base)
        return lambda x: not isinstance(x, list) or all(sub(i) for i in x[start:])

    def _kw_contains(self, value: Any, schema: Mapping[str, Any], base: str) -> Check:
        if "minContains" in schema or "maxContains" in schema:
            raise Unsupported("minContains / maxContains")
        sub = self._sub(value, base)
        return lambda x: not isinstance(x, list) or any(sub(i) for i in x)

    def _kw_allOf(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        return _all([self._sub(s, base) for s in value])

    def _kw_anyOf(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        subs = tuple(self._sub(s, base) for s in value)
        return lambda x: any(s(x) for s in subs)

    def _kw_oneOf(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        by_type = self._dispatch_by_type(value, base)
        if by_type is not None:
            # Branches that require pairwise different JSON types never both match:
            # only the branch for the instance's own type needs to run.
            def dispatch(x: Any) -> bool:
                branch = by_type.get(type(x))
                if branch is None:  # a subclass (an OrderedDict, a StrEnum member …)
                    branch = next((c for t, c in by_type.items() if isinstance(x, t)), None)
                return branch is not None and branch(x)

            return dispatch
        subs = tuple(self._sub(s, base) for s in value)

        def check(x: Any) -> bool:
            found = False
            for s in subs:
                if s(x):
                    if found:
                        return False
                    found = True
            return found

        return check

    def _dispatch_by_type(self, branches: Any, base: str) -> dict[type, Check] | None:
        """Python type -> branch check when every branch demands one distinct JSON type
        among string / object / array / boolean / null; else ``None``."""
        python_types = {
            "string": (str,),
            "object": (dict,),
            "array": (list,),
            "boolean": (bool,),
            "null": (type(None),),
        }
        table: dict[type, Check] = {}
        for branch in branches:
            if not isinstance(branch, Mapping) or "$ref" in branch:
                return None
            name = branch.get("type")
            if not isinstance(name, str) or name not in python_types:
                return None
            check = self._sub(branch, base)
            for py_type in python_types[name]:
                if py_type in table:
                    return None
                table[py_type] = check
        return table

    def _kw_not(self, value: Any, _schema: Mapping[str, Any], base: str) -> Check:
        sub = self._sub(value, base)
        return lambda x: not sub(x)

    def _kw_if(self, value: Any, schema: Mapping[str, Any], base: str) -> Check:
        cond = self._sub(value, base)
        then = self._sub(schema.get("then", True), base)
        other = self._sub(schema.get("else", True), base)
        return lambda x: then(x) if cond(x) else other(x)

    def _kw_then(self, _v: Any, _s: Mapping[str, Any], _b: str) -> None:
        return None  # evaluated by ``if``

    def _kw_else(self, _v: Any, _s: Mapping[str, Any], _b: str) -> None:
        return None  # evaluated by ``if``

    def _kw_dependentRequired(self, value: Any, _s: Mapping[str, Any], _b: str) -> Check:
        deps = tuple((k, tuple(v)) for k, v in value.items())
        return lambda x: (
            not isinstance(x, dict) or all(all(r in x for r in req) for k, req in deps if k in x)
        )
