"""Claim links and sign-in links, the two one-time links a learner receives by e-mail.

- ``/wallet/claim/{token}``: what the link offers (the credential's name and issuer) and a
  button that claims it into the signed-in learner's record
  (:func:`openler.services.claims.redeem_claim`). An anonymous visitor is asked to sign in
  or create a record first; the link is remembered in an HttpOnly cookie for an hour so
  that the record offers to finish the claim after sign-up. An unknown link is a 404
  page, an expired or used one a 410 page that says which (a learner who claimed it
  already is sent to the credential in their record).
- ``/wallet/sign-in/{token}``: the page a sign-in link opens. Opening it changes nothing
  (mail scanners open links); its button uses the link
  (:func:`openler.services.learners.redeem_sign_in_link`) and signs the browser in.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.services import claims as claim_service
from openler.services import learners
from openler.services.claims import (
    ClaimEmailUnverified,
    ClaimExpired,
    ClaimNotFound,
    ClaimRecipientMismatch,
    ClaimUsed,
)
from openler.services.record import summarize
from openler.store.models.learner import CredentialClaim
from openler.store.models.organizations import User
from openler.web.auth import CsrfChecked, CurrentUser, SignedInUser, start_session
from openler.web.templating import WebError, web_router
from openler.web.wallet._common import KeyStoreDep, clock, redirect, settings_of, wallet_page
from openler.web.wallet.record import PENDING_CLAIM_COOKIE

__all__ = ["router"]

router = web_router()

_PENDING_SECONDS: Final = 3600
_MAX_TOKEN: Final = 200


def _token(token: str) -> str:
    if not token or len(token) > _MAX_TOKEN:
        raise _invalid()
    return token


def _invalid() -> WebError:
    return WebError(
        404,
        "This claim link is not valid",
        "The link may be incomplete: copy the whole address from the e-mail. If it still "
        "does not work, ask the issuer to send you a new one.",
        code="claim_not_found",
    )


def _gone(exc: Exception) -> WebError:
    if isinstance(exc, ClaimExpired):
        return WebError(
            410,
            "This claim link has expired",
            "Claim links work for a limited time. Ask the issuer to send you a new one; "
            "the credential itself is still valid.",
            code="claim_expired",
        )
    return WebError(
        410,
        "This claim link was used already",
        "Each claim link works once, and this credential was claimed already. If it was "
        "not you, tell the issuer.",
        code="claim_used",
    )


def _find(
    request: Request, session: Session, user: User | None, token: str
) -> CredentialClaim | Response:
    """The claim, or a redirect for the learner who claimed it already."""
    try:
        return claim_service.find_claim(session, _token(token), now=clock(request))
    except ClaimNotFound:
        raise _invalid() from None
    except ClaimUsed as exc:
        if user is not None and exc.redeemed_by_user_id == user.id:
            return redirect("/wallet?done=claimed")
        raise _gone(exc) from None
    except ClaimExpired as exc:
        raise _gone(exc) from None


def _forget_pending(response: Response, request: Request) -> None:
    if request.cookies.get(PENDING_CLAIM_COOKIE):
        response.delete_cookie(PENDING_CLAIM_COOKIE, path="/")


@router.get("/wallet/claim/{token}", response_class=HTMLResponse)
def claim_page(request: Request, session: DbSession, user: CurrentUser, token: str) -> Response:
    """What the link offers, and the way to claim it (signing in or up first)."""
    found = _find(request, session, user, token)
    if isinstance(found, Response):
        _forget_pending(found, request)
        return found
    credential = found.credential
    summary = summarize(credential.document)
    mismatch = (
        user is not None
        and not credential.organization.reissue_on_claim
        and not claim_service.recipient_matches(credential, user.email)
    )
    here = f"/wallet/claim/{quote(token, safe='')}"
    response = wallet_page(
        request,
        "wallet/claim.html",
        "record",
        {
            "title": "Claim your credential",
            "summary": summary,
            "expires_at": found.expires_at,
            "action": here,
            "signin_href": f"/signin?next={quote(here, safe='/')}",
            "signed_in": user is not None,
            "mismatch": mismatch,
        },
    )
    if user is None:
        secure = settings_of(request).base_url.startswith("https://")
        response.set_cookie(
            PENDING_CLAIM_COOKIE,
            token,
            max_age=_PENDING_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    return response


@router.post("/wallet/claim/{token}", dependencies=[CsrfChecked])
def claim(
    request: Request, session: DbSession, user: SignedInUser, keystore: KeyStoreDep, token: str
) -> Response:
    """Claim the credential into the signed-in learner's record."""
    found = _find(request, session, user, token)
    if isinstance(found, Response):
        _forget_pending(found, request)
        return found
    try:
        with session.begin_nested():
            result = claim_service.redeem_claim(
                session,
                token,
                user,
                now=clock(request),
                keystore=keystore,
                settings=settings_of(request),
            )
    except ClaimRecipientMismatch:
        raise WebError(
            403,
            "Claimed with another address",
            f"This credential was issued to another e-mail address than {user.email}. Sign "
            "out, then sign in (or create a record) with the address the link was sent to. "
            "Nothing was changed; the link still works.",
            code="claim_recipient_mismatch",
        ) from None
    except ClaimEmailUnverified:
        raise WebError(
            403,
            "Confirm your address first",
            f"Confirm that {user.email} is yours by signing in with a link sent to it "
            "(Sign in → sign in with a link), then open the claim link again.",
            code="claim_email_unverified",
        ) from None
    except (ClaimUsed, ClaimExpired) as exc:
        raise _gone(exc) from None
    response = redirect(f"/wallet/credentials/issued:{result.credential.id}?done=claimed")
    _forget_pending(response, request)
    return response


# -- sign-in links ---------------------------------------------------------------------------


def _link_problem(exc: learners.SignInLinkInvalid) -> WebError:
    if isinstance(exc, learners.SignInLinkExpired):
        title, status = "This sign-in link has expired", 410
    elif isinstance(exc, learners.SignInLinkUsed):
        title, status = "This sign-in link was used already", 410
    else:
        title, status = "This sign-in link is not valid", 404
    return WebError(
        status,
        title,
        "Sign-in links work once, for 15 minutes. Ask for a new one on the sign-in page.",
        code=exc.code,
    )


@router.get("/wallet/sign-in/{token}", response_class=HTMLResponse)
def sign_in_link_page(request: Request, token: str) -> HTMLResponse:
    """A button that uses the link (opening the page alone changes nothing)."""
    if not token or len(token) > _MAX_TOKEN:
        raise _link_problem(learners.SignInLinkInvalid("invalid"))
    return wallet_page(
        request,
        "wallet/sign_in_link.html",
        "record",
        {"title": "Sign in to your record", "action": f"/wallet/sign-in/{quote(token, safe='')}"},
    )


@router.post("/wallet/sign-in/{token}", dependencies=[CsrfChecked])
def use_sign_in_link(
    request: Request, session: DbSession, keystore: KeyStoreDep, token: str
) -> Response:
    """Use the link once: the account is made on first use, the address verified."""
    try:
        with session.begin_nested():
            learner = learners.redeem_sign_in_link(session, keystore, token, now=clock(request))
    except learners.SignInLinkInvalid as exc:
        raise _link_problem(exc) from None
    start_session(request, session, learner.user)
    pending = request.cookies.get(PENDING_CLAIM_COOKIE)
    if pending and len(pending) <= _MAX_TOKEN:
        return redirect(f"/wallet/claim/{quote(pending, safe='')}")
    return redirect("/wallet?done=signed-in")
