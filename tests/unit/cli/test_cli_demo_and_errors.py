"""``openler demo``, the top-level error handling, and real subprocess runs."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from openler.core import KeyPair
from tests.unit.cli.conftest import Run, one_error_line, run_command, run_subprocess

DEMO_FILES = (
    "issuer-key.json",
    "achievement.json",
    "credential.json",
    "badge.svg",
    "web/college.example/status/1.json",
)


def test_demo_runs_and_can_run_again(cli: Run, tmp_path: Path) -> None:
    result = cli("demo", "--out", "out")
    assert result.exit_code == 0, result.output
    for name in DEMO_FILES:
        assert (tmp_path / "out" / name).is_file(), name
    assert stat.S_IMODE((tmp_path / "out/issuer-key.json").stat().st_mode) == 0o600
    text = result.stdout
    assert "\n     VALID\n" in text
    assert "INVALID (revoked)" in text
    assert text.index("VALID") < text.index("INVALID (revoked)")
    first_key = (tmp_path / "out/issuer-key.json").read_text("utf-8")

    again = cli("demo", "--out", "out")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out/issuer-key.json").read_text("utf-8") != first_key

    credential = json.loads((tmp_path / "out/credential.json").read_text("utf-8"))
    assert len(credential["proof"]) == 2
    assert credential["credentialSubject"]["achievement"]["achievementType"] == "AssociateDegree"
    result = cli("verify", "--offline", "--resolve-from", "out/web", "out/credential.json")
    assert result.exit_code == 1
    assert "revoked" in result.stdout


def test_demo_refuses_a_file_as_its_folder(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", "utf-8")
    result = cli("demo", "--out", "taken")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[not_a_folder]")


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "--frobnicate", "x.json"),
        ("issue", "--key", "key.json"),
        ("status", "set", "list.json", "--index", "many", "--key", "k.json"),
        ("nonsense",),
    ],
)
def test_usage_errors_are_one_line_exit_2(cli: Run, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[usage_error]")


def test_no_arguments_prints_help(cli: Run) -> None:
    result = cli()
    assert result.exit_code == 2
    assert "Usage" in result.output
    assert "verify" in result.output


@pytest.mark.parametrize("args", [("--help",), ("issue", "--help"), ("status", "create", "-h")])
def test_help_exits_0(cli: Run, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 0, args
    assert "Usage" in result.stdout


def test_malformed_json_is_one_line(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "key.json").write_text("{oops", "utf-8")
    result = cli("did", "show", "key.json")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith("error: key.json: The document is not valid JSON")
    assert line.endswith("[malformed_json]")


def test_an_unexpected_exception_is_one_line(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from openler.cli import keys

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("something broke\nbadly")

    monkeypatch.setattr(keys, "generate_key_file", boom)
    result = cli("keys", "generate", "--out", "k.json")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "RuntimeError: something broke badly" in line
    assert line.endswith("[internal_error]")


# -- real processes --------------------------------------------------------------------


def test_subprocess_demo_verify_and_errors(tmp_path: Path) -> None:
    done = run_subprocess("demo", "--out", "demo-out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "INVALID (revoked)" in done.stdout

    done = run_subprocess(
        "verify",
        "--offline",
        "--resolve-from",
        "demo-out/web",
        "--json",
        "demo-out/badge.svg",
        "demo-out/credential.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    reports = json.loads(done.stdout)
    assert [r["file"] for r in reports] == ["demo-out/badge.svg", "demo-out/credential.json"]
    assert all(r["errors"] == ["revoked"] for r in reports)

    done = run_subprocess("verify", "--offline", "missing.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert one_error_line(done) == "error: missing.json: no such file. [file_not_found]"


def test_the_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("openler")
    if not script.exists():
        pytest.skip("the openler console script is not installed in this environment")
    done = run_command([script, "keys", "generate", "--out", "k.json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    did = done.stdout.strip().splitlines()[-1]
    pair = KeyPair.from_key_file(json.loads((tmp_path / "k.json").read_text("utf-8")))
    assert did == pair.controller
