"""Exactly once, for real: a worker process killed with SIGKILL in the middle of a chunk's
transaction, then a new worker process: the job finishes with every row issued exactly
once, no status-list index used twice (nor skipped), one claim e-mail per credential."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from openler.services.bulk import JobOptions
from openler.store.models import IssuedCredential
from openler.store.models.bulk import BulkChunk
from openler.store.models.learner import OutgoingEmail
from tests.integration.bulk.conftest import SECRET, World, learners, roster

ROOT = Path(__file__).resolve().parents[3]


def _env(world: World, job_id: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OPENLER_ENV": "test",
        "OPENLER_DATABASE_URL": world.url,
        "OPENLER_SECRET_KEY": SECRET,
        "OPENLER_BASE_URL": world.settings.base_url,
        "OPENLER_BULK_LEASE_SECONDS": "1",
        "OPENLER_BULK_POLL_SECONDS": "0.1",
        "OPENLER_TEST_JOB": job_id,
        **extra,
    }
    env.pop("OPENLER_DEBUG", None)
    return env


def _wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"the worker exited early ({process.returncode}):\n{output}")
        time.sleep(0.05)
    raise AssertionError("the worker never reached the pause")


def test_a_worker_killed_mid_chunk_loses_and_duplicates_nothing(
    world: World, tmp_path: Path
) -> None:
    job = world.job(roster(learners(30)), options=JobOptions(status_list_length=8))
    world.start(job)  # 6 chunks of 5; status lists of 8 entries: 4 lists
    marker = tmp_path / "paused"
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.bulk._paused_worker"],
        cwd=ROOT,
        env=_env(world, str(job.id), OPENLER_TEST_PAUSE_AT="3", OPENLER_TEST_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(marker, doomed)
        # Paused inside chunk 3's transaction: 2 chunks committed, the third not yet.
        assert world.chunk_states(job).count("done") == 2
        assert len(world.issued(job)) == 10
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
        if doomed.stdout is not None:
            doomed.stdout.close()
    assert doomed.returncode == -signal.SIGKILL
    assert world.count(IssuedCredential, IssuedCredential.organization_id == world.org.id) == 10

    successor = subprocess.run(
        [sys.executable, "-m", "openler.cli", "worker", "--job", str(job.id), "--until-done"],
        cwd=ROOT,
        env=_env(world, str(job.id)),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert successor.returncode == 0, successor.stderr.decode()

    assert world.reload(job).status.value == "completed"
    issued = world.issued(job)
    assert [row for row, _ in issued] == list(range(2, 32))  # every row, exactly once
    assert world.count(IssuedCredential, IssuedCredential.organization_id == world.org.id) == 30
    entries = world.status_entries()
    assert not [e for e, n in Counter(entries).items() if n > 1]
    # The killed chunk's reserved entries were reused: no index skipped either.
    assert sorted(entries) == [(s, i) for s in (1, 2, 3, 4) for i in range(8)][:30]
    attempts = world.rows(
        sa.select(BulkChunk.chunk_no, BulkChunk.attempts).where(BulkChunk.job_id == job.id)
    )
    assert sorted(a for _, a in attempts) == [1, 1, 1, 1, 1, 2]  # one chunk was retried
    keys = [f"claim:{c.credential_id}" for _, c in issued]
    assert world.count(OutgoingEmail, OutgoingEmail.idempotency_key.in_(keys)) == 30
