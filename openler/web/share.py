"""The share-link landing page for employers and admissions offices: ``/s/{share_id}``.

Every shared credential is verified again on each view
(:func:`openler.services.sharing.view_share`: signature, issuer and the trust registry,
status, validity dates), so a credential its issuer revoked reads "Revoked" on the next
reload. The page shows each credential for humans with its checks, the learner's jobs
(self-asserted ones labelled as such), and the skills of the shared credentials that
verified on this view.

- An unknown id is a 404 page; an expired or revoked share a 410 page. Nothing else tells
  a visitor whether an id exists (a disabled account's share reads as unknown).
- ``GET /s/{share_id}/presentation?challenge=…&domain=…`` is for verifier software: a
  VerifiablePresentation of the shared credentials signed by the learner's holder key over
  the verifier's challenge and domain (:func:`openler.services.sharing.share_presentation`),
  or an ``application/problem+json`` refusal (404, 410, 422).
- Views and presentation requests are counted and logged with coarse client information
  only (a /24 or /48 network and a browser family).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_keystore
from openler.api.problems import problem_response
from openler.core.errors import InvalidInput
from openler.core.verification import Verifier
from openler.services.keystore import KeyStore
from openler.services.sharing import (
    ClientInfo,
    SharedCredential,
    SharedView,
    ShareExpired,
    ShareNotFound,
    ShareRevoked,
    share_presentation,
    view_share,
)
from openler.web.templating import WebError, render, web_router
from openler.web.wallet._common import STATE_LABELS, LiveCheck, live_check

__all__ = ["PUBLIC_PREFIXES", "api_router", "router", "shared_page_context"]

#: The pages anybody may open (rate-limited per client like the verify page, if listed).
PUBLIC_PREFIXES: Final = ("/s/",)

router = web_router()
#: The presentation endpoint: JSON for verifier software, errors as problem+json.
api_router = APIRouter(tags=["sharing"])

_NO_INDEX: Final = {"X-Robots-Tag": "noindex, nofollow"}


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _client(request: Request) -> ClientInfo:
    host = request.client.host if request.client is not None else None
    return ClientInfo.from_request(host, request.headers.get("user-agent"))


def shared_page_context(
    session: Session, verifier: Verifier, view: SharedView, *, now: datetime
) -> dict[str, Any]:
    """What ``share/page.html`` shows for ``view`` (also the owner's preview): each
    credential with the report the view made now (and its endorsements' own checks)."""
    checks: list[tuple[SharedCredential, LiveCheck]] = [
        (
            shared,
            live_check(
                session, verifier, shared.credential_bytes, now=now, result=shared.verification
            ),
        )
        for shared in view.credentials
    ]
    verified = sum(1 for _, check in checks if check.verified)
    return {
        "title": view.title or f"Credentials shared by {view.holder_name}",
        "view": view,
        "checked": checks,
        "verified_count": verified,
        "states": STATE_LABELS,
        "jobs": view.employment,
        "skills": view.skills,
    }


@router.get("/s/{share_id}", response_class=HTMLResponse)
def landing(request: Request, session: DbSession, share_id: str) -> HTMLResponse:
    """The shared credentials, each verified now, the jobs and the skills summary."""
    verifier: Verifier = request.app.state.verifier
    now = _now(request)
    try:
        view = view_share(session, verifier, share_id, now=now, client=_client(request))
    except ShareNotFound:
        raise WebError(
            404,
            "This share link does not exist",
            "Check that the whole link was copied. Share links look like …/s/ followed by "
            "a long code.",
            code="not_found",
        ) from None
    except (ShareExpired, ShareRevoked) as exc:
        title = (
            "This share link has expired"
            if isinstance(exc, ShareExpired)
            else "This share link was withdrawn"
        )
        raise WebError(
            410,
            title,
            f"{exc.message} Ask the person who sent it for a new link.",
            code=exc.code,
        ) from None
    context = shared_page_context(session, verifier, view, now=now)
    context["checked_at"] = now
    return render(request, "share/page.html", context, headers=_NO_INDEX)


@api_router.get(
    "/s/{share_id}/presentation",
    summary="A verifiable presentation of a share, for the verifier's challenge",
    responses={404: {"description": "unknown share"}, 410: {"description": "expired or revoked"}},
)
def presentation(
    request: Request,
    session: DbSession,
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    share_id: str,
    challenge: Annotated[str, Query(max_length=500)] = "",
    domain: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The shared credentials (exactly as shared) in a VC 2.0 VerifiablePresentation whose
    holder is the learner's did:key, signed (eddsa-rdfc-2022, proof purpose
    authentication) over ``challenge`` (required) and ``domain``. Self-asserted jobs are
    not credentials and are left out."""
    try:
        signed = share_presentation(
            session,
            keystore,
            share_id,
            challenge=challenge,
            domain=domain,
            now=_now(request),
            client=_client(request),
        )
    except ShareNotFound as exc:
        return problem_response(404, "not_found", exc.message, headers=_NO_INDEX)
    except (ShareExpired, ShareRevoked) as exc:
        return problem_response(410, exc.code, exc.message, headers=_NO_INDEX)
    except InvalidInput as exc:
        return problem_response(422, exc.code, exc.message, headers=_NO_INDEX)
    return JSONResponse(
        signed,
        media_type="application/vp+ld+json",
        headers={"Cache-Control": "no-store", **_NO_INDEX},
    )
