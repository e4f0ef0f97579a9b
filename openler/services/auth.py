"""Who may call the API for an organization: OAuth 2.0 client-credentials clients, the
short-lived access tokens they obtain, and static API keys.

- **API clients** (RFC 6749, 4.4): a random ``client_id`` and a 256-bit random secret,
  shown once and stored as a salted scrypt hash (``scrypt$N$r$p$salt$hash``, base64url), so
  a stolen database does not give the secrets away.
- **Access tokens**: JWTs (RFC 9068 shape, ``typ: at+jwt``) signed with HS256 under a key
  derived from the deployment secret (:meth:`KeyStore.derived_key`), valid one hour by
  default, with the claims ``iss``/``aud`` (the public origin), ``sub`` (the client id),
  ``org`` (the organization id), ``scope``, ``iat``, ``exp`` and ``jti``. Verifying one
  also checks that its client still exists, is not revoked and still holds its scopes,
  so revoking a client ends its tokens at once.
- **API keys**: ``olr_<prefix>_<secret>``: the prefix (public, unique, indexed) finds the
  row, the secret is checked against a SHA-256 hash.

Every scope is one of :data:`SCOPES`. Creating and revoking clients and keys is written
to the audit log. Time is a parameter (``now``) throughout.

Errors (never carrying a secret)::

    OpenlerError
    ├── InvalidToken          invalid_token   a bad, expired or revoked token or key
    ├── InvalidClient         invalid_client  unknown client, wrong secret, revoked client
    ├── CredentialNotFound    not_found       no such client or key in the organization
    └── InvalidInput          invalid_input
        └── InvalidScope      invalid_scope   an unknown scope, or more than allowed
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.services.audit import Actor, record
from openler.services.keystore import KeyStore
from openler.store.models import ActorType, ApiClient, ApiKey, AuditAction, Organization

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "API_KEY_PREFIX",
    "SCOPES",
    "AccessToken",
    "CredentialNotFound",
    "Grant",
    "InvalidClient",
    "InvalidScope",
    "InvalidToken",
    "authenticate_client",
    "create_api_client",
    "create_api_key",
    "issue_access_token",
    "parse_scope",
    "revoke_api_client",
    "revoke_api_key",
    "validate_scopes",
    "verify_access_token",
    "verify_api_key",
    "verify_bearer",
]

#: Scopes a token or key may carry (each grants what its name says, in one organization).
SCOPES: Final[Mapping[str, str]] = {
    "org:admin": "manage the organization's profile, keys, API clients and members",
    "achievements:read": "read achievement definitions",
    "achievements:write": "create, version and publish achievement definitions",
    "credentials:read": "read and list issued credentials",
    "credentials:issue": "issue credentials",
    "credentials:status": "revoke, suspend and unsuspend credentials",
    "endorsements:write": "issue endorsements",
    "trust:manage": "manage the issuer trust registry",
    "audit:read": "read the audit log",
}

ACCESS_TOKEN_LIFETIME: Final = timedelta(hours=1)
API_KEY_PREFIX: Final = "olr_"

#: The purpose under which the access-token HMAC key is derived from the deployment secret.
_TOKEN_KEY_PURPOSE: Final = "oauth/access-token/hs256/v1"  # noqa: S105 - a label, not a key
_TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - the JWT typ header (RFC 9068)
_ALGORITHMS: Final = ("HS256",)
_MAX_TOKEN_CHARS: Final = 4096
_CLIENT_ID_PREFIX: Final = "olrc_"
_MAX_CLIENT_ID_CHARS: Final = 64
_MAX_SECRET_CHARS: Final = 256

# scrypt (RFC 7914) for client secrets: N=2^14, r=8, p=1 costs ~16 MiB and tens of ms.
# The parameters are stored with each hash, so they can be raised later; on reading they
# are bounded so that a tampered row cannot make verification exhaust memory.
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SCRYPT_SALT_BYTES: Final = 16
_SCRYPT_KEY_BYTES: Final = 32
_SCRYPT_MAX_N: Final = 2**17
_SCRYPT_MAXMEM: Final = 2**28  # 256 MiB: room for the largest parameters accepted

_KEY_PREFIX_HEX: Final = 16  # 64 random bits: unique with overwhelming probability
_KEY_HASH_LABEL: Final = b"openler/api-key/v1\x00"


class InvalidToken(OpenlerError):
    """A bearer token or API key that does not authenticate (the reason is not told)."""

    code = "invalid_token"


class InvalidClient(OpenlerError):
    """Client authentication failed (RFC 6749 ``invalid_client``)."""

    code = "invalid_client"


class CredentialNotFound(OpenlerError):
    code = "not_found"


class InvalidScope(InvalidInput):
    """An unknown scope, or a scope the client or key may not have."""

    code = "invalid_scope"


@dataclass(frozen=True, slots=True)
class Grant:
    """What an authenticated token or key may do: act for one organization, with scopes."""

    organization_id: uuid.UUID
    scopes: frozenset[str]
    actor: Actor


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str = ""
    expires_in: int = 0
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:  # the token is a bearer credential: never shown
        return f"AccessToken(expires_in={self.expires_in}, scopes={self.scopes!r})"


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


# -- scopes ---------------------------------------------------------------------------


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    """``scopes`` without duplicates, in :data:`SCOPES` order; an unknown one is refused."""
    wanted = set()
    for scope in scopes:
        if not isinstance(scope, str) or scope not in SCOPES:
            known = ", ".join(SCOPES)
            raise InvalidScope(
                f"Unknown scope {scope!r}; one of {known}.", details={"scope": str(scope)}
            )
        wanted.add(scope)
    return [scope for scope in SCOPES if scope in wanted]


def parse_scope(value: str) -> list[str]:
    """An OAuth ``scope`` parameter (space-delimited, RFC 6749, 3.3) as a list of scopes."""
    return validate_scopes(value.split(" ")) if value.strip(" ") else []


# -- secrets --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_SCRYPT_MAXMEM
    )


def hash_client_secret(secret: str) -> str:
    """``scrypt$N$r$p$<salt>$<hash>`` with a fresh random salt."""
    salt = secrets.token_bytes(_SCRYPT_SALT_BYTES)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_KEY_BYTES)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_client_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches ``stored`` (constant-time comparison)."""
    try:
        scheme, n_text, r_text, p_text, salt_text, digest_text = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, digest = _unb64(salt_text), _unb64(digest_text)
    except ValueError:
        return False
    if (
        scheme != "scrypt"
        or not 2 <= n <= _SCRYPT_MAX_N
        or n & (n - 1)
        or not 1 <= r <= _SCRYPT_R
        or not 1 <= p <= 4
        or not 16 <= len(digest) <= 64
    ):
        return False
    candidate = _scrypt(secret, salt, n, r, p, len(digest))
    return hmac.compare_digest(candidate, digest)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the client id is unknown, so that the answer takes as
    long as for a wrong secret and does not tell which client ids exist."""
    return hash_client_secret(secrets.token_urlsafe(32))


def _api_key_hash(prefix: str, secret: str) -> str:
    # The secret is 256 bits from the OS's CSPRNG, so brute force over it is out of reach
    # whatever the hash's speed: a slow, salted hash (as for passwords and client secrets)
    # would only slow down every API call. A plain SHA-256 is preimage resistant, which is
    # all that is needed; the prefix is bound in so a hash cannot be moved to another row.
    data = _KEY_HASH_LABEL + prefix.encode("ascii") + b"\x00" + secret.encode("utf-8")
    return "sha256$" + hashlib.sha256(data).hexdigest()


# -- API clients ----------------------------------------------------------------------


def _client_subject(client: ApiClient) -> str:
    return f"api_client:{client.client_id}"


def create_api_client(
    session: Session,
    org: Organization,
    *,
    name: str,
    scopes: Iterable[str],
    actor: Actor | None,
) -> tuple[ApiClient, str]:
    """A new client of ``org`` and its secret (returned once; only its hash is stored)."""
    granted = validate_scopes(scopes)
    if not granted:
        raise InvalidScope("An API client needs at least one scope.")
    secret = secrets.token_urlsafe(32)  # 256 bits
    client = ApiClient(
        organization_id=org.id,
        client_id=_CLIENT_ID_PREFIX + secrets.token_hex(16),
        secret_hash=hash_client_secret(secret),
        name=name.strip(),
        scopes=granted,
        revoked=False,
    )
    session.add(client)
    session.flush()
    record(
        session,
        org,
        actor,
        AuditAction.API_CLIENT_CREATE,
        _client_subject(client),
        {"name": client.name, "scopes": granted},
    )
    return client, secret


def revoke_api_client(
    session: Session,
    org: Organization,
    client_id: str,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> ApiClient:
    """Revoke a client of ``org``: its tokens stop working at once. Revoking twice is a
    no-op (recorded once)."""
    client = session.scalar(
        sa.select(ApiClient).where(
            ApiClient.client_id == client_id, ApiClient.organization_id == org.id
        )
    )
    if client is None:
        raise CredentialNotFound(f"No API client {client_id!r} in {org.slug}.")
    if not client.revoked:
        client.revoked = True
        client.revoked_at = _now(now)
        session.flush()
        record(session, org, actor, AuditAction.API_CLIENT_REVOKE, _client_subject(client), {})
    return client


def authenticate_client(session: Session, client_id: str, client_secret: str) -> ApiClient:
    """The live client with these credentials, or :class:`InvalidClient` (one message for
    every reason, and about the same time, so nothing is learnt from a failure)."""
    client = None
    if 0 < len(client_id) <= _MAX_CLIENT_ID_CHARS:
        client = session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    secret = client_secret if len(client_secret) <= _MAX_SECRET_CHARS else ""
    matches = check_client_secret(secret, client.secret_hash if client else _dummy_hash())
    if client is None or not matches or client.revoked or not secret:
        raise InvalidClient("Client authentication failed.")
    return client


# -- access tokens --------------------------------------------------------------------


def _token_key(keystore: KeyStore) -> OctKey:
    return OctKey.import_key(keystore.derived_key(_TOKEN_KEY_PURPOSE))


def encode_bearer_token(
    settings: Settings,
    keystore: KeyStore,
    *,
    token_type: str,
    subject: str,
    scope: str,
    issued: datetime,
    seconds: int,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """A signed bearer token (HS256, key derived from the deployment secret). ``token_type``
    (the ``typ`` header) keeps organization tokens and learner tokens apart."""
    body: dict[str, Any] = {
        "iss": settings.base_url,
        "aud": settings.base_url,
        "sub": subject,
        **(claims or {}),
        "scope": scope,
        "iat": int(issued.timestamp()),
        "exp": int(issued.timestamp()) + seconds,
        "jti": secrets.token_urlsafe(16),
    }
    header = {"alg": "HS256", "typ": token_type}
    return jwt.encode(header, body, _token_key(keystore), algorithms=list(_ALGORITHMS))


def decode_bearer_token(
    settings: Settings, keystore: KeyStore, token: str, *, token_type: str, now: datetime
) -> dict[str, Any]:
    """The claims of a bearer token of ``token_type`` made by :func:`encode_bearer_token`;
    :class:`InvalidToken` when it is malformed, of another type, signed with another key,
    expired, or for another audience or issuer."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise InvalidToken("The access token is invalid.")
    try:
        decoded = jwt.decode(token, _token_key(keystore), algorithms=list(_ALGORITHMS))
        if decoded.header.get("typ") != token_type:
            raise InvalidToken("The access token is invalid.")
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            iss={"essential": True, "value": settings.base_url},
            aud={"essential": True, "value": settings.base_url},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("The access token is invalid or has expired.") from None
    return dict(decoded.claims)


