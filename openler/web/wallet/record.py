"""The learner's record: ``/wallet`` (every credential with its state, filters) and one
credential's page ``/wallet/credentials/{key}`` (rendered for humans, verified live, its
JSON to download, "add to a wallet app", and for imports: check again, remove).

Keys are the record's (``issued:<uuid>``, ``imported:<uuid>``, ``app:<uuid>``); a key that
is not in the signed-in learner's record is the same 404 page as an unknown one.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession
from openler.core.errors import OpenlerError
from openler.services import claims as claim_service
from openler.services.delivery import CredentialNotActive, create_offer
from openler.services.delivery.qr import qr_svg
from openler.services.exports import credential_export
from openler.services.keystore import KeyStore
from openler.services.learners import ensure_learner
from openler.services.record import RecordItem, RecordItemNotFound, get_record_item, learner_record
from openler.services.record_import import get_import, remove_import, reverify_import
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import ActorType, RecipientKind
from openler.store.models.learner import CredentialClaim
from openler.store.models.organizations import User
from openler.web.auth import CsrfChecked, SignedInUser
from openler.web.present import CredentialView, credential_view
from openler.web.templating import WebError, web_router
from openler.web.wallet._common import (
    KeyStoreDep,
    clock,
    live_check,
    not_found,
    redirect,
    savepoint,
    settings_of,
    valid_key,
    verifier_of,
    wallet_page,
)

__all__ = ["PENDING_CLAIM_COOKIE", "router"]

router = web_router()

#: The claim link an anonymous visitor opened, remembered while they sign up or sign in
#: (HttpOnly, one hour), so that the record can offer to finish the claim.
PENDING_CLAIM_COOKIE: Final = "openler_claim"

SOURCE_LABELS: Final[Mapping[str, str]] = {
    "issued": "Issued to you",
    "claimed": "Claimed",
    "imported": "Imported",
    "app": "Added by an app",
}
_STATES: Final = ("verified", "unverified", "revoked", "suspended", "expired")
#: How long a wallet app has to pick up an offer made from the credential's page.
OFFER_TTL: Final = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One credential in the record list."""

    item: RecordItem
    view: CredentialView

    @property
    def href(self) -> str:
        return f"/wallet/credentials/{self.item.key}"


def _view(item: RecordItem) -> CredentialView:
    document = item.document()
    if document is None:
        return credential_view({"name": item.summary.name or "Unreadable credential"})
    return credential_view(document)


def _matches(item: RecordItem, q: str) -> bool:
    if not q:
        return True
    summary = item.summary
    haystack = " ".join(
        v or ""
        for v in (summary.name, summary.achievement_name, summary.issuer_name, summary.issuer_id)
    )
    return q.casefold() in haystack.casefold()


def _pending_claim(request: Request, session: Session) -> dict[str, str] | None:
    """The claim the visitor started before signing in, if it can still be claimed."""
    token = request.cookies.get(PENDING_CLAIM_COOKIE)
    if not token or len(token) > 200:
        return None
    try:
        claim = claim_service.find_claim(session, token, now=clock(request))
    except OpenlerError:
        return None
    document = claim.credential.document
    name = document.get("name") if isinstance(document, dict) else None
    return {"href": f"/wallet/claim/{token}", "name": name if isinstance(name, str) else ""}


@router.get("/wallet", response_class=HTMLResponse)
def record_page(
    request: Request,
    session: DbSession,
    user: SignedInUser,
    state: str = "",
    source: str = "",
    q: str = "",
) -> HTMLResponse:
    """Every credential of the learner with its state; filter by state, source, text."""
    record = learner_record(session, user, now=clock(request))
    state = state if state in _STATES else ""
    source = source if source in SOURCE_LABELS else ""
    q = q.strip()[:100]
    shown = [
        RecordRow(item, _view(item))
        for item in record.items
        if (not state or item.state == state)
        and (not source or item.source == source)
        and _matches(item, q)
    ]
    counts = {s: sum(1 for i in record.items if i.state == s) for s in _STATES}
    return wallet_page(
        request,
        "wallet/record.html",
        "record",
        {
            "title": "My record",
            "record": record,
            "rows": shown,
            "counts": counts,
            "total": len(record.items),
            "filters": {"state": state, "source": source, "q": q},
            "filtered": bool(state or source or q),
            "source_labels": SOURCE_LABELS,
            "pending_claim": _pending_claim(request, session),
        },
    )


# -- one credential --------------------------------------------------------------------------


def _item(request: Request, session: Session, user: User, key: str) -> RecordItem:
    try:
        return get_record_item(session, user, valid_key(key), now=clock(request))
    except RecordItemNotFound:
        raise not_found("There is no such credential in your record.") from None


