"""OAuth 2.0 for learners' apps (wallets, displayers) on the 1EdTech service APIs.

- **Dynamic registration** (RFC 7591): :func:`register_app`. ``redirect_uris`` must be
  ``https`` (or ``http://localhost`` / ``127.0.0.1`` for development), without fragment;
  ``scope`` is a subset of :data:`OB_SCOPES`. A confidential app
  (``client_secret_basic`` / ``client_secret_post``) gets a secret, stored only as its
  scrypt hash; a public app (``none``) gets none. Every app must use PKCE.
- **Authorization codes** (RFC 6749 4.1, RFC 7636 ``S256`` only): 256 random bits,
  stored as SHA-256, valid :data:`CODE_LIFETIME`, single use, bound to the redirect URI.
- **User access tokens**: JWTs under the same derived HS256 key as the organization
  tokens of :mod:`openler.services.auth`, but with ``typ: olr-user+jwt`` (so neither kind
  is accepted in place of the other), ``sub`` = the user id, ``client_id`` and ``scope``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.services.auth import (
    InvalidClient,
    InvalidToken,
    check_client_secret,
    decode_bearer_token,
    encode_bearer_token,
    hash_client_secret,
)
from openler.services.keystore import KeyStore
from openler.store.models import OAuthApp, OAuthAuthorizationCode, User

__all__ = [
    "CODE_LIFETIME",
    "OB_SCOPES",
    "USER_TOKEN_LIFETIME",
    "InvalidClientMetadata",
    "InvalidGrant",
    "UserGrant",
    "authenticate_app",
    "create_code",
    "exchange_code",
    "find_app",
    "issue_user_token",
    "register_app",
    "s256",
    "verify_user_token",
]

_OB: Final = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
#: The Open Badges 3.0 service scopes (what each lets an app do for the signed-in learner).
OB_SCOPES: Final[Mapping[str, str]] = {
    _OB + "credential.readonly": "read your Open Badges credentials",
    _OB + "credential.upsert": "add credentials to your Open Badges collection",
    _OB + "profile.readonly": "read your profile (name and e-mail address)",
    _OB + "profile.update": "change your profile",
}
CODE_LIFETIME: Final = timedelta(minutes=5)
USER_TOKEN_LIFETIME: Final = timedelta(hours=1)

_USER_TOKEN_TYPE: Final = "olr-user+jwt"  # noqa: S105 - the JWT typ header
_CLIENT_ID_PREFIX: Final = "olra_"
_AUTH_METHODS: Final = ("none", "client_secret_basic", "client_secret_post")
_MAX_URIS: Final = 10
_MAX_URI_CHARS: Final = 2000
_LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "[::1]")
_METADATA_FIELDS: Final = (
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "contacts",
)


class InvalidClientMetadata(OpenlerError):
    """RFC 7591 3.2.2: ``error`` is ``invalid_redirect_uri`` or ``invalid_client_metadata``."""

    code = "invalid_client_metadata"

    def __init__(self, message: str, *, error: str = "invalid_client_metadata") -> None:
        super().__init__(message)
        self.error = error


class InvalidGrant(OpenlerError):
    """RFC 6749 5.2 ``invalid_grant``."""

    code = "invalid_grant"


@dataclass(frozen=True, slots=True)
class UserGrant:
    user: User
    client_id: str
    scopes: frozenset[str]


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


def parse_ob_scope(value: str) -> list[str]:
    """A space-delimited scope as a list in :data:`OB_SCOPES` order; ValueError when one
    is unknown."""
    wanted = {part for part in value.split(" ") if part}
    unknown = wanted - set(OB_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}")
    return [scope for scope in OB_SCOPES if scope in wanted]


def valid_redirect_uri(uri: Any) -> bool:
    if not isinstance(uri, str) or not uri or len(uri) > _MAX_URI_CHARS:
        return False
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.fragment or not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.netloc.split(":")[0] in _LOCAL_HOSTS


# -- registration ---------------------------------------------------------------------


def register_app(session: Session, metadata: Mapping[str, Any]) -> tuple[OAuthApp, str | None]:
    """A new app from RFC 7591 client metadata, and its secret (``None`` for a public
    app); :class:`InvalidClientMetadata` for metadata this server does not accept."""
    name = metadata.get("client_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidClientMetadata("client_name is required (at most 200 characters).")
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > _MAX_URIS:
        raise InvalidClientMetadata(
            f"redirect_uris must list 1 to {_MAX_URIS} URIs.", error="invalid_redirect_uri"
        )
    for uri in uris:
        if not valid_redirect_uri(uri):
            raise InvalidClientMetadata(
                "Each redirect URI must be https (or http://localhost), without fragment.",
                error="invalid_redirect_uri",
            )
    scope = metadata.get("scope", " ".join(OB_SCOPES))
    if not isinstance(scope, str):
        raise InvalidClientMetadata("scope must be a space-delimited string.")
    try:
        scopes = parse_ob_scope(scope)
    except ValueError as exc:
        raise InvalidClientMetadata(f"The scope has an {exc}.") from None
    if not scopes:
        raise InvalidClientMetadata("scope names no scope.")
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in _AUTH_METHODS:
        raise InvalidClientMetadata(f"token_endpoint_auth_method must be one of {_AUTH_METHODS}.")
    grant_types = metadata.get("grant_types", ["authorization_code"])
    if not isinstance(grant_types, list) or not set(grant_types) <= {
        "authorization_code",
        "refresh_token",
    }:
        raise InvalidClientMetadata("grant_types may only be authorization_code.")
    response_types = metadata.get("response_types", ["code"])
    if response_types != ["code"]:
        raise InvalidClientMetadata('response_types must be ["code"].')
    extra = {k: metadata[k] for k in _METADATA_FIELDS if isinstance(metadata.get(k), str | list)}
    secret = secrets.token_urlsafe(32) if method != "none" else None
    app = OAuthApp(
        client_id=_CLIENT_ID_PREFIX + secrets.token_hex(16),
        secret_hash=hash_client_secret(secret) if secret is not None else None,
        client_name=name.strip(),
        redirect_uris=list(uris),
        scopes=scopes,
        client_metadata={**extra, "token_endpoint_auth_method": method},
    )
    session.add(app)
    session.flush()
    return app, secret


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


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _code_hash(code: str) -> str:
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
            code_hash=_code_hash(code),
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


def exchange_code(
    session: Session,
    app: OAuthApp,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    now: datetime | None = None,
) -> OAuthAuthorizationCode:
    """The code's grant, marked used; :class:`InvalidGrant` for an unknown, expired, used
    or foreign code, another redirect URI or a verifier that does not match."""
    row = None
    if code and len(code) <= 128:
        row = session.scalar(
            sa.select(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.code_hash == _code_hash(code))
            .with_for_update()
        )
    if row is None or row.app_id != app.id:
        raise InvalidGrant("The authorization code is invalid.")
    if row.used or row.expires_at <= _now(now):
        raise InvalidGrant("The authorization code has expired or was used already.")
    row.used = True  # a failed attempt uses it up as well
    session.flush()
    if row.redirect_uri != redirect_uri:
        raise InvalidGrant("The redirect_uri does not match the authorization request.")
    if not 43 <= len(code_verifier) <= 128 or not code_verifier.isascii():
        raise InvalidGrant("The code_verifier is invalid.")
    if not hmac.compare_digest(s256(code_verifier), row.code_challenge):
        raise InvalidGrant("The code_verifier does not match the code_challenge.")
    if not row.user.is_active:
        raise InvalidGrant("The user cannot sign in.")
    return row


# -- user access tokens ---------------------------------------------------------------


def issue_user_token(
    settings: Settings,
    keystore: KeyStore,
    app: OAuthApp,
    user: User,
    scopes: list[str],
    *,
    now: datetime | None = None,
) -> tuple[str, int]:
    """An access token for ``user`` via ``app`` and its lifetime in seconds."""
    seconds = int(USER_TOKEN_LIFETIME.total_seconds())
    token = encode_bearer_token(
        settings,
        keystore,
        token_type=_USER_TOKEN_TYPE,
        subject=str(user.id),
        scope=" ".join(scopes),
        issued=_now(now),
        seconds=seconds,
        claims={"client_id": app.client_id},
    )
    return token, seconds


def verify_user_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    token: str,
    *,
    now: datetime | None = None,
) -> UserGrant:
    """The grant of a valid user access token; :class:`InvalidToken` otherwise (also when
    its app is gone, or no longer holds the scopes, or the user is inactive)."""
    claims = decode_bearer_token(
        settings, keystore, token, token_type=_USER_TOKEN_TYPE, now=_now(now)
    )
    try:
        user_id = uuid.UUID(str(claims["sub"]))
        scopes = parse_ob_scope(str(claims.get("scope", "")))
        client_id = str(claims.get("client_id", ""))
    except (ValueError, TypeError, KeyError):
        raise InvalidToken("The access token is invalid.") from None
    app = find_app(session, client_id)
    user = session.get(User, user_id)
    if app is None or user is None or not user.is_active or not set(scopes) <= set(app.scopes):
        raise InvalidToken("The access token is no longer valid.")
    return UserGrant(user=user, client_id=client_id, scopes=frozenset(scopes))