def issue_access_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    client: ApiClient,
    *,
    scope: str | None = None,
    now: datetime | None = None,
    lifetime: timedelta = ACCESS_TOKEN_LIFETIME,
) -> AccessToken:
    """An access token for an authenticated ``client``. ``scope`` (space-delimited) may
    narrow the client's scopes, never widen them; without it the token has them all."""
    allowed = validate_scopes(client.scopes)
    requested = parse_scope(scope) if scope is not None else allowed
    if scope is not None and not requested:
        raise InvalidScope("The scope parameter names no scope.")
    extra = [s for s in requested if s not in allowed]
    if extra:
        raise InvalidScope(
            f"This client may not have the scope {extra[0]!r}.", details={"scope": extra[0]}
        )
    if not requested:
        raise InvalidScope("This client has no scopes.")
    issued = _now(now)
    seconds = int(lifetime.total_seconds())
    if seconds < 1:
        raise ValueError("lifetime must be at least one second")
    token = encode_bearer_token(
        settings,
        keystore,
        token_type=_TOKEN_TYPE,
        subject=client.client_id,
        scope=" ".join(requested),
        issued=issued,
        seconds=seconds,
        claims={"org": str(client.organization_id)},
    )
    return AccessToken(token=token, expires_in=seconds, scopes=tuple(requested))


