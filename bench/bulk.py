"""Bulk issuance end to end: a synthetic roster staged and validated, then issued by
worker processes (signed with eddsa-rdfc-2022, status entries allocated, stored, claim
e-mails queued), on SQLite or PostgreSQL, by the embedded runner or Celery.

    .venv/bin/python bench/bulk.py [--rows 10000,100000] [--db sqlite,postgresql]
        [--engine embedded,celery] [--workers 1,2] [--broker amqp://…] [--write]

Every combination runs in a process of its own (the "CLI process": it writes the roster
CSV row by row, never holding it, stages it with ``create_job`` and starts the job) with
``--workers`` ``openler worker`` processes beside it, started before the job (their start
is not timed). Phases: *stage + validate* (``create_job`` reading the CSV file) and
*issue* (from ``start_job`` until the job is completed). Peak memory is each process's
VmHWM (``/proc/<pid>/status``), read before it stops; the database size (PostgreSQL
``pg_database_size``, SQLite file + WAL after a checkpoint) includes the staged roster, the
links, claims, outbox and audit rows, divided by the credentials issued. ``--write``
merges the figures into the generated table of docs/performance.md (a row per rows /
database / engine / workers), so a later run of other sizes keeps these.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BEGIN, END = "<!-- bench/bulk.py: begin -->", "<!-- bench/bulk.py: end -->"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "a-benchmark-secret-not-for-production-0123456789"
ACHIEVEMENT = {
    "type": ["Achievement"],
    "achievementType": "Diploma",
    "name": "High School Diploma",
    "description": "Completed the state graduation requirements.",
    "criteria": {"narrative": "24 credits, the state assessments and a capstone project."},
}
FIRST = ("Ana", "Ben", "Chloé", "Dmitri", "Esi", "Farid", "Grace", "Hiro", "Ines", "Jamal")
LAST = ("Okafor", "Nguyen", "García", "Smith", "Kowalski", "Haddad", "Ito", "Murphy")


def write_roster(path: Path, rows: int) -> None:
    """A roster of ``rows`` learners, written row by row (memory stays flat)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Email", "Name", "Completed"])
        for n in range(rows):
            name = f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST) % len(LAST)]}"
            out.writerow([f"learner{n}@example.org", f"{name} {n}", "2026-06-12"])


