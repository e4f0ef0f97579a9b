"""Plain ASGI middleware: request body cap, per-client rate limit, security headers.

Each one answers with the API's problem+json shape (see :mod:`openler.api.problems`).
They are pure ASGI (not ``BaseHTTPMiddleware``) so that a body is never buffered before
it is counted.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openler.api.problems import (
    SECURITY_HEADERS,
    RequestBodyTooLarge,
    problem_response,
)

log = logging.getLogger(__name__)

__all__ = [
    "BodySizeLimitMiddleware",
    "RateLimit",
    "RateLimitMiddleware",
    "RedisTokenBuckets",
    "SecurityHeadersMiddleware",
    "TokenBuckets",
]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


# -- request body cap -----------------------------------------------------------------


def _wants_html(scope: Scope) -> bool:
    """A browser page or an htmx request (not an API client): errors become HTML."""
    if _header(scope, b"hx-request") is not None:
        return True
    accept = (_header(scope, b"accept") or b"").lower()
    return b"text/html" in accept


class BodySizeLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413: at once when ``Content-Length`` says so,
    otherwise as soon as the streamed body passes the cap (chunked uploads included)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        larger: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        #: Paths allowed a different cap (roster uploads for bulk issuance).
        self.larger = tuple(larger)

    def _cap(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        for pattern, cap in self.larger:
            if pattern.match(path):
                return cap
        return self.max_bytes

    def _too_large(self, scope: Scope, cap: int) -> Response:
        message = f"The request body is larger than {cap:,} bytes."
        if _wants_html(scope):
            from starlette.requests import Request

            from openler.web.templating import error_page

            return error_page(
                Request(scope),
                413,
                "Too large",
                f"{message} Nothing was stored; please send a smaller file.",
                code="input_too_large",
            )
        return problem_response(413, "input_too_large", message, details={"maxBytes": cap})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                response = problem_response(
                    400, "bad_request", "The Content-Length header is not a whole number."
                )
                await response(scope, receive, send)
                return
            if length > cap:
                await self._too_large(scope, cap)(scope, receive, send)
                return

        received = 0
        answered = False  # we sent the 413 ourselves; drop whatever the app sends after

        async def counted_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap and not answered:
                    answered = True
                    await self._too_large(scope, cap)(scope, receive, send)
                    raise RequestBodyTooLarge(f"The request body is larger than {cap:,} bytes.")
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not answered:
                raise


# -- rate limit -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per client: ``burst`` requests at once, refilled at ``per_second``.

    ``max_clients`` bounds memory: the client seen least recently is forgotten first (and
    comes back with a full bucket). IPv6 clients are counted per /64 network."""

    per_second: float = 10.0
    burst: int = 100
    max_clients: int = 10_000

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1 or self.max_clients < 1:
            raise ValueError("RateLimit needs per_second > 0, burst >= 1 and max_clients >= 1.")


class TokenBuckets:
    """In-memory token buckets keyed by client (one process; not shared between workers)."""

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when allowed, else seconds until one is free."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - last) * self.limit.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.limit.per_second
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.limit.max_clients:
            self._buckets.popitem(last=False)
        return wait


#: Atomic token bucket in Redis: KEYS[1] the client's bucket; ARGV: rate per second, burst,
#: time-to-live in ms. Redis's own clock is used so that every worker agrees on "now".
_REDIS_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(state[1]) or burst
local last = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class RedisTokenBuckets:
    """The same token buckets kept in Redis, shared by every worker process and machine
    behind one address (``OPENLER_RATE_LIMIT_REDIS_URL``).

    One round trip per request (a Lua script, atomic on the server). When Redis cannot be
    reached the request is let through and the failure logged at most once a minute: a
    rate limiter that fails closed would turn a Redis outage into a platform outage."""

    def __init__(self, limit: RateLimit, url: str, *, prefix: str = "openler:rl:") -> None:
        import redis.asyncio

        self.limit = limit
        self.prefix = prefix
        self._redis = redis.asyncio.Redis.from_url(url, socket_timeout=0.25)
        self._script = self._redis.register_script(_REDIS_BUCKET)
        self._ttl_ms = max(1000, math.ceil(1000 * limit.burst / limit.per_second) + 1000)
        self._last_warning = -math.inf

    async def take_async(self, client: str) -> float:
        """0.0 when allowed, else seconds until a token is free (0.0 when Redis is down)."""
        try:
            answer = await self._script(
                keys=[self.prefix + client],
                args=[self.limit.per_second, self.limit.burst, self._ttl_ms],
            )
        except Exception as exc:  # any Redis or connection failure: fail open, say so
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("rate limit store unreachable, requests not limited: %s", exc)
            return 0.0
        return float(answer)

    async def aclose(self) -> None:
        await self._redis.aclose()


def client_key(scope: Scope) -> str:
    """The rate-limit key of a request: its client address (IPv6 by /64 network).

    Behind a reverse proxy the address is the one uvicorn derives from trusted
    ``X-Forwarded-For`` headers (uvicorn's ``FORWARDED_ALLOW_IPS``, loopback by default)."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimitMiddleware:
    """429 with ``Retry-After`` for a client over its budget on the public endpoints
    (paths under one of ``prefixes``); other paths pass untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        buckets: TokenBuckets | RedisTokenBuckets,
        prefixes: Iterable[str],
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        if isinstance(self.buckets, RedisTokenBuckets):
            wait = await self.buckets.take_async(client_key(scope))
        else:
            wait = self.buckets.take(client_key(scope))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            response = problem_response(
                429,
                "rate_limited",
                f"Too many requests from this client; try again in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# -- security headers -----------------------------------------------------------------

#: Swagger UI and ReDoc load scripts and styles; everything else is JSON.
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    """Adds :data:`~openler.api.problems.SECURITY_HEADERS`, a strict Content-Security-Policy
    (not on the interactive docs), ``Cache-Control: no-store`` unless the route set its own
    caching, and HSTS when the public origin is https."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    def _headers(self, path: str) -> Mapping[str, str]:
        headers = dict(SECURITY_HEADERS)
        if not path.startswith(_DOCS_PATHS):
            headers["Content-Security-Policy"] = _API_CSP
        if self.hsts:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        headers["Cache-Control"] = "no-store"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self._headers(str(scope.get("path", "")))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in raw}
                for name, value in wanted.items():
                    key = name.lower().encode("latin-1")
                    if key not in present:
                        raw.append((key, value.encode("latin-1")))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, with_headers)
