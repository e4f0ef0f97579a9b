"""The transactional outbox: e-mail written in the caller's transaction, sent after commit.

Writing: :func:`enqueue_email` adds one ``outgoing_emails`` row in the caller's
transaction: one ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` statement, no read
first, so bulk issuance can call it for thousands of rows (or :func:`enqueue_emails` for
one multi-row statement). A message exists once per key (``claim:<credential id>``): a
repeat is silently dropped and reported as ``False``. If the caller's transaction rolls
back, the message was never there; nothing is sent for work that did not commit.

Delivering: :func:`deliver_pending` (a job, a CLI command, or a web request's
after-commit task) picks due messages and sends each one::

    pending ──claim (UPDATE … WHERE still due; commit)──▶ sending ──send──▶ sent
       ▲                                                     │
       └──── error: attempts < max, not permanent ◀──────────┴──▶ failed

Each message is claimed by one conditional ``UPDATE`` committed before sending, so two
delivery runs never both send it: the loser's ``UPDATE`` matches no row. The claim is a
lease (:data:`LEASE`): a run that dies leaves the message ``sending`` until the lease
ends, then it is due again. **The one window for a duplicate** is a crash (or a lost
database connection) after the mail system accepted the message and before ``sent`` was
committed: that message is sent again once its lease ends. Receivers can drop the copy:
both carry the same ``Message-ID``, derived from the idempotency key. (Exactly-once is
impossible without the mail system taking part in the transaction.)

Failures are retried with exponential backoff (:data:`BACKOFF_BASE` doubling up to
:data:`BACKOFF_MAX`) up to ``max_attempts``; a permanent error (a refused address) fails at
once. ``max_per_second`` spaces the sends of one run; runs in parallel each keep to it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from openler.core.errors import InvalidInput
from openler.services.mailer import Email, MailDeliveryError, Mailer, message_id_for
from openler.store.db import Database
from openler.store.models._base import Base, new_id
from openler.store.models.enums import OutgoingEmailStatus
from openler.store.models.learner import OutgoingEmail

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "DEFAULT_MAX_ATTEMPTS",
    "LEASE",
    "DeliveryReport",
    "QueuedEmail",
    "backoff",
    "deliver_pending",
    "enqueue_email",
    "enqueue_emails",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS: Final = 8
BACKOFF_BASE: Final = timedelta(minutes=1)
BACKOFF_MAX: Final = timedelta(hours=6)
#: How long a delivery run holds a claimed message (far above the SMTP timeout).
LEASE: Final = timedelta(minutes=10)
_MAX_KEY: Final = 200
_MAX_ADDRESS: Final = 320
_MAX_SUBJECT: Final = 300
_PENDING: Final = OutgoingEmailStatus.PENDING
_TABLE: Final = Base.metadata.tables[OutgoingEmail.__tablename__]
_SENDING: Final = OutgoingEmailStatus.SENDING


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """A message to enqueue; ``key`` makes it unique (``claim:<credential id>``)."""

    key: str
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_pending` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another run first


def _row(email: QueuedEmail, now: datetime) -> dict[str, Any]:
    if not email.key or len(email.key) > _MAX_KEY:
        raise InvalidInput(f"An outbox key has 1 to {_MAX_KEY} characters.")
    if not email.to or len(email.to) > _MAX_ADDRESS or "\n" in email.to or "\r" in email.to:
        raise InvalidInput("Not a deliverable e-mail address.")
    subject = " ".join(email.subject.split())  # no header injection, no folding surprises
    return {
        "id": new_id(),
        "idempotency_key": email.key,
        "to_address": email.to,
        "subject": subject[:_MAX_SUBJECT],
        "body_text": email.text,
        "body_html": email.html,
        "status": _PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _insert(session: Session) -> Any:
    # A Core INSERT on the table, not an ORM bulk insert of the entity.
    table = _TABLE
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])


def enqueue_email(
    session: Session,
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    now: datetime,
) -> bool:
    """Write one message to the outbox in the caller's transaction (one INSERT; no commit).
    ``False`` when a message with this ``key`` exists already (it is left as it is)."""
    row = _row(QueuedEmail(key, to, subject, text, html), now)
    # RETURNING tells whether the row went in (psycopg reports no rowcount here).
    inserted = session.execute(_insert(session).returning(_TABLE.c.id), row).first()
    return inserted is not None


def enqueue_emails(session: Session, emails: Iterable[QueuedEmail], *, now: datetime) -> None:
    """Write many messages in one multi-row INSERT (keys already present are skipped)."""
    rows = [_row(email, now) for email in emails]
    if rows:
        session.execute(_insert(session), rows)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes, at most 6 h."""
    wait: timedelta = BACKOFF_BASE * (2 ** max(0, min(attempts - 1, 20)))
    return wait if wait < BACKOFF_MAX else BACKOFF_MAX


