"""The sign-in pages: ``/signin`` (e-mail and password), ``/signout``, ``/signup`` (a
learner account) and ``/signin/link`` (ask for a one-time sign-in link by e-mail).

Password guessing is slowed down per account and per client (:class:`Throttle`, stored in
``web_sign_in_throttles`` so every worker process counts alike): a few failures are free,
then each further one blocks the account (or client) for twice as long as the last, up to
15 minutes. A blocked attempt is not checked at all. Every failure reads the same
("E-mail or password is wrong."), whether the address exists or not, and takes as long
(:func:`openler.services.users.verify_password`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Final

import sqlalchemy as sa
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_keystore
from openler.core.errors import InvalidInput
from openler.services import learners
from openler.services.keystore import KeyStore
from openler.services.users import MIN_PASSWORD_LENGTH, UserExists, verify_password
from openler.store.models.web import SignInThrottle
from openler.web.auth import (
    CsrfChecked,
    CurrentUser,
    check_csrf,
    end_session,
    safe_next,
    start_session,
)
from openler.web.templating import render, web_router

__all__ = ["ACCOUNT_RULE", "CLIENT_RULE", "SIGNUP_RULE", "Throttle", "router"]

router = web_router()

WRONG: Final = "E-mail or password is wrong."


@dataclass(frozen=True, slots=True)
class Throttle:
    """``free`` failures per ``window``; then each further failure blocks the key for
    ``base`` doubling each time, at most ``longest``."""

    prefix: str
    free: int
    window: timedelta = timedelta(minutes=15)
    base: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(minutes=15)

    def key(self, value: str) -> str:
        digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()
        return f"{self.prefix}:{digest}"


ACCOUNT_RULE: Final = Throttle("account", free=5)
CLIENT_RULE: Final = Throttle("client", free=20)
#: Accounts made per client (every sign-up counts).
SIGNUP_RULE: Final = Throttle("signup", free=10, base=timedelta(minutes=1))


def blocked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The latest time any of ``keys`` is blocked until (``None``: none is blocked)."""
    until = session.scalar(
        sa.select(sa.func.max(SignInThrottle.blocked_until)).where(
            SignInThrottle.key.in_(keys), SignInThrottle.blocked_until > now
        )
    )
    return until


def record_failure(session: Session, rule: Throttle, key: str, now: datetime) -> None:
    """Count one failure for ``key`` (a row made on first use; a race on it is retried)."""
    for _ in range(2):
        row = session.scalar(
            sa.select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        )
        if row is None:
            try:
                with session.begin_nested():
                    session.add(
                        SignInThrottle(
                            key=key, failures=1, window_started_at=now, blocked_until=None
                        )
                    )
            except IntegrityError:
                continue
            return
        blocked = row.blocked_until is not None and row.blocked_until > now
        if row.window_started_at + rule.window <= now and not blocked:
            row.failures, row.window_started_at, row.blocked_until = 0, now, None
        row.failures += 1
        if row.failures > rule.free:
            delay = min(rule.longest, rule.base * 2 ** min(row.failures - rule.free - 1, 20))
            row.blocked_until = now + delay
        session.flush()
        return


def forget_failures(session: Session, key: str) -> None:
    session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key == key))


def _prune(session: Session, now: datetime) -> None:
    """Drop counters that have been quiet for a day (keeps the table small)."""
    cutoff = now - timedelta(days=1)
    session.execute(
        sa.delete(SignInThrottle).where(
            SignInThrottle.window_started_at < cutoff,
            sa.or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < now),
        )
    )


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _landing(request: Request, next_path: str | None) -> str:
    if next_path:
        return next_path
    return "/console" if request.state.memberships else "/wallet"


def _wait_text(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# -- sign in ---------------------------------------------------------------------------------


def _signin_page(
    request: Request,
    *,
    email: str = "",
    next_path: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "auth/signin.html",
        {"title": "Sign in", "email": email, "next": next_path or "", "errors": errors or {}},
        status_code=status_code,
        headers=headers,
    )


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: CurrentUser, next: str | None = None) -> Response:
    """The sign-in form (a signed-in visitor goes straight on)."""
    next_path = safe_next(next)
    if user is not None:
        return RedirectResponse(_landing(request, next_path), status_code=303)
    return _signin_page(request, next_path=next_path)


