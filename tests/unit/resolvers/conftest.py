"""No test here may reach the internet: name lookups and connections off this machine fail."""

from __future__ import annotations

import socket
from typing import Any

import pytest

_LOCAL = ("localhost", "127.0.0.1", "::1")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOCAL:
            raise OSError(f"tests may not reach the network (asked for {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