def vm_hwm_mib(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a live process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def database_url(kind: str, folder: Path, admin: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    from openler.store.db import create_engine

    name = f"openler_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def database_bytes(url: str) -> int:
    import sqlalchemy as sa

    from openler.store.db import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return int(
                    connection.scalar(sa.text("SELECT pg_database_size(current_database())"))
                )
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            path = Path(engine.url.database or "")
            wal = path.with_name(path.name + "-wal")
            return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    finally:
        engine.dispose()


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """One combination, in this process (the CLI process)."""
    import sqlalchemy as sa

    from openler.config import Settings
    from openler.services.achievements import create_achievement, publish_achievement
    from openler.services.bulk import create_job, start_job
    from openler.services.keystore import KeyStore
    from openler.services.organizations import create_organization
    from openler.store.db import Database
    from openler.store.migrate import upgrade
    from openler.store.models.bulk import BulkIssued, BulkJob
    from openler.store.models.organizations import Organization

    rows, engine, workers = config["rows"], config["engine"], config["workers"]
    folder = Path(tempfile.mkdtemp(prefix="openler-bulk-bench-"))
    roster = folder / "roster.csv"
    write_roster(roster, rows)
    queue = f"openler-bench-{secrets.token_hex(4)}"
    load = os.getloadavg()[0]
    with database_url(config["db"], folder, config["pg_admin"]) as url:
        upgrade(url)
        env = {
            **os.environ,
            "OPENLER_ENV": "development",
            "OPENLER_DATA_DIR": str(folder),
            "OPENLER_DATABASE_URL": url,
            "OPENLER_SECRET_KEY": SECRET,
            "OPENLER_BASE_URL": "https://bench.example",
            "OPENLER_BULK_QUEUE": queue,
            "OPENLER_BULK_CHUNK_SIZE": str(config["chunk_size"]),
            "PYTHONWARNINGS": "ignore",
        }
        if engine == "celery":
            env["OPENLER_BROKER_URL"] = config["broker"]
        settings = Settings(
            env="development",
            data_dir=folder,
            database_url=url,
            secret_key=SECRET,
            base_url="https://bench.example",
            broker_url=config["broker"] if engine == "celery" else None,
            bulk_queue=queue,
            bulk_chunk_size=config["chunk_size"],
        )
        procs: list[subprocess.Popen[bytes]] = []
        logs: list[Path] = []
        for n in range(workers):
            logs.append(folder / f"worker-{n}.log")
            with logs[-1].open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "openler.cli", "worker", f"--{engine}"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        app = None
        try:
            ready = "ready." if engine == "celery" else "started"
            for process, log in zip(procs, logs, strict=True):
                wait_for_line(log, ready, process, timeout=60)
            if engine == "celery":
                from openler.services.bulk.celery_app import install

                app = install(settings)
            database = Database.from_url(url)
            keystore = KeyStore.for_settings(settings)
            with database.session_scope() as session:
                org = create_organization(
                    session, settings, keystore, slug="bench-district", name="Bench District"
                )
                create_achievement(session, settings, org, ACHIEVEMENT, logical_id="diploma")
                achievement = publish_achievement(session, org, "diploma")
            now = datetime.now(UTC).replace(microsecond=0)
            began = time.perf_counter()
            with roster.open("rb") as handle:
                job = create_job(
                    database, settings, org, achievement, handle, roster_name=roster.name, now=now
                )
            staged = time.perf_counter() - began
            assert job.invalid_rows == 0, job.invalid_rows
            began = time.perf_counter()
            with database.session_scope() as session:
                org = session.get(Organization, org.id)
                start_job(session, org, job.id, now=now)
            while True:
                with database.session_scope() as session:
                    status = session.scalar(sa.select(BulkJob.status).where(BulkJob.id == job.id))
                if status.value != "running":
                    break
                for process, log in zip(procs, logs, strict=True):
                    if process.poll() is not None:
                        raise RuntimeError(log.read_text(errors="replace")[-3000:])
                time.sleep(0.1)
            issued_s = time.perf_counter() - began
            if status.value != "completed":
                raise RuntimeError(f"the job ended {status.value}")
            worker_rss = [vm_hwm_mib(p.pid) for p in procs]
            worker_cpu = [cpu_seconds(p.pid) for p in procs]
            with database.session_scope() as session:
                issued = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(BulkIssued)
                    .where(BulkIssued.job_id == job.id)
                )
            database.dispose()
        finally:
            for process in procs:
                process.terminate()
            for process in procs:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            if app is not None:
                _purge(app, queue)
        if issued != rows:
            raise RuntimeError(f"{issued} credentials for {rows} rows")
        size = database_bytes(url)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return {
        **{k: config[k] for k in ("rows", "db", "engine", "workers")},
        "stage_s": staged,
        "issue_s": issued_s,
        "per_second": rows / issued_s,
        "cli_rss_mib": vm_hwm_mib(),
        "worker_rss_mib": max(worker_rss),
        "worker_cpu_s": sum(worker_cpu),
        "bytes_per_credential": size / rows,
        "load": load,
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
    }


def _purge(app: Any, queue: str) -> None:
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue=queue)
            connection.default_channel.exchange_delete(exchange=queue)
    except Exception as exc:  # a leftover queue is harmless; say so
        print(f"could not delete queue {queue}: {exc}", file=sys.stderr)
    app.close()


# -- the table ------------------------------------------------------------------------------

COLUMNS = (
    "rows",
    "database",
    "engine",
    "workers",
    "stage + validate s",
    "issue s",
    "credentials/s",
    "scaling",
    "peak RSS CLI MiB",
    "peak RSS worker MiB",
    "worker CPU ms/credential",
    "bytes/credential",
    "load",
    "measured",
)