def verify_access_token(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    token: str,
    *,
    now: datetime | None = None,
) -> Grant:
    """The grant of a valid access token; :class:`InvalidToken` for a token that is
    malformed, signed with another key, expired, for another audience or issuer, or whose
    client is gone, revoked or no longer holds the token's scopes."""
    claims = decode_bearer_token(settings, keystore, token, token_type=_TOKEN_TYPE, now=_now(now))
    try:
        org_id = uuid.UUID(str(claims.get("org")))
        scope_claim = claims.get("scope")
        if not isinstance(scope_claim, str):
            raise ValueError("scope")
        scopes = parse_scope(scope_claim)
    except (ValueError, InvalidScope):
        raise InvalidToken("The access token is invalid.") from None
    client = session.scalar(sa.select(ApiClient).where(ApiClient.client_id == claims["sub"]))
    if (
        client is None
        or client.revoked
        or client.organization_id != org_id
        or not scopes
        or not set(scopes) <= set(client.scopes)
    ):
        raise InvalidToken("The access token is no longer valid.")
    return Grant(
        organization_id=org_id,
        scopes=frozenset(scopes),
        actor=Actor(ActorType.API_CLIENT, client.client_id),
    )


# -- API keys -------------------------------------------------------------------------


def _key_subject(key: ApiKey) -> str:
    return f"api_key:{key.prefix}"


