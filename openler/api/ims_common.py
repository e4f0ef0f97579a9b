"""What the 1EdTech service APIs of Open Badges 3.0 (``/ims/ob/v3p0``, :mod:`.obapi`) and
CLR 2.0 (``/ims/clr/v2p0``, :mod:`.clrapi`) share. Both specifications define the same five
operations over their own credential type and scopes, so one :class:`ImsService`
describes a service and :func:`service_router` builds its router:

- ``GET /discovery`` (getServiceDescription, public): the Service Description Document
  (:mod:`.ims_discovery`), cacheable, with an ``ETag`` (``If-None-Match`` -> 304).
- ``GET /credentials`` (getCredentials, ``credential.readonly``): the credentials issued
  here to the learner's e-mail address, then those the learner's apps stored here through
  this API, as ``{"credential": [...], "compactJwsString": [...]}`` (signed documents
  spliced in byte for byte); ``limit`` (at most 100), ``offset``, ``since``;
  ``X-Total-Count`` and ``Link`` (first, last, and next/prev where there are such pages).
- ``POST /credentials`` (upsertCredential, ``credential.upsert``): a credential as JSON
  (``application/json``, ``application/vc+ld+json``) or a VC-JWT (``text/plain``) of the
  service's type, stored once it verifies: 201 new, 200 replaced (same issuer and ``id``,
  the credential equality of OB 3.0), 304 when nothing would change (the same bytes, an
  older ``validFrom`` than the one held, or a credential issued here to the learner).
- ``GET /profile`` / ``PUT /profile`` (getProfile / putProfile, ``profile.readonly`` /
  ``profile.update``): the learner's Profile; only ``name`` can change.

Any other method on these paths is a 405, any other path under the prefix a 404. Every
error is ``imsx_StatusInfo`` JSON (codes from the Imsx_CodeMinorFieldValue vocabulary),
with ``WWW-Authenticate`` on 401 and 403 (RFC 6750). Callers present a learner access
token (``Authorization: Bearer``) from ``/oauth/token``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from openler.api.deps import DbSession, get_keystore, get_settings
from openler.api.ims_discovery import discovery_response
from openler.core.errors import OpenlerError
from openler.core.limits import parse_json
from openler.core.model.schema import validate_against
from openler.core.proofs.vc_jwt import decode_jwt
from openler.services.auth import InvalidToken
from openler.services.issuing import recipient_lookup
from openler.services.oauth_grants import UserGrant, verify_user_token
from openler.store.models import ClrCredential, IssuedCredential, UserCredential
from openler.store.models.enums import UserCredentialKind

__all__ = [
    "MAX_LIMIT",
    "ImsService",
    "ImsxError",
    "imsx_status",
    "install_imsx_handler",
    "service_router",
]

MAX_LIMIT: Final = 100
_JSON_TYPES: Final = ("application/json", "application/ld+json", "application/vc+ld+json")
_JWT_TYPE: Final = "text/plain"
_MINOR_BY_STATUS: Final = {
    304: "not_modified",
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    500: "internal_server_error",
}
_CHALLENGE: Final = 'Bearer realm="openler"'

IssuedModel = type[IssuedCredential] | type[ClrCredential]


@dataclass(frozen=True)
class ImsService:
    """One 1EdTech service API: where it lives, its scopes and credentials."""

    key: str  # "ob" / "clr": route names
    prefix: str  # "/ims/ob/v3p0"
    title: str  # "Open Badges 3.0"
    version: str  # the specification's version, "3.0"
    scope_base: str  # "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
    tag: str  # the OpenAPI tag of the credential operations
    kind: UserCredentialKind  # which stored credentials are this API's
    credential_types: frozenset[str]  # one of them must be in an upserted ``type``
    issued_model: IssuedModel  # credentials issued here
    issued_filter: Callable[[str], Any]  # recipient lookup -> SQL condition
    profile_contexts: tuple[str, ...]
    profile_schema: str  # the bundled Profile JSON Schema's $id
    scope_descriptions: dict[str, str]

    @property
    def read(self) -> str:
        return self.scope_base + "credential.readonly"

    @property
    def upsert(self) -> str:
        return self.scope_base + "credential.upsert"

    @property
    def profile_read(self) -> str:
        return self.scope_base + "profile.readonly"

    @property
    def profile_update(self) -> str:
        return self.scope_base + "profile.update"


# -- imsx_StatusInfo errors -------------------------------------------------------------


class ImsxError(Exception):
    """An error answered as ``imsx_StatusInfo`` JSON."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        minor: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.minor = minor or _MINOR_BY_STATUS.get(status, "unknown")
        self.headers = headers or {}


def imsx_status(description: str, minor: str) -> dict[str, Any]:
    """An ``Imsx_StatusInfo`` of a failure."""
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }


async def _imsx_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ImsxError)
    if exc.status == 304:  # a 304 has no body (RFC 9110 15.4.5)
        return Response(status_code=304, headers=exc.headers)
    return JSONResponse(
        imsx_status(exc.description, exc.minor), status_code=exc.status, headers=exc.headers
    )


def install_imsx_handler(app: FastAPI) -> None:
    app.add_exception_handler(ImsxError, _imsx_error)


# -- shared request pieces --------------------------------------------------------------


def now_of(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _learner(request: Request, session: DbSession) -> UserGrant:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ImsxError(
            401, "A bearer access token is required.", headers={"WWW-Authenticate": _CHALLENGE}
        )
    try:
        return verify_user_token(
            session,
            get_settings(request),
            get_keystore(request),
            token.strip(),
            now=now_of(request),
        )
    except InvalidToken:
        raise ImsxError(
            401,
            "The access token is invalid, expired or revoked.",
            headers={"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'},
        ) from None


Learner = Annotated[UserGrant, Depends(_learner)]


def need(grant: UserGrant, scope: str) -> None:
    if scope not in grant.scopes:
        raise ImsxError(
            403,
            f"This needs the scope {scope}.",
            headers={
                "WWW-Authenticate": f'{_CHALLENGE}, error="insufficient_scope", scope="{scope}"'
            },
        )


def _paging(request: Request) -> tuple[int, int, datetime | None]:
    def number(name: str, default: int, low: int) -> int:
        text = request.query_params.get(name)
        if text is None:
            return default
        if not text.isascii() or not text.isdigit() or int(text) < low:
            raise ImsxError(
                400,
                f"{name} must be an integer of at least {low}.",
                minor="invalid_query_parameter",
            )
        return int(text)

    since = None
    if (text := request.query_params.get("since")) is not None:
        try:
            since = datetime.fromisoformat(text)
        except ValueError:
            since = None
        if since is None or since.tzinfo is None:
            raise ImsxError(
                400,
                "since must be a date and time with a time zone (ISO 8601).",
                minor="invalid_query_parameter",
            )
    return min(number("limit", MAX_LIMIT, 1), MAX_LIMIT), number("offset", 0, 0), since


def _link_header(request: Request, limit: int, offset: int, total: int) -> str:
    base = str(request.url.replace(query=""))
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    pages = {"first": 0, "last": max(0, (total - 1) // limit * limit)}
    if offset + limit < total:
        pages["next"] = offset + limit
    if offset > 0:
        pages["prev"] = max(0, offset - limit)
    return ", ".join(
        f'<{base}?{urlencode([*kept, ("limit", limit), ("offset", at)])}>; rel="{rel}"'
        for rel, at in pages.items()
    )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


# -- getCredentials ---------------------------------------------------------------------


def _count(session: Session, model: Any, where: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(where)) or 0)


def get_credentials(
    service: ImsService, request: Request, session: Session, learner: UserGrant
) -> Response:
    need(learner, service.read)
    limit, offset, since = _paging(request)
    issued = service.issued_model
    issued_where = service.issued_filter(recipient_lookup(learner.user.email))
    stored_where = sa.and_(
        UserCredential.user_id == learner.user.id, UserCredential.kind == service.kind
    )
    if since is not None:
        issued_where = sa.and_(issued_where, issued.issued_at > since)
        stored_where = sa.and_(stored_where, UserCredential.updated_at > since)
    issued_total = _count(session, issued, issued_where)
    total = issued_total + _count(session, UserCredential, stored_where)
    rows: list[bytes] = []
    if offset < issued_total:
        rows += session.scalars(
            sa.select(issued.credential_bytes)
            .where(issued_where)
            .order_by(issued.issued_at, issued.id)
            .limit(limit)
            .offset(offset)
        ).all()
    if len(rows) < limit:
        rows += session.scalars(
            sa.select(UserCredential.credential_bytes)
            .where(stored_where)
            .order_by(UserCredential.created_at, UserCredential.id)
            .limit(limit - len(rows))
            .offset(max(0, offset - issued_total))
        ).all()
    # A VC-JWT is stored as a JSON string; a credential as the JSON object received.
    documents = [data for data in rows if data.lstrip()[:1] != b'"']
    compact = [data for data in rows if data.lstrip()[:1] == b'"']
    body = b'{"credential":[' + b",".join(documents) + b'],"compactJwsString":['
    body += b",".join(compact) + b"]}"
    headers = {"X-Total-Count": str(total), "Link": _link_header(request, limit, offset, total)}
    return Response(body, media_type="application/json", headers=headers)


# -- upsertCredential -------------------------------------------------------------------


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value.strip() if isinstance(value, str) else None


def _valid_from(document: dict[str, Any]) -> datetime | None:
    value = document.get("validFrom", document.get("issuanceDate"))
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _read_upsert(request: Request, body: bytes) -> tuple[bytes, Any]:
    """(what to store, the body as verified) of an upsert request."""
    media = _media_type(request)
    if media == _JWT_TYPE:
        try:
            token = body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise ImsxError(400, "A VC-JWT is ASCII text.") from None
        return json.dumps(token).encode("ascii"), token
    if media not in _JSON_TYPES:
        raise ImsxError(400, "Send the credential as application/json, or a VC-JWT as text/plain.")
    try:
        document = parse_json(body)
    except OpenlerError as exc:
        raise ImsxError(400, exc.message) from None
    if not isinstance(document, dict):
        raise ImsxError(400, "The body must be a credential (a JSON object).")
    return body.removeprefix(b"\xef\xbb\xbf"), document


def _jwt_document(token: str) -> dict[str, Any]:
    """The credential of a VC-JWT, unverified, with ``id``/``issuer`` from ``jti``/``iss``
    where the ``vc`` claim leaves them out (as the verifier reads it); {} if unreadable."""
    try:
        decoded = decode_jwt(token)
    except OpenlerError:
        return {}
    document = dict(decoded.credential)
    if isinstance(decoded.claims.get("jti"), str):
        document.setdefault("id", decoded.claims["jti"])
    if isinstance(decoded.claims.get("iss"), str):
        document.setdefault("issuer", decoded.claims["iss"])
    return document


def _document_of(data: bytes) -> dict[str, Any]:
    held = json.loads(data)
    return _jwt_document(held) if isinstance(held, str) else dict(held)


async def upsert_credential(
    service: ImsService, request: Request, session: Session, learner: UserGrant
) -> Response:
    need(learner, service.upsert)
    data, submitted = _read_upsert(request, await request.body())
    document = submitted if isinstance(submitted, dict) else _jwt_document(submitted)
    if not document:
        raise ImsxError(400, "The body is not a VC-JWT.")
    types = document.get("type")
    if not service.credential_types & set(types if isinstance(types, list) else [types]):
        kinds = " or ".join(sorted(service.credential_types))
        raise ImsxError(400, f"This API stores a {kinds}.")
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id.strip() or len(credential_id) > 500:
        raise ImsxError(400, "The credential needs an id (a URI of at most 500 characters).")
    credential_id = credential_id.strip()
    result = request.app.state.verifier.verify(submitted, now=now_of(request))
    if not result.verified:
        reasons = "; ".join(f"{c.name}: {c.message}" for c in result.errors)[:500]
        raise ImsxError(400, f"The credential does not verify ({reasons}).")
    issued = service.issued_model
    if session.scalar(
        sa.select(issued.id).where(
            issued.credential_id == credential_id,
            service.issued_filter(recipient_lookup(learner.user.email)),
        )
    ):
        raise ImsxError(304, "This credential was issued here to you; it is listed already.")
    row = session.scalar(
        sa.select(UserCredential).where(
            UserCredential.user_id == learner.user.id,
            UserCredential.credential_id == credential_id,
        )
    )
    if row is not None:
        held = _document_of(row.credential_bytes)
        if row.kind != service.kind or _issuer_id(held) != _issuer_id(document):
            raise ImsxError(400, "Another credential with this id is stored for you already.")
        newer, older = _valid_from(document), _valid_from(held)
        if row.credential_bytes == data or (newer and older and newer < older):
            raise ImsxError(304, "The credential held is the same or more recent.")
    status = 201 if row is None else 200
    if row is None:
        row = UserCredential(
            user_id=learner.user.id, credential_id=credential_id, kind=service.kind
        )
        session.add(row)
    row.set_signed_document(data)
    session.flush()
    if isinstance(submitted, str):
        return Response(submitted, status_code=status, media_type=_JWT_TYPE)
    vc = _media_type(request) == "application/vc+ld+json"
    return Response(
        data, status_code=status, media_type="application/vc+ld+json" if vc else "application/json"
    )


# -- getProfile / putProfile ------------------------------------------------------------


def _profile(service: ImsService, grant: UserGrant) -> dict[str, Any]:
    user = grant.user
    return {
        "@context": list(service.profile_contexts),
        "id": f"urn:uuid:{user.id}",
        "type": ["Profile"],
        "name": user.display_name,
        "email": user.email,
    }


async def put_profile(
    service: ImsService, request: Request, session: Session, learner: UserGrant
) -> JSONResponse:
    need(learner, service.profile_update)
    if _media_type(request) not in _JSON_TYPES:
        raise ImsxError(400, "Send the Profile as application/json.")
    try:
        document = parse_json(await request.body())
    except OpenlerError as exc:
        raise ImsxError(400, exc.message) from None
    if not isinstance(document, dict):
        raise ImsxError(400, "The body must be a Profile object.")
    issues = validate_against(document, service.profile_schema)
    if issues:
        where = issues[0].path or "the Profile"
        raise ImsxError(400, f"Not a valid Profile: {where}: {issues[0].message}"[:500])
    types = document.get("type")
    if "Profile" not in (types if isinstance(types, list) else [types]):
        raise ImsxError(400, "The body must be a Profile (its type includes Profile).")
    current = _profile(service, learner)
    if document.get("id") != current["id"]:
        raise ImsxError(400, f"The Profile's id is {current['id']}; it cannot change.")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ImsxError(400, "name is required (at most 200 characters).")
    email = document.get("email")
    if email is not None and (
        not isinstance(email, str) or email.strip().lower() != learner.user.email
    ):
        raise ImsxError(400, "The e-mail address cannot be changed through this API.")
    learner.user.display_name = name.strip()
    session.flush()
    return JSONResponse(_profile(service, learner))


# -- the router -------------------------------------------------------------------------

_OTHER_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _refuse(methods: tuple[str, ...]) -> Callable[[], Response]:
    def not_allowed() -> Response:
        raise ImsxError(
            405, "This method is not allowed here.", headers={"Allow": ", ".join(methods)}
        )

    return not_allowed


def _not_found(rest: str) -> Response:
    raise ImsxError(404, "There is no such resource in this API.")


def service_router(service: ImsService) -> APIRouter:
    """The routes of one 1EdTech service API."""
    router = APIRouter(prefix=service.prefix, tags=[f"{service.title} service API"])
    name = service.key

    @router.get("/discovery", name=f"{name}_getServiceDescription", summary="Discovery")
    def discovery(request: Request) -> Response:
        """The Service Description Document (OpenAPI 3.0): operations, OAuth 2.0
        endpoints and scopes, where apps register (``x-imssf-registrationUrl``)."""
        return discovery_response(service, request)

    @router.get("/credentials", name=f"{name}_getCredentials", summary="getCredentials")
    def credentials(request: Request, session: DbSession, learner: Learner) -> Response:
        """The learner's credentials, paged (``limit``, ``offset``, ``since``)."""
        return get_credentials(service, request, session, learner)

    @router.post("/credentials", name=f"{name}_upsertCredential", summary="upsertCredential")
    async def upsert(request: Request, session: DbSession, learner: Learner) -> Response:
        """Store a credential for the learner once it verifies (201 new, 200 replaced,
        304 nothing to change)."""
        return await upsert_credential(service, request, session, learner)

    @router.get("/profile", name=f"{name}_getProfile", summary="getProfile")
    def get_profile(learner: Learner) -> JSONResponse:
        """The learner's Profile (name and e-mail address)."""
        need(learner, service.profile_read)
        return JSONResponse(_profile(service, learner))

    @router.put("/profile", name=f"{name}_putProfile", summary="putProfile")
    async def profile(request: Request, session: DbSession, learner: Learner) -> JSONResponse:
        """Replace the learner's Profile (the whole object); only ``name`` can change:
        the e-mail address is how the learner signs in and is matched to credentials."""
        return await put_profile(service, request, session, learner)

    allowed = {"/discovery": ("GET",), "/credentials": ("GET", "POST"), "/profile": ("GET", "PUT")}
    for path, methods in allowed.items():
        router.add_api_route(
            path,
            _refuse(methods),
            methods=[m for m in _OTHER_METHODS if m not in methods],
            include_in_schema=False,
            name=f"{name}{path}_405",
        )
    router.add_api_route(
        "/{rest:path}",
        _not_found,
        methods=list(_OTHER_METHODS),
        include_in_schema=False,
        name=f"{name}_404",
    )
    return router
