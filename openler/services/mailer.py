"""The mailer port: how openler sends e-mail, and its implementations.

- :class:`Mailer` is the protocol: ``send(email)``, raising :class:`MailDeliveryError`
  (``permanent`` or not) when the message cannot be handed over.
- :class:`SmtpMailer` sends through an SMTP server named by ``OPENLER_SMTP_URL`` (stdlib
  :mod:`smtplib`): ``smtp://user:pass@host:port`` (STARTTLS when the server offers it;
  port 25 by default), ``smtp+starttls://`` (STARTTLS required; port 587) or ``smtps://``
  (TLS from the first byte; port 465). User name and password are percent-decoded.
- :class:`OutboxMailer` is the development stand-in: each message becomes an ``.eml`` file
  under ``<data_dir>/outbox`` and one log line. :func:`mailer_for_settings` picks it when
  no SMTP URL is set, warns, and refuses it in production.
- :class:`RecordingMailer` keeps messages in memory (tests, and colleagues' tests).

Services never call a mailer inside a transaction: they write ``outgoing_emails`` rows
(:mod:`openler.services.outbox`), delivered after commit.

Errors::

    OpenlerError
    └── MailDeliveryError   mail_delivery_failed  (.permanent: retrying cannot help)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import smtplib
import ssl
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from openler.config import ConfigurationError, Settings
from openler.core.errors import OpenlerError
from openler.store.models._base import new_id

__all__ = [
    "OUTBOX_FOLDER",
    "DevelopmentMailerWarning",
    "Email",
    "MailDeliveryError",
    "Mailer",
    "OutboxMailer",
    "RecordingMailer",
    "SmtpMailer",
    "SmtpTarget",
    "build_message",
    "mailer_for_settings",
    "message_id_for",
    "parse_smtp_url",
]

logger = logging.getLogger(__name__)

#: The development outbox, under the data directory.
OUTBOX_FOLDER: Final = "outbox"
_DEFAULT_PORTS: Final = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_MAX_ERROR_CHARS: Final = 300


class MailDeliveryError(OpenlerError):
    """A message could not be handed to the mail system. ``permanent`` says that sending
    it again will fail the same way (a refused address), so the outbox stops trying."""

    code = "mail_delivery_failed"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message, details={"permanent": permanent})
        self.permanent = permanent


class DevelopmentMailerWarning(UserWarning):
    """Mail is written to the outbox folder, not sent (no ``OPENLER_SMTP_URL``)."""


@dataclass(frozen=True, slots=True)
class Email:
    """One message to one recipient. ``message_id`` (``<…@…>``) lets receivers drop a
    copy delivered twice; the outbox derives it from the idempotency key."""

    to: str
    subject: str
    text: str
    html: str | None = None
    message_id: str | None = None


@runtime_checkable
class Mailer(Protocol):
    """Hands messages to a mail system; raises :class:`MailDeliveryError` when it cannot."""

    def send(self, email: Email) -> None: ...


def message_id_for(key: str, domain: str = "openler.invalid") -> str:
    """A stable ``Message-ID`` for the message with idempotency key ``key``."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def build_message(email: Email, sender: str) -> EmailMessage:
    """The RFC 5322 message for ``email`` from ``sender`` (text, plus HTML if given)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    if email.message_id:
        message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


# -- SMTP -------------------------------------------------------------------------------

Security = Literal["opportunistic", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """A parsed ``OPENLER_SMTP_URL``."""

    host: str
    port: int
    security: Security
    username: str | None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        user = f"{self.username}@" if self.username else ""
        return f"SmtpTarget({self.security}, {user}{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp[+starttls]://[user[:password]@]host[:port]`` or ``smtps://…``; raises
    :class:`~openler.config.ConfigurationError` for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ConfigurationError(
            "OPENLER_SMTP_URL must look like smtp://user:pass@host:port, "
            "smtp+starttls://… or smtps://…"
        )
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ConfigurationError("OPENLER_SMTP_URL has an invalid port.") from None
    security: Security = (
        "tls" if scheme == "smtps" else "starttls" if scheme == "smtp+starttls" else "opportunistic"
    )
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class SmtpMailer:
    """Sends through an SMTP server (:mod:`smtplib`), one connection per delivery run:
    it is opened on the first message, reused, and opened again after a disconnect.
    Call :meth:`close` when done (the outbox does)."""

    def __init__(
        self,
        target: SmtpTarget | str,
        *,
        sender: str,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.target = parse_smtp_url(target) if isinstance(target, str) else target
        self.sender = sender
        self.timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        connection: smtplib.SMTP
        if target.security == "tls":
            connection = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self.timeout, context=self._ssl
            )
        else:
            connection = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if target.security != "tls":
                if connection.has_extn("starttls"):
                    connection.starttls(context=self._ssl)
                    connection.ehlo()
                elif target.security == "starttls":
                    raise MailDeliveryError("The SMTP server does not offer STARTTLS.")
            if target.username:
                connection.login(target.username, target.password or "")
        except BaseException:
            _quietly_close(connection)
            raise
        return connection

    def send(self, email: Email) -> None:
        message = build_message(email, self.sender)
        for attempt in (1, 2):
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._connection.send_message(message)
                return
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if attempt == 2:
                    raise MailDeliveryError(f"The SMTP server disconnected: {exc}") from None
            except MailDeliveryError:
                self._drop()
                raise
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                raise MailDeliveryError(
                    f"The SMTP server refused the recipient ({codes}).",
                    permanent=all(500 <= code < 600 for code in codes),
                ) from None
            except smtplib.SMTPResponseException as exc:
                self._drop()
                raw = exc.smtp_error
                text = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[
                    :_MAX_ERROR_CHARS
                ]
                raise MailDeliveryError(
                    f"The SMTP server answered {exc.smtp_code}: {text}",
                    permanent=500 <= exc.smtp_code < 600
                    and not isinstance(exc, smtplib.SMTPAuthenticationError),
                ) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise MailDeliveryError(
                    f"SMTP delivery failed: {type(exc).__name__}: {str(exc)[:_MAX_ERROR_CHARS]}"
                ) from None

    def _drop(self) -> None:
        if self._connection is not None:
            _quietly_close(self._connection)
            self._connection = None

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
            self._drop()

    def __repr__(self) -> str:
        return f"SmtpMailer({self.target!r})"


def _quietly_close(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        connection.close()


# -- development and tests --------------------------------------------------------------


class OutboxMailer:
    """Writes each message as ``<folder>/<time-ordered id>.eml`` (mode 0600: the links
    inside sign people in) and logs one line naming the recipient, subject and file."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, email: Email) -> None:
        message = build_message(email, self.sender)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{new_id()}.eml"
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            tmp.replace(path)
        except OSError as exc:
            raise MailDeliveryError(f"The outbox folder cannot be written: {exc}") from None
        logger.info("mail to %s (%r) written to %s", email.to, email.subject, path)