def _offer_target(
    session: Session, keystore: KeyStore, user: User, item: RecordItem
) -> IssuedCredential:
    """The platform credential an external wallet can receive for this item: the item
    itself, or for a copy re-issued to the record's own key (which a wallet app cannot
    prove), the original it was claimed from."""
    if item.issued_credential_id is None:
        raise WebError(
            409,
            "Not issued here",
            "Only credentials issued on this platform can be sent to a wallet app. "
            "Download this one as JSON and import it into your app instead.",
            code="offer_not_possible",
        )
    credential = session.get(IssuedCredential, item.issued_credential_id)
    if credential is None:  # pragma: no cover - the record just listed it
        raise not_found()
    learner = ensure_learner(session, keystore, user)
    if credential.recipient_kind is RecipientKind.DID and credential.recipient_identifier == (
        learner.did
    ):
        claim = session.scalar(
            sa.select(CredentialClaim).where(
                CredentialClaim.reissued_credential_id == credential.id
            )
        )
        if claim is None:
            raise WebError(
                409,
                "Bound to your record's key",
                "This credential names your record's own key as its holder, which a wallet "
                "app cannot prove. Download it as JSON instead, or ask the issuer for a copy "
                "for your app.",
                code="offer_not_possible",
            )
        credential = claim.credential
    return credential


@router.get("/wallet/credentials/{key}", response_class=HTMLResponse)
def credential_page(
    request: Request, session: DbSession, user: SignedInUser, key: str
) -> HTMLResponse:
    """The credential for humans, verified now (signature, issuer and trust, status,
    dates), with its downloads and actions."""
    item = _item(request, session, user, key)
    check = live_check(session, verifier_of(request), item.credential_bytes, now=clock(request))
    view = check.credential
    if view is None:
        document = item.document()
        view = credential_view(document) if document is not None else None
    stale = item.source == "imported" and check.state != item.state
    return wallet_page(
        request,
        "wallet/credential.html",
        "record",
        {
            "title": item.summary.name or "Credential",
            "item": item,
            "check": check,
            "view": view,
            "stale": stale,
            "source_label": SOURCE_LABELS.get(item.source, item.source),
            "may_offer": item.issued_credential_id is not None and item.state == "verified",
            "download_name": "credential.jwt" if item.format == "jwt" else "credential.json",
            "raw": item.text() if len(item.credential_bytes) <= 256 * 1024 else None,
        },
    )


@router.get("/wallet/credentials/{key}/{filename}")
def download(
    request: Request, session: DbSession, user: SignedInUser, key: str, filename: str
) -> Response:
    """The credential exactly as issued or received (its proof still verifies)."""
    if filename not in ("credential.json", "credential.jwt"):
        raise not_found()
    try:
        export = credential_export(session, user, valid_key(key), now=clock(request))
    except RecordItemNotFound:
        raise not_found("There is no such credential in your record.") from None
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _qr_data_url(content: str, title: str) -> str:
    svg = qr_svg(content, title=title, scale=5)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@router.post(
    "/wallet/credentials/{key}/offer", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def offer(
    request: Request, session: DbSession, user: SignedInUser, keystore: KeyStoreDep, key: str
) -> HTMLResponse:
    """An offer to an external wallet app (the Learner Credential Wallet by its deep link
    or QR code; any OpenID4VCI wallet by its QR code). Shown once: its links are secrets."""
    from openler.services.audit import Actor

    item = _item(request, session, user, key)
    target = _offer_target(session, keystore, user, item)
    try:
        with savepoint(session):
            made = create_offer(
                session,
                target,
                now=clock(request),
                base_url=settings_of(request).base_url,
                ttl=OFFER_TTL,
                actor=Actor(ActorType.USER, str(user.id)),
            )
    except CredentialNotActive:
        raise WebError(
            409,
            "Not active",
            "This credential is revoked or suspended by its issuer: it cannot be sent to a "
            "wallet app.",
            code="credential_not_active",
        ) from None
    links = made.links
    return wallet_page(
        request,
        "wallet/offer.html",
        "record",
        {
            "title": "Add to a wallet app",
            "item": item,
            "offer": made,
            "lcw_qr": _qr_data_url(
                links.lcw_deep_link, "QR code for the Learner Credential Wallet"
            ),
            "oid4vci_qr": _qr_data_url(
                links.credential_offer_link, "QR code for an OpenID4VCI wallet"
            ),
        },
    )


def _import_id(item: RecordItem) -> uuid.UUID:
    if item.imported_credential_id is None:
        raise WebError(
            409,
            "Not an import",
            "Only credentials you imported can be checked again or removed here.",
            code="not_an_import",
        )
    return item.imported_credential_id


@router.post("/wallet/credentials/{key}/recheck", dependencies=[CsrfChecked])
def recheck(request: Request, session: DbSession, user: SignedInUser, key: str) -> Response:
    """Verify an imported credential again and keep the new report in the record."""
    item = _item(request, session, user, key)
    imported = get_import(session, user, _import_id(item))
    reverify_import(session, imported, verifier=verifier_of(request), now=clock(request))
    return redirect(f"/wallet/credentials/{item.key}?done=rechecked")


@router.post("/wallet/credentials/{key}/remove", dependencies=[CsrfChecked])
def remove(request: Request, session: DbSession, user: SignedInUser, key: str) -> Response:
    """Remove an imported credential from the record (shares made with it keep their
    copy until revoked)."""
    item = _item(request, session, user, key)
    remove_import(session, user, _import_id(item))
    return redirect("/wallet?done=removed")
