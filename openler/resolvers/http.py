"""did:web documents, controller documents and status lists fetched over HTTPS (httpx).

Safe defaults, each one a keyword argument:

* ``https://`` only, on any port; user info, and redirects to anything but ``https://``,
  are refused (at most ``max_redirects`` redirects are followed, each one checked).
* IP-literal hosts outside the public internet and ``localhost`` are refused unless
  ``allow_private_hosts=True`` (what a host *name* resolves to is not checked).
* ``timeout`` (5 s) bounds connecting, each read, and the whole download.
* ``max_bytes`` (1 MiB) caps the body, counted while it streams in (after any gzip or
  deflate decoding, which is also capped); a larger body is abandoned.
* Only JSON media types are accepted (``application/json``, ``application/*+json``,
  ``application/vc``): the body must be one JSON object.
* Responses are kept in an in-memory cache for ``Cache-Control: max-age`` seconds, at
  most ``max_ttl`` (1 h), ``default_ttl`` (5 min) when the server says nothing, never
  with ``no-store`` / ``no-cache``.

Tests pass an ``httpx.MockTransport`` as ``transport``; nothing here needs the network
to be tested.
"""

from __future__ import annotations

import copy
import ipaddress
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self

import httpx

from openler.core.errors import (
    DidNotFound,
    DidResolutionError,
    OpenlerError,
    StatusListError,
    StatusListNotFound,
)
from openler.core.keys.did_web import DID_WEB_PREFIX, did_web_to_url
from openler.core.limits import Limits, parse_json

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "HttpJsonFetcher",
    "HttpResolver",
    "HttpStatusFetcher",
]

DEFAULT_TIMEOUT: Final = 5.0
DEFAULT_MAX_BYTES: Final = 1024 * 1024
DEFAULT_TTL: Final = 300.0
MAX_TTL: Final = 3600.0
USER_AGENT: Final = "openler (+https://github.com/openler)"
_JSON_TYPES: Final = frozenset({"application/vc", "application/vp"})
_DID_ACCEPT: Final = (
    "application/did+json, application/did+ld+json, application/ld+json, application/json;q=0.9"
)
_STATUS_ACCEPT: Final = (
    "application/vc+ld+json, application/vc, application/ld+json, application/json;q=0.9"
)


