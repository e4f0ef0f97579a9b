"""The OAuth 2.0 token endpoint for the client-credentials grant (RFC 6749, 4.4):
``POST /oauth/token``. The same endpoint serves learners' apps (``authorization_code`` and
``refresh_token`` grants, see :mod:`openler.api.oauth_user`).

The request is ``application/x-www-form-urlencoded`` with ``grant_type=client_credentials``
and an optional ``scope`` that narrows (never widens) the client's scopes. The client
authenticates with HTTP Basic (RFC 6749, 2.3.1: id and secret form-urlencoded, then
base64) or with ``client_id``/``client_secret`` in the body; not both.

Unlike the rest of the API, errors here are RFC 6749 (5.2) JSON, as OAuth clients expect::

    {"error": "invalid_client", "error_description": "Client authentication failed."}

``invalid_client`` is a 401 (with ``WWW-Authenticate: Basic`` when Basic was used); every
other error is a 400. Every answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.config import Settings
from openler.services.auth import (
    InvalidClient,
    InvalidScope,
    authenticate_client,
    issue_access_token,
)
from openler.services.keystore import KeyStore

__all__ = ["PUBLIC_PREFIXES", "TOKEN_PATH", "router"]

TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 - a URL path, not a secret
#: Paths of this router that are public (rate-limited per client).
PUBLIC_PREFIXES: Final = ("/oauth/",)

_FORM: Final = "application/x-www-form-urlencoded"
_MAX_FORM_BYTES: Final = 8 * 1024
_MAX_FIELDS: Final = 16
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = APIRouter(tags=["OAuth 2.0"])


class OAuthError(Exception):
    """An RFC 6749 (5.2) error response."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="openler"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )


async def read_form(request: Request) -> dict[str, str] | str:
    """An OAuth-style ``application/x-www-form-urlencoded`` body (RFC 6749 3.2): its
    parameters, each at most once; or, for a body that is none, a sentence saying why
    (the caller answers ``invalid_request`` in its own error shape)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != _FORM:
        return f"Send the request as {_FORM}."
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        return "The request body is too large."
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        return "The request body is not a valid form."
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            return f"The parameter {name!r} is repeated."
        form[name] = value
    return form


async def _form(request: Request) -> dict[str, str] | OAuthError:
    """The form parameters (each at most once), or the error to answer with."""
    form = await read_form(request)
    return OAuthError("invalid_request", form) if isinstance(form, str) else form


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "Use HTTP Basic or form client credentials.", status=401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OAuthError(
            "invalid_client", "The Basic credentials are malformed.", status=401
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "The Basic credentials are malformed.", status=401)
    return unquote_plus(client_id), unquote_plus(secret)


_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "RFC 6749 error: invalid_request, invalid_grant, invalid_scope, "
        "unauthorized_client, unsupported_grant_type"
    },
    401: {"description": "RFC 6749 error: invalid_client"},
}


@router.post(
    TOKEN_PATH,
    summary="Get an access token (client credentials, authorization code, refresh token)",
    responses=_TOKEN_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {
                                "type": "string",
                                "enum": [
                                    "client_credentials",
                                    "authorization_code",
                                    "refresh_token",
                                ],
                            },
                            "code": {"type": "string"},
                            "redirect_uri": {"type": "string"},
                            "code_verifier": {"type": "string"},
                            "refresh_token": {"type": "string"},
                            "scope": {"type": "string", "description": "space-delimited"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string", "format": "password"},
                        },
                    }
                }
            },
        }
    },
)
def token(
    request: Request,
    form: Annotated[dict[str, str] | OAuthError, Depends(_form)],
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings)],
    keystore: Annotated[KeyStore, Depends(get_keystore)],
) -> JSONResponse:
    """Exchange client credentials for a bearer access token (valid one hour) that acts
    for the client's organization with the client's scopes, or the narrower ``scope``
    asked for."""
    try:
        if isinstance(form, OAuthError):
            raise form
        if form.get("grant_type") in ("authorization_code", "refresh_token"):
            from openler.api.oauth_user import app_token_grant  # it imports this module

            return app_token_grant(request, form, session, settings, keystore)
        basic = _basic_credentials(request)
        in_form = "client_id" in form or "client_secret" in form
        if basic is not None and in_form:
            raise OAuthError("invalid_request", "Authenticate the client one way, not two.")
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "The grant_type parameter is missing.")
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type",
                "Only the client_credentials, authorization_code and refresh_token grants "
                "are supported.",
            )
        if basic is None and not in_form:
            raise OAuthError("invalid_client", "Client authentication is missing.", status=401)
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        try:
            client = authenticate_client(session, client_id, secret)
        except InvalidClient:
            raise OAuthError(
                "invalid_client", "Client authentication failed.", status=401
            ) from None
        try:
            access = issue_access_token(
                session,
                settings,
                keystore,
                client,
                scope=form.get("scope"),
                now=request.app.state.clock(),
            )
        except InvalidScope as exc:
            raise OAuthError("invalid_scope", exc.message) from None
    except OAuthError as error:
        return error.response()
    return JSONResponse(
        {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": access.expires_in,
            "scope": " ".join(access.scopes),
        },
        headers=dict(_NO_STORE),
    )
