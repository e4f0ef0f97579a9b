"""``openler serve`` starts bulk workers beside the HTTP server: a started job is issued
with no other process running, and the workers go when the server goes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.bulk.conftest import SECRET, World, learners, roster

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--parent-pid" in command and str(pid).encode() in command:
                found.append(int(entry.name))
    return found


def test_serve_runs_bulk_workers(world: World, tmp_path: Path) -> None:
    if world.backend != "sqlite":
        pytest.skip("process management, not storage: once is enough (SQLite)")
    job = world.job(roster(learners(6)))
    world.start(job)
    env = {
        **os.environ,
        "OPENLER_ENV": "test",
        "OPENLER_DATA_DIR": str(tmp_path),
        "OPENLER_DATABASE_URL": world.url,
        "OPENLER_SECRET_KEY": SECRET,
        "OPENLER_BASE_URL": world.settings.base_url,
        "OPENLER_BULK_POLL_SECONDS": "0.1",
    }
    env.pop("OPENLER_SMTP_URL", None)  # mail goes to files under the data dir
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openler.cli",
            "serve",
            "--port",
            str(_free_port()),
            "--bulk-workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while world.reload(job).status.value != "completed" and time.monotonic() < deadline:
            assert server.poll() is None, "openler serve exited"
            time.sleep(0.2)
        assert world.reload(job).status.value == "completed"
        assert len(world.issued(job)) == 6
        assert len(_children_of(server.pid)) == 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _children_of(server.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children_of(server.pid) == []
