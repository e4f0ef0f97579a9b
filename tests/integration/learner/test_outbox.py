"""The transactional outbox: written with the caller's transaction, delivered after commit,
rate-limited, retried with backoff, never sent twice for a key (real commits)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from openler.services.mailer import Email, MailDeliveryError, RecordingMailer, message_id_for
from openler.services.outbox import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    DEFAULT_MAX_ATTEMPTS,
    LEASE,
    DeliveryReport,
    QueuedEmail,
    _claim,
    backoff,
    deliver_pending,
    enqueue_email,
    enqueue_emails,
)
from openler.store.db import Database
from openler.store.models.enums import OutgoingEmailStatus
from openler.store.models.learner import OutgoingEmail
from tests.integration.learner.conftest import NOW


class FakeClock:
    """A monotonic clock that only sleeping moves."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def outbox(database: Database) -> Iterator[Database]:
    def clear() -> None:
        with database.session_scope() as session:
            session.execute(sa.delete(OutgoingEmail))

    clear()
    yield database
    clear()


def _enqueue(database: Database, *keys: str) -> None:
    with database.session_scope() as session:
        for key in keys:
            enqueue_email(
                session,
                key=key,
                to=f"{key}@example.org",
                subject=f"About {key}",
                text="Hi",
                now=NOW,
            )


def _rows(database: Database) -> dict[str, OutgoingEmail]:
    with database.session_scope() as session:
        return {row.idempotency_key: row for row in session.scalars(sa.select(OutgoingEmail))}


