"""OAuth 2.0 for learners' apps (wallets, displayers) on the 1EdTech service APIs: the
apps, their scopes and their authorization codes. Tokens are in
:mod:`openler.services.oauth_grants`.

- **Scopes** (:data:`APP_SCOPES`): the four Open Badges 3.0 scopes, the four CLR 2.0 scopes
  and ``offline_access`` (which the 1EdTech examples send; accepted and echoed, it adds
  nothing: refresh tokens go to apps registered for the ``refresh_token`` grant).
- **Dynamic registration** (RFC 7591 as profiled by OB 3.0 / CLR 2.0 "Register with
  Authorization Server"): :func:`register_app`. Every property the specification marks
  required must be present (``client_name``, ``client_uri``, ``logo_uri``, ``tos_uri``,
  ``policy_uri``, ``software_id``, ``software_version``, ``redirect_uris``, ``scope``); all
  URLs are ``https`` (``http://localhost`` / ``127.0.0.1`` for development) on one host
  name; redirect URIs have no fragment. ``grant_types`` (default ``authorization_code``)
  may add ``refresh_token``; ``response_types`` is ``["code"]``. A confidential app
  (``client_secret_basic``, the default, or ``client_secret_post``) gets a secret, stored
  only as its scrypt hash; a public app (``none``, an extension for apps that cannot keep a
  secret) gets none. Every app must use PKCE.
- **Authorization codes** (RFC 6749 4.1, RFC 7636 ``S256`` only): 256 random bits,
  stored as SHA-256, valid :data:`CODE_LIFETIME`, single use, bound to the app, the
  redirect URI and the PKCE challenge.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.errors import OpenlerError
from openler.services.auth import InvalidClient, check_client_secret, hash_client_secret
from openler.store.models import OAuthApp, OAuthAuthorizationCode, User

__all__ = [
    "APP_SCOPES",
    "CLR_SCOPES",
    "CODE_LIFETIME",
    "OB_SCOPES",
    "OFFLINE_ACCESS",
    "InvalidClientMetadata",
    "app_grant_types",
    "authenticate_app",
    "code_hash",
    "create_code",
    "find_app",
    "parse_app_scope",
    "register_app",
    "scope_descriptions",
]

_OB: Final = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
_CLR: Final = "https://purl.imsglobal.org/spec/clr/v2p0/scope/"
#: The Open Badges 3.0 service scopes (what each lets an app do for the signed-in learner).
OB_SCOPES: Final[Mapping[str, str]] = {
    _OB + "credential.readonly": "read your Open Badges credentials",
    _OB + "credential.upsert": "add credentials to your Open Badges collection",
    _OB + "profile.readonly": "read your profile (name and e-mail address)",
    _OB + "profile.update": "change your profile",
}
#: The CLR 2.0 service scopes.
CLR_SCOPES: Final[Mapping[str, str]] = {
    _CLR + "credential.readonly": "read your Comprehensive Learner Records (transcripts)",
    _CLR + "credential.upsert": "add Comprehensive Learner Records to your collection",
    _CLR + "profile.readonly": "read your profile (name and e-mail address)",
    _CLR + "profile.update": "change your profile",
}
OFFLINE_ACCESS: Final = "offline_access"
#: Every scope an app may register and ask for, in the order they are listed.
APP_SCOPES: Final[Mapping[str, str]] = {
    **OB_SCOPES,
    **CLR_SCOPES,
    OFFLINE_ACCESS: "keep this access while you are not using the app, until you revoke it",
}
CODE_LIFETIME: Final = timedelta(minutes=5)

_CLIENT_ID_PREFIX: Final = "olra_"
_AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "none")
_GRANT_TYPES: Final = ("authorization_code", "refresh_token")
_MAX_URIS: Final = 10
_MAX_URI_CHARS: Final = 2000
_MAX_TEXT_CHARS: Final = 200
_LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "[::1]")
#: Required URL properties of a registration (OB 3.0 / CLR 2.0 profile of RFC 7591).
_REQUIRED_URLS: Final = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_REQUIRED_TEXTS: Final = ("software_id", "software_version")


class InvalidClientMetadata(OpenlerError):
    """RFC 7591 3.2.2: ``error`` is ``invalid_redirect_uri`` or ``invalid_client_metadata``."""

    code = "invalid_client_metadata"

    def __init__(self, message: str, *, error: str = "invalid_client_metadata") -> None:
        super().__init__(message)
        self.error = error


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


# -- scopes ---------------------------------------------------------------------------


def parse_app_scope(value: str) -> list[str]:
    """A space-delimited scope as a list in :data:`APP_SCOPES` order; ValueError when one
    is unknown."""
    wanted = {part for part in value.split(" ") if part}
    unknown = wanted - set(APP_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}")
    return [scope for scope in APP_SCOPES if scope in wanted]


def scope_descriptions(scopes: list[str]) -> list[str]:
    """What the scopes allow, in words, each sentence once (OB and CLR share some)."""
    return list(dict.fromkeys(APP_SCOPES[s] for s in scopes if s in APP_SCOPES))


# -- registration ---------------------------------------------------------------------


def _url_host(uri: Any, *, redirect: bool) -> str | None:
    """The host name of an acceptable URL (https, or http on a local host), else None.
    Redirect URIs may not have a fragment (RFC 6749 3.1.2)."""
    if not isinstance(uri, str) or not uri or len(uri) > _MAX_URI_CHARS:
        return None
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return None
    if not host or parts.username or parts.password or (redirect and parts.fragment):
        return None
    if parts.scheme == "https":
        return host
    if parts.scheme == "http" and parts.netloc.split(":")[0] in _LOCAL_HOSTS:
        return host
    return None


def valid_redirect_uri(uri: Any) -> bool:
    return _url_host(uri, redirect=True) is not None


def _text(metadata: Mapping[str, Any], name: str) -> str:
    value = metadata.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT_CHARS:
        raise InvalidClientMetadata(f"{name} is required (at most {_MAX_TEXT_CHARS} characters).")
    return value.strip()


def _string_list(metadata: Mapping[str, Any], name: str, default: list[str]) -> list[str]:
    value = metadata.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClientMetadata(f"{name} must be an array of strings.")
    return list(dict.fromkeys(value))


def _registration(metadata: Mapping[str, Any]) -> tuple[str, list[str], list[str], dict[str, Any]]:
    """(client_name, redirect_uris, scopes, the other metadata to keep) of a valid request."""
    name = _text(metadata, "client_name")
    hosts: set[str] = set()
    kept: dict[str, Any] = {}
    for field in _REQUIRED_URLS:
        host = _url_host(metadata.get(field), redirect=False)
        if host is None:
            raise InvalidClientMetadata(
                f"{field} is required: an https URL of at most {_MAX_URI_CHARS} characters."
            )
        hosts.add(host)
        kept[field] = metadata[field]
    for field in _REQUIRED_TEXTS:
        kept[field] = _text(metadata, field)
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > _MAX_URIS:
        raise InvalidClientMetadata(
            f"redirect_uris must list 1 to {_MAX_URIS} URIs.", error="invalid_redirect_uri"
        )
    for uri in uris:
        host = _url_host(uri, redirect=True)
        if host is None:
            raise InvalidClientMetadata(
                "Each redirect URI must be https (or http://localhost), without fragment.",
                error="invalid_redirect_uri",
            )
        hosts.add(host)
    if len(hosts) > 1:
        raise InvalidClientMetadata(
            "All URLs of the registration must have the same host name; found "
            + ", ".join(sorted(hosts))
            + "."
        )
    scope = metadata.get("scope")
    if not isinstance(scope, str):
        raise InvalidClientMetadata("scope is required: a space-delimited string.")
    try:
        scopes = parse_app_scope(scope)
    except ValueError as exc:
        raise InvalidClientMetadata(f"The scope has an {exc}.") from None
    if not set(scopes) - {OFFLINE_ACCESS}:
        raise InvalidClientMetadata("scope names no Open Badges or CLR scope.")
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in _AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method must be one of {', '.join(_AUTH_METHODS)}."
        )
    grant_types = _string_list(metadata, "grant_types", ["authorization_code"])
    if "authorization_code" not in grant_types or not set(grant_types) <= set(_GRANT_TYPES):
        raise InvalidClientMetadata(
            "grant_types must include authorization_code and may add refresh_token."
        )
    if _string_list(metadata, "response_types", ["code"]) != ["code"]:
        raise InvalidClientMetadata('response_types must be ["code"].')
    if "contacts" in metadata:
        contacts = _string_list(metadata, "contacts", [])
        if len(contacts) > _MAX_URIS or any(len(c) > 320 for c in contacts):
            raise InvalidClientMetadata(f"contacts lists at most {_MAX_URIS} short strings.")
        kept["contacts"] = contacts
    kept.update(
        token_endpoint_auth_method=method,
        grant_types=[g for g in _GRANT_TYPES if g in grant_types],
        response_types=["code"],
    )
    return name, list(dict.fromkeys(uris)), scopes, kept


def register_app(session: Session, metadata: Mapping[str, Any]) -> tuple[OAuthApp, str | None]:
    """A new app from RFC 7591 client metadata, and its secret (``None`` for a public
    app); :class:`InvalidClientMetadata` for metadata this server does not accept."""
    name, uris, scopes, kept = _registration(metadata)
    public = kept["token_endpoint_auth_method"] == "none"  # noqa: S105 - a method name
    secret = None if public else secrets.token_urlsafe(32)
    app = OAuthApp(
        client_id=_CLIENT_ID_PREFIX + secrets.token_hex(16),
        secret_hash=hash_client_secret(secret) if secret is not None else None,
        client_name=name,
        redirect_uris=uris,
        scopes=scopes,
        client_metadata=kept,
    )
    session.add(app)
    session.flush()
    return app, secret


def app_grant_types(app: OAuthApp) -> list[str]:
    """The grant types the app registered (apps registered before they were kept: only
    ``authorization_code``)."""
    types = app.client_metadata.get("grant_types")
    return list(types) if isinstance(types, list) else ["authorization_code"]


def find_app(session: Session, client_id: str) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    return session.scalar(sa.select(OAuthApp).where(OAuthApp.client_id == client_id))


def authenticate_app(session: Session, client_id: str, client_secret: str | None) -> OAuthApp:
    """The app ``client_id``: a public one must send no secret; a confidential one must
    send its secret. :class:`InvalidClient` otherwise."""
    app = find_app(session, client_id)
    if app is None:
        raise InvalidClient("Client authentication failed.")
    if app.secret_hash is None:
        if client_secret:
            raise InvalidClient("Client authentication failed.")
        return app
    if not client_secret or not check_client_secret(client_secret[:256], app.secret_hash):
        raise InvalidClient("Client authentication failed.")
    return app


# -- authorization codes --------------------------------------------------------------


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def create_code(
    session: Session,
    app: OAuthApp,
    user: User,
    *,
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str,
    now: datetime | None = None,
) -> str:
    """A new authorization code (returned once; only its hash is stored)."""
    code = secrets.token_urlsafe(32)
    session.add(
        OAuthAuthorizationCode(
            code_hash=code_hash(code),
            app_id=app.id,
            user_id=user.id,
            scopes=scopes,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=_now(now) + CODE_LIFETIME,
            used=False,
        )
    )
    session.flush()
    return code
