"""Fixtures for driving ``openler`` in-process (typer's CliRunner) and as a subprocess.

No test here may reach the internet: name lookups off this machine fail."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from openler.cli import app
from openler.core import KeyPair
from openler.core.keys.did_web import did_web_document, did_web_path_in_dir
from tests.unit._http_fakes import block_network

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

#: A did:web issuer, published in a folder by :func:`publish_did_web`.
ISSUER = "did:web:example.com:orgs:acme"

#: Where the status lists made by the ``create_status_list`` fixture say they live.
LIST_URL = "https://example.com/status/1"

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``openler ARGS...`` in-process, in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return run


@pytest.fixture
def issue(cli: Run, key: KeyPair, achievement: Path) -> Run:
    """``issue(*EXTRA, recipient=..., out=...)`` runs
    ``openler issue --achievement achievement.json --key key.json --recipient RECIPIENT
    --out OUT EXTRA...`` (the files of the ``achievement`` and ``key`` fixtures)."""

    def run(*extra: Any, recipient: str = "did:example:1", out: Any = "c.json") -> Result:
        return cli(
            "issue",
            "--achievement",
            "achievement.json",
            "--key",
            "key.json",
            "--recipient",
            recipient,
            "--out",
            out,
            *extra,
        )

    return run


@pytest.fixture
def create_status_list(cli: Run, key: KeyPair) -> Run:
    """``create_status_list(*EXTRA, out=...)`` runs
    ``openler status create --url LIST_URL --key key.json --out OUT EXTRA...``."""

    def run(*extra: Any, out: Any = "list.json") -> Result:
        return cli("status", "create", "--url", LIST_URL, "--key", "key.json", "--out", out, *extra)

    return run


def run_command(argv: list[Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as a real process in ``cwd``."""
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def run_subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m openler.cli ARGS...`` in a fresh interpreter."""
    return run_command([sys.executable, "-m", "openler.cli", *args], cwd)


def write_json(path: Path, document: Any) -> Path:
    """Write ``document`` as JSON at ``path``, making its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), "utf-8")
    return path


def publish_did_web(root: Path, did: str, key: KeyPair, fragment: str = "key-1") -> Path:
    """Write ``did``'s DID document, listing ``key``, where --resolve-from looks for it."""
    document = did_web_document(did, [(fragment, key.public_key)])
    return write_json(root.joinpath(*did_web_path_in_dir(did).parts), document)


@pytest.fixture
def key(tmp_path: Path) -> KeyPair:
    """A fresh key pair, written to ``key.json``."""
    pair = KeyPair.generate()
    write_json(tmp_path / "key.json", pair.to_key_file())
    return pair


@pytest.fixture
def achievement(tmp_path: Path) -> Path:
    """:data:`GRADED_ACHIEVEMENT`, written to ``achievement.json``."""
    return write_json(tmp_path / "achievement.json", GRADED_ACHIEVEMENT)


@pytest.fixture
def web(tmp_path: Path, key: KeyPair) -> Path:
    """A folder ``web/`` for --resolve-from, publishing :data:`ISSUER` with ``key``."""
    folder = tmp_path / "web"
    publish_did_web(folder, ISSUER, key)
    return folder


def one_error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ... [code]`` line a failed command prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]
