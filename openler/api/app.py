"""The HTTP application: ``create_app(settings)`` builds it once at start-up.

What every request passes through, outermost first::

    security headers -> CORS (only when origins are given) -> rate limit (public paths)
      -> body size cap -> routes (problem+json for every error)

Verification uses one :class:`~openler.core.verification.Verifier` per application,
built from the resolver and status fetcher given to :func:`create_app` (by default:
did:web documents, controller documents and status lists over HTTPS) and the wall
clock at request time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from openler.api.clrapi import router as clrapi_router
from openler.api.exchanges import PUBLIC_PREFIXES as EXCHANGE_PUBLIC_PREFIXES
from openler.api.exchanges import router as exchanges_router
from openler.api.middleware import (
    BodySizeLimitMiddleware,
    RateLimit,
    RateLimitMiddleware,
    RedisTokenBuckets,
    SecurityHeadersMiddleware,
    TokenBuckets,
)
from openler.api.oauth import PUBLIC_PREFIXES as OAUTH_PUBLIC_PREFIXES
from openler.api.oauth import router as oauth_router
from openler.api.oauth_user import router as oauth_user_router
from openler.api.obapi import install_imsx_handler
from openler.api.obapi import router as obapi_router
from openler.api.oid4vci import PUBLIC_PREFIXES as OID4VCI_PUBLIC_PREFIXES
from openler.api.oid4vci import router as oid4vci_router
from openler.api.platform import router as platform_router
from openler.api.problems import install_problem_handlers
from openler.api.public import PUBLIC_PREFIXES as ORG_PUBLIC_PREFIXES
from openler.api.public import router as public_router
from openler.api.vcapi import PUBLIC_PREFIXES
from openler.api.vcapi import router as vcapi_router
from openler.config import Settings
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.core.signing import default_cache
from openler.core.verification import Verifier, VerifyPolicy
from openler.services.keystore import KeyStore
from openler.services.trust import RegistrySnapshot
from openler.store.db import Database

__all__ = ["DEFAULT_RATE_LIMIT", "create_app"]

#: Where bulk-issuance rosters are uploaded (the API and the console): these take
#: ``OPENLER_MAX_ROSTER_BYTES`` rather than ``OPENLER_MAX_REQUEST_BYTES``. Uploads are
#: spooled to disk by the multipart parser and the roster is streamed from there.
ROSTER_UPLOAD_PATHS = re.compile(r"^/api/v1/bulk/jobs(/[^/]+/roster)?$|^/console/[^/]+/bulk(/|$)")

#: Per client, on the public endpoints: 100 requests at once, then 10 a second.
DEFAULT_RATE_LIMIT = RateLimit(per_second=10.0, burst=100)

_DESCRIPTION = """\
openler: Open Badges 3.0 / CLR 2.0 credentials.

