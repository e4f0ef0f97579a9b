"""Fixtures for driving ``openler`` in-process (typer's CliRunner) and as a subprocess.

No test here may reach the internet: name lookups off this machine fail."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from openler.cli import app
from openler.core import KeyPair

_LOCAL = ("localhost", "127.0.0.1", "::1")

#: An achievement with one result description that allows a few letter grades.
GRADED_ACHIEVEMENT: dict[str, Any] = {
    "id": "https://school.example/achievements/algebra-1",
    "type": ["Achievement"],
    "name": "Algebra I",
    "description": "A first course in algebra.",
    "criteria": {"narrative": "Pass the final exam."},
    "resultDescription": [
        {
            "id": "https://school.example/achievements/algebra-1/grade",
            "type": ["ResultDescription"],
            "name": "Final grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C", "D", "F"],
        }
    ],
}

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOCAL:
            raise OSError(f"tests may not reach the network (asked for {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``openler ARGS...`` in-process, in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return run


def run_subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m openler.cli ARGS...`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "openler.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def key(tmp_path: Path) -> KeyPair:
    pair = KeyPair.generate()
    (tmp_path / "key.json").write_text(json.dumps(pair.to_key_file()), "utf-8")
    return pair


@pytest.fixture
def achievement(tmp_path: Path) -> Path:
    path = tmp_path / "achievement.json"
    path.write_text(json.dumps(GRADED_ACHIEVEMENT), "utf-8")
    return path


def one_error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ... [code]`` line a failed command prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]
