"""No test here may reach the internet: name lookups and connections off this machine fail."""

from __future__ import annotations

import pytest

from tests.unit._http_fakes import block_network


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)