def _deliver(
    database: Database,
    mailer: RecordingMailer,
    clock: FakeClock,
    *,
    now: datetime = NOW,
    max_per_second: float = 1000.0,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> DeliveryReport:
    return deliver_pending(
        database,
        mailer,
        now=now,
        max_per_second=max_per_second,
        max_attempts=max_attempts,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )


def test_enqueue_is_idempotent_and_joins_the_callers_transaction(outbox: Database) -> None:
    with outbox.session_scope() as session:
        assert enqueue_email(session, key="k1", to="a@example.org", subject="S", text="T", now=NOW)
        assert not enqueue_email(
            session, key="k1", to="other@example.org", subject="S2", text="T2", now=NOW
        )

    def failing_work() -> None:
        with outbox.session_scope() as session:
            enqueue_email(session, key="k2", to="b@example.org", subject="S", text="T", now=NOW)
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    rows = _rows(outbox)
    assert set(rows) == {"k1"}  # the rolled-back message never existed
    assert rows["k1"].to_address == "a@example.org"
    assert rows["k1"].subject == "S"
    assert rows["k1"].status is OutgoingEmailStatus.PENDING


def test_subjects_cannot_inject_headers(outbox: Database) -> None:
    with outbox.session_scope() as session:
        enqueue_email(
            session, key="k", to="a@example.org", subject="Hi\r\nBcc: x@y.z", text="T", now=NOW
        )
        with pytest.raises(Exception, match="deliverable"):
            enqueue_email(session, key="k2", to="a@x.org\nBcc: y@z", subject="S", text="T", now=NOW)
    assert _rows(outbox)["k"].subject == "Hi Bcc: x@y.z"


def test_bulk_enqueue(outbox: Database) -> None:
    _enqueue(outbox, "claim:7")
    with outbox.session_scope() as session:
        enqueue_emails(
            session,
            [QueuedEmail(f"claim:{n}", f"p{n}@example.org", "S", "T") for n in range(500)],
            now=NOW,
        )
    rows = _rows(outbox)
    assert len(rows) == 500
    assert rows["claim:7"].to_address == "claim:7@example.org"  # the first one stays


def test_delivery_sends_each_message_once(outbox: Database) -> None:
    _enqueue(outbox, "a", "b", "c")
    mailer, clock = RecordingMailer(), FakeClock()
    report = _deliver(outbox, mailer, clock)
    assert (report.sent, report.retried, report.failed, report.skipped) == (3, 0, 0, 0)
    assert sorted(m.to for m in mailer.sent) == ["a@example.org", "b@example.org", "c@example.org"]
    assert {m.message_id for m in mailer.sent} == {message_id_for(k) for k in "abc"}
    rows = _rows(outbox)
    assert all(r.status is OutgoingEmailStatus.SENT and r.attempts == 1 for r in rows.values())
    assert all(r.sent_at is not None for r in rows.values())
    # Nothing is sent again, now or later.
    assert _deliver(outbox, mailer, clock, now=NOW + timedelta(days=1)).sent == 0
    assert len(mailer.sent) == 3


def test_delivery_is_rate_limited(outbox: Database) -> None:
    _enqueue(outbox, "a", "b", "c", "d")
    mailer, clock = RecordingMailer(), FakeClock()
    report = _deliver(outbox, mailer, clock, max_per_second=2.0)
    assert report.sent == 4
    assert clock.sleeps == [0.5, 0.5, 0.5]
    # Timestamps advance with the run: the last message was sent 1.5 s after the first.
    sent = sorted(r.sent_at for r in _rows(outbox).values() if r.sent_at)
    assert sent[-1] - sent[0] == timedelta(seconds=1.5)


def test_failures_are_retried_with_backoff(outbox: Database) -> None:
    _enqueue(outbox, "a")
    mailer, clock = RecordingMailer([MailDeliveryError("451 try later")]), FakeClock()
    report = _deliver(outbox, mailer, clock)
    assert (report.sent, report.retried) == (0, 1)
    row = _rows(outbox)["a"]
    assert row.status is OutgoingEmailStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + BACKOFF_BASE
    assert row.last_error == "451 try later"
    assert _deliver(outbox, mailer, clock, now=NOW + timedelta(seconds=59)).sent == 0
    assert _deliver(outbox, mailer, clock, now=NOW + BACKOFF_BASE).sent == 1
    row = _rows(outbox)["a"]
    assert row.status is OutgoingEmailStatus.SENT
    assert row.attempts == 2
    assert row.last_error is None


def test_permanent_failures_and_too_many_attempts_give_up(outbox: Database) -> None:
    _enqueue(outbox, "refused", "flaky")
    mailer = RecordingMailer(
        [MailDeliveryError("550 no such user", permanent=True), OSError("connection reset")]
    )
    clock = FakeClock()
    report = _deliver(outbox, mailer, clock, max_attempts=1)
    assert (report.failed, report.sent) == (2, 0)
    rows = _rows(outbox)
    assert rows["refused"].status is OutgoingEmailStatus.FAILED
    assert rows["flaky"].status is OutgoingEmailStatus.FAILED
    # One failed for good at once, the other after its last allowed attempt.
    assert sorted(r.last_error or "" for r in rows.values()) == [
        "550 no such user",
        "OSError: connection reset",
    ]
    assert _deliver(outbox, mailer, clock, now=NOW + timedelta(days=1)).sent == 0


def test_a_claimed_message_is_not_sent_by_a_second_run(outbox: Database) -> None:
    _enqueue(outbox, "a")
    message_id = _rows(outbox)["a"].id
    email, attempts = _claim(outbox, message_id, NOW)  # a first run took it
    assert isinstance(email, Email)
    assert attempts == 1
    assert _claim(outbox, message_id, NOW) == (None, 0)  # a second cannot
    mailer, clock = RecordingMailer(), FakeClock()
    assert _deliver(outbox, mailer, clock).sent == 0
    assert mailer.sent == []
    # The first run died before marking it sent: after its lease the message is due again
    # (the documented window for a duplicate).
    assert _deliver(outbox, mailer, clock, now=NOW + LEASE).sent == 1
    assert _rows(outbox)["a"].attempts == 2


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [BACKOFF_BASE, 2 * BACKOFF_BASE, 4 * BACKOFF_BASE]
    assert backoff(50) == BACKOFF_MAX


def test_bad_rate(outbox: Database) -> None:
    with pytest.raises(Exception, match="max_per_second"):
        _deliver(outbox, RecordingMailer(), FakeClock(), max_per_second=0)
