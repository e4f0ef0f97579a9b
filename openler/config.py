"""Platform configuration: one settings object, read once from ``OPENLER_*`` variables.

Created at start-up (``Settings()``) and passed down; nothing else reads the environment.

- ``OPENLER_ENV``: ``development`` (default), ``test`` or ``production``; production refuses
  development stand-ins (a missing secret key, a plain-http base URL).
- ``OPENLER_DATA_DIR``: where the embedded SQLite database and local files live (``./var``).
- ``OPENLER_DATABASE_URL``: a SQLAlchemy URL; default a SQLite file in the data dir;
  PostgreSQL in production (``postgresql+psycopg://user@host/db``).
- ``OPENLER_SECRET_KEY``: encrypts private keys at rest; required in production.
- ``OPENLER_BASE_URL``: the public origin (``http://localhost:8000``); its host names the
  ``did:web`` identifiers, so it must be a domain name (did:web cannot name an IP address).
- ``OPENLER_RATE_LIMIT_PER_SECOND`` / ``OPENLER_RATE_LIMIT_BURST``: requests per client on
  the public endpoints (10/s after a burst of 100); 0 turns the limit off.
- ``OPENLER_RATE_LIMIT_REDIS_URL``: keep the rate-limit buckets in Redis, shared by all
  workers (``redis://127.0.0.1:6379/0``); unset: per process.
- ``OPENLER_OPERATOR_ORGS``: comma-separated slugs of the organizations that operate the
  deployment; only they curate the issuer trust registry (unset: any organization admin in
  development, nobody in production).
- ``OPENLER_MAX_REQUEST_BYTES``: the largest request body accepted (4 MiB).
  ``OPENLER_MAX_ROSTER_BYTES``: the largest bulk-issuance roster upload (512 MiB).
- ``OPENLER_OAUTH_REFRESH_TOKEN_DAYS``: how long a learner app's refresh token stays valid
  unused (90 days); each use rotates it and starts a new period.
- ``OPENLER_PRIVACY_POLICY_URL`` / ``OPENLER_TERMS_OF_SERVICE_URL``: the deployment's privacy
  policy and terms of service, named in the 1EdTech service discovery documents (default:
  the base URL; set them in production).
- ``OPENLER_SMTP_URL``: where e-mail goes (``smtp://user:pass@host:587`` with STARTTLS
  when the server offers it, ``smtp+starttls://`` requiring it, ``smtps://`` for implicit
  TLS); unset: messages are written as ``.eml`` files under ``<data_dir>/outbox`` and
  logged (development only; production refuses it). ``OPENLER_MAIL_FROM``: the sender
  (``openler <no-reply@localhost>``). ``OPENLER_MAIL_MAX_PER_SECOND``: the outbox's
  delivery rate (5/s).
- ``OPENLER_SESSION_IDLE_MINUTES`` / ``OPENLER_SESSION_MAX_HOURS``: a web sign-in session
  ends after this long without a request (30 minutes) and this long after signing in at
  the latest (12 hours).
- ``OPENLER_SHARE_DEFAULT_DAYS`` / ``OPENLER_SHARE_MAX_DAYS``: how long a learner's share
  link lasts when no expiry is chosen (30 days), and the longest expiry allowed (365).
- ``OPENLER_BULK_WORKERS``: bulk-issuance worker processes ``openler serve`` starts (1;
  0 when ``openler worker`` runs elsewhere). ``OPENLER_BULK_CHUNK_SIZE``: roster rows
  issued per transaction (1000). ``OPENLER_BULK_LEASE_SECONDS``: how long a worker's claim
  on a chunk lasts before another may take it over (60). ``OPENLER_BULK_MAX_ROWS``: the
  largest roster accepted (2,000,000 rows). ``OPENLER_BULK_POLL_SECONDS``: how often an
  idle worker looks for work (1).
- ``OPENLER_BROKER_URL``: scale bulk issuance out through Celery
  (``amqp://guest:guest@127.0.0.1:5672//`` for RabbitMQ, ``redis://127.0.0.1:6379/0``):
  starting a job enqueues its chunks there and ``openler worker`` runs a Celery worker on any
  machine; unset: the embedded workers only (docs/bulk.md). ``OPENLER_BULK_QUEUE``: the
  queue's name (``openler-bulk``); deployments sharing a broker each use their own.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ConfigurationError", "Settings"]


class ConfigurationError(RuntimeError):
    """The configuration cannot run (e.g. production without a secret key)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENLER_", extra="ignore", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    base_url: str = "http://localhost:8000"
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    #: Roster uploads for bulk issuance (streamed to disk, never held in memory).
    max_roster_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    #: Per client IP on the public endpoints; ``0`` turns the limit off (e.g. behind a
    #: proxy that limits, or for benchmarks).
    rate_limit_per_second: float = Field(default=10.0, ge=0)
    rate_limit_burst: int = Field(default=100, ge=0)
    #: 1EdTech service APIs (openler.services.oauth_grants, openler.api.ims_common).
    oauth_refresh_token_days: int = Field(default=90, ge=1, le=3650)
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None
    #: Keep the rate-limit buckets in Redis (``redis://127.0.0.1:6379/0``) so that every
    #: worker process and machine shares one budget per client; unset: per process.
    rate_limit_redis_url: SecretStr | None = None
    #: Slugs of the organizations that operate this deployment: only their tokens (with
    #: ``trust:manage``) and their admins may curate the issuer trust registry. Unset: any
    #: organization's admin may, in development and test; nobody may, in production.
    operator_orgs: Annotated[tuple[str, ...], NoDecode] = ()
    #: Outgoing e-mail (openler.services.mailer): unset writes an outbox folder instead.
    smtp_url: SecretStr | None = None
    mail_from: str = "openler <no-reply@localhost>"
    mail_max_per_second: float = Field(default=5.0, gt=0)
    #: Web sign-in sessions (openler.web.auth): idle and absolute lifetime.
    session_idle_minutes: float = Field(default=30.0, gt=0)
    session_max_hours: float = Field(default=12.0, gt=0)
    #: Share links (openler.services.sharing): the expiry a new share gets when none is
    #: asked for, and the longest one allowed, in days.
    share_default_days: int = Field(default=30, ge=1)
    share_max_days: int = Field(default=365, ge=1)
    #: Bulk issuance (openler.services.bulk): embedded workers, chunk size, chunk leases,
    #: roster size cap and idle polling.
    bulk_workers: int = Field(default=1, ge=0, le=64)
    bulk_chunk_size: int = Field(default=1000, ge=1, le=10_000)
    bulk_lease_seconds: float = Field(default=60.0, gt=0)
    bulk_max_rows: int = Field(default=2_000_000, ge=1)
    bulk_poll_seconds: float = Field(default=1.0, gt=0)
    #: Celery broker for bulk chunks (openler.services.bulk.celery_app); unset: embedded only.
    broker_url: SecretStr | None = None
    bulk_queue: str = Field(default="openler-bulk", pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")

    @field_validator("operator_orgs", mode="before")
    @classmethod
    def _slugs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    def may_curate_trust(self, org_slug: str) -> bool:
        """Whether members of ``org_slug`` may change the issuer trust registry."""
        if self.operator_orgs:
            return org_slug in self.operator_orgs
        return self.env != "production"

    @field_validator("base_url")
    @classmethod
    def _origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("OPENLER_BASE_URL must be an http(s) origin, e.g. https://example.org")
        try:
            ipaddress.ip_address((parts.hostname or "").strip("[]"))
        except ValueError:
            pass
        else:
            raise ValueError(
                "OPENLER_BASE_URL must use a domain name, not an IP address: did:web "
                "identifiers are derived from it (use http://localhost:8000 locally)"
            )
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openler.sqlite3').resolve()}"

    @property
    def did_web_host(self) -> str:
        """The host part of did:web identifiers (a port is percent-encoded as %3A)."""
        return urlsplit(self.base_url).netloc.replace(":", "%3A")

    def check(self) -> None:
        """Refuse configurations that must not run."""
        if self.env == "production":
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
                raise ConfigurationError(
                    "OPENLER_SECRET_KEY must be set (at least 32 characters) in production."
                )
            if not self.base_url.startswith("https://"):
                raise ConfigurationError("OPENLER_BASE_URL must be https:// in production.")
            if self.smtp_url is None or not self.smtp_url.get_secret_value().strip():
                raise ConfigurationError(
                    "OPENLER_SMTP_URL must be set in production: claim and sign-in links are "
                    "e-mailed, never left in an outbox folder."
                )
