"""Delivering the outbox: the background pump that ``openler serve`` runs (through the
application's lifespan) and the one-shot ``openler mail send``; both write the messages
through the real outbox-folder mailer, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from openler.api.app import create_app
from openler.cli import app as cli
from openler.config import Settings
from openler.resolvers import FolderResolver, FolderStatusFetcher
from openler.services.mailer import DevelopmentMailerWarning
from openler.services.outbox import enqueue_email
from openler.store.db import Database
from openler.store.models.learner import OutgoingEmail
from tests.integration.api._client import TestClient


def _enqueue(database: Database, key: str, to: str) -> None:
    with database.session_scope() as session:
        enqueue_email(
            session,
            key=key,
            to=to,
            subject="Your credential is ready",
            text="Claim it here.",
            now=datetime.now(UTC) - timedelta(seconds=5),
        )


def _status(database: Database, key: str) -> str:
    with database.session_scope() as session:
        row = session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.idempotency_key == key))
        assert row is not None
        return str(row.status)


def test_the_server_delivers_the_outbox_in_the_background(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings(env="test", data_dir=tmp_path / "var")
    key = f"pump-test:{time.monotonic_ns()}"
    _enqueue(database, key, "ana@example.org")
    app = create_app(
        settings,
        database=database,
        resolver=FolderResolver(tmp_path),
        status_fetcher=FolderStatusFetcher(tmp_path),
        deliver_mail=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentMailerWarning)
        with TestClient(app):
            deadline = time.monotonic() + 10
            while _status(database, key) != "sent" and time.monotonic() < deadline:
                time.sleep(0.05)
    assert _status(database, key) == "sent"
    written = [p.read_text() for p in (tmp_path / "var" / "outbox").glob("*.eml")]
    assert any("To: ana@example.org" in text for text in written)


def test_mail_send_delivers_once(database: Database, tmp_path: Path) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    key = f"cli-test:{time.monotonic_ns()}"
    _enqueue(database, key, "ben@example.org")
    env = {
        "OPENLER_ENV": "test",
        "OPENLER_DATA_DIR": str(tmp_path / "var"),
        "OPENLER_DATABASE_URL": url,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentMailerWarning)
        result = CliRunner().invoke(cli, ["mail", "send"], env=env)
    assert result.exit_code == 0, result.output
    assert " sent," in result.output
    assert _status(database, key) == "sent", result.output
    written = [p.read_text() for p in (tmp_path / "var" / "outbox").glob("*.eml")]
    assert any("To: ben@example.org" in text for text in written)
