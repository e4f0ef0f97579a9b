"""The one error shape of the HTTP API: RFC 9457 ``application/problem+json``.

Every error response — from the core's :class:`~openler.core.errors.OpenlerError` tree,
from request validation, from routing, from the middleware (body cap, rate limit) and from
unexpected exceptions — has the members ``type``, ``title``, ``status``, ``detail`` and
``code`` (the stable, snake_case code; public API), plus extension members where useful
(``errors`` for field errors, ``details`` for an error's details)::

    {"type": "urn:openler:problem:malformed_json", "title": "Malformed JSON",
     "status": 400, "detail": "The request body is not valid JSON: ...",
     "code": "malformed_json"}

``code -> status`` lives in :data:`STATUS_BY_CODE`; an error whose own code is not listed
takes the status of the nearest listed base class (so a new ``InvalidInput`` subclass is a
422 without touching this table), and anything else is a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openler.core.errors import InputTooLarge, OpenlerError

__all__ = [
    "PROBLEM_JSON",
    "SECURITY_HEADERS",
    "STATUS_BY_CODE",
    "ApiError",
    "NotFound",
    "NotImplementedYet",
    "ProblemDetails",
    "RateLimited",
    "RequestBodyTooLarge",
    "install_problem_handlers",
    "problem_response",
    "problem_type",
    "status_for",
]

log = logging.getLogger("openler.api")

PROBLEM_JSON: Final = "application/problem+json"

#: Headers every response carries (set by the middleware; error responses made outside
#: it, such as a 500, carry them too).
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}

#: HTTP status for each stable error code. Codes are public API: a change here is a
#: CHANGELOG entry. Generic codes (``not_found``, ``conflict``, ...) are for the platform's
#: own errors; the core's codes are mapped by family.
STATUS_BY_CODE: Final[Mapping[str, int]] = {
    # request shape and size
    "malformed_json": 400,
    "bad_request": 400,
    "issuer_mismatch": 400,
    "invalid_input": 422,
    "request_invalid": 422,
    "input_too_large": 413,
    "unsupported_media_type": 415,
    # the core's families
    "jsonld_error": 422,
    "key_error": 422,
    "proof_error": 422,
    "status_list_error": 422,
    "status_list_not_found": 404,
    "did_resolution_error": 502,
    "did_not_found": 404,
    # the platform's generic codes
    "unauthorized": 401,
    "unauthenticated": 401,
    "invalid_token": 401,
    "forbidden": 403,
    "insufficient_scope": 403,
    "trust_curation_not_allowed": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "idempotency_conflict": 409,
    "status_conflict": 409,
    "rate_limited": 429,
    # links that were valid once: gone for good (share links, claim links, wallet offers)
    "share_expired": 410,
    "share_revoked": 410,
    "share_unavailable": 410,
    "claim_expired": 410,
    "offer_expired": 410,
    "offer_cancelled": 410,
    # OAuth 2.0 (RFC 6749 5.2) and OpenID4VCI errors that escape their own error shape
    "invalid_client": 401,
    "invalid_client_metadata": 400,
    "invalid_grant": 400,
    "oid4vci_error": 400,
    # a party we depend on failed
    "mail_delivery_failed": 502,
    "not_implemented": 501,
    "internal_error": 500,
    "openler_error": 500,
}

_CODE_BY_HTTP_STATUS: Final[Mapping[int, str]] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "input_too_large",
    415: "unsupported_media_type",
    422: "request_invalid",
    429: "rate_limited",
    501: "not_implemented",
}

_TITLES: Final[Mapping[str, str]] = {
    "malformed_json": "Malformed JSON",
    "request_invalid": "Request invalid",
    "input_too_large": "Request too large",
    "not_found": "Not found",
    "unauthenticated": "Authentication required",
    "insufficient_scope": "Insufficient scope",
    "method_not_allowed": "Method not allowed",
    "rate_limited": "Too many requests",
    "not_implemented": "Not implemented",
    "internal_error": "Internal server error",
}


def problem_type(code: str) -> str:
    """The problem ``type`` URI for ``code`` (a stable URN; docs/api.md lists them)."""
    return f"urn:openler:problem:{code}"


def _title(code: str) -> str:
    return _TITLES.get(code) or code.replace("_", " ").capitalize()


# -- the platform's own errors --------------------------------------------------------


class ApiError(OpenlerError):
    """An error raised by the HTTP layer; ``headers`` are added to its response."""

    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.headers: dict[str, str] = dict(headers or {})


class NotFound(ApiError):
    code = "not_found"


class NotImplementedYet(ApiError):
    """An endpoint of the standard APIs that this deployment does not serve yet."""

    code = "not_implemented"


class RateLimited(ApiError):
    code = "rate_limited"


class RequestBodyTooLarge(InputTooLarge):
    """The request body is over ``OPENLER_MAX_REQUEST_BYTES`` (raised while streaming)."""


def status_for(exc: OpenlerError) -> int:
    """The HTTP status of ``exc``: its own code, else its nearest base class's, else 500."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 500


# -- responses ------------------------------------------------------------------------


class ProblemDetails(JSONResponse):
    media_type = PROBLEM_JSON


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemDetails:
    """An ``application/problem+json`` response; ``extra`` become extension members."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title or _title(code),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemDetails(jsonable_encoder(body), status_code=status, headers=dict(headers or {}))


def _field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input echoed back (it may be large)."""
    out = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part != "body"] or ["body"]
        out.append(
            {
                "loc": loc,
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return out


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _openler_error(request: Request, exc: Exception) -> ProblemDetails:
    assert isinstance(exc, OpenlerError)
    status = status_for(exc)
    if status >= 500 and status != 501:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
    return problem_response(
        status,
        exc.code,
        exc.message,
        headers=getattr(exc, "headers", None),
        details=exc.details or None,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemDetails:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next((e.get("ctx", {}).get("error") for e in errors if e.get("ctx")), None)
        return problem_response(
            400,
            "malformed_json",
            "The request body is not valid JSON" + (f": {reason}." if reason else "."),
        )
    if not _is_json(request.headers.get("content-type")) and any(
        tuple(e.get("loc", ())) == ("body",) and e.get("type") != "missing" for e in errors
    ):
        # FastAPI hands a body that is not declared JSON to validation as raw bytes.
        return problem_response(
            415,
            "unsupported_media_type",
            "Send the request body as JSON (Content-Type: application/json).",
        )
    fields = _field_errors(errors)
    where = ", ".join(".".join(str(p) for p in f["loc"]) for f in fields[:5])
    return problem_response(
        422,
        "request_invalid",
        f"The request does not have the shape this endpoint asks for ({where}).",
        errors=fields,
    )


async def _http_error(request: Request, exc: Exception) -> ProblemDetails:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODE_BY_HTTP_STATUS.get(status, "internal_error" if status >= 500 else "bad_request")
    detail = str(exc.detail)
    if status == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI's "error parsing the body": invalid UTF-8, or JSON nested too deeply.
        code = "malformed_json"
        detail = "The request body is not valid JSON (or is nested too deeply)."
    elif status == 404:
        detail = f"Nothing is served at {request.url.path}."
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(status, code, detail, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> ProblemDetails:
    log.error(
        "Unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(
        500,
        "internal_error",
        "The server met an unexpected error; it has been logged.",
        headers=SECURITY_HEADERS,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into problem+json."""
    app.add_exception_handler(OpenlerError, _openler_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
