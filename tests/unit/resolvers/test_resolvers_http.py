"""HttpResolver / HttpStatusFetcher against httpx.MockTransport (never the network)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openler.core.errors import DidNotFound, DidResolutionError, StatusListError
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.resolvers import StatusListNotFound
from openler.resolvers.http import HttpJsonFetcher, HttpResolver, HttpStatusFetcher
from tests.unit._http_fakes import Handler, Recorder

DID = "did:web:example.com:orgs:acme"
DID_URL = "https://example.com/orgs/acme/did.json"
LIST_URL = "https://example.com/status/1"


def streamed(status: int, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """A response whose body arrives as a stream, as from the network (bytes given to
    httpx.Response directly would be read into memory at once)."""
    return httpx.Response(status, content=iter([body]), headers=headers)


def json_response(document: Any, status: int = 200, **headers: str) -> httpx.Response:
    return streamed(
        status, json.dumps(document).encode(), {"Content-Type": "application/json", **headers}
    )


def resolver_with(handler: Handler, **options: Any) -> HttpResolver:
    return HttpResolver(transport=httpx.MockTransport(handler), **options)


def fetcher_with(handler: Handler, **options: Any) -> HttpStatusFetcher:
    return HttpStatusFetcher(transport=httpx.MockTransport(handler), **options)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_they_implement_the_core_ports() -> None:
    recorder = Recorder(lambda r: json_response({}))
    with resolver_with(recorder) as resolver, fetcher_with(recorder) as fetcher:
        assert isinstance(resolver, ControllerResolver)
        assert isinstance(fetcher, StatusListFetcher)


def test_did_web_is_fetched_from_its_https_url() -> None:
    recorder = Recorder(
        lambda r: json_response(
            {"id": DID}, **{"Content-Type": "application/did+ld+json; charset=utf-8"}
        )
    )
    resolver = resolver_with(recorder)
    assert resolver.resolve(DID) == {"id": DID}
    (request,) = recorder.requests
    assert str(request.url) == DID_URL
    assert "application/did+json" in request.headers["Accept"]


def test_https_controller_documents_and_status_lists() -> None:
    recorder = Recorder(lambda r: json_response({"id": str(r.url)}))
    assert resolver_with(recorder).resolve("https://example.com/issuer#key-1") == {
        "id": "https://example.com/issuer"
    }
    status = fetcher_with(recorder, default_ttl=0).fetch(LIST_URL)
    assert status == {"id": LIST_URL}
    assert "application/vc" in recorder.requests[-1].headers["Accept"]


@pytest.mark.parametrize(
    "identifier", ["http://example.com/issuer", "did:example:123", "ftp://example.com/x"]
)
def test_only_did_web_and_https_are_resolved(identifier: str) -> None:
    recorder = Recorder(lambda r: json_response({}))
    with pytest.raises(DidResolutionError):
        resolver_with(recorder).resolve(identifier)
    assert recorder.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/status/1",
        "https://user:secret@example.com/status/1",
        "https://127.0.0.1/status/1",
        "https://[::1]/status/1",
        "https://10.1.2.3/status/1",
        "https://localhost/status/1",
        "https://status.localhost/1",
    ],
)
def test_plain_http_user_info_and_private_hosts_are_refused(url: str) -> None:
    recorder = Recorder(lambda r: json_response({}))
    with pytest.raises(StatusListError) as info:
        fetcher_with(recorder).fetch(url)
    assert not isinstance(info.value, StatusListNotFound)
    assert recorder.requests == []


def test_private_hosts_can_be_allowed_explicitly() -> None:
    recorder = Recorder(lambda r: json_response({"ok": True}))
    fetcher = fetcher_with(recorder, allow_private_hosts=True)
    assert fetcher.fetch("https://localhost:8443/status/1") == {"ok": True}


def test_a_port_is_allowed() -> None:
    recorder = Recorder(lambda r: json_response({"id": "did:web:example.com%3A8443"}))
    resolver_with(recorder).resolve("did:web:example.com%3A8443")
    assert str(recorder.requests[0].url) == "https://example.com:8443/.well-known/did.json"


def test_https_redirects_are_followed_others_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        if request.url.path == "/insecure":
            return httpx.Response(302, headers={"Location": "http://example.com/new"})
        if request.url.path == "/loop":
            return httpx.Response(302, headers={"Location": "/loop"})
        return json_response({"at": request.url.path})

    fetcher = fetcher_with(Recorder(answer))
    assert fetcher.fetch("https://example.com/old") == {"at": "/new"}
    with pytest.raises(StatusListError, match="redirects elsewhere, refused"):
        fetcher.fetch("https://example.com/insecure")
    with pytest.raises(StatusListError, match="redirects more than 3 times"):
        fetcher.fetch("https://example.com/loop")


def test_not_found_and_server_errors_map_to_the_core_errors() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404 if "missing" in request.url.path else 503)

    resolver = resolver_with(Recorder(answer))
    with pytest.raises(DidNotFound, match="HTTP 404"):
        resolver.resolve("did:web:example.com:missing")
    with pytest.raises(DidResolutionError, match="HTTP 503") as info:
        resolver.resolve("did:web:example.com:broken")
    assert not isinstance(info.value, DidNotFound)
    fetcher = fetcher_with(Recorder(answer))
    with pytest.raises(StatusListNotFound):
        fetcher.fetch("https://example.com/missing")


def test_a_timeout_is_reported_plainly() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    with pytest.raises(DidResolutionError, match=r"did not answer within 5 s"):
        resolver_with(Recorder(answer)).resolve(DID)
    with pytest.raises(StatusListError, match=r"within 0\.5 s"):
        fetcher_with(Recorder(answer), timeout=0.5).fetch(LIST_URL)


def test_connection_errors_are_reported_plainly() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name or service not known", request=request)

    with pytest.raises(DidResolutionError, match="name or service not known"):
        resolver_with(Recorder(answer)).resolve(DID)


def test_a_declared_size_over_the_cap_is_refused() -> None:
    big = json.dumps({"pad": "x" * 3000}).encode()
    recorder = Recorder(
        lambda r: streamed(
            200, big, {"Content-Type": "application/json", "Content-Length": str(len(big))}
        )
    )
    with pytest.raises(DidResolutionError, match="more than the limit of 1,000"):
        resolver_with(recorder, max_bytes=1000).resolve(DID)


def test_a_streamed_body_is_abandoned_at_the_cap() -> None:
    produced: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"pad": "'
        while True:
            produced.append(1)
            yield b"x" * 1024

    recorder = Recorder(
        lambda r: httpx.Response(
            200, content=endless(), headers={"Content-Type": "application/json"}
        )
    )
    with pytest.raises(StatusListError, match="larger than the limit of 1,048,576 bytes"):
        fetcher_with(recorder).fetch(LIST_URL)
    assert len(produced) < 1100  # stopped near 1 MiB, not at the end of an endless stream


def test_a_gzip_bomb_is_capped_while_inflating() -> None:
    bomb = gzip.compress(b'{"pad": "' + b"x" * (20 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000
    recorder = Recorder(
        lambda r: streamed(
            200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )
    )
    with pytest.raises(StatusListError, match="larger than the limit"):
        fetcher_with(recorder).fetch(LIST_URL)


def test_a_body_the_transport_already_read_is_accepted() -> None:
    recorder = Recorder(
        lambda r: httpx.Response(
            200, content=b'{"id": 1}', headers={"Content-Type": "application/json"}
        )
    )
    assert fetcher_with(recorder).fetch(LIST_URL) == {"id": 1}


def test_a_small_gzip_body_is_read() -> None:
    body = gzip.compress(json.dumps({"id": LIST_URL}).encode())
    recorder = Recorder(
        lambda r: streamed(
            200, body, {"Content-Type": "application/vc+ld+json", "Content-Encoding": "gzip"}
        )
    )
    assert fetcher_with(recorder).fetch(LIST_URL) == {"id": LIST_URL}


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"<html></html>", "text/html", "is not JSON"),
        (b'{"a": 1}', "", "is not JSON"),
        (b'{"a": 1}', "application/vc+jwt", "is not JSON"),
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2, 3]", "application/json", "JSON object"),
    ],
)
def test_only_json_objects_are_accepted(content: bytes, content_type: str, message: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    recorder = Recorder(lambda r: streamed(200, content, headers))
    with pytest.raises(DidResolutionError, match=message):
        resolver_with(recorder).resolve(DID)


def test_the_cache_answers_repeated_requests() -> None:
    recorder = Recorder(lambda r: json_response({"id": DID}))
    resolver = resolver_with(recorder)
    first = resolver.resolve(DID)
    first["id"] = "changed by the caller"  # type: ignore[index]
    assert resolver.resolve(DID) == {"id": DID}
    assert len(recorder.requests) == 1


def test_the_cache_respects_max_age_under_a_ceiling() -> None:
    clock = Clock()
    recorder = Recorder(lambda r: json_response({"ok": 1}, **{"Cache-Control": "max-age=60"}))
    fetcher = fetcher_with(recorder, clock=clock)
    fetcher.fetch(LIST_URL)
    clock.now += 59
    fetcher.fetch(LIST_URL)
    assert len(recorder.requests) == 1
    clock.now += 2
    fetcher.fetch(LIST_URL)
    assert len(recorder.requests) == 2

    long = Recorder(lambda r: json_response({"ok": 1}, **{"Cache-Control": "max-age=999999"}))
    fetcher = fetcher_with(long, clock=clock, max_ttl=3600)
    fetcher.fetch(LIST_URL)
    clock.now += 3599
    fetcher.fetch(LIST_URL)
    clock.now += 2
    fetcher.fetch(LIST_URL)
    assert len(long.requests) == 2


@pytest.mark.parametrize("cache_control", ["no-store", "no-cache", "max-age=0", "max-age=soon"])
def test_uncacheable_responses_are_fetched_each_time(cache_control: str) -> None:
    recorder = Recorder(lambda r: json_response({"ok": 1}, **{"Cache-Control": cache_control}))
    fetcher = fetcher_with(recorder)
    fetcher.fetch(LIST_URL)
    fetcher.fetch(LIST_URL)
    assert len(recorder.requests) == 2


def test_the_cache_is_bounded() -> None:
    recorder = Recorder(lambda r: json_response({"path": r.url.path}))
    shared = HttpJsonFetcher(transport=httpx.MockTransport(recorder), cache_size=2)
    fetcher = HttpStatusFetcher(fetcher=shared)
    for n in (1, 2, 3, 1):
        fetcher.fetch(f"https://example.com/status/{n}")
    assert len(recorder.requests) == 4  # /1 was evicted by /3
    shared.clear_cache()
    fetcher.fetch("https://example.com/status/3")
    assert len(recorder.requests) == 5
    fetcher.close()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        HttpJsonFetcher(timeout=0)
