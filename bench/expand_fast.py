"""µs per ``to_quads`` call on unseen realistic credentials: the pyld path vs the fast converter.

    .venv/bin/python bench/expand_fast.py [--docs N] [--runs R]

Every call gets a credential it has not seen (``realistic_credential(n)`` for a new ``n``).
``pyld``: ``to_quads(doc, fast=False)`` (pyld with the shared context cache); ``fast``:
``to_quads(doc, fast=True)`` (openler.core.jsonld.fast, pyld only on ``Unsupported``). Both
are measured in alternating runs after a warm-up; the median of ``R`` runs of ``N`` calls
each is printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyld import __about__  # type: ignore[import-untyped]

from bench.sample import realistic_credential
from openler.core.jsonld.expand import to_quads
from openler.core.jsonld.fast import to_quads_fast
from openler.core.jsonld.loader import default_loader


def _run(fast: bool, first: int, count: int) -> float:
    docs = [realistic_credential(n) for n in range(first, first + count)]
    start = time.perf_counter()
    for doc in docs:
        to_quads(doc, fast=fast)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="calls per run")
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant")
    args = parser.parse_args()

    to_quads_fast(realistic_credential(0), default_loader())  # raises if not handled
    _run(False, 10_000_000, 50)
    _run(True, 20_000_000, 50)
    slow: list[float] = []
    fast: list[float] = []
    next_n = 0
    for _ in range(args.runs):
        slow.append(_run(False, next_n, args.docs))
        next_n += args.docs
        fast.append(_run(True, next_n, args.docs))
        next_n += args.docs
    s, f = statistics.median(slow), statistics.median(fast)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"python {sys.version.split()[0]}, pyld {__about__.__version__}")
    print(f"pyld path (fast=False): {s:8.1f} µs/op  runs={[round(x, 1) for x in slow]}")
    print(f"fast path (fast=True):  {f:8.1f} µs/op  runs={[round(x, 1) for x in fast]}")
    print(f"speed-up: {s / f:.2f}x")


if __name__ == "__main__":
    main()
