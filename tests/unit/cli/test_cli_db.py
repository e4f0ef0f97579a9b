"""``openler db upgrade``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from openler.store.migrate import head
from tests.unit.cli.conftest import Run, one_error_line


def test_upgrade_creates_the_sqlite_database_in_the_data_dir(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OPENLER_DATA_DIR", str(data_dir))
    monkeypatch.delenv("OPENLER_DATABASE_URL", raising=False)
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == head()
    assert str(data_dir / "openler.sqlite3") in result.stdout
    engine = sa.create_engine(f"sqlite:///{data_dir / 'openler.sqlite3'}")
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"organizations", "issued_credentials", "alembic_version"} <= tables
    again = cli("db", "upgrade")  # nothing left to do
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (0, head())


def test_upgrade_reports_an_unreachable_database(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLER_DATABASE_URL", "postgresql://openler:secret@127.0.0.1:9/openler")
    result = cli("db", "upgrade")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "[database_unavailable]" in line
    assert "secret" not in line
    assert "127.0.0.1:9" in line
