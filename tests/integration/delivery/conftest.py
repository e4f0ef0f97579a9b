"""The platform fixtures (both backends) for the wallet delivery tests, plus a clock the
tests move (the application reads it on every request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.platform.conftest import Platform, _no_network, platform

__all__ = ["Clock", "_no_network", "clock", "platform"]


class Clock:
    """The application's clock: a fixed moment that tests advance."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(platform: Platform) -> Clock:
    # Close to the wall clock: issued credentials are verified against it too.
    moment = Clock(datetime.now(UTC).replace(microsecond=0))
    platform.app.state.clock = moment
    return moment
