"""``openler serve`` as a real process on a loopback port: it starts, answers /healthz and
verifies a credential over HTTP; and it refuses a configuration that must not run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from openler.cli import app as cli_app
from tests.integration.api.conftest import Issue

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"openler serve exited early with status {process.returncode}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("openler serve did not answer /healthz within 30 s")


def test_serve_answers_over_http(tmp_path: Path, issued: Issue) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "OPENLER_ENV": "test",
        "OPENLER_DATA_DIR": str(tmp_path / "var"),
        "OPENLER_BASE_URL": f"http://localhost:{port}",
    }
    env.pop("OPENLER_SECRET_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "openler.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=10, trust_env=False
        ) as client:
            _wait_until_healthy(client, process)
            response = client.post("/credentials/verify", json={"verifiableCredential": issued()})
            assert response.status_code == 200, response.text
            assert "proof" in response.json()["checks"]
            assert "server" not in response.headers
            missing = client.get("/no/such/path")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    # uvicorn shuts down gracefully, then re-raises SIGTERM (exit by that signal).
    assert process.returncode in (0, -signal.SIGTERM), output.decode(errors="replace")
    assert b"Application shutdown complete" in output
    assert b"Traceback" not in output, output.decode(errors="replace")


def test_serve_refuses_production_without_a_secret_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app,
        ["serve", "--port", "8999"],
        env={
            "OPENLER_ENV": "production",
            "OPENLER_BASE_URL": "https://badges.example",
            "OPENLER_DATA_DIR": str(tmp_path),
            "OPENLER_SECRET_KEY": "",
        },
    )
    assert result.exit_code == 2
    assert "OPENLER_SECRET_KEY" in result.output
    assert "[configuration_error]" in result.output


def test_serve_reports_an_invalid_setting(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app,
        ["serve"],
        env={"OPENLER_BASE_URL": "ftp://nowhere", "OPENLER_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert "OPENLER_BASE_URL" in result.output
