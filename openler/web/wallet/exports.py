"""``/wallet/exports``: take the record elsewhere.

- each credential as it was signed (JSON, or the VC-JWT), from its own page;
- ``/wallet/exports/learner-record.json``: a CLR 2.0 bundle of every verified credential,
  each with its issuer's proof, in a presentation signed by the learner's holder key
  (:func:`openler.services.exports.clr_bundle`);
- ``/wallet/exports/resume.pdf?share=<id>``: a one-page résumé whose QR code opens one of
  the learner's active share links (:func:`openler.services.exports.resume_pdf`).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.exports import Export, clr_bundle, resume_pdf
from openler.services.learners import ensure_learner
from openler.services.record import learner_record
from openler.services.sharing import ShareNotFound, ShareUnavailable, list_shares, share_state
from openler.web.auth import SignedInUser
from openler.web.templating import WebError, web_router
from openler.web.wallet._common import KeyStoreDep, clock, not_found, settings_of, wallet_page

__all__ = ["router"]

router = web_router()


def _download(export: Export) -> Response:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/wallet/exports", response_class=HTMLResponse)
def exports_page(request: Request, session: DbSession, user: SignedInUser) -> HTMLResponse:
    now = clock(request)
    record = learner_record(session, user, now=now)
    active = [s for s in list_shares(session, user) if share_state(s, now) == "active"]
    return wallet_page(
        request,
        "wallet/exports.html",
        "exports",
        {"title": "Export your record", "record": record, "shares": active},
    )


@router.get("/wallet/exports/learner-record.json")
def bundle(
    request: Request, session: DbSession, user: SignedInUser, keystore: KeyStoreDep
) -> Response:
    """Every verified credential, in one presentation signed by the learner's key."""
    ensure_learner(session, keystore, user)
    try:
        export = clr_bundle(session, keystore, user, now=clock(request))
    except InvalidInput as exc:
        raise WebError(422, "Nothing to export yet", exc.message, code=exc.code) from None
    return _download(export)


@router.get("/wallet/exports/resume.pdf")
def resume(request: Request, session: DbSession, user: SignedInUser, share: str = "") -> Response:
    """A one-page PDF résumé with the QR code of one of the learner's active shares."""
    if not share:
        raise WebError(
            422,
            "Choose a share link",
            "The résumé's QR code opens one of your share links: create one first, then "
            "pick it on the exports page.",
            code="invalid_input",
        )
    try:
        export = resume_pdf(session, settings_of(request), user, share[:64], now=clock(request))
    except ShareNotFound:
        raise not_found("There is no such share link among yours.") from None
    except ShareUnavailable as exc:
        raise WebError(
            409,
            "This share link no longer works",
            f"{exc.message} The résumé's QR code must open a working link.",
            code=exc.code,
        ) from None
    return _download(export)
