"""What the learner's pages share: the clock, settings, keystore and verifier of the
application, savepoints for form submissions, flash messages, the wallet layout, the
404 page for anything that is not the learner's, and live verification of one credential.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from openler.api.deps import get_keystore
from openler.config import Settings
from openler.core.errors import OpenlerError
from openler.core.results import VerificationResult
from openler.core.verification import Verifier
from openler.services.keystore import KeyStore
from openler.services.trust import add_trust_checks
from openler.web.present import (
    CredentialView,
    ProofInfo,
    ReportView,
    credential_view,
    nested_credentials,
    report_view,
)
from openler.web.templating import WebError, render

__all__ = [
    "FLASH",
    "STATE_LABELS",
    "Form",
    "KeyStoreDep",
    "LiveCheck",
    "clock",
    "form_text",
    "live_check",
    "not_found",
    "parse_day",
    "redirect",
    "savepoint",
    "settings_of",
    "valid_key",
    "verifier_of",
    "wallet_page",
]

KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]

#: Embedded credentials (endorsements, a CLR's credentials) verified per page, at most.
MAX_NESTED: Final = 6
_KEY = re.compile(r"^(issued|imported|app):[0-9a-fA-F-]{32,36}$")

#: How each record state reads (tag text), and the tag's CSS class.
STATE_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "verified": ("Verified", "verified"),
    "unverified": ("Not verified", "unverified"),
    "revoked": ("Revoked", "revoked"),
    "suspended": ("Suspended", "suspended"),
    "expired": ("Expired", "suspended"),
}

#: What a page says after a successful change (``?done=<key>``: never echoes input).
FLASH: Final[Mapping[str, str]] = {
    "claimed": "The credential is in your record now.",
    "imported": "The credential was imported and verified.",
    "imported-unverified": (
        "The credential was imported, but it did not verify: it is kept in your record, "
        "marked as not verified, and never counted as verified."
    ),
    "reimported": "You had imported this credential before; it was checked again.",
    "rechecked": "The credential was checked again and your record updated.",
    "removed": "The imported credential was removed from your record.",
    "job-added": "The job was added to your employment history.",
    "job-saved": "The job was saved.",
    "job-deleted": "The job was deleted.",
    "shared": "The share link is ready. Copy it, or show its QR code.",
    "share-revoked": "The share link no longer works. Nobody can open it again.",
    "signed-in": "You are signed in.",
}


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = request.app.state.clock
    return now()


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def verifier_of(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run a change in a SAVEPOINT: a service that refuses it leaves nothing behind."""
    with session.begin_nested():
        yield


async def form_data(request: Request) -> AsyncIterator[FormData]:
    """The submitted form (the CSRF check has read it already; this is the cached one)."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


Form = Annotated[FormData, Depends(form_data)]


def form_text(form: FormData, name: str, limit: int = 2000) -> str:
    """A text field of ``form``, stripped and cut to ``limit`` characters ("" if absent)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_day(value: str) -> date | None:
    """``YYYY-MM-DD`` (a date input) as a date; None for empty or malformed input."""
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def not_found(message: str = "There is nothing here, or it is not in your record.") -> WebError:
    """The one answer for an unknown id and for another learner's: the two look alike."""
    return WebError(404, "Not found", message, code="not_found")


def valid_key(key: str) -> str:
    """A record key (``issued:<uuid>``, ``imported:<uuid>``, ``app:<uuid>``), or a 404."""
    if not _KEY.match(key or ""):
        raise not_found()
    return key


def wallet_page(
    request: Request,
    template: str,
    section: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page of the learner's record: the section for the sub-navigation and the flash
    message named by ``?done=``."""
    done = request.query_params.get("done") or ""
    return render(
        request,
        template,
        {"section": section, "flash": FLASH.get(done), "states": STATE_LABELS, **(context or {})},
        status_code=status_code,
        headers=headers,
    )


# -- live verification ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """One credential verified now: the report, its view for humans, the credential for
    humans (None when it cannot be read), and the state it shows."""

    result: VerificationResult
    report: ReportView
    credential: CredentialView | None
    state: str

    @property
    def verified(self) -> bool:
        return self.state == "verified"


def _jwt_proofs(text: str) -> tuple[ProofInfo, ...]:
    from openler.core.proofs.vc_jwt import decode_jwt, jwt_key_id

    try:
        decoded = decode_jwt(text)
    except OpenlerError:
        return ()
    alg = decoded.header.get("alg")
    return (
        ProofInfo(f"VC-JWT ({alg})" if isinstance(alg, str) else "VC-JWT", jwt_key_id(decoded)),
    )


def live_check(
    session: Session,
    verifier: Verifier,
    data: bytes,
    *,
    now: datetime,
    result: VerificationResult | None = None,
) -> LiveCheck:
    """Verify ``data`` (a credential's exact bytes: JSON or a compact JWS) now, with the
    trust registry's verdict and the embedded credentials' own checks; or present
    ``result`` when the caller verified it already."""
    from openler.services.record import state_from_report

    if result is None:
        result = verifier.verify(data, now=now)
    result = add_trust_checks(session, result)
    text = data.decode("utf-8", "replace").strip()
    proofs = () if text.startswith("{") else _jwt_proofs(text)
    view = None
    if isinstance(result.document, Mapping):
        nested: dict[str, VerificationResult] = {}
        for key, item in nested_credentials(result.document)[:MAX_NESTED]:
            if key not in nested:
                nested[key] = add_trust_checks(session, verifier.verify(item, now=now))
        view = credential_view(result.document, report=result, nested=nested)
    return LiveCheck(
        result=result,
        report=report_view(result, proofs=proofs),
        credential=view,
        state=state_from_report(result.to_dict()),
    )
