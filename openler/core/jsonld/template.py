"""Shape-keyed expansion templates: the fast path for documents of a shape seen before.

Expanding JSON-LD costs milliseconds, while the quads of two credentials that differ only
in their string values differ only in those values. For a document we compute its *shape*
(keys, array lengths, JSON types, and the values that steer expansion: ``@context``,
``type``, numbers, booleans) and the list of its string values (*slots*). The first
document of a shape is expanded a second time with every free slot replaced by a unique
token; where a token lands tells what the slot is:

* the whole lexical form of a literal (not ``xsd:double``, which pyld rewrites) ->
  a *literal* slot: any string may be substituted, escaped per canonical N-Quads;
* a whole IRI term -> an *IRI* slot: substituted only when the new value is an
  absolute IRI whose scheme is not a term of any context in use (a compact IRI would
  expand differently); otherwise the value is pinned into the key;
* anywhere else, or nowhere -> *pinned*: the value becomes part of the template's key.

A template is only used after substituting the first document's own values into it has
reproduced, quad for quad, what the full algorithm gave for that document; a template
that fails this proof is marked unusable and the shape always takes the full path.
Documents with inline (object) contexts always take the full path.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openler.core.jsonld.compiled import CompiledTemplate, compile_template
from openler.core.jsonld.expand import Expansion, is_absolute_iri, to_quads
from openler.core.jsonld.loader import BundledLoader, default_loader
from openler.core.jsonld.rdfc import Quad, canonicalize, escape_literal

__all__ = ["Canonical", "ExpansionCache"]

_TOKEN_PREFIX = "urn:x-openler-slot:"  # noqa: S105 - a placeholder IRI, not a secret
_TOKEN_RE = re.compile(r"urn:x-openler-slot:(\d+):end")
_XSD_DOUBLE = "^^<http://www.w3.org/2001/XMLSchema#double>"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")

# Keys whose values steer expansion: they are part of the shape, never slots.
_STRUCTURAL_KEYS = frozenset(
    {"@context", "type", "@type", "@language", "@direction", "@vocab", "@base", "@container"}
)

_LITERAL, _IRI, _PINNED = 0, 1, 2
_MAX_TEMPLATES_PER_SHAPE = 8

# A template term: a constant string, or (kind, slot, prefix, suffix).
_Term = str | tuple[int, int, str, str]


def _token(i: int) -> str:
    return f"{_TOKEN_PREFIX}{i}:end"


def _shape(doc: Any, key: list[Any], values: list[str]) -> bool:
    """Append ``doc``'s shape to ``key`` and its string slots to ``values``.

    The key is injective: every element carries a type tag (object keys ``k…``,
    scalars ``s``/``n…``/``b…``, structural values as tagged tuples), so no two different
    shapes can share one. Returns False when the document has an inline context."""
    if isinstance(doc, dict):
        key.append("{")
        for k, v in doc.items():
            key.append("k" + k)
            if k in _STRUCTURAL_KEYS:
                if k == "@context" and not _remote_only(v):
                    return False
                key.append(_structural(v))
            elif not _shape(v, key, values):
                return False
        key.append("}")
    elif isinstance(doc, list):
        key.append("[")
        for item in doc:
            if not _shape(item, key, values):
                return False
        key.append("]")
    elif isinstance(doc, str):
        key.append("s")
        values.append(doc)
    elif isinstance(doc, bool) or doc is None:
        key.append("b" + repr(doc))
    else:  # numbers steer literal datatypes and forms: keep the exact value in the key
        key.append("n" + type(doc).__name__ + ":" + repr(doc))
    return True


def _structural(value: Any) -> tuple[str, ...]:
    """A key for a value that steers expansion (types, contexts: mostly strings)."""
    if isinstance(value, str):
        return ("S", value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ("L", *value)
    return ("J", json.dumps(value, sort_keys=True, ensure_ascii=False))


def _remote_only(ctx: Any) -> bool:
    if isinstance(ctx, str):
        return True
    return isinstance(ctx, list) and all(isinstance(c, str) for c in ctx)


def _substitute(doc: Any, tokens: dict[int, str], counter: list[int]) -> Any:
    """Copy ``doc`` replacing the string slots listed in ``tokens`` (by slot index)."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            out[k] = v if k in _STRUCTURAL_KEYS else _substitute(v, tokens, counter)
        return out
    if isinstance(doc, list):
        return [_substitute(item, tokens, counter) for item in doc]
    if isinstance(doc, str):
        i = counter[0]
        counter[0] += 1
        return tokens.get(i, doc)
    return doc


