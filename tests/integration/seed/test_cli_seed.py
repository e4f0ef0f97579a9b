"""``openler seed`` on a fresh SQLite database: migrates, seeds, and a second run finds
everything already there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from openler.cli.app import app as cli_app
from openler.store.db import create_engine

SECRET = "a-cli-seed-test-secret-that-is-long-enough-0123456789"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "OPENLER_ENV": "test",
        "OPENLER_DATA_DIR": str(tmp_path / "var"),
        "OPENLER_DATABASE_URL": f"sqlite:///{tmp_path / 'seed.sqlite3'}",
        "OPENLER_BASE_URL": "http://localhost:8000",
        "OPENLER_SECRET_KEY": SECRET,
    }


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        engine.dispose()


def test_seed_command_creates_then_finds_everything_already_there(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()

    first = runner.invoke(cli_app, ["seed"], env=env)
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert "created 4 organizations, 9 achievements, 13 credentials" in first.output
    assert "did:web:localhost%3A8000:orgs:riverbend-usd" in first.output
    assert "http://localhost:8000/orgs/lakeshore-cc/did.json" in first.output
    assert "http://localhost:8000/docs" in first.output
    assert "[revoked]" in first.output
    assert "[suspended]" in first.output
    url = env["OPENLER_DATABASE_URL"]
    assert _count(url, "issued_credentials") == 13

    second = runner.invoke(cli_app, ["seed"], env=env)
    assert second.exit_code == 0, second.output
    assert "already there" in second.output
    assert "created" not in second.output.lower()
    assert "Nothing to do" in second.output
    assert _count(url, "issued_credentials") == 13
    assert _count(url, "organizations") == 4


def test_seed_command_with_the_development_secret(tmp_path: Path) -> None:
    """Without OPENLER_SECRET_KEY (development) the key store's generated secret is kept in
    the data directory (a warning says so), and seeding works in a plain subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLER_")}
    env.update(_env(tmp_path))
    env["OPENLER_ENV"] = "development"
    del env["OPENLER_SECRET_KEY"]
    command = [sys.executable, "-m", "openler.cli", "seed"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    assert (tmp_path / "var" / "dev-secret.key").is_file()
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "already there" in second.stdout
    assert "created" not in second.stdout.lower()


def test_seed_command_reports_a_bad_setting(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["OPENLER_BASE_URL"] = "ftp://nowhere"
    result = CliRunner().invoke(cli_app, ["seed"], env=env)
    assert result.exit_code == 2
    assert "OPENLER_BASE_URL" in result.output
    assert "[configuration_error]" in result.output
