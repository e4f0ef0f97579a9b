"""What the CLI and resolver tests share to keep HTTP off the network."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

Handler = Callable[[httpx.Request], httpx.Response]


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make name lookups of any host but this machine fail, for the rest of the test."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOCAL_HOSTS:
            raise OSError(f"tests may not reach the network (asked for {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


class Recorder:
    """A MockTransport handler that answers with ``answer`` and records each request."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)
