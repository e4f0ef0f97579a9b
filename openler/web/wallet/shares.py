"""``/wallet/shares``: share links to a chosen part of the record.

Create one (credentials and self-asserted jobs, an expiry, an optional title and note for
the recipient), see each with its link and QR code, its view count and access log, preview
it as the recipient sees it, and revoke it at any time
(:mod:`openler.services.sharing`). Another learner's share id is the same 404 page as an
unknown one.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.employment import EmploymentNotFound, list_entries
from openler.services.record import RecordItemNotFound, learner_record
from openler.services.sharing import (
    MAX_SHARE_ITEMS,
    ShareNotFound,
    ShareRequest,
    create_share,
    get_share,
    list_shares,
    preview_share,
    revoke_share,
    share_access_log,
    share_qr_svg,
    share_state,
    share_url,
)
from openler.store.models.organizations import User
from openler.store.models.sharing import Share
from openler.web.auth import CsrfChecked, SignedInUser
from openler.web.templating import render, web_router
from openler.web.wallet._common import (
    Form,
    clock,
    end_of_day,
    form_text,
    not_found,
    parse_day,
    redirect,
    savepoint,
    settings_of,
    verifier_of,
    wallet_page,
)

__all__ = ["router"]

router = web_router()

_NOT_YOURS: Final = "There is no such share link among yours."


def _share(session: Session, user: User, share_id: str) -> Share:
    try:
        return get_share(session, user, share_id[:64])
    except ShareNotFound:
        raise not_found(_NOT_YOURS) from None


@router.get("/wallet/shares", response_class=HTMLResponse)
def shares_page(request: Request, session: DbSession, user: SignedInUser) -> HTMLResponse:
    """Every share link of the learner, newest first, with its state and views."""
    now = clock(request)
    shares = [(s, share_state(s, now)) for s in list_shares(session, user)]
    return wallet_page(
        request,
        "wallet/shares.html",
        "shares",
        {"title": "Share links", "shares": shares},
    )


def _form_page(
    request: Request,
    session: Session,
    user: User,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = clock(request)
    settings = settings_of(request)
    record = learner_record(session, user, now=now)
    return wallet_page(
        request,
        "wallet/share_form.html",
        "shares",
        {
            "title": "Create a share link",
            "items": record.items,
            "entries": list_entries(session, user),
            "values": values,
            "errors": errors or {},
            "max_items": MAX_SHARE_ITEMS,
            "max_date": (now + timedelta(days=settings.share_max_days)).date().isoformat(),
            "min_date": now.date().isoformat(),
        },
        status_code=status_code,
    )


@router.get("/wallet/shares/new", response_class=HTMLResponse)
def new_form(
    request: Request, session: DbSession, user: SignedInUser, key: str = ""
) -> HTMLResponse:
    """Pick what to share (``?key=`` pre-selects a credential)."""
    days = settings_of(request).share_default_days
    expires = (clock(request) + timedelta(days=days)).date().isoformat()
    values = {
        "credentials": [key[:100]] if key else [],
        "employment": [],
        "expires": expires,
        "title": "",
        "note": "",
    }
    return _form_page(request, session, user, values)


def _strings(form: Any, name: str) -> list[str]:
    return [v[:100] for v in form.getlist(name) if isinstance(v, str) and v][: MAX_SHARE_ITEMS + 1]


@router.post("/wallet/shares/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create(request: Request, session: DbSession, user: SignedInUser, form: Form) -> Response:
    """Make the share link; then its page, with the link and the QR code."""
    values: dict[str, Any] = {
        "credentials": _strings(form, "credentials"),
        "employment": _strings(form, "employment"),
        "expires": form_text(form, "expires", 20),
        "title": form_text(form, "title", 400),
        "note": form_text(form, "note", 4000),
    }
    errors: dict[str, str] = {}
    day = parse_day(values["expires"])
    if values["expires"] and day is None:
        errors["expires"] = "Enter a date like 2026-12-31."
    if not values["credentials"] and not values["employment"]:
        errors["chosen"] = "Choose at least one credential or job to share."
    if not errors:
        request_ = ShareRequest(
            credentials=values["credentials"],
            employment=values["employment"],
            expires_at=end_of_day(day) if day is not None else None,
            title=values["title"] or None,
            recipient_note=values["note"] or None,
        )
        try:
            with savepoint(session):
                share = create_share(
                    session, settings_of(request), user, request_, now=clock(request)
                )
        except (RecordItemNotFound, EmploymentNotFound):
            errors["chosen"] = (
                "One of the chosen items is not in your record any more. Choose again."
            )
        except InvalidInput as exc:
            field = (exc.details or {}).get("field")
            name = {"expires_at": "expires", "title": "title", "recipient_note": "note"}.get(
                str(field), "chosen"
            )
            errors[name] = exc.message
    if errors:
        return _form_page(request, session, user, values, errors=errors, status_code=422)
    return redirect(f"/wallet/shares/{share.id}?done=shared")


def _qr_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@router.get("/wallet/shares/{share_id}", response_class=HTMLResponse)
def share_page(
    request: Request, session: DbSession, user: SignedInUser, share_id: str
) -> HTMLResponse:
    """One share link: its address and QR code, what it holds, views and accesses."""
    share = _share(session, user, share_id)
    settings = settings_of(request)
    now = clock(request)
    record = learner_record(session, user, now=now)
    names = {item.key: item.summary.name or "Credential" for item in record.items}
    return wallet_page(
        request,
        "wallet/share.html",
        "shares",
        {
            "title": share.title or "Share link",
            "share": share,
            "state": share_state(share, now),
            "url": share_url(settings, share),
            "qr": _qr_data_url(share_qr_svg(settings, share, scale=5)),
            "accesses": share_access_log(session, user, share.id, limit=100),
            "names": names,
        },
    )


@router.get("/wallet/shares/{share_id}/preview", response_class=HTMLResponse)
def preview(
    request: Request, session: DbSession, user: SignedInUser, share_id: str
) -> HTMLResponse:
    """The landing page as the recipient sees it (not counted as a view)."""
    from openler.web.share import shared_page_context

    share = _share(session, user, share_id)
    verifier, now = verifier_of(request), clock(request)
    view = preview_share(session, verifier, user, share.id, now=now)
    context = shared_page_context(session, verifier, view, now=now)
    context["preview_of"] = share
    context["checked_at"] = now
    return render(request, "share/page.html", context)


@router.post("/wallet/shares/{share_id}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, session: DbSession, user: SignedInUser, share_id: str) -> Response:
    share = _share(session, user, share_id)
    revoke_share(session, user, share.id, now=clock(request))
    return redirect(f"/wallet/shares/{share.id}?done=share-revoked")
