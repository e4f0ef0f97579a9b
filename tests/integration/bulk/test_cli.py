"""``openler bulk issue`` and friends, in-process, on the test databases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openler.cli import app
from tests.integration.bulk.conftest import SECRET, World, learners, roster


def _read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "OPENLER_ENV": "test",
        "OPENLER_DATABASE_URL": world.url,
        "OPENLER_SECRET_KEY": SECRET,
        "OPENLER_BASE_URL": world.settings.base_url,
        "OPENLER_BULK_CHUNK_SIZE": "4",
        "OPENLER_BULK_POLL_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_bulk_issue_validates_issues_and_reports(
    cli: CliRunner, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "class.csv"
    path.write_bytes(roster([*learners(9), "broken,Nobody,A"]))
    args = ["bulk", "issue", str(path), "--achievement", "welding-1", "--org", world.org.slug]

    refused = cli.invoke(app, [*args, "--claims", "link"])
    assert refused.exit_code == 2, refused.output
    assert "[roster_invalid]" in refused.output
    errors = _read_csv(tmp_path / "class.errors.csv")
    assert errors[1][:4] == ["11", "Email", "recipientEmail", "invalid_email"]

    result = cli.invoke(app, [*args, "--claims", "link", "--valid-rows-only"])
    assert result.exit_code == 0, result.output
    assert 'Read 10 rows (csv, delimiter ","): 9 valid, 1 invalid.' in result.output
    assert "Issued 9 credentials (0 failed)" in result.output
    assert "100.0% 9/9" in result.output  # the progress bar's last line
    report = Path(result.output.strip().splitlines()[-1])
    assert report == tmp_path / "class.results.csv"
    lines = _read_csv(report)
    assert [line[2] for line in lines[1:]] == ["issued"] * 9 + ["invalid"]
    assert all(line[4].startswith("https://issuer.example/wallet/claim/") for line in lines[1:10])

    job_id = result.output.split("Job ")[1].split()[0]
    status = cli.invoke(app, ["bulk", "status", job_id])
    assert status.exit_code == 0, status.output
    assert "status: completed" in status.output
    assert "issued: 9" in status.output
    again = cli.invoke(app, ["bulk", "report", job_id, "--out", "-", "--errors"])
    assert again.exit_code == 0
    assert "invalid_email" in again.output
    cancel = cli.invoke(app, ["bulk", "cancel", job_id])
    assert cancel.exit_code == 2
    assert "[conflict]" in cancel.output


def test_bulk_issue_needs_a_published_achievement(
    cli: CliRunner, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "class.csv"
    path.write_bytes(roster(learners(1)))
    result = cli.invoke(
        app, ["bulk", "issue", str(path), "--achievement", "nope", "--org", world.org.slug]
    )
    assert result.exit_code == 2
    assert "[not_found]" in result.output
