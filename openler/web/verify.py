"""The public verify page: ``GET /verify`` shows the form, ``POST /verify`` checks what was
pasted or uploaded and answers with the verdict, the checks and the credential for humans.

Input: pasted JSON (a credential or a presentation), a pasted VC-JWT, a pasted share link
of this site (``/s/{id}``: a redirect there), or one uploaded file (JSON, JWT, or a PNG or
SVG with the credential baked in) of at most ``settings.max_request_bytes``.

Nothing is stored, and the page needs no session: it is anonymous and changes nothing, so
there is no CSRF token (a forged POST can only make the server verify a document the
forger already has). What the server may fetch stays what the application's resolver and
status fetcher allow (did:web and controller documents, status lists; over HTTPS with
their guards): addresses named in the input — share links of other sites, hosted Open
Badges 1.x/2.0 assertions, images — are never fetched. Embedded credentials (endorsements,
a CLR's credentials) are verified too, at most :data:`MAX_NESTED` per request.

A credential that does not verify is still a 200 (the page worked; the verdict says
"Not verified"); input that cannot be read is a 4xx page. Requests made by htmx
(``HX-Request``) get only the result region, always with status 200 so that htmx swaps it
in (the error code is in ``X-Openler-Error``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from openler.api.problems import status_for
from openler.config import Settings
from openler.core.baked import extract_credential
from openler.core.errors import OpenlerError
from openler.core.limits import parse_json
from openler.core.results import VerificationResult
from openler.core.verification import Verifier, verify_presentation_with
from openler.web.auth import PAGE_DEPENDENCIES
from openler.web.present import (
    CredentialView,
    ProofInfo,
    ReportView,
    Verdict,
    credential_view,
    nested_credentials,
    report_view,
)
from openler.web.templating import render, web_router

__all__ = ["MAX_NESTED", "PUBLIC_PREFIXES", "VerifyItem", "VerifyOutcome", "router"]

router = web_router()
log = logging.getLogger("openler.web.verify")

#: Paths of this router that are public (rate-limited per client, like the VC-API).
PUBLIC_PREFIXES: Final = ("/verify",)

#: Embedded credentials (endorsements, a CLR's credentials) verified per request, at most.
MAX_NESTED: Final = 6

_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_SHARE_PATH = re.compile(r"/s/([A-Za-z0-9_-]{8,200})/?")
_SOURCES: Final = {"png": "baked PNG image", "svg": "baked SVG image", "json": "JSON file"}


@dataclass(frozen=True, slots=True)
class VerifyItem:
    """One credential's checks and its rendering (None when it could not be read)."""

    report: ReportView
    credential: CredentialView | None


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    source: str
    kind: Literal["credential", "presentation"]
    verdict: Verdict
    presentation: ReportView | None
    items: tuple[VerifyItem, ...]
    raw: str
    decoded: str | None  # a VC-JWT's credential as JSON


@dataclass(frozen=True, slots=True)
class _Input:
    kind: Literal["json", "jwt"]
    text: str
    document: Mapping[str, Any] | None
    source: str


@dataclass(frozen=True, slots=True)
class _ShareLink:
    path: str


