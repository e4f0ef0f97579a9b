"""``/wallet/import``: add a credential from any issuer, pasted (JSON or a VC-JWT) or
uploaded (JSON, JWT, or a PNG/SVG badge image with the credential baked in).

It is verified on arrival (:func:`openler.services.record_import.import_credential`) and
kept whatever the verdict: the learner lands on its page, which shows the report at once
and marks a credential that did not verify. Input that is not a credential at all (an
image with nothing baked in, broken JSON, an Open Badges 2.0 assertion, a file over the
size cap) is refused with the form and a sentence saying why; nothing is stored.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from openler.api.deps import DbSession
from openler.api.problems import status_for
from openler.core.errors import OpenlerError
from openler.services.record_import import import_credential
from openler.web.auth import CsrfChecked, SignedInUser
from openler.web.templating import web_router
from openler.web.wallet._common import (
    Form,
    clock,
    redirect,
    savepoint,
    settings_of,
    verifier_of,
    wallet_page,
)

__all__ = ["router"]

router = web_router()

_MAX_PASTE_KEEP: Final = 64 * 1024


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MB"
    return f"{limit / 1024:.0f} KB"


def _messages(name: str, cap: int) -> dict[str, str]:
    return {
        "input_too_large": f"{name} is larger than {_size(cap)}, the most that can be imported.",
        "malformed_json": f"{name} is not valid JSON. Copy the whole credential, from the "
        "first { to the last }.",
        "malformed_image": f"{name} is a damaged image that cannot be read.",
        "no_credential_in_image": f"{name} is an image with no credential baked into it: a "
        "picture of a badge, not the badge itself. Upload the badge image the issuer's "
        "platform gave you (a baked PNG or SVG), or the credential file (JSON).",
        "unrecognized_format": f"{name} is not a JSON credential, a VC-JWT, or a PNG or SVG "
        "badge image.",
    }


def _page(
    request: Request,
    *,
    pasted: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    code: str = "",
) -> HTMLResponse:
    return wallet_page(
        request,
        "wallet/import.html",
        "import",
        {
            "title": "Import a credential",
            "pasted": pasted if len(pasted) <= _MAX_PASTE_KEEP else "",
            "errors": errors or {},
            "max_size": _size(settings_of(request).max_request_bytes),
        },
        status_code=status_code,
        headers={"X-Openler-Error": code} if code else None,
    )


@router.get("/wallet/import", response_class=HTMLResponse)
def import_form(request: Request, user: SignedInUser) -> HTMLResponse:
    del user
    return _page(request)


def _upload(form: Any) -> UploadFile | None:
    value = form.get("file")
    return value if isinstance(value, UploadFile) else None


@router.post("/wallet/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_submit(request: Request, session: DbSession, user: SignedInUser, form: Form) -> Response:
    """Verify and keep what was pasted or uploaded; then its page, with the report."""
    cap = settings_of(request).max_request_bytes
    pasted_value = form.get("credential")
    pasted = pasted_value.strip() if isinstance(pasted_value, str) else ""
    upload = _upload(form)
    data = b""
    filename = ""
    if upload is not None:
        filename = (upload.filename or "").strip()[-255:]
        data = upload.file.read(cap + 1)
    if data and pasted:
        return _page(
            request,
            pasted=pasted,
            errors={"credential": "You pasted text and chose a file: import one at a time."},
            status_code=422,
            code="two_inputs",
        )
    if not data and not pasted:
        field, message = (
            ("file", f"The file {filename} is empty.")
            if filename
            else ("credential", "Paste a credential, or choose a file to upload.")
        )
        return _page(request, errors={field: message}, status_code=422, code="nothing_to_import")
    field = "file" if data else "credential"
    name = filename or ("The file" if data else "The pasted text")
    try:
        with savepoint(session):
            result = import_credential(
                session,
                user,
                data or pasted,
                verifier=verifier_of(request),
                now=clock(request),
                filename=filename or None,
                max_bytes=cap,
            )
    except OpenlerError as exc:
        message = _messages(name, cap).get(exc.code, f"{name}: {exc.message}")
        if exc.code == "not_a_credential":
            message = exc.message
        return _page(
            request,
            pasted=pasted,
            errors={field: message},
            status_code=status_for(exc),
            code=exc.code,
        )
    if not result.created:
        done = "reimported"
    else:
        done = "imported" if result.verified else "imported-unverified"
    return redirect(f"/wallet/credentials/imported:{result.imported.id}?done={done}")
