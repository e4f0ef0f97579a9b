"""``openler org create`` and ``openler token create`` on a fresh SQLite database: the
token printed last authenticates, and is printed nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from openler.cli import app
from openler.config import Settings
from openler.services.auth import verify_bearer
from openler.services.keystore import DevelopmentSecretWarning, KeyStore
from openler.store.db import Database
from tests.unit.cli.conftest import one_error_line


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OPENLER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OPENLER_DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    monkeypatch.setenv("OPENLER_BASE_URL", "https://badges.example")
    for name in ("OPENLER_SECRET_KEY", "OPENLER_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return data_dir


def run(*args: str) -> Result:
    # Outside production the generated development secret warns (as it should).
    with pytest.warns(DevelopmentSecretWarning):
        return CliRunner().invoke(app, list(args))


def test_org_create_then_token_create_prints_a_working_token(env: Path) -> None:
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    created = run("org", "create", "acme-college", "--name", "Acme College", "--kind", "college")
    assert created.exit_code == 0, created.output
    lines = created.stdout.splitlines()
    assert "did:web:badges.example:orgs:acme-college" in lines[0]
    assert lines[-1] == "https://badges.example/orgs/acme-college/did.json"

    result = CliRunner().invoke(
        app,
        [
            "token",
            "create",
            "--org",
            "acme-college",
            "--scope",
            "credentials:issue",
            "--scope",
            "credentials:read",
            "--name",
            "sis",
            "--expires-days",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token.startswith("olr_")
    assert result.stdout.count(token) == 1
    assert token not in result.stderr
    assert "shown this once" in result.stdout

    settings = Settings()
    database = Database.from_settings(settings)
    try:
        with database.session_scope() as session:
            grant = verify_bearer(session, settings, KeyStore("x" * 40), token)
    finally:
        database.dispose()
    assert grant.scopes == {"credentials:issue", "credentials:read"}

    default = CliRunner().invoke(app, ["token", "create", "--org", "acme-college"])
    assert default.exit_code == 0, default.output
    assert "org:admin" in default.stdout  # all scopes by default


def test_admin_errors_are_one_line(env: Path) -> None:
    unmigrated = CliRunner().invoke(app, ["token", "create", "--org", "acme"])
    assert "[database_not_migrated]" in one_error_line(unmigrated)
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    assert "[not_found]" in one_error_line(
        CliRunner().invoke(app, ["token", "create", "--org", "nobody"])
    )
    assert "[invalid_scope]" in one_error_line(
        CliRunner().invoke(app, ["token", "create", "--org", "x", "--scope", "root"])
    )
    assert run("org", "create", "acme", "--name", "Acme").exit_code == 0
    again = run("org", "create", "acme", "--name", "Acme")
    assert "[conflict]" in one_error_line(again)
    bad_kind = run("org", "create", "other", "--name", "O", "--kind", "castle")
    assert "[invalid_input]" in one_error_line(bad_kind)