This deployment serves the verifier side of the W3C CCG VC-API. Every error is
`application/problem+json` with a stable `code`; see docs/api.md.
"""


def _version() -> str:
    try:
        return version("openler")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _database(app: FastAPI) -> Database:
    from openler.api.deps import database_of

    return database_of(app)


def _keystore(app: FastAPI) -> KeyStore:
    from openler.api.deps import keystore_of

    return keystore_of(app)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    resolver: ControllerResolver | None = None,
    status_fetcher: StatusListFetcher | None = None,
    policy: VerifyPolicy | None = None,
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
    cors_origins: Sequence[str] = (),
    clock: Callable[[], datetime] = _wall_clock,
    database: Database | None = None,
    keystore: KeyStore | None = None,
    deliver_mail: bool = False,
) -> FastAPI:
    """The openler HTTP application.

    ``resolver`` / ``status_fetcher``: where did:web and controller documents and status
    lists come from (default: HTTPS; tests pass folder or static ones). ``rate_limit``:
    the per-client budget on the public endpoints (``None``: no limit). ``cors_origins``:
    origins allowed to call the API from a browser (none by default). ``clock``: the
    current time for validity checks. ``database`` / ``keystore``: the issuer side's storage
    and key encryption (default: from the settings, opened on first use). ``deliver_mail``:
    run a background thread that sends the e-mail outbox (``openler serve`` does).

    Raises :class:`~openler.config.ConfigurationError` for a configuration that must not
    run (e.g. production without ``OPENLER_SECRET_KEY``)."""
    settings.check()
    closers: list[Any] = []
    async_closers: list[Callable[[], Awaitable[None]]] = []
    state: dict[str, Any] = {}
    if resolver is None or status_fetcher is None:
        from openler.resolvers import ChainResolver, ChainStatusFetcher
        from openler.resolvers.http import HttpJsonFetcher, HttpResolver, HttpStatusFetcher
        from openler.services.own_documents import OwnDocuments

        # Our own organizations' documents come from our database; others' over HTTPS.
        own = OwnDocuments(
            settings,
            database=lambda: _database(state["app"]),
            keystore=lambda: _keystore(state["app"]),
            clock=clock,
        )
        shared = HttpJsonFetcher()
        closers.append(shared)
        resolver = resolver or ChainResolver(own, HttpResolver(fetcher=shared))
        status_fetcher = status_fetcher or ChainStatusFetcher(
            own, HttpStatusFetcher(fetcher=shared)
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pump = None
        if deliver_mail:
            from openler.services.mail_pump import MailPump

            pump = MailPump(lambda: _database(state["app"]), settings, clock=clock)
            pump.start()
            closers.append(pump)
        try:
            yield
        finally:
            for closer in closers:
                closer.close()
            for close in async_closers:
                await close()

    app = FastAPI(
        title="openler",
        version=_version(),
        description=_DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    state["app"] = app
    app.state.settings = settings
    if settings.broker_url is not None:
        # Started and resumed bulk jobs are also sent to the Celery workers.
        from openler.services.bulk.celery_app import install

        install(settings)
    app.state.clock = clock
    # The database and the keystore are opened on first use: the verification endpoints
    # need neither, so a pure verifier deployment runs without them.
    app.state.database = database
    app.state.keystore = keystore
    app.state.trust_snapshot = RegistrySnapshot()
    app.state.verifier = Verifier(
        resolver=resolver,
        status_fetcher=status_fetcher,
        policy=policy or VerifyPolicy(),
        cache=default_cache(),
    )

    install_problem_handlers(app)
    install_imsx_handler(app)
    app.include_router(vcapi_router)
    app.include_router(oauth_router)
    app.include_router(oauth_user_router)
    app.include_router(obapi_router)
    app.include_router(clrapi_router)
    app.include_router(exchanges_router)
    app.include_router(oid4vci_router)
    app.include_router(public_router)
    app.include_router(platform_router)

    from openler.web import install_web

    install_web(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        """``{"status": "ok"}`` while the process serves requests."""
        return {"status": "ok", "version": app.version}

    # add_middleware wraps what is already there: the last one added runs first.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        larger=[(ROSTER_UPLOAD_PATHS, max(settings.max_roster_bytes, settings.max_request_bytes))],
    )
    from openler.web.share import PUBLIC_PREFIXES as SHARE_PUBLIC_PREFIXES
    from openler.web.verify import PUBLIC_PREFIXES as WEB_PUBLIC_PREFIXES

    if rate_limit is not None:
        buckets: TokenBuckets | RedisTokenBuckets = TokenBuckets(rate_limit)
        if settings.rate_limit_redis_url:
            buckets = RedisTokenBuckets(
                rate_limit, settings.rate_limit_redis_url.get_secret_value()
            )
            async_closers.append(buckets.aclose)
        app.add_middleware(
            RateLimitMiddleware,
            buckets=buckets,
            prefixes=(
                *PUBLIC_PREFIXES,
                *OAUTH_PUBLIC_PREFIXES,
                *ORG_PUBLIC_PREFIXES,
                *WEB_PUBLIC_PREFIXES,
                *SHARE_PUBLIC_PREFIXES,
                *EXCHANGE_PUBLIC_PREFIXES,
                *OID4VCI_PUBLIC_PREFIXES,
            ),
        )
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization"],
        )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.base_url.startswith("https://"))
    return app
