"""Who is signed in to the web UI, and what they may do: server-side sessions, CSRF
tokens and role checks for page routes.

How page authors use it::

    from openler.web.auth import CsrfChecked, CurrentUser, SignedInUser, require_role

    @router.get("/wallet")
    def wallet(request: Request, user: SignedInUser) -> HTMLResponse:   # anonymous -> /signin
        ...

    @router.post("/wallet/share", dependencies=[CsrfChecked])            # every POST
    def share(request: Request, user: SignedInUser, ...) -> Response: ...

    @router.get("/console/{slug}/keys")
    def keys(access: Annotated[OrgAccess, Depends(require_role(Role.VIEWER))]) -> ...:
        access.org, access.role, access.user                              # 404 / 403 otherwise

- **Every page request** gets ``request.state.user`` (a :class:`UserInfo` snapshot: ``id``,
  ``email``, ``display_name``; or ``None``), ``request.state.memberships``
  (:class:`OrgMembership` list, by name) and
  ``request.state.csrf_token`` (what forms send back) from :func:`current_user`, which
  :func:`openler.web.install_web` adds to every page router it includes
  (``PAGE_DEPENDENCIES``); the layout (``base.html``) reads them (snapshots, so that an
  error page rendered after the transaction rolled back can still show them). A route that
  needs the user (the ORM :class:`~openler.store.models.User`) asks for
  :data:`CurrentUser` (``User | None``) or :data:`SignedInUser` (redirects an
  anonymous visitor to ``/signin?next=<this page>``; an htmx request gets ``HX-Redirect``).
- **Sessions**: the cookie carries a random 256-bit token (HttpOnly, SameSite=Lax, Secure
  and ``__Host-`` prefixed when ``OPENLER_BASE_URL`` is https); only its SHA-256 is stored
  (``web_sessions``). A session ends after ``OPENLER_SESSION_IDLE_MINUTES`` without a
  request, ``OPENLER_SESSION_MAX_HOURS`` after sign-in, at sign-out, or when the user is
  deactivated. :func:`start_session` / :func:`end_session` are used by the sign-in pages.
- **CSRF**: every POST (PUT, PATCH, DELETE) of a page must carry the session's token in the
  form field ``csrf_token`` or the ``X-CSRF-Token`` header (``base.html`` puts it in an
  ``hx-headers`` attribute on ``<body>``, so htmx requests send it). Routes add
  ``dependencies=[CsrfChecked]`` (or call :func:`check_csrf`); a missing or wrong token is a
  403 page (code ``csrf_failed``) and nothing runs. Anonymous visitors have a token too
  (seeded by a browser-session cookie), so sign-in and sign-up forms are protected alike.
- **Roles** per organization: viewer < issuer < admin. :func:`require_role` (a dependency
  factory reading ``{slug}`` from the path) and :func:`check_role` (a plain function)
  answer 404 when the user is not a member (another organization's existence is never
  told) and 403 when their role is too low.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from typing import Annotated, Any, Final
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.config import Settings
from openler.store.models.enums import Role
from openler.store.models.organizations import Membership, Organization, User
from openler.store.models.web import WebSession
from openler.web.templating import WebError

__all__ = [
    "PAGE_DEPENDENCIES",
    "ROLE_RANK",
    "CsrfChecked",
    "CurrentUser",
    "OrgAccess",
    "OrgMembership",
    "SignInRequired",
    "SignedInUser",
    "UserInfo",
    "check_csrf",
    "check_role",
    "csrf_token_for",
    "current_user",
    "end_all_sessions",
    "end_session",
    "hash_token",
    "install_auth",
    "require_role",
    "require_user",
    "safe_next",
    "session_cookie_name",
    "start_session",
]

#: Roles from least to most powerful: a role may do everything the lower ones may.
ROLE_RANK: Final = {Role.VIEWER: 0, Role.ISSUER: 1, Role.ADMIN: 2}
#: ``last_seen_at`` is written at most this often (not on every page view).
_TOUCH_EVERY: Final = timedelta(seconds=60)
_TOKEN_BYTES: Final = 32
_MAX_COOKIE_CHARS: Final = 100
_CSRF_LABEL: Final = b"openler/web/csrf/v1"
_STATE_COOKIES: Final = "openler_set_cookies"
_LOADED: Final = "openler_auth_loaded"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"


# -- tokens and cookies ------------------------------------------------------------------


def hash_token(token: str) -> str:
    """What is stored for a session token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token_for(seed: str) -> str:
    """The CSRF token of a browser: an HMAC of its session (or pre-session) token, so
    nothing more is stored and it changes with every new session."""
    return hmac.new(seed.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def _secure(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def session_cookie_name(settings: Settings) -> str:
    """``__Host-openler_session`` over https (the browser then insists on Secure, Path=/
    and no Domain), ``openler_session`` over plain http (development)."""
    return "__Host-openler_session" if _secure(settings) else "openler_session"


def _pre_cookie_name(settings: Settings) -> str:
    return "__Host-openler_pre" if _secure(settings) else "openler_pre"


def _cookie_header(
    settings: Settings, name: str, value: str, max_age: int | None, *, delete: bool = False
) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    morsel = jar[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if _secure(settings):
        morsel["secure"] = True
    if delete:
        morsel["max-age"] = 0
        morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    elif max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def _queue_cookie(request: Request, header: str) -> None:
    cookies: list[str] = getattr(request.state, _STATE_COOKIES, None) or []
    cookies.append(header)
    setattr(request.state, _STATE_COOKIES, cookies)


def _valid_cookie(value: str | None) -> str | None:
    if value is None or not 20 <= len(value) <= _MAX_COOKIE_CHARS:
        return None
    if not all(c.isalnum() or c in "-_" for c in value):
        return None
    return value


class _SetCookieMiddleware:
    """Adds the cookies that the auth dependencies queued on ``request.state`` to the
    response (FastAPI does not merge a dependency's cookies into a returned Response)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_cookies(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and state.get(_STATE_COOKIES):
                headers = list(message.get("headers", []))
                headers += [(b"set-cookie", c.encode("latin-1")) for c in state[_STATE_COOKIES]]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


# -- the current user ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who is signed in, for templates (``request.state.user``)."""

    id: uuid.UUID
    email: str
    display_name: str

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(user.id, user.email, user.display_name)


@dataclass(frozen=True, slots=True)
class OrgMembership:
    """One of the signed-in user's organizations (for navigation and pickers)."""

    organization_id: uuid.UUID
    slug: str
    name: str
    role: Role


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _memberships(session: Session, user: User) -> list[OrgMembership]:
    rows = session.execute(
        sa.select(Organization.id, Organization.slug, Organization.name, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Organization.name, Organization.slug)
    )
    return [OrgMembership(r.id, r.slug, r.name, r.role) for r in rows]


def _expired(settings: Settings, row: WebSession, now: datetime) -> bool:
    idle = timedelta(minutes=settings.session_idle_minutes)
    return row.expires_at <= now or row.last_seen_at + idle <= now


def current_user(request: Request, session: DbSession) -> User | None:
    """The signed-in user or ``None``; sets ``request.state.user``, ``.memberships``,
    ``.csrf_token`` and ``.web_session`` (a page dependency: runs once per request)."""
    if getattr(request.state, _LOADED, False):
        loaded: User | None = request.state.orm_user
        return loaded
    settings = _settings(request)
    now = _now(request)
    user, row, seed = None, None, None
    name = session_cookie_name(settings)
    token = _valid_cookie(request.cookies.get(name))
    if request.cookies.get(name) is not None and token is None:
        _queue_cookie(request, _cookie_header(settings, name, "", None, delete=True))
    if token is not None:
        row = session.scalar(
            sa.select(WebSession).where(WebSession.token_hash == hash_token(token))
        )
        if row is not None and (_expired(settings, row, now) or not row.user.is_active):
            session.delete(row)
            session.flush()
            row = None
        if row is None:
            _queue_cookie(request, _cookie_header(settings, name, "", None, delete=True))
        else:
            if now - row.last_seen_at >= _TOUCH_EVERY:
                row.last_seen_at = now
            user, seed = row.user, token
    if seed is None:
        pre = _pre_cookie_name(settings)
        seed = _valid_cookie(request.cookies.get(pre))
        if seed is None:
            seed = secrets.token_urlsafe(_TOKEN_BYTES)
            _queue_cookie(request, _cookie_header(settings, pre, seed, None))
    request.state.user = UserInfo.of(user) if user is not None else None
    request.state.orm_user = user
    request.state.web_session = row
    request.state.memberships = _memberships(session, user) if user is not None else []
    request.state.csrf_token = csrf_token_for(seed)
    setattr(request.state, _LOADED, True)
    return user


#: The signed-in user, or ``None`` for an anonymous visitor.
CurrentUser = Annotated[User | None, Depends(current_user)]


class SignInRequired(Exception):
    """Raised for an anonymous visitor of a page that needs a user; answered with a
    redirect to ``/signin?next=…`` (see :func:`install_auth`)."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__("sign in required")
        self.next_path = next_path


def require_user(request: Request, user: CurrentUser) -> User:
    """The signed-in user; an anonymous visitor is sent to the sign-in page and comes back
    here afterwards (GET requests; other methods come back to the start page)."""
    if user is None:
        next_path = None
        if request.method == "GET":
            query = f"?{request.url.query}" if request.url.query else ""
            next_path = safe_next(request.url.path + query)
        raise SignInRequired(next_path)
    return user


#: The signed-in user (anonymous visitors are redirected to ``/signin``).
SignedInUser = Annotated[User, Depends(require_user)]


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/console?x=1``), else ``None``: never
    an absolute URL, a scheme-relative ``//host`` or anything with control characters."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or any(ord(c) < 0x21 or c == "\\" for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def signin_url(next_path: str | None) -> str:
    return "/signin" if not next_path else f"/signin?next={quote(next_path, safe='/')}"


# -- CSRF ------------------------------------------------------------------------------------


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """Refuse (403, ``csrf_failed``) a POST/PUT/PATCH/DELETE whose ``csrf_token`` form field
    or ``X-CSRF-Token`` header is not this browser's token. Safe methods pass."""
    del user  # loaded for request.state.csrf_token
    if request.method in _SAFE_METHODS:
        return
    expected: str = request.state.csrf_token
    sent = request.headers.get(CSRF_HEADER)
    if _is_form(request):
        form = await request.form()  # read (and cached) even with the header: see _csrf_guard
        value = form.get(CSRF_FIELD)
        sent = sent or (value if isinstance(value, str) else None)
    if not sent or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise WebError(
            403,
            "This form has expired",
            "The form was not sent from this site's current page (or your session changed "
            "since it was opened). Nothing was changed: go back, reload the page and try "
            "again.",
            code="csrf_failed",
        )


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _csrf_guard(request: Request, user: CurrentUser) -> AsyncIterator[None]:
    """:func:`check_csrf`, then (after the route) the form's uploaded files are closed."""
    try:
        await check_csrf(request, user)
        yield
    finally:
        if request.method not in _SAFE_METHODS and _is_form(request):
            form = await request.form()  # the cached form: the body is not read again
            await form.close()


#: ``dependencies=[CsrfChecked]`` on every state-changing page route.
CsrfChecked: Final = Depends(_csrf_guard)


# -- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """A signed-in member acting in one organization with their role."""

    user: User
    org: Organization
    role: Role

    def may(self, minimum: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]


def check_role(session: Session, user: User, slug: str, minimum: Role) -> OrgAccess:
    """The user's access to organization ``slug`` with at least ``minimum``: a 404 page when
    the organization does not exist or the user is not a member (the two look alike), a 403
    page when the role is too low."""
    row = session.execute(
        sa.select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Organization.slug == slug[:63], Membership.user_id == user.id)
    ).first()
    if row is None:
        raise WebError(
            404,
            "Not found",
            "There is no such organization, or you are not one of its members.",
            code="not_found",
        )
    org, role = row
    access = OrgAccess(user=user, org=org, role=role)
    if not access.may(minimum):
        raise WebError(
            403,
            "Not allowed",
            f"This needs the {minimum.value} role in {org.name}; yours is {role.value}. "
            "An admin of the organization can change it.",
            code="forbidden",
        )
    return access


def require_role(minimum: Role) -> Callable[..., OrgAccess]:
    """A dependency: the signed-in user's :class:`OrgAccess` to the organization named by
    the ``{slug}`` path parameter, with at least ``minimum`` (see :func:`check_role`)."""

    def dependency(slug: str, session: DbSession, user: SignedInUser) -> OrgAccess:
        return check_role(session, user, slug, minimum)

    return dependency


# -- starting and ending sessions ------------------------------------------------------------


def start_session(request: Request, session: Session, user: User) -> WebSession:
    """Sign ``user`` in on this browser: a new session (any earlier one of this browser
    ends, so a planted session id is never promoted), its cookie queued on the response."""
    settings = _settings(request)
    now = _now(request)
    end_session(request, session, clear_cookie=False)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    lifetime = timedelta(hours=settings.session_max_hours)
    idle = timedelta(minutes=settings.session_idle_minutes)
    # The user's ended sessions go now (a page that finds one expired may raise, which
    # rolls back its deletion).
    session.execute(
        sa.delete(WebSession).where(
            WebSession.user_id == user.id,
            sa.or_(WebSession.expires_at <= now, WebSession.last_seen_at <= now - idle),
        )
    )
    agent = request.headers.get("user-agent")
    row = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=agent[:300] if agent else None,
        created_at=now,
    )
    session.add(row)
    user.last_login_at = now
    session.flush()
    name = session_cookie_name(settings)
    _queue_cookie(request, _cookie_header(settings, name, token, int(lifetime.total_seconds())))
    request.state.user = UserInfo.of(user)
    request.state.orm_user = user
    request.state.web_session = row
    request.state.memberships = _memberships(session, user)
    request.state.csrf_token = csrf_token_for(token)
    setattr(request.state, _LOADED, True)
    return row


def end_session(request: Request, session: Session, *, clear_cookie: bool = True) -> None:
    """Sign this browser out: its session row is deleted and (by default) its cookie
    cleared. Nothing happens for a browser without a session."""
    settings = _settings(request)
    name = session_cookie_name(settings)
    token = _valid_cookie(request.cookies.get(name))
    if token is not None:
        session.execute(sa.delete(WebSession).where(WebSession.token_hash == hash_token(token)))
    if clear_cookie:
        _queue_cookie(request, _cookie_header(settings, name, "", None, delete=True))
        request.state.user = None
        request.state.orm_user = None
        request.state.web_session = None
        request.state.memberships = []


def end_all_sessions(session: Session, user: User) -> int:
    """End every session of ``user`` (e.g. after a password change); how many ended."""
    result = session.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- installation ----------------------------------------------------------------------------

#: Added by :func:`openler.web.install_web` to every page router it includes.
PAGE_DEPENDENCIES: Final = [Depends(current_user)]


def install_auth(app: FastAPI) -> None:
    """The redirect for :class:`SignInRequired` and the middleware that sets the session
    cookies; called by :func:`openler.web.install_web`."""

    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        target = signin_url(exc.next_path)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_middleware(_SetCookieMiddleware)
