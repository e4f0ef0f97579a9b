"""The shared caches (templates, compiled RDFC, proof options, contexts) are safe when a
web server verifies and signs from many threads at once."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from bench.sample import realistic_credential
from openler.core import KeyPair, VerifyPolicy, sign, verify_credential
from openler.core.jsonld.template import ExpansionCache

NOW = datetime(2026, 7, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(32)))
POLICY = VerifyPolicy().with_skip(["status"])


def _doc(i: int) -> dict[str, Any]:
    doc = realistic_credential(i, alignments=1 + i % 4)
    doc["issuer"]["id"] = KEY.controller
    if i % 3 == 0:  # another key order: another shape, same meaning
        items = list(doc.items())
        random.Random(i).shuffle(items)
        doc = dict(items)
    return doc


def test_concurrent_signing_and_verification_agree_with_sequential() -> None:
    docs = [_doc(i) for i in range(240)]
    sequential = [sign(d, KEY.signer(), created=NOW, cache=ExpansionCache()) for d in docs]
    shared = ExpansionCache(max_shapes=4)  # small, so eviction happens under contention

    def work(i: int) -> tuple[dict[str, Any], bool, bool]:
        signed = sign(docs[i], KEY.signer(), created=NOW, cache=shared)
        ok = verify_credential(signed, now=NOW, policy=POLICY).verified
        tampered = {**signed, "name": "changed"}
        bad = verify_credential(tampered, now=NOW, policy=POLICY).verified
        return signed, ok, bad

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(len(docs))))
    for expected, (signed, ok, bad) in zip(sequential, results, strict=True):
        assert signed == expected
        assert ok
        assert not bad