def _row(result: dict[str, Any]) -> list[str]:
    return [
        f"{result['rows']:,}",
        {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[result["db"]],
        result["engine"],
        str(result["workers"]),
        f"{result['stage_s']:.1f}",
        f"{result['issue_s']:.1f}",
        f"{result['per_second']:,.0f}",
        "",
        f"{result['cli_rss_mib']:.0f}",
        f"{result['worker_rss_mib']:.0f}",
        f"{1000 * result['worker_cpu_s'] / result['rows']:.2f}",
        f"{result['bytes_per_credential']:,.0f}",
        f"{result['load']:.1f}",
        result["date"],
    ]


def _key(cells: list[str]) -> tuple[int, str, str, int]:
    return (int(cells[0].replace(",", "")), cells[1], cells[2], int(cells[3]))


def _with_scaling(rows: list[list[str]]) -> list[list[str]]:
    """Fill 'scaling': rate with N workers / (N x rate with 1), same rows/db/engine."""
    single = {_key(r)[:3]: float(r[6].replace(",", "")) for r in rows if r[3] == "1"}
    for cells in rows:
        base = single.get(_key(cells)[:3])
        workers = int(cells[3])
        if workers > 1 and base:
            cells[7] = f"{float(cells[6].replace(',', '')) / (workers * base):.0%}"
        elif workers == 1:
            cells[7] = "-"
    return rows


def render(rows: list[list[str]], commands: list[str]) -> str:
    rows = _with_scaling(sorted(rows, key=_key))
    lines = [
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores. "
        "`load`: the 1-minute load average when the run began (above ~0.5 the machine was "
        "busy with other work).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if n not in (1, 2) else "---" for n in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    lines += ["", "Commands:", ""] + [f"- `{c}`" for c in commands]
    return "\n".join(lines)


def parse(block: str) -> tuple[list[list[str]], list[str]]:
    rows, commands = [], []
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| rows"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == len(COLUMNS):
                rows.append(cells)
        elif line.startswith("- `") and line.endswith("`"):
            commands.append(line[3:-1])
    return rows, commands


def write(results: list[dict[str, Any]], command: str) -> Path:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + "(.*?)" + re.escape(END), re.S)
    found = pattern.search(text)
    rows, commands = parse(found.group(1)) if found else ([], [])
    fresh = {_key(_row(r)): _row(r) for r in results}
    rows = [r for r in rows if _key(r) not in fresh] + list(fresh.values())
    commands = [c for c in commands if c != command] + [command]
    block = f"{BEGIN}\n{render(rows, commands)}\n{END}"
    if found:
        text = text[: found.start()] + block + text[found.end() :]
    else:
        text = text.rstrip("\n") + "\n\n## Bulk issuance (`bench/bulk.py`)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="comma-separated roster sizes")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--engine", default="embedded", help="embedded, celery or both")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one combination, as JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    command = "python bench/bulk.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:] if a != "--write"
    )
    results = []
    combos = itertools.product(
        [int(r.replace("_", "")) for r in args.rows.split(",")],
        args.db.split(","),
        args.engine.split(","),
        [int(w) for w in args.workers.split(",")],
    )
    for rows, db, engine, workers in combos:
        config = {
            "rows": rows,
            "db": db,
            "engine": engine,
            "workers": workers,
            "broker": args.broker,
            "chunk_size": args.chunk_size,
            "pg_admin": args.pg_admin_url,
        }
        print(f"{rows:,} rows, {db}, {engine}, {workers} worker(s) …", file=sys.stderr, flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(out.stderr[-4000:], file=sys.stderr)
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  {result['per_second']:,.0f}/s, issue {result['issue_s']:.1f} s, "
            f"stage {result['stage_s']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
    print(f"Command: `{command}`\n")
    print(render([_row(r) for r in results], [command]))
    if args.write and results:
        print(f"updated {write(results, command).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
