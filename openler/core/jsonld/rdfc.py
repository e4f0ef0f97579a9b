"""RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024) and canonical N-Quads.

Quads are tuples of four *serialized* terms ``(subject, predicate, object, graph)``:
IRIs as ``<iri>``, literals in canonical N-Quads form (see :func:`literal`), blank
nodes as ``_:label`` and the default graph as ``""``. A term is a blank node exactly
when it starts with ``_:`` (IRIs start with ``<`` and literals with ``"``).

The literal escaping follows canonical N-Triples/N-Quads as RDFC-1.0 requires: ``\\b``
``\\t`` ``\\n`` ``\\f`` ``\\r`` ``\\"`` ``\\\\`` as ECHAR, the remaining characters
U+0000-U+001F and U+007F as ``\\uXXXX`` (upper-case hex), everything else verbatim.
This is where pyld's own serializer differs from every other implementation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from openler.core.errors import CanonicalizationLimit

__all__ = [
    "XSD_STRING",
    "Quad",
    "canonical_lines",
    "canonicalize",
    "escape_literal",
    "iri",
    "literal",
    "serialize_quad",
]

Quad = tuple[str, str, str, str]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ECHAR = {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
_ESCAPES: dict[int, str] = {
    **{c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)},
    **_ECHAR,
}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f\x7f"\\\\]')

#: Default cap on N-degree hashing work, calls plus permutations (poison-graph protection).
DEFAULT_MAX_DEEP_CALLS = 10_000


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form for canonical N-Quads."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return value.translate(_ESCAPES)


def literal(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """Serialize a literal term (``language`` wins over ``datatype``)."""
    body = '"' + escape_literal(value) + '"'
    if language:
        return body + "@" + language
    if datatype is None or datatype == XSD_STRING:
        return body
    return body + "^^<" + datatype + ">"


def iri(value: str) -> str:
    return "<" + value + ">"


def serialize_quad(quad: Quad) -> str:
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Issuer:
    """Identifier issuer: hands out ``_:<prefix><n>`` in order of first request."""

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is None:
            found = f"_:{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = found
        return found

    def copy(self) -> _Issuer:
        other = _Issuer(self.prefix)
        other.counter = self.counter
        other.issued = dict(self.issued)
        return other


@dataclass
class _State:
    blank_quads: dict[str, list[Quad]] = field(default_factory=dict)
    canonical: _Issuer = field(default_factory=lambda: _Issuer("c14n"))
    first_degree: dict[str, str] = field(default_factory=dict)
    deep_calls: int = 0
    max_deep_calls: int = DEFAULT_MAX_DEEP_CALLS


def _hash_first_degree(state: _State, node: str) -> str:
    cached = state.first_degree.get(node)
    if cached is not None:
        return cached
    lines = []
    for quad in state.blank_quads[node]:
        terms = [("_:a" if t == node else "_:z") if t.startswith("_:") else t for t in quad]
        s, p, o, g = terms
        lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    lines.sort()
    digest = _sha256("".join(lines))
    state.first_degree[node] = digest
    return digest


def _hash_related(state: _State, related: str, quad: Quad, issuer: _Issuer, position: str) -> str:
    ident = state.canonical.issued.get(related) or issuer.issued.get(related)
    if ident is None:
        ident = _hash_first_degree(state, related)
    text = position + ("" if position == "g" else quad[1]) + ident
    return _sha256(text)


def _hash_n_degree(state: _State, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
    state.deep_calls += 1
    if state.deep_calls > state.max_deep_calls:
        raise CanonicalizationLimit(
            "The document's blank nodes are too entangled to canonicalize within limits."
        )
    groups: dict[str, list[str]] = {}
    for quad in state.blank_quads[node]:
        for position, term in (("s", quad[0]), ("o", quad[2]), ("g", quad[3])):
            if term.startswith("_:") and term != node:
                h = _hash_related(state, term, quad, issuer, position)
                groups.setdefault(h, []).append(term)
    data = []
    for related_hash in sorted(groups):
        data.append(related_hash)
        chosen_path = ""
        chosen_issuer: _Issuer | None = None
        for permutation in _distinct_permutations(groups[related_hash]):
            # Permutations are work too: m copies of one related node give m! of them.
            state.deep_calls += 1
            if state.deep_calls > state.max_deep_calls:
                raise CanonicalizationLimit(
                    "The document's blank nodes are too entangled to canonicalize within limits."
                )
            issuer_copy = issuer.copy()
            path = ""
            recursion: list[str] = []
            skip = False
            for related in permutation:
                canonical = state.canonical.issued.get(related)
                if canonical is not None:
                    path += canonical
                else:
                    if related not in issuer_copy.issued:
                        recursion.append(related)
                    path += issuer_copy.issue(related)
                if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                    skip = True
                    break
            if skip:
                continue
            for related in recursion:
                result_hash, result_issuer = _hash_n_degree(state, related, issuer_copy)
                path += issuer_copy.issue(related) + "<" + result_hash + ">"
                issuer_copy = result_issuer
                if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                    skip = True
                    break
            if skip:
                continue
            if not chosen_path or path < chosen_path:
                chosen_path = path
                chosen_issuer = issuer_copy
        data.append(chosen_path)
        assert chosen_issuer is not None
        issuer = chosen_issuer
    return _sha256("".join(data)), issuer


def _distinct_permutations(items: list[str]) -> Iterator[tuple[str, ...]]:
    """Each distinct ordering once (lexicographic next-permutation). A node related
    through m quads appears m times in its group; its m! identical orderings give the
    same path, so walking them once gives the same result as the spec's loop."""
    current = sorted(items)
    n = len(current)
    while True:
        yield tuple(current)
        i = n - 2
        while i >= 0 and current[i] >= current[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while current[j] <= current[i]:
            j -= 1
        current[i], current[j] = current[j], current[i]
        current[i + 1 :] = reversed(current[i + 1 :])


def canonical_labels(
    quads: Sequence[Quad], *, max_deep_calls: int = DEFAULT_MAX_DEEP_CALLS
) -> dict[str, str]:
    """Map every blank node label in ``quads`` to its canonical ``_:c14nN`` label."""
    state = _State(max_deep_calls=max_deep_calls)
    for quad in quads:
        for term in (quad[0], quad[2], quad[3]):
            if term.startswith("_:"):
                bucket = state.blank_quads.setdefault(term, [])
                if not bucket or bucket[-1] is not quad:
                    bucket.append(quad)
    by_hash: dict[str, list[str]] = {}
    for node in state.blank_quads:
        by_hash.setdefault(_hash_first_degree(state, node), []).append(node)
    shared: list[str] = []
    for h in sorted(by_hash):
        nodes = by_hash[h]
        if len(nodes) == 1:
            state.canonical.issue(nodes[0])
        else:
            shared.append(h)
    for h in shared:
        results = []
        for node in by_hash[h]:
            if node in state.canonical.issued:
                continue
            temp = _Issuer("b")
            temp.issue(node)
            results.append(_hash_n_degree(state, node, temp))
        for _hash, issuer in sorted(results, key=lambda r: r[0]):
            for existing in issuer.issued:
                state.canonical.issue(existing)
    return state.canonical.issued


def canonical_lines(
    quads: Iterable[Quad], *, max_deep_calls: int = DEFAULT_MAX_DEEP_CALLS
) -> list[str]:
    """The canonical N-Quads lines (each ending in newline), sorted, without duplicates."""
    unique = list(dict.fromkeys(quads))
    labels = canonical_labels(unique, max_deep_calls=max_deep_calls)
    lines = set()
    for s, p, o, g in unique:
        if s.startswith("_:"):
            s = labels[s]
        if o.startswith("_:"):
            o = labels[o]
        if g.startswith("_:"):
            g = labels[g]
        lines.add(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    return sorted(lines)


def canonicalize(quads: Iterable[Quad], *, max_deep_calls: int = DEFAULT_MAX_DEEP_CALLS) -> str:
    """The canonical N-Quads document of a dataset."""
    return "".join(canonical_lines(quads, max_deep_calls=max_deep_calls))