class RecordingMailer:
    """Keeps every message in :attr:`sent`. ``failures`` is consumed one per call before
    sending: an exception there is raised instead of sending (to test retries)."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[Email] = []
        self.failures: list[Exception] = list(failures or [])

    def send(self, email: Email) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)


def mailer_for_settings(
    settings: Settings, *, smtp_factory: Callable[[SmtpTarget, str], Mailer] | None = None
) -> Mailer:
    """The mailer the settings call for: SMTP when ``OPENLER_SMTP_URL`` is set; otherwise
    the outbox folder, with a :class:`DevelopmentMailerWarning` (and a
    :class:`~openler.config.ConfigurationError` in production)."""
    if settings.smtp_url is not None and settings.smtp_url.get_secret_value().strip():
        target = parse_smtp_url(settings.smtp_url.get_secret_value())
        if smtp_factory is not None:
            return smtp_factory(target, settings.mail_from)
        return SmtpMailer(target, sender=settings.mail_from)
    if settings.env == "production":
        raise ConfigurationError(
            "OPENLER_SMTP_URL must be set in production: mail is never left in an outbox "
            "folder there."
        )
    folder = settings.data_dir / OUTBOX_FOLDER
    message = f"E-mail is written to {folder}, not sent; set OPENLER_SMTP_URL to deliver it."
    logger.warning(message)
    warnings.warn(message, DevelopmentMailerWarning, stacklevel=2)
    return OutboxMailer(folder, sender=settings.mail_from)
