"""Server-rendered pages: one Jinja2 environment, one way to answer with a page.

Every page of the web UI goes through :func:`render` (or :func:`error_page`), which sets the
headers a page needs: a Content-Security-Policy that allows only this origin's scripts,
styles and forms (htmx runs from ``/static``; no inline script or style anywhere),
``Cache-Control: no-store`` (pages show private records), and the security headers of the
API (added by :class:`~openler.api.middleware.SecurityHeadersMiddleware`).

Routers of the web UI are made with :func:`web_router`: errors raised in their routes are
answered with an HTML page in the same layout instead of problem+json (see
:func:`openler.web.install_web`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = [
    "PAGE_CSP",
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "WebError",
    "environment",
    "error_page",
    "render",
    "templates",
    "web_router",
]

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
STATIC_DIR: Final = Path(__file__).parent / "static"

#: Scripts, styles, images and form targets from this origin only; ``data:`` images for
#: QR codes and credential images rendered inline; nothing may frame a page.
PAGE_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_PAGE_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": PAGE_CSP,
    "Cache-Control": "no-store",
}


def _date(value: Any, fmt: str = "%-d %B %Y") -> str:
    """A date or an ISO 8601 string as ``23 November 2026`` (empty for nothing)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if isinstance(value, datetime):
        formatted: str = value.strftime(fmt)
        return formatted
    return str(value)


def environment() -> Environment:
    """The Jinja2 environment of every page (autoescaping on for .html templates)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    return env


templates: Final = Jinja2Templates(env=environment())


class WebError(Exception):
    """An error a page route answers with an HTML page: ``status``, a short ``title``
    (the page heading) and a ``message`` in plain language. ``code`` is the stable
    machine-readable code (also sent as the ``X-Openler-Error`` header)."""

    def __init__(self, status: int, title: str, message: str, *, code: str = "error") -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.code = code


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Answer with ``template`` rendered in the page layout."""
    response = templates.TemplateResponse(
        request,
        template,
        dict(context or {}),
        status_code=status_code,
        headers={**_PAGE_HEADERS, **(headers or {})},
    )
    return response


def error_page(
    request: Request, status: int, title: str, message: str, *, code: str = "error"
) -> HTMLResponse:
    """The HTML error page: the heading, the message, and a way back (for an htmx request,
    only the message, to be swapped into the page that asked)."""
    return render(
        request,
        "error_fragment.html" if request.headers.get("hx-request") else "error.html",
        {"title": title, "message": message, "code": code, "status": status},
        status_code=status,
        headers={"X-Openler-Error": code},
    )


def _mark_web(request: Request) -> None:
    request.state.web = True


def web_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for pages: kept out of the OpenAPI document, and its errors become
    HTML pages."""
    dependencies = [*kwargs.pop("dependencies", []), Depends(_mark_web)]
    return APIRouter(include_in_schema=False, dependencies=dependencies, **kwargs)
