"""The web UI: server-rendered pages (Jinja2 + htmx, no build step) for issuers, learners
and verifiers, served by the same application as the API.

:func:`install_web` mounts ``/static`` and includes the page routers. Errors raised in a
page route (any route made with :func:`~openler.web.templating.web_router`) are answered
with an HTML page in the site's layout; everywhere else they stay problem+json.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from openler.core.errors import OpenlerError
from openler.web.templating import STATIC_DIR, WebError, error_page

__all__ = ["install_web"]

_HTTP_TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Too large",
    422: "Please check the form",
    429: "Too many requests",
}


def _is_page(request: Request) -> bool:
    return bool(getattr(request.state, "web", False))


def install_web(app: FastAPI) -> None:
    """Mount the static files and the page routers on ``app``; call it after the API's
    problem handlers are installed (it wraps them for page routes)."""
    from openler.web import home, signin
    from openler.web.auth import PAGE_DEPENDENCIES, install_auth
    from openler.web.console import router as console_router
    from openler.web.share import api_router as share_api_router
    from openler.web.share import router as share_router
    from openler.web.verify import router as verify_router
    from openler.web.wallet import router as wallet_router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Page routers get PAGE_DEPENDENCIES: request.state.user / memberships / csrf_token.
    app.include_router(home.router, dependencies=PAGE_DEPENDENCIES)
    app.include_router(signin.router, dependencies=PAGE_DEPENDENCIES)
    app.include_router(console_router, dependencies=PAGE_DEPENDENCIES)
    # The learner's record. The share-link landing page is for anonymous recipients and
    # reads no session (see openler.web.share); its presentation endpoint is JSON for
    # verifier software (problem+json errors).
    app.include_router(wallet_router, dependencies=PAGE_DEPENDENCIES)
    app.include_router(share_router)
    app.include_router(share_api_router)
    # The verify page: anonymous, no session on POST (its GET adds PAGE_DEPENDENCIES).
    app.include_router(verify_router)
    install_auth(app)

    api_handlers: dict[Any, Any] = dict(app.exception_handlers)

    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_page(request, exc.status, exc.title, exc.message, code=exc.code)

    def wrap(kind: type[Exception]) -> None:
        api = api_handlers[kind]

        async def handler(request: Request, exc: Exception) -> Response:
            if not _is_page(request):
                response: Response = await api(request, exc)
                return response
            if isinstance(exc, OpenlerError):
                from openler.api.problems import status_for

                status = status_for(exc)
                return error_page(
                    request,
                    status,
                    _HTTP_TITLES.get(status, "Something went wrong"),
                    exc.message,
                    code=exc.code,
                )
            if isinstance(exc, StarletteHTTPException):
                status = exc.status_code
                return error_page(
                    request,
                    status,
                    _HTTP_TITLES.get(status, "Something went wrong"),
                    str(exc.detail),
                    code=f"http_{status}",
                )
            if isinstance(exc, RequestValidationError):
                return error_page(
                    request,
                    422,
                    _HTTP_TITLES[422],
                    "Some fields are missing or have the wrong form.",
                    code="invalid_request",
                )
            return error_page(
                request,
                500,
                "Something went wrong",
                "The server could not finish this request. Nothing was changed; please try again.",
                code="internal_error",
            )

        app.add_exception_handler(kind, handler)

    app.add_exception_handler(WebError, on_web_error)
    for kind in (OpenlerError, StarletteHTTPException, RequestValidationError, Exception):
        if kind in api_handlers:
            wrap(kind)
