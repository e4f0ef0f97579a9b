"""The mailer port: SMTP (against a small SMTP server on loopback), the outbox folder, the
recording mailer, and the choice made from the settings."""

from __future__ import annotations

import base64
import email
import logging
import socket
import socketserver
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest

from openler.config import ConfigurationError, Settings
from openler.services.mailer import (
    DevelopmentMailerWarning,
    Email,
    MailDeliveryError,
    Mailer,
    OutboxMailer,
    RecordingMailer,
    SmtpMailer,
    build_message,
    mailer_for_settings,
    message_id_for,
    parse_smtp_url,
)

SENDER = "openler <no-reply@issuer.example>"


# -- a small SMTP server ------------------------------------------------------------------


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        inbox = self.server.inbox
        inbox.connections += 1
        sender, recipients = "", list[str]()
        self._say("220 fake ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-fake")
                self._say("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, _, payload = line.split(" ", 2)
                _, user, password = base64.b64decode(payload).decode().split("\0")
                inbox.logins.append((user, password))
                ok = password == "s3cret/pw"
                self._say("235 ok" if ok else "535 bad credentials")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip("<> "), []
                self._say("250 ok")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip("<> ")
                if address.startswith("nobody@"):
                    self._say("550 no such user")
                else:
                    recipients.append(address)
                    self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go ahead")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                inbox.messages.append(
                    (sender, recipients, email.message_from_bytes(b"".join(lines)))
                )
                self._say("250 queued")
            elif verb in ("RSET", "NOOP"):
                self._say("250 ok")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.inbox = Inbox()


@pytest.fixture
def smtp_server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: _Server, userinfo: str = "mailer%40issuer.example:s3cret%2Fpw@") -> str:
    return f"smtp://{userinfo}127.0.0.1:{server.server_address[1]}"


# -- tests ----------------------------------------------------------------------------------


def test_parse_smtp_url() -> None:
    plain = parse_smtp_url("smtp://user%40x.org:p%3Ass@mail.example:2525")
    assert (plain.host, plain.port, plain.security) == ("mail.example", 2525, "opportunistic")
    assert (plain.username, plain.password) == ("user@x.org", "p:ss")
    assert "p:ss" not in repr(plain)
    assert parse_smtp_url("smtps://mail.example").port == 465
    assert parse_smtp_url("smtps://mail.example").security == "tls"
    assert parse_smtp_url("smtp+starttls://mail.example").port == 587
    assert parse_smtp_url("smtp://mail.example").username is None
    for bad in ("http://mail.example", "smtp://", "mail.example", "smtp://h:notaport"):
        with pytest.raises(ConfigurationError):
            parse_smtp_url(bad)


def test_smtp_mailer_logs_in_and_sends(smtp_server: _Server) -> None:
    mailer = SmtpMailer(_url(smtp_server), sender=SENDER, timeout=5)
    mailer.send(
        Email("ada@example.org", "Your credential", "Claim it: https://x/1", message_id="<a@b>")
    )
    mailer.send(Email("bob@example.org", "Hello", "Text", html="<p>Text</p>"))
    mailer.close()
    inbox = smtp_server.inbox
    assert inbox.logins == [("mailer@issuer.example", "s3cret/pw")]
    assert inbox.connections == 1  # one connection for the run
    (s1, r1, m1), (_, r2, m2) = inbox.messages
    assert s1 == "no-reply@issuer.example"
    assert r1 == ["ada@example.org"]
    assert r2 == ["bob@example.org"]
    assert m1["Subject"] == "Your credential"
    assert m1["Message-ID"] == "<a@b>"
    assert "https://x/1" in m1.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert m2.is_multipart()
    assert [p.get_content_type() for p in m2.get_payload()] == ["text/plain", "text/html"]  # type: ignore[union-attr]


