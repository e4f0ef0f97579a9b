"""The fast JSON-LD converter (openler.core.jsonld.fast) against the full pyld path.

Whenever the fast converter does not signal ``Unsupported``, the RDFC-1.0 canonical form of
its quads must equal that of the pyld path's, and the pyld path must report no dropped term
and no invalid IRI (the fast converter never reports any). Corpus: every JSON-LD document
under tests/vectors, every input of the cross-implementation cases, the bench sample shapes,
hand-written edge cases, and thousands of mutated credentials (the mutators of
test_template_differential).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.sample import realistic_credential
from openler.core.errors import CanonicalizationLimit
from openler.core.jsonld import expand as expand_module
from openler.core.jsonld import fast
from openler.core.jsonld.expand import to_quads
from openler.core.jsonld.fast import Unsupported, to_quads_fast
from openler.core.jsonld.loader import BundledLoader, default_loader
from openler.core.jsonld.rdfc import canonicalize
from tests.unit.jsonld.test_template_differential import (
    BASES,
    INLINE_CONTEXTS,
    VC2,
    _containers,
    _deadline,
    _mutate_structure,
    _mutate_values,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
V1 = "https://www.w3.org/2018/credentials/v1"
LOADER = default_loader()


def _vector_documents() -> list[tuple[str, Any]]:
    docs: list[tuple[str, Any]] = []
    for path in sorted(VECTORS.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "@context" in doc:
            docs.append((str(path.relative_to(VECTORS)), doc))
    cases = json.loads((VECTORS / "crossimpl" / "cases.json").read_text(encoding="utf-8"))
    docs += [(f"crossimpl/{case['name']}", case["input"]) for case in cases]
    return docs


VECTOR_DOCS = _vector_documents()


def _canonical(quads: Any) -> str:
    try:
        return canonicalize(quads)
    except UnicodeEncodeError:  # lone surrogates: both paths alike
        return "UnicodeEncodeError"


class Checker:
    def __init__(self) -> None:
        self.fast = self.unsupported = self.skipped = 0

    def check(self, doc: Any, loader: BundledLoader = LOADER) -> bool:
        """True when the fast converter handled ``doc`` (and agreed with pyld)."""
        snapshot = copy.deepcopy(doc)
        try:
            quads = to_quads_fast(doc, loader)
        except Unsupported:
            self.unsupported += 1
            return False
        assert doc == snapshot, "the fast converter mutated its input"
        try:
            with _deadline(3.0):
                full = to_quads(doc, loader, fast=False)
                expected = _canonical(full.quads)
                got = _canonical(quads)
        except (TimeoutError, CanonicalizationLimit):  # a poison graph: not this file's subject
            self.skipped += 1
            return True
        assert full.dropped_terms == (), (full.dropped_terms, ascii(json.dumps(doc))[:2000])
        assert full.invalid_iris == (), (full.invalid_iris, ascii(json.dumps(doc))[:2000])
        if got != expected:
            a, b = set(got.splitlines()), set(expected.splitlines())
            raise AssertionError(
                f"fast != pyld\ndocument: {ascii(json.dumps(doc))[:3000]}\n"
                f"only fast: {ascii(sorted(a - b))[:2000]}\n"
                f"only pyld: {ascii(sorted(b - a))[:2000]}"
            )
        self.fast += 1
        return True


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


def test_absolute_iri_pattern_is_expands() -> None:
    assert fast._ABSOLUTE_IRI.pattern == expand_module._ABSOLUTE_IRI.pattern


def test_vector_corpus(checker: Checker) -> None:
    handled = [name for name, doc in VECTOR_DOCS if checker.check(doc)]
    # Coverage (see the report in the module docstring of fast.py): nearly all go fast.
    assert len(handled) >= 215, (len(handled), len(VECTOR_DOCS))
    spec = [name for name, _ in VECTOR_DOCS if name.startswith("examples/ob3-spec/")]
    assert spec
    assert set(spec) <= set(handled), sorted(set(spec) - set(handled))
    for name in (
        "vectors/1edtech-ob3-impl/obv3p0/unsigned.json",
        "vectors/1edtech-ob3-impl/clrv2p0/unsigned.json",
        "examples/1edtech-validator/ob30/complete.json",
        "examples/1edtech-validator/clr20/simple.json",
    ):
        assert name in handled, name


def test_bench_shapes_go_fast(checker: Checker) -> None:
    for n in range(12):
        assert checker.check(realistic_credential(n, alignments=n % 6)), n


def _shapes_of(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Hand-written variations around a credential: the JSON-LD the subset must get right."""
    subject = doc["credentialSubject"]
    ach = subject.get("achievement", {})
    for rd in ach.get("resultDescription", [])[:1]:  # allowedValue: an @list container
        for av in (
            [],
            "A",
            ["A"],
            [{"id": "https://e.example/x"}, "B"],
            [1, True, "A", "A"],
            [["A"]],
            [{}],
        ):
            new_ach = {**ach, "resultDescription": [{**rd, "allowedValue": av}]}
            yield {**doc, "credentialSubject": {**subject, "achievement": new_ach}}
    for value in (0, -1, 7, 1.0, -0.0, 1.5, 2.5e-7, 1e20, 1e21, 1e300, 10**20, True, False):
        yield {**doc, "credentialSubject": {**subject, "score": value}}
        yield {**doc, "credentialSubject": {**subject, "achievement": {**ach, "name": value}}}
    yield {**doc, "id": "_:b0", "issuer": {**doc["issuer"], "id": "_:b0"}}
    yield {**doc, "credentialSubject": {**subject, "id": "_:x"}, "evidence": [{"id": "_:x"}]}
    yield {**doc, "evidence": [{}, {}, {"type": ["Evidence"]}]}
    yield {**doc, "evidence": [[{"id": "https://e.example/1"}], [[]]]}
    yield {**doc, "name": [], "description": ["a", ["b", "c"]]}
    yield {**doc, "undefinedTerm": "x", "ex:undefined": {"id": "https://e.example/u"}}
    yield {**doc, "@type": ["VerifiableCredential"]}
    yield {**doc, "@id": doc["id"]}
    yield {**doc, "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}}
    yield {**doc, "proof": [{"type": "DataIntegrityProof"}, {"type": "DataIntegrityProof"}]}
    yield {**doc, "proof": "https://e.example/proof"}
    yield {**doc, "issuer": "did:example:issuer"}
    yield {**doc, "issuer": {"id": "xsd:urn:x"}}
    yield {**doc, "type": "OpenBadgeCredential"}
    yield {**doc, "name": {"@value": "x", "@language": "en"}}
    yield {**doc, "validFrom": 2020}
    yield {
        "@context": [VC2],
        "type": "VerifiablePresentation",
        "holder": "did:example:holder",
        "verifiableCredential": [doc, doc, {**doc, "@context": [VC2, OB3]}],
    }


def test_handwritten_edge_cases(checker: Checker) -> None:
    bases = [realistic_credential(3)] + [
        doc
        for name, doc in VECTOR_DOCS
        if name.startswith("examples/ob3-spec/basic") or name.endswith("obv3p0/unsigned.json")
    ]
    went_fast = 0
    for base in bases:
        for doc in _shapes_of(base):
            went_fast += checker.check(doc)
    assert went_fast >= 60


def test_value_mutations(checker: Checker) -> None:
    rng = random.Random(2718)
    handled = total = 0
    for _name, base, count in BASES:
        for _ in range(count):
            handled += checker.check(_mutate_values(rng, base))
            total += 1
    assert total >= 3000
    assert handled / total > 0.5, (handled, total)


def test_structural_mutations(checker: Checker) -> None:
    rng = random.Random(1618)
    handled = total = 0
    for _name, base, count in BASES:
        variant = base
        for i in range(max(count // 2, 60)):
            if i % 3 == 0:
                variant = _mutate_structure(rng, variant if rng.random() < 0.7 else base)
                doc = variant
            else:
                doc = _mutate_values(rng, variant)
            handled += checker.check(doc)
            total += 1
    assert total >= 1500
    assert handled > 0


def test_inline_and_nested_contexts(checker: Checker) -> None:
    rng = random.Random(7)
    for _name, base, _count in BASES[:6]:
        for inline in INLINE_CONTEXTS:
            doc = copy.deepcopy(base)
            ctx = doc["@context"]
            doc["@context"] = [*(ctx if isinstance(ctx, list) else [ctx]), inline]
            assert not checker.check(doc)  # object contexts: always the pyld path
        for nested_ctx in ([VC2, OB3], VC2, OB3, [V1], [VC2, "https://e.example/unknown"]):
            nested = _mutate_values(rng, base)
            for _path, node in _containers(nested):
                if isinstance(node, dict) and node is not nested and rng.random() < 0.5:
                    node["@context"] = nested_ctx
            checker.check(nested)


def test_switches_select_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = realistic_credential(5)
    calls: list[int] = []
    real = expand_module.to_quads_fast

    def spy(document: Any, loader: BundledLoader) -> Any:
        calls.append(1)
        return real(document, loader)

    monkeypatch.setattr(expand_module, "to_quads_fast", spy)
    fast_result = to_quads(doc)
    assert calls == [1]
    monkeypatch.setattr(expand_module, "USE_FAST", False)
    slow_result = to_quads(doc)
    assert calls == [1]
    assert to_quads(doc, fast=True).quads == fast_result.quads
    assert calls == [1, 1]
    assert canonicalize(fast_result.quads) == canonicalize(slow_result.quads)


def test_unsupported_falls_back_with_pyld_reports() -> None:
    doc = {"@context": [V1], "type": ["VerifiableCredential"], "fooBar": "x", "id": "rel"}
    with pytest.raises(Unsupported):
        to_quads_fast(doc, LOADER)
    result = to_quads(doc)
    assert result.dropped_terms == ("fooBar",)


def test_processed_contexts_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "_MAX_CONTEXTS", 8)
    loader = BundledLoader()
    checker = Checker()
    for n in range(30):
        assert checker.check(realistic_credential(n, alignments=n % 4), loader)
        conv = fast._converter(loader)
        assert len(conv._cache) <= 8
        assert len(conv._wrapped) <= 8


def test_coverage_summary(checker: Checker) -> None:
    # Runs last in this module: the corpus as a whole, fast vs Unsupported.
    print("fast-equivalence corpus:", vars(checker))
    assert checker.fast + checker.skipped > 3500, vars(checker)
    assert checker.fast > checker.unsupported, vars(checker)
