"""Tokens for learners' apps on the 1EdTech service APIs: what a learner allowed an app
(a *grant*), the access tokens and refresh tokens issued from it, and their revocation.

- **Grants**: exchanging an authorization code (:func:`exchange_code`) makes one
  :class:`~openler.store.models.wallet.OAuthGrant` with the scopes the learner allowed.
  Every token issued from it belongs to it; revoking it ends them all.
- **Access tokens**: JWTs (HS256 under the key of :mod:`openler.services.auth`, but
  ``typ: olr-user+jwt``, so organization tokens and learner tokens are never taken for one
  another) valid :data:`USER_TOKEN_LIFETIME`, with ``sub`` (the user), ``client_id``,
  ``scope`` and ``sid`` (the grant). :func:`verify_user_token` checks the grant on every
  call, so a revocation takes effect at once.
- **Refresh tokens** (RFC 6749 6, for apps registered with the ``refresh_token`` grant):
  256 random bits with an ``olrr_`` prefix, stored as SHA-256, valid
  ``Settings.oauth_refresh_token_days`` from issue. :func:`refresh` *rotates*: the token
  used is spent and a successor issued with the same grant. A spent token presented again
  means that two parties hold it, so the whole grant is revoked (RFC 6819 5.2.2.3, OAuth
  2.1 4.3.1) — as when a used authorization code is presented again (RFC 6749 4.1.2). A
  refresh may ask for fewer scopes than were granted (the new access token has those; the
  grant keeps its scopes), never for more.
- **Revocation** (RFC 7009): :func:`revoke_token` takes a refresh token or an access token
  and revokes its grant; a token that is unknown, expired or already revoked is not an
  error. Revocations are audited (``oauth_grant.revoke``).

Errors: :class:`InvalidGrant` (``invalid_grant``) and
:class:`~openler.services.auth.InvalidScope` (``invalid_scope``) at the token endpoint,
:class:`~openler.services.auth.InvalidToken` for a bearer token that does not authenticate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.services.audit import SYSTEM, Actor, record
from openler.services.auth import (
    InvalidScope,
    InvalidToken,
    decode_bearer_token,
    encode_bearer_token,
)
from openler.services.keystore import KeyStore
from openler.services.oauth_apps import app_grant_types, code_hash, parse_app_scope
from openler.store.models import (
    ActorType,
    AuditAction,
    OAuthApp,
    OAuthAuthorizationCode,
    User,
)
from openler.store.models.wallet import OAuthGrant, OAuthRefreshToken

__all__ = [
    "REFRESH_TOKEN_PREFIX",
    "USER_TOKEN_LIFETIME",
    "InvalidGrant",
    "TokenSet",
    "UserGrant",
    "exchange_code",
    "refresh",
    "revoke_grant",
    "revoke_token",
    "s256",
    "verify_user_token",
]

USER_TOKEN_LIFETIME: Final = timedelta(hours=1)
REFRESH_TOKEN_PREFIX: Final = "olrr_"  # noqa: S105 - a prefix that marks the kind of token
#: ``OAuthGrant.revoked_reason`` values.
REVOKED: Final = "revoked"
REFRESH_TOKEN_REUSE: Final = "refresh_token_reuse"  # noqa: S105 - a reason, not a secret
CODE_REUSE: Final = "code_reuse"

_USER_TOKEN_TYPE: Final = "olr-user+jwt"  # noqa: S105 - the JWT typ header
_MAX_TOKEN_CHARS: Final = 200


class InvalidGrant(OpenlerError):
    """RFC 6749 5.2 ``invalid_grant``."""

    code = "invalid_grant"


@dataclass(frozen=True, slots=True)
class UserGrant:
    """What a valid learner access token allows: act for ``user`` with ``scopes``."""

    user: User
    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token endpoint answer's tokens (``refresh_token`` only for apps that use it)."""

    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    refresh_token: str | None = None

    def __repr__(self) -> str:  # bearer credentials: never shown
        return f"TokenSet(expires_in={self.expires_in}, scopes={self.scopes!r})"

    def response(self) -> dict[str, Any]:
        """The RFC 6749 5.1 JSON body."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(self.scopes),
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _narrow(granted: list[str], requested: str | None) -> list[str]:
    """The scopes asked for (all granted ones when ``requested`` is empty); never more."""
    if requested is None or not requested.strip(" "):
        return list(granted)
    try:
        wanted = parse_app_scope(requested)
    except ValueError as exc:
        raise InvalidScope(f"The scope has an {exc}.") from None
    if not set(wanted) <= set(granted):
        raise InvalidScope("The scope asks for more than the learner allowed.")
    return wanted


def _issue(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    grant: OAuthGrant,
    scopes: list[str],
    now: datetime,
    *,
    with_refresh: bool,
) -> TokenSet:
    seconds = int(USER_TOKEN_LIFETIME.total_seconds())
    access = encode_bearer_token(
        settings,
        keystore,
        token_type=_USER_TOKEN_TYPE,
        subject=str(grant.user_id),
        scope=" ".join(scopes),
        issued=now,
        seconds=seconds,
        claims={"client_id": grant.app.client_id, "sid": str(grant.id)},
    )
    refresh_token = None
    if with_refresh:
        refresh_token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
        session.add(
            OAuthRefreshToken(
                token_hash=_token_hash(refresh_token),
                grant_id=grant.id,
                expires_at=now + timedelta(days=settings.oauth_refresh_token_days),
            )
        )
    session.flush()
    return TokenSet(access, seconds, tuple(scopes), refresh_token)


def revoke_grant(
    session: Session,
    grant: OAuthGrant,
    reason: str,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> None:
    """Revoke ``grant`` and so every token issued from it (once; audited)."""
    if grant.revoked_at is not None:
        return
    grant.revoked_at = _now(now)
    grant.revoked_reason = reason
    record(
        session,
        None,
        actor or SYSTEM,
        AuditAction.OAUTH_GRANT_REVOKE,
        str(grant.id),
        {"reason": reason, "clientId": grant.app.client_id, "userId": str(grant.user_id)},
    )
    session.flush()


# -- the token endpoint's grants ------------------------------------------------------


def exchange_code(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    app: OAuthApp,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    scope: str | None = None,
    now: datetime | None = None,
) -> TokenSet:
    """``grant_type=authorization_code``: the tokens of a new grant. :class:`InvalidGrant`
    for an unknown, expired or foreign code, another redirect URI or a verifier that does
    not match (the code is used up all the same); a code presented again also revokes the
    grant it gave."""
    moment = _now(now)
    row = None
    if code and len(code) <= 128:
        row = session.scalar(
            sa.select(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.code_hash == code_hash(code))
            .with_for_update()
        )
    if row is None or row.app_id != app.id:
        raise InvalidGrant("The authorization code is invalid.")
    if row.used:
        given = session.scalar(sa.select(OAuthGrant).where(OAuthGrant.code_id == row.id))
        if given is not None:
            revoke_grant(session, given, CODE_REUSE, now=moment)
        raise InvalidGrant("The authorization code was used already.")
    row.used = True  # a failed attempt uses it up as well
    session.flush()
    if row.expires_at <= moment:
        raise InvalidGrant("The authorization code has expired.")
    if row.redirect_uri != redirect_uri:
        raise InvalidGrant("The redirect_uri does not match the authorization request.")
    if not 43 <= len(code_verifier) <= 128 or not code_verifier.isascii():
        raise InvalidGrant("The code_verifier is invalid.")
    if not hmac.compare_digest(s256(code_verifier), row.code_challenge):
        raise InvalidGrant("The code_verifier does not match the code_challenge.")
    if not row.user.is_active:
        raise InvalidGrant("The user cannot sign in.")
    scopes = _narrow(list(row.scopes), scope)
    grant = OAuthGrant(app_id=app.id, user_id=row.user_id, code_id=row.id, scopes=row.scopes)
    session.add(grant)
    session.flush()
    with_refresh = "refresh_token" in app_grant_types(app)
    return _issue(session, settings, keystore, grant, scopes, moment, with_refresh=with_refresh)


def refresh(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    app: OAuthApp,
    *,
    refresh_token: str,
    scope: str | None = None,
    now: datetime | None = None,
) -> TokenSet:
    """``grant_type=refresh_token``: a new access token and a new refresh token (the one
    presented is spent). A spent token presented again revokes its grant."""
    moment = _now(now)
    row = None
    if refresh_token and len(refresh_token) <= _MAX_TOKEN_CHARS:
        row = session.scalar(
            sa.select(OAuthRefreshToken)
            .where(OAuthRefreshToken.token_hash == _token_hash(refresh_token))
            .with_for_update()
        )
    if row is None:
        raise InvalidGrant("The refresh token is invalid.")
    grant = row.grant
    if grant.app_id != app.id:
        raise InvalidGrant("The refresh token was issued to another client.")
    if grant.revoked_at is not None:
        raise InvalidGrant("The refresh token has been revoked.")
    if row.rotated_at is not None:
        revoke_grant(session, grant, REFRESH_TOKEN_REUSE, now=moment)
        raise InvalidGrant(
            "The refresh token was used already; every token of this authorization is now revoked."
        )
    if row.expires_at <= moment:
        raise InvalidGrant("The refresh token has expired.")
    if not grant.user.is_active:
        raise InvalidGrant("The user cannot sign in.")
    scopes = _narrow(list(grant.scopes), scope)
    row.rotated_at = moment
    return _issue(session, settings, keystore, grant, scopes, moment, with_refresh=True)


def revoke_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    app: OAuthApp,
    token: str,
    *,
    now: datetime | None = None,
) -> bool:
    """RFC 7009: revoke the grant of ``token`` (a refresh token or an access token of
    ``app``). False when there was nothing to revoke (an unknown, expired or revoked token:
    not an error); :class:`InvalidGrant` for a token issued to another app."""
    moment = _now(now)
    grant: OAuthGrant | None = None
    if token and len(token) <= _MAX_TOKEN_CHARS:
        row = session.scalar(
            sa.select(OAuthRefreshToken).where(OAuthRefreshToken.token_hash == _token_hash(token))
        )
        grant = row.grant if row is not None else None
    if grant is None:
        try:
            claims = decode_bearer_token(
                settings, keystore, token, token_type=_USER_TOKEN_TYPE, now=moment
            )
            grant = session.get(OAuthGrant, uuid.UUID(str(claims["sid"])))
        except (InvalidToken, KeyError, ValueError):
            return False
    if grant is None:
        return False
    if grant.app_id != app.id:
        raise InvalidGrant("The token was issued to another client.")
    if grant.revoked_at is not None:
        return False
    revoke_grant(
        session, grant, REVOKED, actor=Actor(ActorType.API_CLIENT, app.client_id), now=moment
    )
    return True


# -- access tokens --------------------------------------------------------------------


def verify_user_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    token: str,
    *,
    now: datetime | None = None,
) -> UserGrant:
    """The grant of a valid learner access token; :class:`InvalidToken` otherwise (also
    when its grant was revoked, its app is gone or the user is inactive)."""
    claims = decode_bearer_token(
        settings, keystore, token, token_type=_USER_TOKEN_TYPE, now=_now(now)
    )
    try:
        user_id = uuid.UUID(str(claims["sub"]))
        grant_id = uuid.UUID(str(claims["sid"]))
        scopes = parse_app_scope(str(claims.get("scope", "")))
        client_id = str(claims.get("client_id", ""))
    except (ValueError, TypeError, KeyError):
        raise InvalidToken("The access token is invalid.") from None
    grant = session.get(
        OAuthGrant,
        grant_id,
        options=[joinedload(OAuthGrant.app), joinedload(OAuthGrant.user)],
    )
    if (
        grant is None
        or grant.revoked_at is not None
        or grant.user_id != user_id
        or grant.app.client_id != client_id
        or not set(scopes) <= set(grant.scopes)
        or not grant.user.is_active
    ):
        raise InvalidToken("The access token is no longer valid.")
    return UserGrant(user=grant.user, client_id=client_id, scopes=frozenset(scopes))