class FetchFailed(Exception):
    """Why a document could not be had; ``not_found`` for HTTP 404 / 410."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.not_found = not_found


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: float
    document: Mapping[str, Any]


class HttpJsonFetcher:
    """GETs one JSON object over HTTPS under the caps in the module docstring.

    Raises :class:`FetchFailed` with a sentence for people; the public adapters below turn
    it into the core's error types. Safe to share between threads."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 3,
        default_ttl: float = DEFAULT_TTL,
        max_ttl: float = MAX_TTL,
        cache_size: int = 256,
        allow_private_hosts: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0 or max_redirects < 0 or cache_size < 0:
            raise ValueError(
                "timeout and max_bytes must be positive, max_redirects and cache_size not negative."
            )
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self.cache_size = cache_size
        self.allow_private_hosts = allow_private_hosts
        self._clock = clock
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- fetching ----------------------------------------------------------------------

    def get_json(self, url: str, *, accept: str = "application/json") -> Mapping[str, Any]:
        """The JSON object at ``url`` (a fresh copy: callers may not change the cache)."""
        self._check_url(url)
        now = self._clock()
        with self._lock:
            entry = self._cache.get(url)
            if entry is not None and entry.expires > now:
                self._cache.move_to_end(url)
                return copy.deepcopy(entry.document)
            if entry is not None:
                del self._cache[url]
        document, ttl = self._download(url, accept)
        if ttl > 0 and self.cache_size:
            with self._lock:
                self._cache[url] = _Entry(self._clock() + ttl, document)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return copy.deepcopy(document)

    def _check_url(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise FetchFailed(f"{url!r} is not a valid URL.") from None
        if parsed.scheme != "https":
            raise FetchFailed(f"{url} is not an https:// URL; only HTTPS is fetched.")
        if not parsed.host:
            raise FetchFailed(f"{url} has no host.")
        if parsed.userinfo:
            raise FetchFailed(f"{url} carries user info, which is refused.")
        if not self.allow_private_hosts and _is_private_host(parsed.host):
            raise FetchFailed(f"{url} names a local or private host, which is refused.")
        return parsed

    def _download(self, url: str, accept: str) -> tuple[Mapping[str, Any], float]:
        deadline = time.monotonic() + self.timeout
        current = url
        for _ in range(self.max_redirects + 1):
            try:
                with self._client.stream(
                    "GET", current, headers={"Accept": accept, "Accept-Encoding": "gzip, identity"}
                ) as response:
                    if response.is_redirect:
                        current = self._redirect_target(response, current)
                        continue
                    return self._read(response, current, deadline)
            except httpx.TimeoutException:
                raise FetchFailed(f"{current} did not answer within {self.timeout:g} s.") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{current}: {_reason(exc)}.") from None
        raise FetchFailed(f"{url} redirects more than {self.max_redirects} times.")

    def _redirect_target(self, response: httpx.Response, current: str) -> str:
        location = response.headers.get("Location")
        if not location:
            raise FetchFailed(f"{current} redirects without a Location.")
        try:
            target = str(httpx.URL(current).join(location))
        except (httpx.InvalidURL, TypeError):
            raise FetchFailed(f"{current} redirects to an invalid URL.") from None
        try:
            self._check_url(target)
        except FetchFailed as exc:
            raise FetchFailed(f"{current} redirects elsewhere, refused: {exc.message}") from None
        return target

    def _read(
        self, response: httpx.Response, url: str, deadline: float
    ) -> tuple[Mapping[str, Any], float]:
        status = response.status_code
        if status in (404, 410):
            raise FetchFailed(
                f"{url} answered HTTP {status}: nothing is published there.", not_found=True
            )
        if status != 200:
            raise FetchFailed(f"{url} answered HTTP {status}.")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not _is_json_media_type(media_type):
            raise FetchFailed(f"{url} is not JSON (Content-Type {media_type or 'missing'!r}).")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchFailed(
                f"{url} is {int(declared):,} bytes, more than the limit of {self.max_bytes:,}."
            )
        body = bytearray()
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        raw: Iterator[bytes]
        if response.is_stream_consumed:  # a transport that handed over the whole body
            raw, encoding = iter([response.content]), "identity"
        else:
            raw = response.iter_raw()
        for chunk in _decoded(raw, encoding, self.max_bytes, url):
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchFailed(f"{url} is larger than the limit of {self.max_bytes:,} bytes.")
            if time.monotonic() > deadline:
                raise FetchFailed(f"{url} did not finish within {self.timeout:g} s.")
        try:
            value = parse_json(bytes(body), Limits(max_bytes=self.max_bytes))
        except OpenlerError as exc:
            raise FetchFailed(f"{url}: {exc.message}") from None
        if not isinstance(value, Mapping):
            raise FetchFailed(f"{url} does not hold a JSON object.")
        return value, self._ttl(response.headers.get("Cache-Control", ""))

    def _ttl(self, cache_control: str) -> float:
        ttl = self.default_ttl
        for directive in cache_control.lower().split(","):
            name, _, value = directive.strip().partition("=")
            if name in ("no-store", "no-cache"):
                return 0.0
            if name == "max-age":
                try:
                    ttl = float(int(value.strip().strip('"')))
                except ValueError:
                    return 0.0
        return max(0.0, min(ttl, self.max_ttl))


def _decoded(raw: Iterator[bytes], encoding: str, cap: int, url: str) -> Iterator[bytes]:
    """The body with gzip/deflate undone, never inflating more than ``cap + 1`` bytes."""
    if encoding in ("", "identity"):
        yield from raw
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchFailed(f"{url} uses the unsupported Content-Encoding {encoding!r}.")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
    total = 0
    try:
        for chunk in raw:
            data = chunk
            while data:
                out = inflater.decompress(data, cap + 1 - total)
                total += len(out)
                yield out
                if total > cap:
                    return
                data = inflater.unconsumed_tail
    except zlib.error:
        raise FetchFailed(f"{url} sent a body that is not valid {encoding}.") from None


def _is_json_media_type(media_type: str) -> bool:
    return (
        media_type.endswith(("/json", "+json")) and media_type.startswith("application/")
    ) or media_type in _JSON_TYPES


def _is_private_host(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


class _HttpAdapter:
    def __init__(
        self,
        *,
        fetcher: HttpJsonFetcher | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        **options: Any,
    ) -> None:
        self.fetcher = fetcher or HttpJsonFetcher(
            transport=transport, timeout=timeout, max_bytes=max_bytes, **options
        )

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class HttpResolver(_HttpAdapter):
    """A :class:`~openler.core.ports.ControllerResolver` for ``did:web`` DIDs (fetched from
    ``https://host/.../did.json``) and ``https://`` controller-document URLs.

    Keyword arguments are those of :class:`HttpJsonFetcher` (``transport``, ``timeout``,
    ``max_bytes``, ``default_ttl``, ``max_ttl``, ``allow_private_hosts``, ``clock``...).
    Raises :class:`DidNotFound` on HTTP 404/410 and :class:`DidResolutionError` otherwise."""

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        if not isinstance(identifier, str):
            raise DidResolutionError("An identifier to resolve must be a string.")
        base = identifier.partition("#")[0]
        if base.startswith(DID_WEB_PREFIX):
            url = did_web_to_url(base)
        elif base.lower().startswith("https://"):
            url = base
        else:
            raise DidResolutionError(
                f"{identifier!r} cannot be resolved over HTTPS: only did:web DIDs and "
                "https:// URLs can.",
                details={"id": identifier},
            )
        try:
            return self.fetcher.get_json(url, accept=_DID_ACCEPT)
        except FetchFailed as exc:
            error = DidNotFound if exc.not_found else DidResolutionError
            raise error(
                f"{base}: {exc.message}" if base != url else exc.message,
                details={"id": identifier, "url": url},
            ) from None


class HttpStatusFetcher(_HttpAdapter):
    """A :class:`~openler.core.ports.StatusListFetcher` over HTTPS (same options as
    :class:`HttpResolver`). Raises :class:`StatusListNotFound` on HTTP 404/410 and
    :class:`~openler.core.errors.StatusListError` otherwise."""

    def fetch(self, url: str) -> Mapping[str, Any]:
        if not isinstance(url, str):
            raise StatusListError("A status list URL must be a string.")
        base = url.partition("#")[0]
        try:
            return self.fetcher.get_json(base, accept=_STATUS_ACCEPT)
        except FetchFailed as exc:
            error = StatusListNotFound if exc.not_found else StatusListError
            raise error(exc.message, details={"url": url}) from None
