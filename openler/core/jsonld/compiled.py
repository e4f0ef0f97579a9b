"""RDFC-1.0 for a known template, compiled to string formats.

A template's quads are fixed except for substituted values, so everything RDFC-1.0
computes from the *structure* can be prepared once: for each blank node the formats of
its first-degree lines (with ``_:a`` / ``_:z``), and the formats of the final lines
(with the canonical labels as arguments). What remains per document is filling in
values, one SHA-256 per blank node, and a sort.

The shortcut is taken only when it provably equals the full algorithm:

* every blank node gets a distinct first-degree hash (otherwise the N-degree algorithm
  decides the labels), and
* no two quads coincide after substitution (the dataset is a set: duplicates would be
  counted twice in a hash). Only quads of the same coarse form can coincide, so only
  those groups are compared.

Otherwise :meth:`CompiledTemplate.canonical` returns None and the caller runs the full
algorithm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from openler.core.jsonld.rdfc import escape_literal

__all__ = ["CompiledTemplate", "TemplateTerm", "compile_template"]

# A template term: a constant serialized term, or (kind, slot, prefix, suffix) where
# kind 0 = literal (value escaped), 1 = IRI (value verbatim).
TemplateTerm = str | tuple[int, int, str, str]


def _brace(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _line(terms: Sequence[str]) -> str:
    s, p, o, g = terms
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    literal_slots: tuple[int, ...]
    first_degree: tuple[tuple[str, ...], ...]  # per blank node
    final: tuple[str, ...]
    collision_groups: tuple[tuple[str, ...], ...]
    n_slots: int

    def canonical(self, values: Sequence[str]) -> str | None:
        filled = list(values)
        for i in self.literal_slots:
            filled[i] = escape_literal(filled[i])
        for group in self.collision_groups:
            seen = {fmt.format(*filled) for fmt in group}
            if len(seen) != len(group):
                return None
        hashes = []
        for formats in self.first_degree:
            lines = sorted(fmt.format(*filled) for fmt in formats)
            hashes.append(hashlib.sha256("".join(lines).encode("utf-8")).hexdigest())
        if len(set(hashes)) != len(hashes):
            return None
        labels = [""] * len(hashes)
        for rank, index in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
            labels[index] = f"_:c14n{rank}"
        args = filled + labels
        return "".join(sorted(fmt.format(*args) for fmt in self.final))


def compile_template(
    quads: Sequence[tuple[TemplateTerm, TemplateTerm, TemplateTerm, TemplateTerm]],
    n_slots: int,
) -> CompiledTemplate:
    blank_nodes: list[str] = []
    for quad in quads:
        for term in (quad[0], quad[2], quad[3]):
            if isinstance(term, str) and term.startswith("_:") and term not in blank_nodes:
                blank_nodes.append(term)
    index = {b: i for i, b in enumerate(blank_nodes)}
    literal_slots: set[int] = set()

    def piece(term: TemplateTerm, bnode_as: dict[str, str] | None) -> str:
        if isinstance(term, str):
            if term.startswith("_:"):
                return (
                    bnode_as[term]
                    if bnode_as is not None
                    else ("{" + str(n_slots + index[term]) + "}")
                )
            return _brace(term)
        kind, slot, prefix, suffix = term
        if kind == 1:
            return "<{" + str(slot) + "}>"
        literal_slots.add(slot)
        return _brace(prefix) + "{" + str(slot) + "}" + _brace(suffix)

    first_degree: list[list[str]] = [[] for _ in blank_nodes]
    for quad in quads:
        mentioned = {t for t in (quad[0], quad[2], quad[3]) if isinstance(t, str) and t in index}
        for b in mentioned:
            names = {other: ("_:a" if other == b else "_:z") for other in blank_nodes}
            first_degree[index[b]].append(_line([piece(t, names) for t in quad]))
    final = [_line([piece(t, None) for t in quad]) for quad in quads]
    # Quads that could coincide after substitution share a coarse form.
    groups: dict[tuple[str, ...], list[str]] = {}
    identity = {b: _brace(b) for b in blank_nodes}
    for quad in quads:
        key = (
            _coarse(quad[0]),
            quad[1] if isinstance(quad[1], str) else "I",
            _coarse(quad[2]),
            _coarse(quad[3]),
        )
        groups.setdefault(key, []).append(_line([piece(t, identity) for t in quad]))
    return CompiledTemplate(
        literal_slots=tuple(sorted(literal_slots)),
        first_degree=tuple(tuple(f) for f in first_degree),
        final=tuple(final),
        collision_groups=tuple(tuple(g) for g in groups.values() if len(g) > 1),
        n_slots=n_slots,
    )


def _coarse(term: TemplateTerm) -> str:
    if isinstance(term, str):
        if term.startswith("_:") or term == "":
            return term
        if term.startswith("<"):
            return "I"
        return "L" + term[term.rfind('"') + 1 :]
    kind, _slot, _prefix, suffix = term
    return "I" if kind == 1 else "L" + suffix[1:]
