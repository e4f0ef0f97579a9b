"""Issue and verify through the HTTP API: throughput and latency percentiles, on SQLite or
PostgreSQL, with the server in its own process and this script as the load generator.

    .venv/bin/python bench/http_api.py [--db sqlite|postgresql] [--seconds 10]
                                        [--concurrency 8] [--what verify,issue]

The server is `openler serve` on a free loopback port, configured only through OPENLER_*
variables (rate limit off); its database is a fresh SQLite file or a throwaway PostgreSQL
database (dropped at the end). Issuing goes through `POST /api/v1/credentials` with an API
key made by `openler token create`; verifying through `POST /credentials/verify`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sample import realistic_credential  # noqa: E402
from openler.core import KeyPair, issue  # noqa: E402

ACHIEVEMENT = {
    "id": "https://bench.example/achievements/welding",
    "type": ["Achievement"],
    "achievementType": "Certificate",
    "name": "Certified Welding Technician",
    "description": "240 supervised shop hours and the structural welding test.",
    "criteria": {"narrative": "Pass the AWS D1.1 structural performance test."},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def openler(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "openler.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def run_load(
    seconds: float, concurrency: int, make_call: Callable[[httpx.Client, int], httpx.Response]
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() < stop:
                n = next(counter)
                start = time.perf_counter()
                response = make_call(client, n)
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 300:
                        errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / wall,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--what", default="verify,issue")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="openler-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OPENLER_DATA_DIR": str(tmp),
        "OPENLER_BASE_URL": f"http://localhost:{port}",  # did:web needs a domain name
        "OPENLER_SECRET_KEY": secrets.token_urlsafe(48),
        "OPENLER_RATE_LIMIT_PER_SECOND": "0",
        "OPENLER_ENV": "development",
        "PYTHONWARNINGS": "ignore",
    }
    pg_db = None
    if args.db == "postgresql":
        pg_db = f"openler_bench_{secrets.token_hex(4)}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {pg_db}"],
            check=True,
        )
        env["OPENLER_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
    else:
        env["OPENLER_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    openler(env, "db", "upgrade")
    openler(env, "org", "create", "bench", "--name", "Bench College")
    token = openler(env, "token", "create", "--org", "bench").splitlines()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "openler.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, dict[str, float]] = {}
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        if "verify" in args.what:
            key = KeyPair.generate()
            now = datetime.now(UTC)
            pool = []
            for i in range(500):
                doc = realistic_credential(i)
                doc["issuer"]["id"] = key.controller
                del doc["credentialStatus"]
                pool.append(
                    json.dumps({"verifiableCredential": issue(doc, key.signer(), created=now)})
                )

            def verify(client: httpx.Client, n: int) -> httpx.Response:
                return client.post(
                    base + "/credentials/verify",
                    content=pool[n % len(pool)],
                    headers={"Content-Type": "application/json"},
                )

            run_load(2, args.concurrency, verify)  # warm-up
            results["verify"] = run_load(args.seconds, args.concurrency, verify)
        if "issue" in args.what:
            with httpx.Client(base_url=base, headers=auth) as client:
                logical = "bench-welding"
                created = client.post(
                    "/api/v1/achievements", json={"logicalId": logical, "achievement": ACHIEVEMENT}
                )
                created.raise_for_status()
                client.post(f"/api/v1/achievements/{logical}/publish").raise_for_status()

            def issue_one(client: httpx.Client, n: int) -> httpx.Response:
                body = {"achievement": logical, "recipient": {"email": f"l{n}@example.org"}}
                return client.post(base + "/api/v1/credentials", json=body, headers=auth)

            run_load(2, args.concurrency, issue_one)
            results["issue"] = run_load(args.seconds, args.concurrency, issue_one)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if pg_db:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-qc",
                    f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)",
                ],
                check=False,
            )
    print(
        f"Command: .venv/bin/python bench/http_api.py --db {args.db} --seconds "
        f"{args.seconds:g} --concurrency {args.concurrency} --what {args.what}"
    )
    print("| operation | database | requests | errors | per second | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {args.db} | {r['requests']:,.0f} | {r['errors']:,.0f} | "
            f"{r['per_second']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
