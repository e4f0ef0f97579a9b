"""Signs/s and verifies/s per core for each proof suite, against the raw Ed25519 floor
and a straightforward pyld pipeline, on a realistic Open Badges 3.0 credential.

    .venv/bin/python bench/core_suites.py [--seconds 2] [--runs 5] [--write]

Seen shape: a stream of credentials of one shape (bulk issuance; a verifier facing one
issuer's badges). Unseen shape: every credential has a shape never seen before (an extra
array whose length changes), so no template can help. Each figure is the median of
``--runs`` runs of ``--seconds`` each, in one process (one core). ``--write`` replaces the
generated section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric import ed25519
from pyld import jsonld

from bench.sample import realistic_credential
from openler.core import KeyPair, issue_jwt, sign, verify_credential
from openler.core.jsonld.loader import default_loader
from openler.core.jsonld.template import ExpansionCache
from openler.core.keys.multibase import b58encode
from openler.core.proofs import SUITES, ProofOptions
from openler.core.verification import VerifyPolicy

NOW = datetime(2026, 7, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(32)))
SIGNER = KEY.signer()
ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench/core_suites.py: begin -->", "<!-- bench/core_suites.py: end -->"


def credential(n: int, *, unseen: bool = False) -> dict[str, Any]:
    doc = realistic_credential(n)
    doc["issuer"]["id"] = KEY.controller
    if unseen:
        # The same content with its keys in another order: a shape no template has seen
        # (key order is part of the shape), at the same size as the seen-shape credential.
        doc = _shuffled(doc, random.Random(n))
    return doc


def _shuffled(node: Any, rng: random.Random) -> Any:
    if isinstance(node, dict):
        items = list(node.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(node, list):
        return [_shuffled(v, rng) for v in node]
    return node


def rate(op: Callable[[int], object], seconds: float, runs: int) -> float:
    results = []
    counter = 0
    for _ in range(runs):
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            op(counter)
            counter += 1
            done += 1
        results.append(done / (time.perf_counter() - start))
    return statistics.median(results)


def _plain_loader(url: str, options: Any = None) -> dict[str, Any]:
    # What a straightforward integration writes: no 'static' tag, so pyld re-resolves.
    return {"contextUrl": None, "documentUrl": url, "document": dict(default_loader()(url))}


def straightforward_sign(doc: dict[str, Any]) -> str:
    proof = {
        "@context": doc["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-07-01T00:00:00Z",
        "verificationMethod": KEY.key_id,
        "proofPurpose": "assertionMethod",
    }
    opts = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": _plain_loader,
    }
    data = (
        hashlib.sha256(jsonld.normalize(proof, opts).encode()).digest()
        + hashlib.sha256(jsonld.normalize(doc, opts).encode()).digest()
    )
    return "z" + b58encode(KEY.sign(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    sec, runs = args.seconds, args.runs
    rows: list[tuple[str, str, float]] = []

    raw = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pub = raw.public_key()
    msg = bytes(64)
    sig = raw.sign(msg)
    rows.append(
        (
            "raw Ed25519 (cryptography), 64-byte message",
            "sign",
            rate(lambda i: raw.sign(msg), sec, runs),
        )
    )
    rows.append(
        (
            "raw Ed25519 (cryptography), 64-byte message",
            "verify",
            rate(lambda i: pub.verify(sig, msg), sec, runs),
        )
    )
    rows.append(
        (
            "straightforward pyld pipeline (eddsa-rdfc-2022)",
            "sign",
            rate(lambda i: straightforward_sign(credential(i, unseen=True)), sec, runs),
        )
    )

    pool = [credential(i) for i in range(2000)]
    for name in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"):
        suite = SUITES[name]
        signed = [sign(d, SIGNER, suites=[name], created=NOW) for d in pool]
        unsecured = [{k: v for k, v in d.items() if k != "proof"} for d in signed]
        cache = ExpansionCache()
        opts = ProofOptions(created=NOW)
        label = f"{name}, seen shape"
        rows.append(
            (
                label,
                "sign()",
                rate(
                    lambda i, n=name, c=cache: sign(
                        pool[i % 2000], SIGNER, suites=[n], created=NOW, cache=c
                    ),
                    sec,
                    runs,
                ),
            )
        )
        rows.append(
            (
                label,
                "verify proof",
                rate(
                    lambda i, s=suite, u=unsecured, d=signed, c=cache: s.verify_proof(
                        u[i % 2000], d[i % 2000]["proof"], KEY.public_key, cache=c
                    ),
                    sec,
                    runs,
                ),
            )
        )
        if name != "eddsa-jcs-2022":
            label = f"{name}, unseen shape"
            unseen_cache = ExpansionCache()
            rows.append(
                (
                    label,
                    "sign()",
                    rate(
                        lambda i, n=name, c=unseen_cache: sign(
                            credential(i, unseen=True),
                            SIGNER,
                            suites=[n],
                            created=NOW,
                            cache=c,
                        ),
                        sec,
                        runs,
                    ),
                )
            )
        _ = opts

    token_pool = [issue_jwt(d, SIGNER, issued_at=NOW) for d in pool[:200]]
    rows.append(
        (
            "vc-jwt (EdDSA)",
            "issue_jwt()",
            rate(
                lambda i: issue_jwt(pool[i % 2000], SIGNER, issued_at=NOW, validate_schema=False),
                sec,
                runs,
            ),
        )
    )
    policy = VerifyPolicy().with_skip(["status"])
    rows.append(
        (
            "vc-jwt (EdDSA)",
            "verify_credential()",
            rate(
                lambda i: verify_credential(token_pool[i % 200], now=NOW, policy=policy), sec, runs
            ),
        )
    )
    signed = [sign(d, SIGNER, created=NOW) for d in pool]
    rows.append(
        (
            "eddsa-rdfc-2022, seen shape",
            "verify_credential() (all checks)",
            rate(lambda i: verify_credential(signed[i % 2000], now=NOW, policy=policy), sec, runs),
        )
    )

    report = render(rows, sec, runs)
    print(report)
    if args.write:
        path = ROOT / "docs" / "performance.md"
        text = path.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{report}\n{END}"
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        text = pattern.sub(lambda _m: block, text) if BEGIN in text else text + "\n" + block
        path.write_text(text, encoding="utf-8")
        print(f"updated {path.relative_to(ROOT)}")


def render(rows: list[tuple[str, str, float]], sec: float, runs: int) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, "
        f"Python {platform.python_version()}, one process (one core); median of {runs} "
        f"runs of {sec:g} s.",
        f"Command: `.venv/bin/python bench/core_suites.py --seconds {sec:g} --runs {runs}`",
        "",
        "| what | operation | per second |",
        "|---|---|---:|",
    ]
    lines += [f"| {what} | {op} | {value:,.0f} |" for what, op, value in rows]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory of the benchmark process: {peak:,.0f} MiB."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