def test_smtp_refusals_are_permanent_or_transient(smtp_server: _Server) -> None:
    mailer = SmtpMailer(_url(smtp_server), sender=SENDER, timeout=5)
    with pytest.raises(MailDeliveryError) as refused:
        mailer.send(Email("nobody@example.org", "S", "T"))
    assert refused.value.permanent
    assert refused.value.code == "mail_delivery_failed"
    # The connection survives a refused recipient.
    mailer.send(Email("ada@example.org", "S", "T"))
    mailer.close()
    assert smtp_server.inbox.connections == 1
    wrong = SmtpMailer(_url(smtp_server, "user:wrong@"), sender=SENDER, timeout=5)
    with pytest.raises(MailDeliveryError) as auth:
        wrong.send(Email("ada@example.org", "S", "T"))
    assert not auth.value.permanent  # a configuration problem: retry once it is fixed
    required = SmtpMailer(
        _url(smtp_server).replace("smtp://", "smtp+starttls://"), sender=SENDER, timeout=5
    )
    with pytest.raises(MailDeliveryError, match="STARTTLS"):
        required.send(Email("ada@example.org", "S", "T"))


def test_smtp_server_unreachable_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", sender=SENDER, timeout=2)
    with pytest.raises(MailDeliveryError) as caught:
        mailer.send(Email("ada@example.org", "S", "T"))
    assert not caught.value.permanent


def test_outbox_mailer_writes_private_eml_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = OutboxMailer(tmp_path / "outbox", sender=SENDER)
    with caplog.at_level(logging.INFO, logger="openler.services.mailer"):
        mailer.send(
            Email("ada@example.org", "Sign in", "https://x/sign-in/abc", message_id="<m@x>")
        )
        mailer.send(Email("bob@example.org", "Claim", "https://x/claim/def"))
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    first = email.message_from_bytes(files[0].read_bytes())
    assert first["To"] == "ada@example.org"
    assert first["From"] == SENDER
    assert first["Message-ID"] == "<m@x>"
    assert "https://x/sign-in/abc" in first.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert any(
        "ada@example.org" in r.getMessage() and "Sign in" in r.getMessage() for r in caplog.records
    )


def test_outbox_mailer_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(MailDeliveryError):
        OutboxMailer(blocker / "outbox", sender=SENDER).send(Email("a@b.org", "S", "T"))


def test_recording_mailer() -> None:
    mailer = RecordingMailer([MailDeliveryError("451 later")])
    assert isinstance(mailer, Mailer)
    with pytest.raises(MailDeliveryError):
        mailer.send(Email("a@b.org", "S", "T"))
    mailer.send(Email("a@b.org", "S", "T"))
    assert [m.to for m in mailer.sent] == ["a@b.org"]


def test_mailer_for_settings(tmp_path: Path) -> None:
    with pytest.warns(DevelopmentMailerWarning, match="OPENLER_SMTP_URL"):
        dev = mailer_for_settings(Settings(env="development", data_dir=tmp_path))
    assert isinstance(dev, OutboxMailer)
    assert dev.folder == tmp_path / "outbox"
    with pytest.raises(ConfigurationError, match="production"):
        mailer_for_settings(
            Settings(env="production", data_dir=tmp_path, base_url="https://issuer.example")
        )
    smtp = mailer_for_settings(
        Settings(smtp_url="smtps://u:p@mail.example", mail_from="Registrar <r@x.org>")  # type: ignore[arg-type]
    )
    assert isinstance(smtp, SmtpMailer)
    assert smtp.target.security == "tls"
    assert smtp.sender == "Registrar <r@x.org>"


def test_message_ids_and_headers() -> None:
    assert message_id_for("claim:1") == message_id_for("claim:1") != message_id_for("claim:2")
    assert message_id_for("claim:1").startswith("<")
    assert message_id_for("claim:1").endswith(">")
    message = build_message(Email("a@b.org", "S", "T"), SENDER)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"]
    assert message["Message-ID"] is None
