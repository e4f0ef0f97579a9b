"""did:web: identifier ↔ URL mapping and DID document building (no network here).

``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
``did:web:example.com:issuers:1`` → ``https://example.com/issuers/1/did.json``;
a port is written percent-encoded: ``did:web:example.com%3A8443``.

Key rotation: a retired key stays in the document (``verificationMethod`` and
``assertionMethod``) so credentials it signed keep verifying; only keys passed as
``revoked`` are left out, which makes everything they signed fail verification.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, Final

from openler.core.errors import DidResolutionError, InvalidInput
from openler.core.keys.keypair import PublicKey

__all__ = [
    "DID_WEB_CONTEXTS",
    "DID_WEB_PREFIX",
    "did_web_document",
    "did_web_path_in_dir",
    "did_web_to_url",
    "parse_did_web",
]

DID_WEB_PREFIX: Final = "did:web:"
DID_WEB_CONTEXTS: Final = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+")
_FRAGMENT = re.compile(r"[A-Za-z0-9._~-]{1,100}")
_MAX_DID_LENGTH: Final = 2048


def parse_did_web(did: str) -> tuple[str, int | None, list[str]]:
    """Split a did:web into ``(host, port, path segments)``, validating every part.

    Raises :class:`DidResolutionError` for a malformed identifier (IP addresses,
    ``.``/``..`` segments, queries and fragments are refused)."""
    if not isinstance(did, str) or not did.startswith(DID_WEB_PREFIX):
        raise DidResolutionError("Not a did:web identifier.", details={"did": _clip(did)})
    if len(did) > _MAX_DID_LENGTH:
        raise DidResolutionError("The did:web identifier is too long.")
    host_part, *segments = did[len(DID_WEB_PREFIX) :].split(":")
    host, port = _parse_host(host_part, did)
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or _is_dots(segment):
            raise DidResolutionError(
                f"Invalid did:web path segment {segment!r}.", details={"did": did}
            )
    return host, port, segments


def did_web_to_url(did: str) -> str:
    """The HTTPS URL where the DID document of ``did`` is published."""
    host, port, segments = parse_did_web(did)
    authority = host if port is None else f"{host}:{port}"
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{authority}/{path}/did.json"


def did_web_path_in_dir(did: str) -> PurePosixPath:
    """Relative path of the DID document in an offline folder mirror of the web:
    ``host/a/b/did.json`` or ``host/.well-known/did.json`` (a port stays ``%3A``)."""
    host, port, segments = parse_did_web(did)
    top = host if port is None else f"{host}%3A{port}"
    return PurePosixPath(top, *(segments or [".well-known"]), "did.json")


def did_web_document(
    did: str,
    public_keys: Sequence[tuple[str, PublicKey]],
    *,
    retired: Sequence[tuple[str, PublicKey]] = (),
    revoked: Collection[str] = (),
    services: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Build the DID document for a did:web issuer.

    ``public_keys`` are the active ``(fragment, key)`` pairs: listed as Multikey
    verification methods under ``assertionMethod`` and ``authentication``.
    ``retired`` keys sign nothing new but stay valid for verification (listed in
    ``verificationMethod`` and ``assertionMethod``); fragments in ``revoked`` are
    removed from the document entirely. ``services`` are copied, with relative
    ``#ids`` made absolute.
    """
    parse_did_web(did)
    revoked_set = set(revoked)
    active = [(f, k) for f, k in public_keys if f not in revoked_set]
    old = [(f, k) for f, k in retired if f not in revoked_set]
    seen: set[str] = set()
    methods: list[dict[str, Any]] = []
    for fragment, key in [*active, *old]:
        if not isinstance(fragment, str) or not _FRAGMENT.fullmatch(fragment):
            raise InvalidInput(f"Invalid key fragment {fragment!r}; use letters, digits, ._~-.")
        if fragment in seen:
            raise InvalidInput(f"The key fragment {fragment!r} is used twice.")
        seen.add(fragment)
        methods.append(
            {
                "id": f"{did}#{fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.to_multibase(),
            }
        )
    active_ids = [f"{did}#{f}" for f, _ in active]
    document: dict[str, Any] = {
        "@context": list(DID_WEB_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "authentication": active_ids,
    }
    if services:
        document["service"] = [_service(did, s) for s in services]
    return document


def _parse_host(host_part: str, did: str) -> tuple[str, int | None]:
    name, sep, port_text = host_part.partition("%3A")
    if not sep:
        name, sep, port_text = host_part.partition("%3a")
    host = name.lower()
    labels = host.split(".")
    dotted = len(labels) >= 2 or host == "localhost"
    if len(host) > 253 or not dotted or not all(_LABEL.fullmatch(x) for x in labels):
        raise DidResolutionError(
            "The did:web host must be a domain name such as example.com.", details={"did": did}
        )
    if labels[-1].isdigit():
        raise DidResolutionError("did:web does not allow IP addresses.", details={"did": did})
    port: int | None = None
    if sep:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536 or port_text[0] == "0":
            raise DidResolutionError("Invalid did:web port.", details={"did": did})
        port = int(port_text)
    return host, port


def _is_dots(segment: str) -> bool:
    """``.``/``..`` (also percent-encoded) or an encoded slash: path traversal."""
    decoded = re.sub("%2[Ee]", ".", segment)
    return decoded in (".", "..") or "%2f" in segment.lower() or "%5c" in segment.lower()


def _service(did: str, service: Mapping[str, Any]) -> dict[str, Any]:
    if not all(k in service for k in ("id", "type", "serviceEndpoint")):
        raise InvalidInput("A service needs 'id', 'type' and 'serviceEndpoint'.")
    out = dict(service)
    if isinstance(out["id"], str) and out["id"].startswith("#"):
        out["id"] = did + out["id"]
    return out


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
