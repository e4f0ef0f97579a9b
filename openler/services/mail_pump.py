"""Delivering the outbox in the background: :class:`MailPump` is a daemon thread that
runs :func:`openler.services.outbox.deliver_pending` every few seconds (and at once when
woken), for as long as the process serves. ``openler serve`` starts one; ``openler mail
send`` delivers once, for a cron job or a deployment that runs no server.

Several processes may pump the same database at the same time: each message is claimed
by one conditional UPDATE before it is sent (see :mod:`openler.services.outbox`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from openler.config import Settings
from openler.services.mailer import Mailer, mailer_for_settings
from openler.services.outbox import DeliveryReport, deliver_pending
from openler.store.db import Database

__all__ = ["MailPump", "deliver_once"]

log = logging.getLogger("openler.mail")


def deliver_once(
    database: Database,
    settings: Settings,
    *,
    now: datetime,
    mailer: Mailer | None = None,
    limit: int = 1000,
) -> DeliveryReport:
    """Send what is due now (at most ``limit`` messages) at the configured rate."""
    return deliver_pending(
        database,
        mailer if mailer is not None else mailer_for_settings(settings),
        now=now,
        max_per_second=settings.mail_max_per_second,
        limit=limit,
    )


class MailPump:
    """A daemon thread delivering the outbox every ``interval`` seconds until stopped."""

    def __init__(
        self,
        database: Callable[[], Database],
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        interval: float = 2.0,
        mailer: Callable[[], Mailer] | None = None,
    ) -> None:
        self._database = database
        self._settings = settings
        self._clock = clock
        self._interval = interval
        self._mailer = mailer or (lambda: mailer_for_settings(settings))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="openler-mail", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Deliver now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    close = stop  # the application's shutdown closes what it opened

    def _run(self) -> None:
        mailer = self._mailer()  # one mailer for the thread's life (it reconnects itself)
        last_problem: str | None = None
        while not self._stop.is_set():
            try:
                report = deliver_pending(
                    self._database(),
                    mailer,
                    now=self._clock(),
                    max_per_second=self._settings.mail_max_per_second,
                    limit=100,
                )
                if report.sent or report.retried or report.failed:
                    log.info(
                        "mail: %d sent, %d to retry, %d failed",
                        report.sent,
                        report.retried,
                        report.failed,
                    )
            except DBAPIError as exc:  # database down or not migrated yet: say so once
                problem = str(exc.orig or exc).strip().splitlines()[0]
                if problem != last_problem:
                    log.warning("mail delivery waits for the database: %s", problem)
                last_problem = problem
                self._wake.wait(max(self._interval, 30.0))
                continue
            except Exception:  # a mailer outage or a bug: log it, keep pumping
                log.exception("mail delivery run failed; retrying in %.0f s", self._interval)
            last_problem = None
            self._wake.wait(self._interval)
            self._wake.clear()
