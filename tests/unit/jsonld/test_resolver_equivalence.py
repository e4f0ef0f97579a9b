"""openler.core.jsonld.resolver gives exactly what plain pyld gives.

The reference is the pipeline of ``to_quads`` with a *fresh* pyld ``ContextResolver`` (over a
fresh ``LRUCache(100)``) per call: nothing shared between documents. The resolver under test
shares processed contexts between documents, so every document is checked after many others
have filled the shared cache (and again when it is seen a second time): same quads, same
dropped terms, same invalid IRIs, or the same error.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import threading
import warnings
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

from bench.sample import realistic_credential
from openler.core.jsonld import expand as expand_module
from openler.core.jsonld.expand import to_quads
from openler.core.jsonld.loader import BundledLoader
from openler.core.jsonld.resolver import context_cache
from tests.conftest import STANDARDS

V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_300 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
EXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

Outcome = tuple[Any, ...]


@pytest.fixture(scope="module", autouse=True)
def _pyld_path_only() -> Iterator[None]:
    """This suite is about the pyld path's shared context cache: keep the fast converter
    (tested in test_fast_equivalence) out of it."""
    previous = expand_module.USE_FAST
    expand_module.USE_FAST = False
    yield
    expand_module.USE_FAST = previous


def _call(document: Any, loader: BundledLoader) -> Outcome:
    try:
        result = to_quads(document, loader)
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", result.quads, result.dropped_terms, result.invalid_iris)


def _outcome(document: Any, loader: BundledLoader, *, record: bool = True) -> Outcome:
    """The result or error of ``to_quads``, and (``record``) the warnings it emitted."""
    if not record:  # warnings as this suite configures them: errors
        return _call(document, loader)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _call(document, loader)
    return (*outcome, [(w.category.__name__, str(w.message)) for w in caught])


def reference(document: Any, loader: BundledLoader, *, record: bool = True) -> Outcome:
    """``to_quads`` with a fresh pyld ContextResolver per call (pyld's own behaviour)."""

    def fresh(ld: BundledLoader) -> ContextResolver:
        return ContextResolver(LRUCache(maxsize=100), ld.pyld_loader)

    with mock.patch.object(expand_module, "operation_resolver", fresh):
        return _outcome(document, loader, record=record)


# -- the corpus ------------------------------------------------------------------------------


def _standards_documents() -> Iterator[tuple[str, Any]]:
    for path in sorted(STANDARDS.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and "@context" in doc:
            yield str(path.relative_to(STANDARDS)), doc


def _variants(rng: random.Random, count: int) -> Iterator[tuple[str, Any]]:
    endorsement = json.loads((STANDARDS / "examples/ob3-spec/endorsement.json").read_text())
    inline_contexts: list[Any] = [
        {"ex": "https://example.org/ns#", "favourite": "ex:favourite"},
        {"@vocab": "https://example.org/vocab#"},
        {"ex": "https://example.org/ns#", "LocalThing": {"@id": "ex:LocalThing"}},
        {
            "ex": "https://example.org/ns#",
            "Scoped": {"@id": "ex:Scoped", "@context": {"inner": "ex:inner"}},
            "holder": {"@id": "ex:holder", "@context": {"deep": "ex:deep"}},
        },
        {"@base": "https://base.example/", "ex": "https://example.org/ns#"},
        {"@language": "en", "ex": "https://example.org/ns#", "motto": "ex:motto"},
    ]
    for n in range(count):
        doc = realistic_credential(n, alignments=rng.randrange(0, 5))
        cs = doc["credentialSubject"]
        achievement = cs["achievement"]
        roll = rng.random
        if roll() < 0.25:
            doc["type"] = ["VerifiableCredential", rng.choice(["AchievementCredential", "X"])]
        if roll() < 0.2:
            cs["type"] = [rng.choice(["AchievementSubject", "EndorsementSubject", "Profile"])]
        if roll() < 0.2:
            achievement["type"] = ["Achievement", "UnknownAchievementType"]
        if roll() < 0.25:
            doc["undefinedTerm"] = {"type": "Mystery", "value": n}
            achievement["notInTheContext"] = "x"
        if roll() < 0.2:
            achievement["id"] = f"relative/achievement/{n}"  # pyld makes it absolute
            cs["result"][0]["resultDescription"] = "../rd"
        if roll() < 0.15:
            doc["@context"] = [*doc["@context"], {"@base": None}]  # now it stays relative
            achievement["id"] = f"relative/achievement/{n}"
        if roll() < 0.1:
            cs["id"] = f"urn:with space {n}"
        if roll() < 0.2:
            doc["@context"] = [*doc["@context"], EXT]
            doc["credentialSchema"] = [
                {"id": "https://example.org/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
            ]
        if roll() < 0.15:
            doc["endorsement"] = [{k: v for k, v in endorsement.items() if k != "@context"}]
        if roll() < 0.15:
            del doc["credentialStatus"]
        if roll() < 0.1:
            doc["@context"] = [V2, rng.choice([OB_300, CLR, OB])]
        if roll() < 0.3:
            inline = copy.deepcopy(rng.choice(inline_contexts))
            if roll() < 0.5:  # a context of this document alone
                inline[f"t{n}"] = f"https://example.org/t{n}"
            doc["@context"] = [*doc["@context"], inline]
            doc["favourite"] = "blue"
            doc["motto"] = "onwards"
            doc["holder"] = {"type": "Scoped", "inner": 1, "deep": "d", "id": "local:1"}
            cs["type"] = [*cs["type"], "LocalThing"]
        if roll() < 0.1:
            cs["@context"] = {"note": "https://example.org/note"}
            cs["note"] = "embedded"
        yield f"variant-{n}", doc


def _v1_documents(count: int) -> Iterator[tuple[str, Any]]:
    for n in range(count):
        yield (
            f"v1-{n}",
            {
                "@context": [V1, OB]
                if n % 2
                else [V1, "https://w3id.org/security/suites/ed25519-2020/v1"],
                "id": f"urn:uuid:{n:08d}-0000-4000-8000-000000000000",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:example:issuer", "type": "Profile", "name": "Issuer"},
                "issuanceDate": "2024-01-01T00:00:00Z",
                "credentialSubject": {
                    "id": f"did:example:{n}",
                    "type": "AchievementSubject",
                    "achievement": {"id": "urn:a", "type": "Achievement", "name": "A"},
                },
            },
        )


def _edge_documents() -> Iterator[tuple[str, Any]]:
    scoped = {
        "ex": "https://example.org/ns#",
        "Thing": {"@id": "ex:Thing", "@context": {"name": "ex:name"}},
        "aprop": {"@id": "ex:aprop", "@context": {"name": "ex:name"}},
    }
    base = {"id": "urn:x", "type": ["VerifiableCredential"], "issuer": "did:example:i"}
    # A protected term redefined: allowed in a property-scoped context (override_protected),
    # an error in a type-scoped or embedded one. pyld's per-document caches ignore that flag
    # (keys sort: "aprop" is expanded before "credentialSubject").
    embedded = {"@context": {"name": "ex:name"}, "name": "q"}
    ctx = [V2, scoped]
    yield "protected-property", {**base, "@context": ctx, "aprop": {"name": "p"}}
    yield "protected-type", {**base, "@context": ctx, "credentialSubject": {"type": "Thing"}}
    yield "protected-both", {**base, "@context": ctx, "aprop": {"type": "Thing", "name": "p"}}
    yield (
        "protected-embedded",
        {**base, "@context": ctx, "aprop": {"name": "p"}, "credentialSubject": embedded},
    )
    yield "protected-embedded-only", {**base, "@context": ctx, "credentialSubject": embedded}
    # Contexts that are equal in content but distinct objects in pyld stay distinct: the
    # second U node gets its own active context, against which the embedded context fails.
    typed = {
        "ex": "https://example.org/ns#",
        "T": {
            "@id": "ex:T",
            "@context": {"tOnly": "ex:tOnly", "idx": {"@id": "ex:idx", "@container": "@index"}},
        },
        "U": {
            "@id": "ex:U",
            "@context": {
                "uOnly": "ex:uOnly",
                "aprop": {"@id": "ex:aprop", "@context": {"name": "ex:name"}},
                "idx": {"@id": "ex:idx", "@container": "@index"},
            },
        },
    }
    yield (
        "type-u",
        {**base, "@context": [V2, typed], "credentialSubject": {"type": "U", "uOnly": 1}},
    )
    yield (
        "type-u-twice",
        {
            **base,
            "@context": [V2, typed],
            "credentialSubject": [
                {"type": "U", "aprop": {"name": "v"}},
                {"type": "U", "idx": {"k": {"@context": {"name": "ex:name"}, "name": "q"}}},
            ],
        },
    )
    # An empty local context inside an index map clones a type-scoped context, keeping its
    # previous context: it must not pass for a clone of that previous context.
    yield (
        "empty-context-in-index",
        {
            **base,
            "@context": [V2, typed],
            "credentialSubject": {
                "type": "T",
                "idx": {"k": {"@context": [], "type": "U", "uOnly": 1, "tOnly": 2}},
            },
        },
    )
    # pyld warns about keyword-like terms (an error under this suite's filterwarnings):
    # every document must get the warning, not only the first one.
    yield "keyword-like-term", {**base, "@context": [V2, {"@future": "https://e.org/f"}]}
    yield (
        "keyword-like-scoped",
        {
            **base,
            "@context": [V2, {"S": {"@id": "https://e.org/S", "@context": {"x": {"@id": "@x"}}}}],
            "credentialSubject": {"type": "S"},
        },
    )
    yield "protected-inline", {**base, "@context": [V2, {"name": "https://example.org/name"}]}
    yield "null-reset", {**base, "@context": [V2], "credentialSubject": {"@context": None, "a": 1}}
    yield (
        "null-reset-protected",
        {**base, "@context": [V2, {"ex": "https://example.org/"}, None], "ex:a": 1},
    )
    yield (
        "propagate-false",
        {
            **base,
            "@context": [V2],
            "credentialSubject": {
                "@context": {"@propagate": False, "local": "https://example.org/local"},
                "local": {"local": "not propagated"},
            },
        },
    )
    yield (
        "import",
        {
            **base,
            "@context": [V2, {"@import": EXAMPLES_V2, "extra": "https://example.org/extra"}],
            "extra": 1,
        },
    )
    yield (
        "import-then-plain",
        {
            **base,
            "@context": [V2, EXAMPLES_V2, {"@import": EXAMPLES_V2, "e2": "https://example.org/e2"}],
            "e2": 1,
        },
    )
    yield "examples-plain", {**base, "@context": [V2, EXAMPLES_V2], "e2": 1}
    yield "unknown-context", {**base, "@context": [V2, "https://example.org/not-bundled"]}
    yield "relative-context", {**base, "@context": [V2, "relative.jsonld"]}
    yield "bad-context", {**base, "@context": [V2, 42]}
    yield "empty-array", {**base, "@context": [V2], "credentialSubject": {"@context": [], "a": 1}}
    yield "no-context", {"id": "urn:x", "https://example.org/p": "v"}
    yield (
        "type-map",
        {
            **base,
            "@context": [
                V2,
                {
                    "ex": "https://example.org/ns#",
                    "byType": {"@id": "ex:byType", "@container": "@type"},
                    "T": {"@id": "ex:T", "@context": {"q": "ex:q"}},
                },
            ],
            "byType": {"T": {"q": 1}, "ex:U": {"id": "urn:u"}},
        },
    )
    yield (
        "graph-and-nest",
        {
            **base,
            "@context": [
                V2,
                {
                    "ex": "https://example.org/ns#",
                    "g": {"@id": "ex:g", "@container": "@graph"},
                    "n": "@nest",
                    "inNest": "ex:inNest",
                },
            ],
            "g": {"id": "urn:g1", "type": "VerifiableCredential"},
            "n": {"inNest": "v", "@context": {"inNest": "ex:inNest2"}},
        },
    )


def corpus() -> list[tuple[str, Any]]:
    rng = random.Random(20260624)
    docs = [
        *_standards_documents(),
        *_variants(rng, 180),
        *_v1_documents(12),
        *_edge_documents(),
    ]
    rng.shuffle(docs)
    return docs


CORPUS = corpus()


@pytest.fixture(scope="module")
def loader() -> BundledLoader:
    return BundledLoader()


@pytest.fixture(scope="module")
def expected(loader: BundledLoader) -> dict[str, Outcome]:
    return {name: reference(doc, loader) for name, doc in CORPUS}


def test_corpus_is_varied(expected: dict[str, Outcome]) -> None:
    outcomes = list(expected.values())
    assert len(outcomes) >= 300
    assert sum(o[0] == "error" for o in outcomes) >= 8
    assert sum(o[0] == "ok" and bool(o[2]) for o in outcomes) >= 20  # dropped terms
    assert sum(o[0] == "ok" and bool(o[3]) for o in outcomes) >= 10  # invalid IRIs
    assert any("protected term" in str(o) for o in outcomes)
    assert any(o[-1] for o in outcomes)  # warnings
    assert any(o[0] == "ok" and len(o[1]) > 50 for o in outcomes)


def test_same_as_plain_pyld(loader: BundledLoader, expected: dict[str, Outcome]) -> None:
    # Every document twice: once into a cache others filled, once when it was seen itself.
    for name, doc in itertools.chain(CORPUS, reversed(CORPUS)):
        assert _outcome(doc, loader) == expected[name], name
    stats = context_cache(loader).stats()
    assert stats["processed_trusted"] > 20
    assert stats["processed_untrusted"] > 0


def test_same_as_plain_pyld_with_the_default_loader(expected: dict[str, Outcome]) -> None:
    for name, doc in CORPUS[:60]:
        if expected[name][0] == "ok" and not expected[name][-1]:
            result = to_quads(doc)
            assert (result.quads, result.dropped_terms, result.invalid_iris) == expected[name][1:4]


def test_each_document_against_a_cold_cache(expected: dict[str, Outcome]) -> None:
    for name, doc in CORPUS[::7]:
        fresh = BundledLoader()
        assert _outcome(doc, fresh) == expected[name], name
        assert _outcome(doc, fresh) == expected[name], name


def test_masking_order_does_not_leak_between_documents() -> None:
    edge = dict(_edge_documents())
    names = [
        "protected-property",
        "protected-type",
        "protected-both",
        "protected-embedded",
        "protected-embedded-only",
        "type-u",
        "type-u-twice",
        "empty-context-in-index",
        "keyword-like-term",
        "keyword-like-scoped",
    ]
    for first, second in itertools.permutations(names, 2):
        fresh = BundledLoader()
        for name in (first, second, first):
            assert _outcome(edge[name], fresh) == reference(edge[name], fresh), (first, second)


def test_import_does_not_corrupt_shared_contexts(loader: BundledLoader) -> None:
    edge = dict(_edge_documents())
    cache = context_cache(loader)
    to_quads(edge["examples-plain"], loader)
    before = json.dumps(cache.url_value(EXAMPLES_V2), sort_keys=True)
    for name in ("import", "import-then-plain", "examples-plain", "import", "examples-plain"):
        assert _outcome(edge[name], loader) == reference(edge[name], loader), name
    assert json.dumps(cache.url_value(EXAMPLES_V2), sort_keys=True) == before


def test_distinct_inline_contexts_stay_bounded(loader: BundledLoader) -> None:
    cache = context_cache(loader)
    limit = cache.stats()["max_untrusted"]
    trusted_before = cache.stats()["processed_trusted"]
    for n in range(3 * limit):
        doc = realistic_credential(n)
        doc["@context"] = [
            *doc["@context"],
            {
                f"term{n}": f"https://example.org/{n}",
                "T": {"@id": "https://example.org/T", "@context": {f"s{n}": "https://e.org/s"}},
            },
        ]
        doc[f"term{n}"] = n
        doc["credentialSubject"]["type"] = [*doc["credentialSubject"]["type"], "T"]
        doc["credentialSubject"][f"s{n}"] = "scoped"
        if n % 25 == 0:
            assert _outcome(doc, loader) == reference(doc, loader)
        else:
            to_quads(doc, loader)
        stats = cache.stats()
        assert stats["processed_untrusted"] <= limit
    stats = cache.stats()
    assert stats["processed_untrusted"] == limit
    # Untrusted documents use their own LRU: the bundled working set is not evicted.
    assert stats["processed_trusted"] >= trusted_before
    assert stats["urls"] <= len(loader.urls())


def test_threads_agree(loader: BundledLoader) -> None:
    # warnings.catch_warnings is process-wide: threads run with warnings raised as errors.
    docs = CORPUS[:80]
    expected = {name: reference(doc, loader, record=False) for name, doc in docs}
    failures: list[str] = []

    def work(seed: int) -> None:
        order = list(docs)
        random.Random(seed).shuffle(order)
        for name, doc in order:
            if _outcome(doc, loader, record=False) != expected[name]:
                failures.append(name)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
