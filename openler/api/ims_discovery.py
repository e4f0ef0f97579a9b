"""The Service Description Document (SDD) of a 1EdTech service API (``GET /discovery``),
as Open Badges 3.0 and CLR 2.0 profile it ("Request the Service Description Document"
and the ServiceDescriptionDocument / OpenApiInfo / OpenApiOAuth2SecurityScheme classes):

- an OpenAPI 3.0 document; ``info`` has ``title``, ``version``, ``termsOfService``,
  ``x-imssf-privacyPolicyUrl`` (required) and ``x-imssf-image`` (a data: URI);
- ``components.securitySchemes.OAuth2ACG``: ``type: oauth2``, ``x-imssf-registrationUrl``
  (required), ``x-imssf-name``, ``x-imssf-privacyPolicyUrl``, ``x-imssf-termsOfServiceUrl``
  (as in the specifications' example), the authorization-code flow (``authorizationUrl``,
  ``tokenUrl``, ``refreshUrl`` = the token endpoint, ``scopes``) and
  ``x-openler-revocationUrl`` (an extension: the specifications name no place for the
  RFC 7009 endpoint; RFC 8414 metadata at ``/.well-known/oauth-authorization-server``
  has it as ``revocation_endpoint`` too);
- the five operations with their parameters, responses and scopes.

Served public and cacheable (``Cache-Control: public, max-age=3600``) with a strong
``ETag``; ``If-None-Match`` with it answers 304, as the specifications allow.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from fastapi import Request
from fastapi.responses import Response

from openler.api.deps import get_settings
from openler.api.oauth import TOKEN_PATH
from openler.api.oauth_user import AUTHORIZE_PATH, REGISTER_PATH, REVOKE_PATH
from openler.config import Settings

if TYPE_CHECKING:
    from openler.api.ims_common import ImsService

__all__ = ["discovery_document", "discovery_response"]

_CACHE: Final = "public, max-age=3600"
_LOGO_SVG: Final = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="26" r="20" fill="#1f5f8b"/>'
    b'<path d="M20 42 14 60l18-8 18 8-6-18" fill="#1f5f8b"/>'
    b'<path d="m24 26 6 6 11-12" stroke="#fff" stroke-width="5" fill="none"/></svg>'
)
#: An image representing the service: inline, so it works without any static hosting.
LOGO_DATA_URI: Final = "data:image/svg+xml;base64," + base64.b64encode(_LOGO_SVG).decode()

_ERROR: Final = {
    "description": "imsx_StatusInfo",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Imsx_StatusInfo"}}},
}
_STATUS_TEXT: Final = {
    "304": "Not modified: nothing to change.",
    "400": "The request is invalid.",
    "401": "The access token is missing, invalid, expired or revoked.",
    "403": "The access token lacks the scope.",
    "404": "Not found.",
    "405": "Method not allowed.",
    "500": "Server error.",
}
_IMSX_SCHEMA: Final = {
    "type": "object",
    "required": ["imsx_codeMajor", "imsx_severity"],
    "properties": {
        "imsx_codeMajor": {"type": "string", "enum": ["failure", "processing", "success"]},
        "imsx_severity": {"type": "string", "enum": ["error", "status", "warning"]},
        "imsx_description": {"type": "string"},
        "imsx_codeMinor": {
            "type": "object",
            "properties": {
                "imsx_codeMinorField": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "imsx_codeMinorFieldName": {"type": "string"},
                            "imsx_codeMinorFieldValue": {"type": "string"},
                        },
                    },
                }
            },
        },
    },
}


def _errors(*codes: str) -> dict[str, Any]:
    answers = {code: {**_ERROR, "description": _STATUS_TEXT[code]} for code in codes}
    return {**answers, "default": _ERROR}


def _json(schema: str, description: str) -> dict[str, Any]:
    ref = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    return {"description": description, "content": {"application/json": ref}}


def _credential_body(credential: str) -> dict[str, Any]:
    ref = {"schema": {"$ref": f"#/components/schemas/{credential}"}}
    return {
        "application/json": ref,
        "application/vc+ld+json": ref,
        "text/plain": {"schema": {"type": "string", "description": "a VC-JWT (compact JWS)"}},
    }


def _operation(
    service: ImsService, op_id: str, summary: str, scope: str, responses: dict[str, Any]
) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": [service.tag],
        "security": [{"OAuth2ACG": [scope]}],
        "responses": responses,
    }


def discovery_document(service: ImsService, settings: Settings) -> dict[str, Any]:
    """The SDD of ``service`` for this deployment."""
    base = settings.base_url
    privacy = settings.privacy_policy_url or base + "/"
    terms = settings.terms_of_service_url or base + "/"
    credential = "ClrCredential" if service.key == "clr" else "AchievementCredential"
    listing = (
        "GetClrCredentialsResponse" if service.key == "clr" else "GetOpenBadgeCredentialsResponse"
    )
    paging_headers = {
        "X-Total-Count": {"schema": {"type": "integer"}, "description": "Total count."},
        "Link": {"schema": {"type": "string"}, "description": "first, last, next, prev."},
    }
    get_credentials = _operation(
        service,
        "getCredentials",
        f"Get the learner's {credential}s",
        service.read,
        {
            "200": {**_json(listing, "The credentials."), "headers": paging_headers},
            **_errors("400", "401", "403", "405", "500"),
        },
    )
    get_credentials["parameters"] = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    ]
    stored = {"description": "The credential as received.", "content": _credential_body(credential)}
    upsert = _operation(
        service,
        "upsertCredential",
        f"Create or replace a {credential}",
        service.upsert,
        {
            "200": {**stored, "description": "Replaced."},
            "201": {**stored, "description": "Created."},
            **_errors("304", "400", "401", "403", "404", "405", "500"),
        },
    )
    upsert["requestBody"] = {"required": True, "content": _credential_body(credential)}
    get_profile = _operation(
        service,
        "getProfile",
        "Get the learner's profile",
        service.profile_read,
        {"200": _json("Profile", "The profile."), **_errors("400", "401", "403", "404", "405")},
    )
    put_profile = _operation(
        service,
        "putProfile",
        "Replace the learner's profile",
        service.profile_update,
        {"200": _json("Profile", "The profile."), **_errors("400", "401", "403", "405", "500")},
    )
    put_profile["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}},
    }
    schema_base = service.profile_schema.rsplit("/", 1)[0] + "/"
    return {
        "openapi": "3.0.1",
        "info": {
            "title": f"openler {service.title} API",
            "description": f"The 1EdTech {service.title} service API of this openler deployment.",
            "version": service.version,
            "termsOfService": terms,
            "x-imssf-image": LOGO_DATA_URI,
            "x-imssf-privacyPolicyUrl": privacy,
        },
        "servers": [{"url": base + service.prefix}],
        "tags": [{"name": service.tag}, {"name": "Discovery"}],
        "paths": {
            "/credentials": {"get": get_credentials, "post": upsert},
            "/profile": {"get": get_profile, "put": put_profile},
            "/discovery": {
                "get": {
                    "operationId": "getServiceDescription",
                    "summary": "Get this Service Description Document",
                    "tags": ["Discovery"],
                    "security": [],
                    "responses": {
                        "200": {"description": "The Service Description Document."},
                        "default": _ERROR,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant authorization (PKCE S256)",
                    "x-imssf-name": "openler",
                    "x-imssf-privacyPolicyUrl": privacy,
                    "x-imssf-registrationUrl": base + REGISTER_PATH,
                    "x-imssf-termsOfServiceUrl": terms,
                    "x-openler-revocationUrl": base + REVOKE_PATH,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": base + AUTHORIZE_PATH,
                            "tokenUrl": base + TOKEN_PATH,
                            "refreshUrl": base + TOKEN_PATH,
                            "scopes": dict(service.scope_descriptions),
                        }
                    },
                }
            },
            "schemas": {
                "Imsx_StatusInfo": _IMSX_SCHEMA,
                listing: {
                    "type": "object",
                    "properties": {
                        "credential": {
                            "type": "array",
                            "items": {"$ref": f"#/components/schemas/{credential}"},
                        },
                        "compactJwsString": {"type": "array", "items": {"type": "string"}},
                    },
                },
                credential: {
                    "type": "object",
                    "description": f"See {schema_base}{_schema_file(service, credential)}",
                },
                "Profile": {"type": "object", "description": f"See {service.profile_schema}"},
            },
        },
    }


def _schema_file(service: ImsService, credential: str) -> str:
    prefix = "clr_v2p0" if service.key == "clr" else "ob_v3p0"
    return f"{prefix}_{credential.lower()}_schema.json"


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates


def discovery_response(service: ImsService, request: Request) -> Response:
    """The SDD, or 304 when ``If-None-Match`` names its current ETag."""
    body = json.dumps(
        discovery_document(service, get_settings(request)), separators=(",", ":")
    ).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": _CACHE}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
