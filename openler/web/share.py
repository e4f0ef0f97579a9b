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

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, database_of, get_keystore
from openler.api.problems import problem_response
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.proofs.vc_jwt import decode_jwt
from openler.core.verification import Verifier
from openler.services.keystore import KeyStore
from openler.services.sharing import (
    ClientInfo,
    SharedCredential,
    SharedView,
    ShareExpired,
    ShareNotFound,
    ShareRevoked,
    open_share,
    share_presentation,
    view_share,
)
from openler.store.models.enums import ShareItemKind
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


#: Status lists read ahead of a view, at most (a share holds at most 50 credentials).
_MAX_PREFETCH: Final = 20


def _status_list_urls(data: bytes) -> list[str]:
    """The ``statusListCredential`` URLs a credential names (read, not trusted)."""
    text = data.decode("utf-8", "replace").strip()
    try:
        document: Any = (
            json.loads(text) if text.startswith("{") else dict(decode_jwt(text).credential)
        )
    except (OpenlerError, ValueError, RecursionError):
        return []
    if not isinstance(document, Mapping):
        return []
    entries = document.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries]
    return [
        url
        for entry in entries
        if isinstance(entry, Mapping) and isinstance(url := entry.get("statusListCredential"), str)
    ]


def _read_status_lists_first(app: Any, verifier: Verifier, token: str, now: datetime) -> None:
    """On SQLite, fetch the shared credentials' status lists before the request's own
    session reads anything.

    Reading one of this platform's status lists right after a status change stores its
    new signature (:func:`openler.services.issuing.signed_status_list`) from a session of
    its own. Inside :func:`view_share`, which counts the view (a write) before it
    verifies, that store would wait for the request's write lock and fail ("status
    unavailable"); stored after the request's first read, it would make the request's
    write fail (its snapshot is stale). Read here first, in a short session of its own,
    the signature is stored and the view finds it. PostgreSQL locks rows: not needed."""
    database = database_of(app)
    if database.backend != "sqlite" or verifier.status_fetcher is None:
        return
    with database.session_scope() as session:
        try:
            share = open_share(session, token, now=now)
        except OpenlerError:
            return  # view_share says why, in the same words
        urls: list[str] = []
        for item in share.items:
            if item.kind is ShareItemKind.CREDENTIAL and item.credential_bytes:
                urls += [u for u in _status_list_urls(item.credential_bytes) if u not in urls]
    for url in urls[:_MAX_PREFETCH]:
        try:
            verifier.status_fetcher.fetch(url)
        except Exception:  # noqa: S112 - the verification that follows reports it
            continue


@router.get("/s/{share_id}", response_class=HTMLResponse)
def landing(request: Request, session: DbSession, share_id: str) -> HTMLResponse:
    """The shared credentials, each verified now, the jobs and the skills summary."""
    verifier: Verifier = request.app.state.verifier
    now = _now(request)
    try:
        _read_status_lists_first(request.app, verifier, share_id, now)
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