def _split_literal(term: str) -> tuple[str, str] | None:
    """(lexical form as written, suffix) of a serialized literal term."""
    if not term.startswith('"'):
        return None
    end = term.rfind('"')
    return term[1:end], term[end + 1 :]


@dataclass(frozen=True, slots=True)
class Canonical:
    """Canonical N-Quads plus what a strict processor would have refused."""

    nquads: str
    dropped_terms: tuple[str, ...] = ()
    invalid_iris: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Template:
    quads: tuple[tuple[_Term, _Term, _Term, _Term], ...]
    expansion: Expansion  # dropped terms / invalid IRIs are a property of the shape
    iri_slots: tuple[int, ...]
    compiled: CompiledTemplate


@dataclass(slots=True)
class _Shape:
    kinds: list[int]  # per slot: _LITERAL, _IRI or _PINNED
    templates: dict[tuple[tuple[int, str], ...], _Template | None]


class ExpansionCache:
    """Expands documents to quads, reusing templates for shapes seen before.

    Thread-safe; bounded to ``max_shapes`` shapes (least recently used evicted). A shape
    is learned the ``learn_after``-th time it is seen (1: at once; 2, the default: when it
    repeats), so one-off documents pay for one expansion only."""

    def __init__(
        self,
        loader: BundledLoader | None = None,
        *,
        max_shapes: int = 128,
        learn_after: int = 2,
    ) -> None:
        self._loader = loader or default_loader()
        self._max_shapes = max_shapes
        self._learn_after = learn_after
        self._sightings: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._shapes: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()
        self._lock = threading.Lock()
        self._forbidden_schemes = self._loader.defined_terms()
        self.hits = 0
        self.misses = 0

    @property
    def loader(self) -> BundledLoader:
        return self._loader

    def canonicalize(self, document: Mapping[str, Any]) -> Canonical:
        """The canonical N-Quads of ``document`` (RDFC-1.0), by the compiled template of
        its shape when one applies and provably gives the full algorithm's answer."""
        found = self._template(document)
        if isinstance(found, tuple):
            template, values = found
            nquads = template.compiled.canonical(values)
            if nquads is None:
                nquads = canonicalize(_instantiate(template, values))
            expansion = template.expansion
            return Canonical(nquads, expansion.dropped_terms, expansion.invalid_iris)
        return Canonical(canonicalize(found.quads), found.dropped_terms, found.invalid_iris)

    def expand(self, document: Mapping[str, Any]) -> Expansion:
        found = self._template(document)
        if isinstance(found, tuple):
            template, values = found
            return Expansion(
                quads=_instantiate(template, values),
                dropped_terms=template.expansion.dropped_terms,
                invalid_iris=template.expansion.invalid_iris,
            )
        return found

    def _template(self, document: Mapping[str, Any]) -> tuple[_Template, list[str]] | Expansion:
        """The template and slot values for ``document``, or its full expansion."""
        key_parts: list[Any] = []
        values: list[str] = []
        if not _shape(document, key_parts, values):
            self.misses += 1
            return to_quads(document, self._loader)
        shape_key = tuple(key_parts)
        with self._lock:
            shape = self._shapes.get(shape_key)
            if shape is not None:
                self._shapes.move_to_end(shape_key)
        if shape is not None:
            pins = self._pins(shape, values)
            template = shape.templates.get(pins, False)
            if isinstance(template, _Template):
                self.hits += 1
                return template, values
            if template is None:  # this shape and pinning failed its proof before
                self.misses += 1
                return to_quads(document, self._loader)
        self.misses += 1
        # Learning substitutes tokens for values: a value that already holds token text
        # would confuse it, so such a document is expanded in full and teaches nothing.
        if _TOKEN_PREFIX in "\x00".join(values):
            return to_quads(document, self._loader)
        if shape is None:
            # A shape seen once may never come back: learning it costs two extra
            # expansions, so wait until it repeats.
            with self._lock:
                first_time = shape_key not in self._sightings
                if first_time:
                    self._sightings[shape_key] = None
                    while len(self._sightings) > 4 * self._max_shapes:
                        self._sightings.popitem(last=False)
                else:
                    del self._sightings[shape_key]
            if first_time and self._learn_after > 1:
                return to_quads(document, self._loader)
            shape = self._learn_shape(document, values)
            with self._lock:
                self._shapes[shape_key] = shape
                while len(self._shapes) > self._max_shapes:
                    self._shapes.popitem(last=False)
            pins = self._pins(shape, values)
        built = self._build_template(document, values, shape, pins)
        with self._lock:
            shape.templates[pins] = built
            # Pinned values (relative ids, vocabulary terms) may vary without end: keep
            # the most recent templates of a shape only.
            while len(shape.templates) > _MAX_TEMPLATES_PER_SHAPE:
                shape.templates.pop(next(iter(shape.templates)))
        return built.expansion if built is not None else to_quads(document, self._loader)

    # -- learning ---------------------------------------------------------------------

    def _safe_iri(self, value: str) -> bool:
        if not is_absolute_iri(value):
            return False
        m = _SCHEME.match(value)
        return m is not None and m.group(1) not in self._forbidden_schemes

    def _pins(self, shape: _Shape, values: list[str]) -> tuple[tuple[int, str], ...]:
        pins = []
        for i, kind in enumerate(shape.kinds):
            if kind == _PINNED or (kind == _IRI and not self._safe_iri(values[i])):
                pins.append((i, values[i]))
        return tuple(pins)

    def _learn_shape(self, document: Mapping[str, Any], values: list[str]) -> _Shape:
        tokens = {i: _token(i) for i in range(len(values))}
        kinds = [_PINNED] * len(values)
        try:
            probe = to_quads(_substitute(document, tokens, [0]), self._loader)
        except Exception:  # the full path will report the problem
            return _Shape(kinds=kinds, templates={})
        seen: dict[int, set[int]] = {}
        for quad in probe.quads:
            for term in quad:
                for m in _TOKEN_RE.finditer(term):
                    slot = int(m.group(1))
                    token = m.group(0)
                    if term == "<" + token + ">":
                        seen.setdefault(slot, set()).add(_IRI)
                        continue
                    parts = _split_literal(term)
                    if parts is not None and parts[0] == token and parts[1] != _XSD_DOUBLE:
                        seen.setdefault(slot, set()).add(_LITERAL)
                    else:
                        seen.setdefault(slot, set()).add(_PINNED)
        for slot, found in seen.items():
            if len(found) == 1:
                kinds[slot] = next(iter(found))
        return _Shape(kinds=kinds, templates={})

    def _build_template(
        self,
        document: Mapping[str, Any],
        values: list[str],
        shape: _Shape,
        pins: tuple[tuple[int, str], ...],
    ) -> _Template | None:
        pinned = {i for i, _ in pins}
        free = [i for i in range(len(values)) if i not in pinned]
        tokens = {i: _token(i) for i in free}
        try:
            actual = to_quads(document, self._loader)
            probe = to_quads(_substitute(document, tokens, [0]), self._loader)
        except Exception:
            return None
        quads = []
        for quad in probe.quads:
            quads.append(tuple(_template_term(t, shape.kinds) for t in quad))
        template = _Template(
            quads=tuple(quads),  # type: ignore[arg-type]
            expansion=actual,
            iri_slots=tuple(i for i in free if shape.kinds[i] == _IRI),
            compiled=compile_template(quads, len(values)),  # type: ignore[arg-type]
        )
        # The proof: the template with this document's own values must give exactly
        # what the full algorithm gave.
        if (
            probe.dropped_terms != actual.dropped_terms
            or len(probe.invalid_iris) != len(actual.invalid_iris)
            or canonicalize(_instantiate(template, values)) != canonicalize(actual.quads)
            or template.compiled.canonical(values) not in (None, canonicalize(actual.quads))
        ):
            return None
        return template


def _template_term(term: str, kinds: list[int]) -> _Term:
    m = _TOKEN_RE.search(term)
    if m is None:
        return term
    slot = int(m.group(1))
    if kinds[slot] == _IRI:
        return (_IRI, slot, "", "")
    parts = _split_literal(term)
    assert parts is not None
    return (_LITERAL, slot, '"', '"' + parts[1])


def _instantiate(template: _Template, values: list[str]) -> list[Quad]:
    out: list[Quad] = []
    for quad in template.quads:
        terms: list[str] = []
        for t in quad:
            if isinstance(t, str):
                terms.append(t)
            elif t[0] == _IRI:
                terms.append("<" + values[t[1]] + ">")
            else:
                terms.append(t[2] + escape_literal(values[t[1]]) + t[3])
        out.append((terms[0], terms[1], terms[2], terms[3]))
    return out