def create_api_key(
    session: Session,
    org: Organization,
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    actor: Actor | None,
    now: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new API key of ``org`` and its token ``olr_<prefix>_<secret>`` (returned once)."""
    granted = validate_scopes(scopes)
    if not granted:
        raise InvalidScope("An API key needs at least one scope.")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput("expires_at must be an aware datetime.")
        if expires_at <= _now(now):
            raise InvalidInput("expires_at must be in the future.")
    prefix = secrets.token_hex(_KEY_PREFIX_HEX // 2)
    secret = secrets.token_urlsafe(32)  # 256 bits
    key = ApiKey(
        organization_id=org.id,
        name=name.strip(),
        prefix=prefix,
        key_hash=_api_key_hash(prefix, secret),
        scopes=granted,
        revoked=False,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    record(
        session,
        org,
        actor,
        AuditAction.API_KEY_CREATE,
        _key_subject(key),
        {
            "name": key.name,
            "scopes": granted,
            "expiresAt": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, f"{API_KEY_PREFIX}{prefix}_{secret}"


def revoke_api_key(
    session: Session, org: Organization, prefix: str, *, actor: Actor | None
) -> ApiKey:
    """Revoke a key of ``org`` by its prefix; revoking twice is a no-op (recorded once)."""
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.organization_id == org.id)
    )
    if key is None:
        raise CredentialNotFound(f"No API key {prefix!r} in {org.slug}.")
    if not key.revoked:
        key.revoked = True
        session.flush()
        record(session, org, actor, AuditAction.API_KEY_REVOKE, _key_subject(key), {})
    return key


def verify_api_key(
    session: Session,
    token: str,
    *,
    now: datetime | None = None,
    touch_every: timedelta = timedelta(minutes=1),
) -> Grant:
    """The grant of a valid API key token; :class:`InvalidToken` when it is malformed,
    unknown, wrong, revoked or expired. ``last_used_at`` is updated at most once per
    ``touch_every`` (so busy keys do not write on every request)."""
    moment = _now(now)
    body = token[len(API_KEY_PREFIX) :] if token.startswith(API_KEY_PREFIX) else ""
    prefix, sep, secret = body[:_KEY_PREFIX_HEX], body[_KEY_PREFIX_HEX : _KEY_PREFIX_HEX + 1], ""
    if sep == "_":
        secret = body[_KEY_PREFIX_HEX + 1 :]
    if (
        not secret
        or len(secret) > _MAX_SECRET_CHARS
        or not all(c in "0123456789abcdef" for c in prefix)
    ):
        raise InvalidToken("The API key is invalid.")
    key = session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix))
    expected = key.key_hash if key is not None else _api_key_hash(prefix, "")
    matches = hmac.compare_digest(_api_key_hash(prefix, secret), expected)
    if key is None or not matches:
        raise InvalidToken("The API key is invalid.")
    if key.revoked or (key.expires_at is not None and key.expires_at <= moment):
        raise InvalidToken("The API key has been revoked or has expired.")
    scopes = frozenset(s for s in key.scopes if s in SCOPES)
    if key.last_used_at is None or moment - key.last_used_at >= touch_every:
        key.last_used_at = moment
        session.flush()
    return Grant(
        organization_id=key.organization_id,
        scopes=scopes,
        actor=Actor(ActorType.API_KEY, key.prefix),
    )


def verify_bearer(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    token: str,
    *,
    now: datetime | None = None,
) -> Grant:
    """An ``Authorization: Bearer`` value: an API key (``olr_…``) or an access token."""
    if token.startswith(API_KEY_PREFIX):
        return verify_api_key(session, token, now=now)
    return verify_access_token(session, settings, keystore, token, now=now)