@router.post("/signin", response_class=HTMLResponse, dependencies=[CsrfChecked])
def signin(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success a new session and a redirect to ``next`` (a path on
    this site) or the console / the learner record."""
    next_path = safe_next(next)
    now = _now(request)
    email = email.strip()
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 - a message, not a secret
    if errors:
        return _signin_page(
            request, email=email, next_path=next_path, errors=errors, status_code=422
        )
    account, client = ACCOUNT_RULE.key(email), CLIENT_RULE.key(_client(request))
    until = blocked_until(session, [account, client], now)
    if until is not None:
        wait = _wait_text(until, now)
        message = f"Too many failed sign-ins. Wait {wait} and try again."
        seconds = str(max(1, int((until - now).total_seconds())))
        return _signin_page(
            request,
            email=email,
            next_path=next_path,
            errors={"_form": message},
            status_code=429,
            headers={"Retry-After": seconds},
        )
    user = verify_password(session, email, password)
    if user is None:
        record_failure(session, ACCOUNT_RULE, account, now)
        record_failure(session, CLIENT_RULE, client, now)
        _prune(session, now)
        return _signin_page(
            request, email=email, next_path=next_path, errors={"_form": WRONG}, status_code=401
        )
    forget_failures(session, account)
    start_session(request, session, user)
    return RedirectResponse(_landing(request, next_path), status_code=303)


@router.post("/signout")
async def signout(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """End this browser's session. (A browser whose session already ended is simply sent
    on: there is nothing left to protect, so no CSRF token is asked of it.)"""
    if user is not None:
        await check_csrf(request, user)
    end_session(request, session)
    return RedirectResponse("/", status_code=303)


# -- sign up ---------------------------------------------------------------------------------


def _signup_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "auth/signup.html",
        {
            "title": "Create your learner record",
            "values": values,
            "errors": errors or {},
            "min_password": MIN_PASSWORD_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, user: CurrentUser) -> Response:
    if user is not None:
        return RedirectResponse("/wallet", status_code=303)
    return _signup_page(request, {"email": "", "name": ""})


@router.post("/signup", response_class=HTMLResponse, dependencies=[CsrfChecked])
def signup(
    request: Request,
    session: DbSession,
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    email: Annotated[str, Form(max_length=1000)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A learner account (with its holder key), signed in at once."""
    values = {"email": email.strip(), "name": name.strip()}
    now = _now(request)
    errors: dict[str, str] = {}
    if not values["email"]:
        errors["email"] = "Enter your e-mail address."
    if not values["name"]:
        errors["name"] = "Enter your name."
    elif len(values["name"]) > 200:
        errors["name"] = "A name has at most 200 characters."
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    elif len(password) > 1024:
        errors["password"] = "A password has at most 1024 characters."  # noqa: S105 - a message
    client = SIGNUP_RULE.key(_client(request))
    if not errors and blocked_until(session, [client], now) is not None:
        errors["_form"] = "Too many accounts were made from here lately; try again later."
        return _signup_page(request, values, errors, status_code=429)
    if not errors:
        try:
            with session.begin_nested():
                learner = learners.sign_up(
                    session,
                    keystore,
                    email=values["email"],
                    password=password,
                    display_name=values["name"],
                )
        except UserExists:
            errors["email"] = "An account with this e-mail address exists already: sign in."
        except InvalidInput as exc:
            if "mail" in exc.message:
                errors["email"] = "Enter a valid e-mail address, like name@example.org."
            else:
                errors["_form"] = exc.message
    if errors:
        return _signup_page(request, values, errors, status_code=422)
    record_failure(session, SIGNUP_RULE, client, now)
    start_session(request, session, learner.user)
    return RedirectResponse("/wallet", status_code=303)


# -- sign-in links ---------------------------------------------------------------------------


@router.get("/signin/link", response_class=HTMLResponse)
def link_form(request: Request) -> HTMLResponse:
    """Ask for a one-time sign-in link by e-mail (learners; no password needed)."""
    return render(
        request, "auth/link.html", {"title": "Sign in with a link", "email": "", "errors": {}}
    )


@router.post("/signin/link", response_class=HTMLResponse, dependencies=[CsrfChecked])
def request_link(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """Write the link to the outbox; the answer is the same whether an account exists."""
    settings = request.app.state.settings
    email = email.strip()
    try:
        with session.begin_nested():
            learners.request_sign_in_link(
                session, email, now=_now(request), base_url=settings.base_url
            )
    except InvalidInput:
        errors = {"email": "Enter a valid e-mail address, like name@example.org."}
        return render(
            request,
            "auth/link.html",
            {"title": "Sign in with a link", "email": email, "errors": errors},
            status_code=422,
        )
    except learners.TooManySignInLinks:
        errors = {"_form": "Too many links were asked for this address; wait a few minutes."}
        return render(
            request,
            "auth/link.html",
            {"title": "Sign in with a link", "email": email, "errors": errors},
            status_code=429,
        )
    return render(request, "auth/link_sent.html", {"title": "Check your e-mail", "email": email})
