"""OAuth 2.0 for learners' apps (wallets, displayers) on the 1EdTech service APIs
(Open Badges 3.0 and CLR 2.0, "Using OAuth 2.0 Authorization Code Grant"):

- ``POST /oauth/register``: dynamic client registration (RFC 7591 as the specifications
  profile it; see :mod:`openler.services.oauth_apps`).
- ``GET /oauth/authorize``: the authorization request (RFC 6749 4.1 with PKCE, RFC 7636,
  ``S256`` required; ``state`` required), answered with a plain HTML sign-in and consent
  form (no script) that names the app, its home page, terms and privacy policy.
- ``POST /oauth/authorize``: the form's answer: a redirect to the app with ``code``,
  ``scope`` and ``state``, or with ``error=access_denied``.
- ``grant_type=authorization_code`` and ``grant_type=refresh_token`` at
  ``POST /oauth/token`` (:func:`app_token_grant`).
- ``POST /oauth/revoke``: token revocation (RFC 7009) of a refresh or access token.
- ``GET /.well-known/oauth-authorization-server``: authorization server metadata
  (RFC 8414), where the revocation endpoint is advertised in a standard way.

The form carries the authorization request as a signed token valid ten minutes (HS256
under a key derived for this purpose alone), so its parameters cannot be changed between
the two steps, and a form cannot be posted without having been served; approving needs
the learner's password, so no session cookie is involved. Errors before the redirect URI
is known to be the app's are shown to the learner, never redirected (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

import html
import secrets
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.oauth import _NO_STORE, TOKEN_PATH, OAuthError, _basic_credentials, _form
from openler.config import Settings
from openler.services.auth import InvalidClient, InvalidScope
from openler.services.keystore import KeyStore
from openler.services.oauth_apps import (
    APP_SCOPES,
    InvalidClientMetadata,
    app_grant_types,
    authenticate_app,
    create_code,
    find_app,
    parse_app_scope,
    register_app,
    scope_descriptions,
)
from openler.services.oauth_grants import InvalidGrant, exchange_code, refresh, revoke_token
from openler.services.users import verify_password
from openler.store.models import OAuthApp

__all__ = [
    "AUTHORIZE_PATH",
    "METADATA_PATH",
    "REGISTER_PATH",
    "REVOKE_PATH",
    "app_token_grant",
    "router",
]

REGISTER_PATH: Final = "/oauth/register"
AUTHORIZE_PATH: Final = "/oauth/authorize"
REVOKE_PATH: Final = "/oauth/revoke"
METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
_FORM_KEY_PURPOSE: Final = "oauth/authorize-form/hs256/v1"
_FORM_TYPE: Final = "olr-authz+jwt"
_FORM_LIFETIME_S: Final = 600
_CHALLENGE_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

router = APIRouter(tags=["OAuth 2.0"])


# -- registration ---------------------------------------------------------------------


@router.post(
    REGISTER_PATH,
    status_code=201,
    summary="Register an app (OAuth 2.0 dynamic client registration, RFC 7591)",
    responses={400: {"description": "invalid_redirect_uri or invalid_client_metadata"}},
)
def register(
    session: DbSession, body: Annotated[dict[str, Any], Body()], request: Request
) -> JSONResponse:
    """Register a wallet or displayer; the answer has its ``client_id`` (and, for a
    confidential client, its ``client_secret``, shown once)."""
    try:
        app, secret = register_app(session, body)
    except InvalidClientMetadata as exc:
        return JSONResponse(
            {"error": exc.error, "error_description": exc.message},
            status_code=400,
            headers=dict(_NO_STORE),
        )
    # RFC 7591 3.2.1: everything registered is returned, as the server kept it.
    answer: dict[str, Any] = {
        "client_id": app.client_id,
        "client_id_issued_at": int(app.created_at.timestamp()),
        "client_name": app.client_name,
        "redirect_uris": app.redirect_uris,
        "scope": " ".join(app.scopes),
        **app.client_metadata,
    }
    if secret is not None:
        answer["client_secret"] = secret
        answer["client_secret_expires_at"] = 0  # never
    return JSONResponse(answer, status_code=201, headers=dict(_NO_STORE))


# -- the authorization form -----------------------------------------------------------


def _form_key(keystore: KeyStore) -> OctKey:
    return OctKey.import_key(keystore.derived_key(_FORM_KEY_PURPOSE))


def _now(request: Request) -> datetime:
    clock = request.app.state.clock
    moment: datetime = clock()
    return moment


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return RedirectResponse(target, status_code=303, headers=dict(_NO_STORE))


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        _page("Authorization failed", f'<p role="alert">{html.escape(message)}</p>'),
        status_code=status,
        headers=dict(_NO_STORE),
    )


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


def _link(url: Any, text: str) -> str:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return html.escape(text)
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(text)}</a>'


def _consent_page(app: OAuthApp, scopes: list[str], token: str, error: str | None = None) -> str:
    meta = app.client_metadata
    items = "".join(f"<li>{html.escape(text)}</li>" for text in scope_descriptions(scopes))
    alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    about = " · ".join(
        _link(meta.get(key), label)
        for key, label in (("tos_uri", "Terms of service"), ("policy_uri", "Privacy policy"))
        if meta.get(key)
    )
    body = (
        f"{alert}<p><strong>{_link(meta.get('client_uri'), app.client_name)}</strong>"
        f" asks to:</p><ul>{items}</ul>"
        + (f"<p>{about}</p>" if about else "")
        + f'<form method="post" action="{AUTHORIZE_PATH}">'
        f'<input type="hidden" name="request" value="{html.escape(token)}">'
        '<p><label for="email">E-mail address</label><br>'
        '<input id="email" name="email" type="email" autocomplete="username" required></p>'
        '<p><label for="password">Password</label><br>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required></p>'
        '<p><button type="submit" name="decision" value="approve">Sign in and allow</button> '
        '<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p>'
        "</form>"
    )
    return _page(f"Allow {app.client_name}?", body)


def _sign_request(keystore: KeyStore, params: dict[str, Any], now: datetime) -> str:
    issued = int(now.timestamp())
    claims = {**params, "iat": issued, "exp": issued + _FORM_LIFETIME_S}
    claims["nonce"] = secrets.token_urlsafe(8)
    header = {"alg": "HS256", "typ": _FORM_TYPE}
    return jwt.encode(header, claims, _form_key(keystore), algorithms=["HS256"])


def _read_request(keystore: KeyStore, token: str, now: datetime) -> dict[str, Any] | None:
    if not token or len(token) > 4096:
        return None
    try:
        decoded = jwt.decode(token, _form_key(keystore), algorithms=["HS256"])
        if decoded.header.get("typ") != _FORM_TYPE:
            return None
        jwt.JWTClaimsRegistry(now=int(now.timestamp()), exp={"essential": True}).validate(
            decoded.claims
        )
    except (JoseError, ValueError, TypeError):
        return None
    return dict(decoded.claims)


@router.get(AUTHORIZE_PATH, summary="Authorization request (sign-in and consent form)")
def authorize_form(
    request: Request,
    session: DbSession,
    keystore: Annotated[KeyStore, Depends(get_keystore)],
) -> Response:
    """The HTML form in which the learner signs in and allows (or denies) the app."""
    query = request.query_params
    if any(len(query.getlist(name)) > 1 for name in query):
        return _error_page("A parameter of the request is repeated.")
    app = find_app(session, query.get("client_id", ""))
    if app is None:
        return _error_page("This app is not registered here.")
    redirect_uri = query.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return _error_page("The redirect URI is not one the app registered.")
    state = query.get("state")
    extra = {"state": state} if state is not None else {}
    if query.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **extra})
    if not state:
        description = "state is required (1EdTech profile of RFC 6749 4.1.1)."
        return _redirect(
            redirect_uri, {"error": "invalid_request", "error_description": description}
        )
    challenge = query.get("code_challenge", "")
    if (
        query.get("code_challenge_method") != "S256"
        or not 43 <= len(challenge) <= 128
        or not set(challenge) <= _CHALLENGE_CHARS
    ):
        description = "PKCE is required: code_challenge with code_challenge_method=S256."
        return _redirect(
            redirect_uri,
            {"error": "invalid_request", "error_description": description, **extra},
        )
    try:
        scopes = parse_app_scope(query.get("scope") or " ".join(app.scopes))
    except ValueError:
        scopes = []
    if not set(scopes) - {"offline_access"} or not set(scopes) <= set(app.scopes):
        return _redirect(redirect_uri, {"error": "invalid_scope", **extra})
    params = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "code_challenge": challenge,
    }
    token = _sign_request(keystore, params, _now(request))
    return HTMLResponse(_consent_page(app, scopes, token), headers=dict(_NO_STORE))


@router.post(AUTHORIZE_PATH, summary="Answer the sign-in and consent form")
def authorize_answer(
    request: Request,
    session: DbSession,
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    form: Annotated[dict[str, str] | OAuthError, Depends(_form)],
) -> Response:
    """Approve (with e-mail address and password) or deny; redirects to the app."""
    if isinstance(form, OAuthError):
        return _error_page(form.description)
    params = _read_request(keystore, form.get("request", ""), _now(request))
    if params is None:
        return _error_page("The form has expired or was changed; start again from the app.")
    app = find_app(session, str(params.get("client_id", "")))
    redirect_uri = str(params.get("redirect_uri", ""))
    if app is None or redirect_uri not in app.redirect_uris:
        return _error_page("This app is no longer registered here.")
    state = params.get("state")
    extra = {"state": str(state)} if state is not None else {}
    scopes = [s for s in params.get("scope", []) if s in app.scopes and s in APP_SCOPES]
    if form.get("decision") != "approve":
        return _redirect(redirect_uri, {"error": "access_denied", **extra})
    user = verify_password(session, form.get("email", ""), form.get("password", ""))
    if user is None:
        token = form.get("request", "")
        page = _consent_page(app, scopes, token, "The e-mail address or password is wrong.")
        return HTMLResponse(page, status_code=400, headers=dict(_NO_STORE))
    code = create_code(
        session,
        app,
        user,
        scopes=scopes,
        redirect_uri=redirect_uri,
        code_challenge=str(params.get("code_challenge", "")),
        now=_now(request),
    )
    # The 1EdTech profile requires ``scope`` in the response, even when nothing was dropped.
    return _redirect(redirect_uri, {"code": code, "scope": " ".join(scopes), **extra})


# -- the token endpoint's grants for apps, and revocation -----------------------------


def _client(request: Request, form: dict[str, str], session: Session) -> OAuthApp:
    """The authenticated app: HTTP Basic (RFC 6749 2.3.1) or ``client_id`` (and
    ``client_secret``) in the form, not both (raises :class:`OAuthError`)."""
    basic = _basic_credentials(request)
    if basic is not None and "client_secret" in form:
        raise OAuthError("invalid_request", "Authenticate the client one way, not two.")
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret"))
    if basic is not None and form.get("client_id", client_id) != client_id:
        raise OAuthError("invalid_request", "client_id does not match the Basic credentials.")
    try:
        return authenticate_app(session, client_id, secret)
    except InvalidClient:
        raise OAuthError("invalid_client", "Client authentication failed.", status=401) from None


def app_token_grant(
    request: Request,
    form: dict[str, str],
    session: Session,
    settings: Settings,
    keystore: KeyStore,
) -> JSONResponse:
    """``grant_type=authorization_code`` or ``refresh_token`` (raises :class:`OAuthError`;
    the caller answers it, so what the grant wrote, e.g. a code used up or a grant revoked
    for a reused token, is committed)."""
    app = _client(request, form, session)
    grant_type = form.get("grant_type")
    if grant_type not in app_grant_types(app):
        raise OAuthError(
            "unauthorized_client", f"This client did not register the {grant_type} grant."
        )
    try:
        if grant_type == "refresh_token":
            tokens = refresh(
                session,
                settings,
                keystore,
                app,
                refresh_token=form.get("refresh_token", ""),
                scope=form.get("scope"),
                now=_now(request),
            )
        else:
            tokens = exchange_code(
                session,
                settings,
                keystore,
                app,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
                scope=form.get("scope"),
                now=_now(request),
            )
    except InvalidGrant as exc:
        raise OAuthError("invalid_grant", exc.message) from None
    except InvalidScope as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    return JSONResponse(tokens.response(), headers=dict(_NO_STORE))


@router.post(
    REVOKE_PATH,
    summary="Revoke a token (RFC 7009)",
    responses={
        200: {"description": "Revoked, or there was nothing to revoke."},
        400: {"description": "RFC 6749 error: invalid_request, invalid_grant"},
        401: {"description": "RFC 6749 error: invalid_client"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["token"],
                        "properties": {
                            "token": {"type": "string"},
                            "token_type_hint": {
                                "type": "string",
                                "enum": ["access_token", "refresh_token"],
                            },
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string", "format": "password"},
                        },
                    }
                }
            },
        }
    },
)
def revoke(
    request: Request,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings)],
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    form: Annotated[dict[str, str] | OAuthError, Depends(_form)],
) -> Response:
    """Revoke a refresh token or an access token of the calling app, and with it every
    token of the same authorization. An unknown, expired or revoked token is not an error
    (RFC 7009 2.2); ``token_type_hint`` is optional (every kind is looked up anyway)."""
    try:
        if isinstance(form, OAuthError):
            raise form
        app = _client(request, form, session)
        token = form.get("token", "")
        if not token:
            raise OAuthError("invalid_request", "The token parameter is missing.")
        try:
            revoke_token(session, settings, keystore, app, token, now=_now(request))
        except InvalidGrant as exc:
            raise OAuthError("invalid_grant", exc.message) from None
    except OAuthError as error:
        return error.response()
    return Response(status_code=200, headers=dict(_NO_STORE))


@router.get(METADATA_PATH, summary="Authorization server metadata (RFC 8414)")
def metadata(settings: Annotated[Settings, Depends(get_settings)]) -> JSONResponse:
    """Where learners' apps register, authorize, get and revoke tokens, and what this
    authorization server supports."""
    base = settings.base_url
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "registration_endpoint": base + REGISTER_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "scopes_supported": list(APP_SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "service_documentation": base + "/docs",
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )
