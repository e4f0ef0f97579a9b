"""The W3C CCG VC-API: the verifier side (``POST /credentials/verify``,
``POST /presentations/verify``, public) and the issuer side (``POST /credentials/issue``,
``POST /credentials/status``, authenticated with the ``credentials:issue`` and
``credentials:status`` scopes; see :mod:`openler.services.vcapi`).

Responses follow the VC-API's verification result — ``checks`` (the names of the checks
that passed), ``warnings`` and ``errors`` — with ``verified`` and openler's full report
under ``report``. A credential that verifies is a 200; one that does not is a 400 whose
body is the same result, also shaped as problem+json (``code: verification_failed``), as
the W3C test suites expect (never a 200 with ``verified: false``). A request that is not
shaped like the API asks is a 422 (``request_invalid``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError

from openler.api.deps import (
    DbSession,
    Principal,
    database_of,
    get_keystore,
    get_settings,
    require_scope,
)
from openler.api.problems import PROBLEM_JSON, NotFound, problem_type
from openler.core.results import Check, VerificationResult
from openler.core.verification import (
    SKIPPABLE_CHECKS,
    Verifier,
    VerifyPolicy,
    verify_presentation_with,
)
from openler.services.issuing import change_status
from openler.services.trust import RegistrySnapshot, add_trust_checks
from openler.services.vcapi import issue_unsigned, status_action
from openler.store.models import Organization

__all__ = ["PUBLIC_PREFIXES", "router"]

#: Paths of this router that are public (rate-limited per client).
PUBLIC_PREFIXES: Final = ("/credentials/", "/presentations/")

#: Checks that always run, whatever ``options.checks`` asks: they decide authenticity.
ALWAYS_RUN: Final = ("structure", "context", "proof", "issuer")

#: ``options.checks`` names: openler's own, and the VC-API's names for the same checks.
CHECK_ALIASES: Final[Mapping[str, str]] = {
    **{name: name for name in (*ALWAYS_RUN, *sorted(SKIPPABLE_CHECKS))},
    "credentialStatus": "status",
    "expiration": "validity",
}

router = APIRouter(tags=["VC-API"])
log = logging.getLogger("openler.api.vcapi")


# -- request and response bodies ------------------------------------------------------


class VerifyOptions(BaseModel):
    """VC-API verification options. Options this verifier does not know are ignored."""

    model_config = ConfigDict(extra="ignore")

    checks: list[str] | None = Field(
        default=None,
        description="Checks to perform. structure, context, proof and issuer always run; "
        "schema, validity (alias expiration) and status (alias credentialStatus) run only "
        "when named. Absent: every check runs.",
        examples=[["proof", "status"]],
    )
    challenge: str | None = Field(default=None, description="The challenge a presentation answers.")
    domain: str | None = Field(default=None, description="The domain a presentation is bound to.")

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            unknown = sorted({c for c in value if c not in CHECK_ALIASES})
            if unknown:
                raise ValueError(
                    f"unknown checks {', '.join(unknown)}; known: {', '.join(CHECK_ALIASES)}"
                )
        return value

    def policy(self, base: VerifyPolicy) -> VerifyPolicy:
        if self.checks is None:
            return base
        wanted = {CHECK_ALIASES[c] for c in self.checks}
        return base.with_skip(SKIPPABLE_CHECKS - set(ALWAYS_RUN) - wanted)


Document = Annotated[
    dict[str, Any] | str,
    Field(description="A JSON-LD document, or a compact VC-JWT string."),
]


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: Document  # the VC-API's member name
    options: VerifyOptions = Field(default_factory=VerifyOptions)


class VerifyPresentationRequest(BaseModel):
    verifiablePresentation: Document  # the VC-API's member name
    options: VerifyOptions = Field(default_factory=VerifyOptions)


class CheckEntry(BaseModel):
    check: str
    status: str
    code: str
    message: str
    details: dict[str, Any] | None = None
    credentialIndex: int | None = None  # camelCase, like the VC-API


class CredentialResult(BaseModel):
    verified: bool
    checks: list[str]
    warnings: list[CheckEntry]
    errors: list[CheckEntry]


class VerificationResponse(CredentialResult):
    """The VC-API verification result, with openler's full report under ``report``."""

    report: dict[str, Any]
    credentialResults: list[CredentialResult] | None = None  # VC-API naming


_EXAMPLE_FAILURE: Final = {
    "type": problem_type("verification_failed"),
    "title": "Verification failed",
    "status": 400,
    "detail": "The credential did not verify: signature_invalid.",
    "code": "verification_failed",
    "verified": False,
    "checks": ["structure", "context", "schema"],
    "warnings": [],
    "errors": [
        {
            "check": "proof",
            "status": "fail",
            "code": "signature_invalid",
            "message": "proof 1 (eddsa-rdfc-2022): The signature does not match the credential.",
        }
    ],
    "report": {"kind": "credential", "verified": False, "checks": ["..."]},
}

_VERIFY_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: {
        "description": "Not verified: the verification result as problem+json "
        "(code verification_failed).",
        "content": {PROBLEM_JSON: {"example": _EXAMPLE_FAILURE}},
    },
    413: {"description": "The body is larger than OPENLER_MAX_REQUEST_BYTES."},
    422: {"description": "The request is not shaped like the API asks (request_invalid)."},
    429: {"description": "Too many requests from this client (Retry-After says when)."},
}


# -- turning a report into the VC-API's shape -----------------------------------------


def _entry(check: Check, credential_index: int | None = None) -> dict[str, Any]:
    out = check.to_dict()
    if credential_index is not None:
        out["credentialIndex"] = credential_index
    return out


def passed_checks(result: VerificationResult) -> list[str]:
    """Names of the checks that ran and passed (no entry of that name failed)."""
    failed = {c.name for c in result.checks if c.status == "fail"}
    names: list[str] = []
    for check in result.checks:
        if check.status == "pass" and check.name not in failed and check.name not in names:
            names.append(check.name)
    return names


def _result(result: VerificationResult) -> dict[str, Any]:
    return {
        "verified": result.verified,
        "checks": passed_checks(result),
        "warnings": [_entry(c) for c in result.warnings],
        "errors": [_entry(c) for c in result.errors],
    }


def _respond(result: VerificationResult) -> JSONResponse:
    body = _result(result)
    if result.kind == "presentation":
        inner = [_result(r) for r in result.credentials]
        body["credentialResults"] = inner
        for index, credential in enumerate(result.credentials):
            body["errors"] += [_entry(c, index) for c in credential.errors]
            body["warnings"] += [_entry(c, index) for c in credential.warnings]
    body["report"] = result.to_dict()
    if result.verified:
        return JSONResponse(body, status_code=200)
    codes = list(dict.fromkeys(e["code"] for e in body["errors"]))
    problem = {
        "type": problem_type("verification_failed"),
        "title": "Verification failed",
        "status": 400,
        "detail": f"The {result.kind} did not verify: {', '.join(codes)}.",
        "code": "verification_failed",
    }
    return JSONResponse({**problem, **body}, status_code=400, media_type=PROBLEM_JSON)


def _unwrap_envelope(document: dict[str, Any] | str) -> Mapping[str, Any] | str:
    """An EnvelopedVerifiableCredential carries its VC-JOSE token in a ``data:`` URL."""
    if isinstance(document, dict):
        types = document.get("type")
        names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        ref = document.get("id")
        if (
            "EnvelopedVerifiableCredential" in names
            and isinstance(ref, str)
            and ref.startswith("data:")
            and "," in ref
        ):
            return ref.split(",", 1)[1]
    return document


def _verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


def _with_trust(request: Request, result: VerificationResult) -> VerificationResult:
    """The report with the issuer trust registry's verdict (a ``trust`` check: pass for
    a listed issuer, a warning otherwise; never a failure). A read-only transaction of its
    own, so verifying never takes SQLite's write lock. Verification does not depend on the
    database: when the registry cannot be read (a verifier-only deployment without a
    migrated database) the report has no trust check and the failure is logged."""
    try:
        snapshot: RegistrySnapshot = request.app.state.trust_snapshot
        entries = snapshot.entries(database_of(request.app))
        return add_trust_checks(entries.get, result)
    except SQLAlchemyError as exc:
        log.warning("trust registry unavailable during verification: %s", type(exc).__name__)
        return result


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


# -- endpoints ------------------------------------------------------------------------


@router.post(
    "/credentials/verify",
    summary="Verify a credential",
    response_model=VerificationResponse,
    responses=_VERIFY_RESPONSES,
)
def verify_credential(
    request: Request, body: Annotated[VerifyCredentialRequest, Body()]
) -> JSONResponse:
    """Verify a credential (a JSON-LD document with Data Integrity proofs, a VC-JWT
    string, or an EnvelopedVerifiableCredential): 200 when every check passes, 400 with
    the report otherwise."""
    verifier = _verifier(request)
    policy = body.options.policy(verifier.policy)
    document = _unwrap_envelope(body.verifiableCredential)
    result = verifier.verify(document, now=_now(request), policy=policy)
    return _respond(_with_trust(request, result))