def _due(now: datetime) -> Any:
    return sa.or_(
        sa.and_(OutgoingEmail.status == _PENDING, OutgoingEmail.next_attempt_at <= now),
        sa.and_(OutgoingEmail.status == _SENDING, OutgoingEmail.locked_until <= now),
    )


def deliver_pending(
    database: Database,
    mailer: Mailer,
    *,
    now: datetime,
    max_per_second: float,
    limit: int = 1000,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> DeliveryReport:
    """Send up to ``limit`` due messages, at most ``max_per_second``, each in its own
    short transactions (never inside the caller's). ``now`` is the run's start; later
    timestamps advance from it by ``monotonic``. Returns counts; never raises for a
    message that fails (it is retried later, or marked failed)."""
    if max_per_second <= 0:
        raise InvalidInput("max_per_second must be positive.")
    started = monotonic()

    def current() -> datetime:
        return now + timedelta(seconds=max(0.0, monotonic() - started))

    with database.session_scope() as session:
        ids = list(
            session.scalars(
                sa.select(OutgoingEmail.id)
                .where(_due(now))
                .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
                .limit(limit)
            )
        )
    interval = 1.0 / max_per_second
    last_send: float | None = None
    sent = retried = failed = skipped = 0
    try:
        for message_id in ids:
            email, attempts = _claim(database, message_id, current())
            if email is None:
                skipped += 1
                continue
            if last_send is not None:
                wait = interval - (monotonic() - last_send)
                if wait > 0:
                    sleep(wait)
            last_send = monotonic()
            try:
                mailer.send(email)
            except Exception as exc:  # any mailer failure is retried, or marked failed
                permanent = isinstance(exc, MailDeliveryError) and exc.permanent
                gave_up = permanent or attempts >= max_attempts
                _record_failure(database, message_id, exc, current(), attempts, gave_up)
                if gave_up:
                    failed += 1
                else:
                    retried += 1
                continue
            _mark_sent(database, message_id, current())
            sent += 1
    finally:
        close = getattr(mailer, "close", None)
        if callable(close):
            close()
    return DeliveryReport(sent=sent, retried=retried, failed=failed, skipped=skipped)


def _claim(database: Database, message_id: uuid.UUID, at: datetime) -> tuple[Email | None, int]:
    """Take the message for this run (committed before sending), or None if another run
    has it or it is no longer due."""
    with database.session_scope(immediate=True) as session:
        result = session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == message_id, _due(at))
            .values(
                status=_SENDING,
                locked_until=at + LEASE,
                attempts=OutgoingEmail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None, 0
        row = session.execute(
            sa.select(
                OutgoingEmail.idempotency_key,
                OutgoingEmail.to_address,
                OutgoingEmail.subject,
                OutgoingEmail.body_text,
                OutgoingEmail.body_html,
                OutgoingEmail.attempts,
            ).where(OutgoingEmail.id == message_id)
        ).one()
    email = Email(
        to=row.to_address,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        message_id=message_id_for(row.idempotency_key),
    )
    return email, int(row.attempts)


def _mark_sent(database: Database, message_id: uuid.UUID, at: datetime) -> None:
    with database.session_scope() as session:
        session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == message_id, OutgoingEmail.status == _SENDING)
            .values(status=OutgoingEmailStatus.SENT, sent_at=at, locked_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )


def _record_failure(
    database: Database,
    message_id: uuid.UUID,
    exc: Exception,
    at: datetime,
    attempts: int,
    gave_up: bool,
) -> None:
    text = exc.message if isinstance(exc, MailDeliveryError) else f"{type(exc).__name__}: {exc}"
    logger.warning(
        "mail %s: attempt %d failed (%s)%s",
        message_id,
        attempts,
        text,
        "; giving up" if gave_up else "",
    )
    values: dict[str, Any] = {"locked_until": None, "last_error": text[:500]}
    if gave_up:
        values["status"] = OutgoingEmailStatus.FAILED
    else:
        values["status"] = _PENDING
        values["next_attempt_at"] = at + backoff(attempts)
    with database.session_scope() as session:
        session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == message_id, OutgoingEmail.status == _SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