class _Problem(Exception):
    def __init__(
        self, status: int, code: str, title: str, message: str, field: str = "credential"
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.title, self.message, self.field = (
            status,
            code,
            title,
            message,
            field,
        )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MB"
    return f"{limit / 1024:.0f} KB"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


# -- pages ------------------------------------------------------------------------------


@router.get("/verify", response_class=HTMLResponse, dependencies=PAGE_DEPENDENCIES)
def verify_form(request: Request) -> HTMLResponse:
    """The form: paste, upload, or open a share link."""
    return _page(request, {})


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(request: Request) -> Response:
    """Verify what was pasted or uploaded (or follow a share link of this site)."""
    cap = _settings(request).max_request_bytes
    async with request.form(max_files=1, max_fields=8, max_part_size=cap) as form:
        pasted = form.get("credential")
        pasted_text = pasted if isinstance(pasted, str) else ""
        try:
            found = await _read_input(request, pasted_text, form.get("file"), cap)
        except _Problem as problem:
            return _problem(request, problem, pasted_text)
    if isinstance(found, _ShareLink):
        if _is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": found.path})
        return RedirectResponse(found.path, status_code=303)
    outcome = await run_in_threadpool(_verify, request, found)
    if _is_htmx(request):
        return render(request, "verify/_result.html", {"outcome": outcome})
    return _page(request, {"outcome": outcome})


def _page(
    request: Request, context: Mapping[str, Any], *, status_code: int = 200, code: str = ""
) -> HTMLResponse:
    cap = _settings(request).max_request_bytes
    full = {"title": "Verify a credential", "max_size": _size(cap), "pasted": "", **context}
    headers = {"X-Openler-Error": code} if code else None
    return render(request, "verify/page.html", full, status_code=status_code, headers=headers)


def _problem(request: Request, problem: _Problem, pasted: str) -> HTMLResponse:
    headers = {"X-Openler-Error": problem.code}
    if _is_htmx(request):
        return render(request, "verify/_problem.html", {"problem": problem}, headers=headers)
    keep = pasted if len(pasted) <= 64 * 1024 else ""
    return _page(
        request,
        {"problem": problem, "pasted": keep},
        status_code=problem.status,
        code=problem.code,
    )


# -- reading the input ------------------------------------------------------------------


async def _read_input(request: Request, pasted: str, upload: Any, cap: int) -> _Input | _ShareLink:
    data = b""
    filename = ""
    if isinstance(upload, UploadFile):
        filename = (upload.filename or "").strip()
        data = await upload.read(cap + 1)
    text = pasted.strip()
    if data and text:
        raise _Problem(
            422,
            "two_inputs",
            "Choose one",
            "You pasted text and chose a file: verify one at a time (clear the text box, or "
            "leave the file empty).",
        )
    if data:
        return _from_file(data, filename, cap)
    if filename:
        raise _Problem(422, "empty_file", "Empty file", f"The file {filename} is empty.", "file")
    if not text:
        raise _Problem(
            422,
            "nothing_to_verify",
            "Nothing to verify",
            "Paste a credential or a share link, or choose a file to upload.",
        )
    if len(text.encode("utf-8", "surrogatepass")) > cap:
        raise _Problem(
            413,
            "input_too_large",
            "Too large",
            f"The pasted text is larger than {_size(cap)}, the most this page accepts.",
        )
    if text.lower().startswith(("http://", "https://", "/")):
        return _share_link(request, text)
    return _from_text(text, "pasted text")


def _from_text(text: str, source: str, field: str = "credential") -> _Input:
    if text.startswith("{"):
        try:
            document = parse_json(text)
        except OpenlerError as exc:
            raise _Problem(
                status_for(exc),
                exc.code,
                "This is not valid JSON" if exc.code == "malformed_json" else "Cannot read this",
                f"{exc.message} Check that you copied the whole credential, from the first "
                "{ to the last }.",
                field,
            ) from None
        if not isinstance(document, Mapping):  # pragma: no cover - starts with "{"
            raise _Problem(422, "not_a_json_object", "Not a credential", "Expected an object.")
        return _Input("json", text, document, source)
    if text.startswith("["):
        raise _Problem(
            422,
            "not_a_json_object",
            "One credential at a time",
            "This is a JSON list; paste one credential (a JSON object starting with {).",
            field,
        )
    if _JWT.fullmatch(text):
        return _Input("jwt", text, None, source.replace("text", "VC-JWT"))
    raise _Problem(
        422,
        "unrecognized_format",
        "Cannot read this",
        "This is neither a JSON credential, a VC-JWT, nor a share link of this site.",
        field,
    )


def _from_file(data: bytes, filename: str, cap: int) -> _Input:
    name = filename or "the file"
    if len(data) > cap:
        raise _Problem(
            413,
            "input_too_large",
            "File too large",
            f"{name} is larger than {_size(cap)}, the most this page accepts.",
            "file",
        )
    try:
        found = extract_credential(data, filename or None)
    except OpenlerError as exc:
        raise _file_problem(exc, name) from None
    if found.kind == "url":
        raise _Problem(
            422,
            "hosted_badge_not_fetched",
            "A hosted badge",
            f"{name} is an Open Badges 1.x/2.0 image that only points to a badge hosted at "
            f"{found.text[:200]}. This page does not fetch addresses named in uploads; "
            "ask the issuer for an Open Badges 3.0 credential.",
            "file",
        )
    kind = _SOURCES.get(found.source, "VC-JWT file" if found.kind == "jwt" else "file")
    if found.source in ("png", "svg") and found.kind == "jwt":
        kind += " (VC-JWT)"
    return _from_text(found.text.strip(), f"{name} ({kind})", "file")


def _file_problem(exc: OpenlerError, name: str) -> _Problem:
    titles = {
        "no_credential_in_image": (
            "No credential in this image",
            f"{name} is an image with no credential baked into it: it is a picture of a "
            "badge, not the badge itself. Upload the badge image you were given by the "
            "issuer's platform (a baked PNG or SVG), or the credential file (JSON).",
        ),
        "malformed_image": ("Cannot read this image", f"{name} is damaged: {exc.message}"),
        "unrecognized_format": (
            "Unsupported file",
            f"{name} is not a PNG or SVG badge image, a JSON credential or a VC-JWT.",
        ),
        "malformed_json": ("This is not valid JSON", f"{name}: {exc.message}"),
    }
    title, message = titles.get(exc.code, ("Cannot read this file", f"{name}: {exc.message}"))
    return _Problem(status_for(exc), exc.code, title, message, "file")


def _share_link(request: Request, text: str) -> _ShareLink:
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        ours = {urlsplit(_settings(request).base_url).netloc.lower(), request.url.netloc.lower()}
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() not in ours:
            raise _Problem(
                422,
                "not_a_share_link",
                "Not a share link of this site",
                "This page opens only share links made on this site; it never fetches other "
                "addresses. Download the credential from where it is published and upload "
                "it here, or paste its JSON.",
            )
    match = _SHARE_PATH.fullmatch(parts.path)
    if match is None:
        raise _Problem(
            422,
            "not_a_share_link",
            "Not a share link",
            "This address is not a share link (they look like …/s/ followed by a code). "
            "Paste the credential itself, or upload its file.",
        )
    return _ShareLink(f"/s/{match.group(1)}")


# -- verifying ----------------------------------------------------------------------------


def _trust_lookup(request: Request) -> Callable[[str], Any] | None:
    """The trust registry (a snapshot); None when it cannot be read, like the VC-API."""
    from openler.api.deps import database_of

    try:
        entries = request.app.state.trust_snapshot.entries(database_of(request.app))
    except SQLAlchemyError as exc:
        log.warning("trust registry unavailable on the verify page: %s", type(exc).__name__)
        return None
    lookup: Callable[[str], Any] = entries.get
    return lookup


def _with_trust(
    lookup: Callable[[str], Any] | None, result: VerificationResult
) -> VerificationResult:
    if lookup is None:
        return result
    from openler.services.trust import add_trust_checks

    return add_trust_checks(lookup, result)


def _types(document: Mapping[str, Any]) -> list[str]:
    value = document.get("type")
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _unwrap(document: Mapping[str, Any]) -> Mapping[str, Any] | str:
    """An EnvelopedVerifiableCredential carries its VC-JWT in a ``data:`` URL."""
    ref = document.get("id")
    if (
        "EnvelopedVerifiableCredential" in _types(document)
        and isinstance(ref, str)
        and ref.startswith("data:")
        and "," in ref
    ):
        return ref.split(",", 1)[1]
    return document


def _jwt_proof(token: str) -> tuple[ProofInfo, ...]:
    from openler.core.proofs.vc_jwt import decode_jwt, jwt_key_id

    try:
        decoded = decode_jwt(token)
    except OpenlerError:
        return ()
    alg = decoded.header.get("alg")
    suite = f"VC-JWT ({alg})" if isinstance(alg, str) else "VC-JWT"
    return (ProofInfo(suite, jwt_key_id(decoded)),)


def _verify(request: Request, found: _Input) -> VerifyOutcome:
    verifier: Verifier = request.app.state.verifier
    clock: Callable[[], datetime] = request.app.state.clock
    now = clock()
    lookup = _trust_lookup(request)
    subject: Mapping[str, Any] | str = found.text if found.document is None else found.document
    if isinstance(subject, Mapping):
        subject = _unwrap(subject)
    presentation = isinstance(subject, Mapping) and "VerifiablePresentation" in _types(subject)
    if presentation:
        result = _with_trust(lookup, verify_presentation_with(verifier, subject, now=now))
        credentials = result.credentials
    else:
        result = _with_trust(lookup, verifier.verify(subject, now=now))
        credentials = (result,)
    proofs = _jwt_proof(subject) if isinstance(subject, str) else ()
    budget = [MAX_NESTED]
    items = []
    for report in credentials:
        view = None
        if isinstance(report.document, Mapping):
            nested = _verify_nested(verifier, report.document, now, lookup, budget)
            view = credential_view(report.document, report=report, nested=nested)
        items.append(VerifyItem(report_view(report, proofs=proofs), view))
    top = report_view(result) if presentation else items[0].report
    raw = found.text
    if found.document is not None:
        raw = json.dumps(found.document, indent=2, ensure_ascii=False)
    decoded = None
    if found.kind == "jwt" and isinstance(result.document, Mapping):
        decoded = json.dumps(result.document, indent=2, ensure_ascii=False)
    return VerifyOutcome(
        source=found.source,
        kind="presentation" if presentation else "credential",
        verdict=top.verdict,
        presentation=top if presentation else None,
        items=tuple(items),
        raw=raw,
        decoded=decoded,
    )


def _verify_nested(
    verifier: Verifier,
    document: Mapping[str, Any],
    now: datetime,
    lookup: Callable[[str], Any] | None,
    budget: list[int],
) -> dict[str, VerificationResult]:
    out: dict[str, VerificationResult] = {}
    for key, item in nested_credentials(document):
        if budget[0] <= 0:
            break
        if key in out:
            continue
        budget[0] -= 1
        out[key] = _with_trust(lookup, verifier.verify(item, now=now))
    return out