@router.post(
    "/presentations/verify",
    summary="Verify a presentation",
    response_model=VerificationResponse,
    responses=_VERIFY_RESPONSES,
)
def verify_presentation(
    request: Request, body: Annotated[VerifyPresentationRequest, Body()]
) -> JSONResponse:
    """Verify a presentation's proof (bound to ``options.challenge`` and
    ``options.domain`` when given) and every credential in it: 200 when all pass, 400
    with the report otherwise (``credentialResults`` holds one result per credential)."""
    verifier = _verifier(request)
    result = verify_presentation_with(
        verifier,
        body.verifiablePresentation,
        challenge=body.options.challenge,
        domain=body.options.domain,
        now=_now(request),
        policy=body.options.policy(verifier.policy),
    )
    return _respond(_with_trust(request, result))


# -- the issuer side ------------------------------------------------------------------


class IssueOptions(BaseModel):
    """VC-API issuing options. ``credentialStatus.statusPurpose`` picks the status entry
    the issuer allocates (``revocation``, the default, or ``suspension``); ``suites``
    (openler's) adds an Ed25519Signature2020 proof for older wallets. Other options are
    ignored."""

    model_config = ConfigDict(extra="ignore")

    credentialStatus: dict[str, Any] | None = None
    suites: list[Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]] = Field(
        default=["eddsa-rdfc-2022"], min_length=1, max_length=2
    )

    def status_purpose(self) -> str:
        purpose = (self.credentialStatus or {}).get("statusPurpose", "revocation")
        return str(purpose)


class IssueCredentialRequest(BaseModel):
    credential: dict[str, Any]
    options: IssueOptions = Field(default_factory=IssueOptions)


class UpdateStatusRequest(BaseModel):
    """The VC-API's status update. ``credentialStatus`` is an object with
    ``statusPurpose`` (and ``status``: true sets, false clears), or, in the older shape, a
    list of one ``{"type": ..., "status": "revoked" | "suspended" | "active"}``."""

    model_config = ConfigDict(extra="ignore")

    credentialId: str = Field(min_length=1, max_length=200)
    credentialStatus: dict[str, Any] | list[dict[str, Any]]
    status: bool | None = None


Issuer = Annotated[Principal, Depends(require_scope("credentials:issue"))]
StatusManager = Annotated[Principal, Depends(require_scope("credentials:status"))]


@router.post(
    "/credentials/issue",
    summary="Issue a credential",
    status_code=201,
    responses={
        201: {"description": 'Issued: {"verifiableCredential": ...} (the stored bytes).'},
        400: {"description": "The issuer is not the caller's organization (issuer_mismatch)."},
        404: {"description": "The achievement is not one of the organization's published ones."},
        422: {"description": "Invalid credential (schema_invalid, invalid_input, ...)."},
    },
)
def issue_credential_vcapi(
    request: Request,
    session: DbSession,
    principal: Issuer,
    body: Annotated[IssueCredentialRequest, Body()],
) -> Response:
    """Sign an OB 3.0 credential as the caller's organization: the issuer is set to the
    organization's Profile (a given issuer must be its DID), an ``id`` and ``validFrom``
    are added when absent, and a status entry is allocated; the credential is checked
    against the OB 3.0 JSON Schema, signed with the active key and stored."""
    org = session.get(Organization, principal.organization_id)
    if org is None:
        raise NotFound("The organization of this token no longer exists.")
    issued = issue_unsigned(
        session,
        get_settings(request),
        get_keystore(request),
        org,
        body.credential,
        suites=list(body.options.suites),
        status_purpose=body.options.status_purpose(),
        actor=principal.actor,
        now=_now(request),
    )
    data = b'{"verifiableCredential":' + issued.credential_bytes + b"}"
    return Response(data, status_code=201, media_type="application/json")


@router.post(
    "/credentials/status",
    summary="Update a credential's status",
    responses={
        200: {"description": "Updated."},
        404: {"description": "No such credential in this organization."},
        409: {"description": "The change does not apply (e.g. revoking twice)."},
    },
)
def update_credential_status(
    session: DbSession,
    principal: StatusManager,
    body: Annotated[UpdateStatusRequest, Body()],
) -> dict[str, Any]:
    """Revoke, suspend or unsuspend one of the organization's credentials; the published
    status list shows it on its next fetch."""
    action = status_action(body.credentialStatus, body.status)
    org = session.get(Organization, principal.organization_id)
    if org is None:
        raise NotFound("The organization of this token no longer exists.")
    credential_id = body.credentialId
    if ":" not in credential_id:
        credential_id = f"urn:uuid:{credential_id}"
    changed = change_status(session, org, credential_id, action, actor=principal.actor)
    return {"credentialId": changed.credential_id, "status": changed.status.value}
