"""µs per ``to_quads`` call on realistic credentials, before and after the shared context cache.

    .venv/bin/python bench/expand_unseen.py [--docs N] [--runs R]

Every call gets a credential it has not seen (``realistic_credential(n)`` for a new ``n``).

* before: what ``to_quads`` did without ``openler.core.jsonld.resolver``: pyld's default, a
  fresh ``ContextResolver`` per call over pyld's module-wide resolved-context cache;
* after: the per-operation resolver backed by the loader's shared ``ContextCache``.

The two are measured in alternating runs (the median of ``R`` runs of ``N`` calls each is
printed), after a warm-up of both, so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyld import __about__, jsonld  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

from bench.sample import realistic_credential
from openler.core.jsonld import expand, resolver
from openler.core.jsonld.loader import BundledLoader, default_loader
from openler.core.jsonld.resolver import operation_resolver


def _pyld_default(loader: BundledLoader) -> Any:
    # Exactly what ``options.setdefault('contextResolver', ...)`` builds inside pyld.
    return ContextResolver(jsonld._resolved_context_cache, loader.pyld_loader)


def _run(factory: Callable[[BundledLoader], Any], first: int, count: int) -> float:
    expand.operation_resolver = factory  # type: ignore[assignment]
    # "before" also had pyld's real uuid1() (openler.core.jsonld.resolver swaps it on import).
    jsonld.uuid = uuid if factory is _pyld_default else resolver._PyldUuid
    docs = [realistic_credential(n) for n in range(first, first + count)]
    start = time.perf_counter()
    for doc in docs:
        expand.to_quads(doc)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="calls per run")
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant")
    args = parser.parse_args()

    loader = default_loader()
    # Warm-up: pyld's own caches for "before", the shared ContextCache for "after".
    _run(_pyld_default, 10_000_000, 50)
    _run(operation_resolver, 20_000_000, 50)

    before: list[float] = []
    after: list[float] = []
    next_n = 0
    for _ in range(args.runs):
        before.append(_run(_pyld_default, next_n, args.docs))
        next_n += args.docs
        after.append(_run(operation_resolver, next_n, args.docs))
        next_n += args.docs
    expand.operation_resolver = operation_resolver
    jsonld.uuid = resolver._PyldUuid

    b, a = statistics.median(before), statistics.median(after)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"python {sys.version.split()[0]}, pyld {__about__.__version__}, {type(loader).__name__}")
    print(f"before (fresh ContextResolver per call): {b:8.1f} µs/op  runs={before!r}")
    print(f"after  (shared ContextCache):            {a:8.1f} µs/op  runs={after!r}")
    print(f"speed-up: {b / a:.2f}x")


if __name__ == "__main__":
    main()
