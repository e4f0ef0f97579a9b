"""Reading credentials: VCDM 2.0 and VCDM 1.1, OB 3.0 / CLR 2.0 / Endorsement / any VC.

:func:`parse_credential` checks the shape of a credential (the VCDM rules: base context
first, ``type``, ``issuer``, ``credentialSubject``, date-time stamps), picks the typed
model from ``type`` and returns a :class:`ParsedCredential` holding both the model and an
untouched copy of the JSON. Bad input raises :class:`~openler.core.errors.InvalidInput`
(or a subclass) with a message naming the property at fault.

:func:`check_limits` is the cheap size guard (nesting depth, number of values) to run on
any untrusted JSON before deeper work; :func:`load_json` parses JSON text safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import ValidationError

from openler.core.errors import InvalidInput
from openler.core.limits import Limits, check_shape_limits, parse_json
from openler.core.model.clr2 import ClrCredential
from openler.core.model.common import (
    LENIENT,
    NAIVE_AS_UTC,
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    VcdmVersion,
    as_list,
    json_copy,
    parse_date_time,
    vcdm_version,
)
from openler.core.model.ob3 import AchievementCredential, EndorsementCredential
from openler.core.model.vc import VerifiableCredential

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "CredentialKind",
    "CredentialModel",
    "ParsedCredential",
    "check_limits",
    "credential_kind",
    "load_json",
    "parse_credential",
]

DEFAULT_MAX_DEPTH: Final = 64
DEFAULT_MAX_NODES: Final = 100_000
DEFAULT_MAX_BYTES: Final = 4 * 1024 * 1024

CredentialKind = Literal["achievement", "endorsement", "clr", "generic"]
CredentialModel = (
    AchievementCredential | EndorsementCredential | ClrCredential | VerifiableCredential
)

_MODELS: Final[Mapping[str, type[CredentialModel]]] = {
    "achievement": AchievementCredential,
    "endorsement": EndorsementCredential,
    "clr": ClrCredential,
    "generic": VerifiableCredential,
}


@dataclass(frozen=True, slots=True)
class ParsedCredential:
    """A credential read by :func:`parse_credential`.

    ``document`` is a plain-JSON copy of the input exactly as given (same keys, order and
    shapes — sign and hash *this*, never a re-serialized model); ``model`` is the typed,
    normalized view. Treat ``document`` as read-only; :meth:`to_json` hands out a copy.

    ``declared_kind`` follows ``type``; ``kind`` is the model actually used. They differ
    only when a non-strict parse found the document unfit for its typed model (an OB
    credential without ``achievement``, say): ``model`` is then the generic
    :class:`VerifiableCredential` and ``model_error`` says why.
    """

    document: dict[str, Any]
    model: CredentialModel
    kind: CredentialKind
    declared_kind: CredentialKind
    model_error: str | None
    vcdm_version: VcdmVersion
    types: tuple[str, ...]
    issuer_id: str
    subject_ids: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None

    def to_json(self, *, normalized: bool = False) -> dict[str, Any]:
        """The original JSON (a fresh copy), or with ``normalized`` the model's form
        (arrays everywhere the spec has arrays)."""
        if normalized:
            return self.model.to_json_dict()
        copied: dict[str, Any] = json_copy(self.document, "")
        return copied


# -- limits and plain JSON ----------------------------------------------------------------


def check_limits(
    obj: Any, max_depth: int = DEFAULT_MAX_DEPTH, max_nodes: int = DEFAULT_MAX_NODES
) -> None:
    """Raise :class:`InputTooLarge` when ``obj`` nests objects/arrays deeper than
    ``max_depth`` or holds more than ``max_nodes`` values (see
    :func:`openler.core.limits.check_shape_limits`, which this delegates to)."""
    check_shape_limits(obj, Limits(max_depth=max_depth, max_values=max_nodes))


def load_json(
    text: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Any:
    """Parse JSON text: :class:`InputTooLarge` over ``max_bytes`` or the structure limits,
    :class:`MalformedJson` for invalid JSON, ``NaN``/``Infinity`` or a duplicated key (an
    ambiguity different parsers resolve differently). See
    :func:`openler.core.limits.parse_json`."""
    return parse_json(text, Limits(max_bytes=max_bytes, max_depth=max_depth, max_values=max_nodes))


# -- shape checks with clear messages ----------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def credential_kind(types: list[str]) -> CredentialKind:
    """Which model a credential with these ``type`` values is read with."""
    if "ClrCredential" in types:
        return "clr"
    if "AchievementCredential" in types or "OpenBadgeCredential" in types:
        return "achievement"
    if "EndorsementCredential" in types:
        return "endorsement"
    return "generic"


def _check_envelope(doc: Mapping[str, Any]) -> tuple[VcdmVersion, list[str]]:
    if "@context" not in doc:
        raise InvalidInput("@context is missing")
    version = vcdm_version(doc)
    if version is None:
        raise InvalidInput(
            f"the first @context entry must be {VC_V2_CONTEXT} (VCDM 2.0) "
            f"or {VC_V1_CONTEXT} (VCDM 1.1)"
        )
    if "type" not in doc:
        raise InvalidInput("type is missing")
    raw_types = doc["type"]
    types = as_list(raw_types)
    if not types or not all(isinstance(t, str) for t in types):
        raise InvalidInput("type must be a string or a non-empty array of strings")
    if "VerifiableCredential" not in types:
        raise InvalidInput('type must include "VerifiableCredential"')
    if "issuer" not in doc:
        raise InvalidInput("issuer is missing")
    issuer = doc["issuer"]
    if isinstance(issuer, Mapping):
        if not isinstance(issuer.get("id"), str) or not issuer["id"]:
            raise InvalidInput("issuer is an object without a string id")
    elif not isinstance(issuer, str) or not issuer:
        raise InvalidInput(
            f"issuer must be a URL string or an object with an id, got {_json_type(issuer)}"
        )
    if "credentialSubject" not in doc:
        raise InvalidInput("credentialSubject is missing")
    subjects = doc["credentialSubject"]
    if isinstance(subjects, list):
        if not subjects:
            raise InvalidInput("credentialSubject is an empty array")
        bad = [_json_type(s) for s in subjects if not isinstance(s, Mapping)]
        if bad:
            raise InvalidInput(f"credentialSubject must hold objects, found a {bad[0]}")
    elif not isinstance(subjects, Mapping):
        raise InvalidInput(
            "credentialSubject must be an object or an array of objects, "
            f"got {_json_type(subjects)}"
        )
    return version, [str(t) for t in types]


def _date(doc: Mapping[str, Any], name: str, naive_as_utc: bool) -> datetime | None:
    if name not in doc:
        return None
    try:
        return parse_date_time(doc[name], naive_as_utc=naive_as_utc)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc.message}") from None


def _json_path(doc: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON path into the document (union tags dropped)."""
    parts: list[str] = []
    node = doc
    for item in loc:
        if isinstance(node, Mapping) and isinstance(item, str) and item in node:
            node = node[item]
            parts.append(item)
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            node = node[item]
            parts.append(str(item))
        elif isinstance(item, str) and not isinstance(node, Mapping | list):
            continue  # a union member name such as "str" or "Profile"
        elif isinstance(node, Mapping) and isinstance(item, str) and item[:1].islower():
            parts.append(item)  # a missing property
            node = None
    return ".".join(parts) or "(root)"


def _explain(doc: Any, error: ValidationError, limit: int = 3) -> str:
    seen: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        path = _json_path(doc, detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        seen.setdefault(path, message)
    shown = list(seen.items())[:limit]
    text = "; ".join(f"{path}: {message}" for path, message in shown)
    more = len(seen) - len(shown)
    return text + (f" (and {more} more)" if more > 0 else "")


def _typed_model(
    document: dict[str, Any], kind: CredentialKind, strict: bool, naive_as_utc: bool
) -> tuple[CredentialModel, CredentialKind, str | None]:
    context = {LENIENT: not strict, NAIVE_AS_UTC: naive_as_utc}
    cls = _MODELS[kind]
    try:
        model = cls.model_validate(document, context=context, by_alias=True, by_name=False)
        return model, kind, None
    except ValidationError as exc:
        error = f"not a valid {cls.__name__}: {_explain(document, exc)}"
        if strict or kind == "generic":
            raise InvalidInput(error) from None
    try:
        generic = VerifiableCredential.model_validate(
            document, context=context, by_alias=True, by_name=False
        )
    except ValidationError as exc:
        raise InvalidInput(f"not a valid VerifiableCredential: {_explain(document, exc)}") from None
    return generic, "generic", error


# -- the entry point ---------------------------------------------------------------------


def parse_credential(
    doc: Mapping[str, Any],
    *,
    strict: bool = False,
    naive_as_utc: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ParsedCredential:
    """Read a VCDM 2.0 or 1.1 credential (OB 3.0 AchievementCredential/OpenBadgeCredential,
    EndorsementCredential, CLR 2.0 ClrCredential, or any other VC).

    By default the reading is lenient where the spec's rules do not stop a credential from
    being read (terms outside the enumerations, an OB credential unfit for its typed model:
    see :class:`ParsedCredential`) — the JSON Schema check reports those. ``strict`` makes
    them errors. ``naive_as_utc`` reads a date-time without offset as UTC instead of
    rejecting it. The input is not modified.
    """
    if not isinstance(doc, Mapping):
        raise InvalidInput(f"a credential must be a JSON object, got {_json_type(doc)}")
    check_limits(doc, max_depth, max_nodes)
    document: dict[str, Any] = json_copy(doc, "")
    version, types = _check_envelope(document)
    if version == "2.0":
        valid_from = _date(document, "validFrom", naive_as_utc)
        valid_until = _date(document, "validUntil", naive_as_utc)
    else:
        if "issuanceDate" not in document:
            raise InvalidInput("issuanceDate is missing (required by VCDM 1.1)")
        valid_from = _date(document, "issuanceDate", naive_as_utc)
        valid_until = _date(document, "expirationDate", naive_as_utc)
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput("the credential ceases to be valid before it becomes valid")
    declared_kind = credential_kind(types)
    model, kind, model_error = _typed_model(document, declared_kind, strict, naive_as_utc)
    issuer = document["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, Mapping) else issuer
    subject_ids = tuple(
        s["id"] for s in as_list(document["credentialSubject"]) if isinstance(s.get("id"), str)
    )
    return ParsedCredential(
        document=document,
        model=model,
        kind=kind,
        declared_kind=declared_kind,
        model_error=model_error,
        vcdm_version=version,
        types=tuple(types),
        issuer_id=issuer_id,
        subject_ids=subject_ids,
        valid_from=valid_from,
        valid_until=valid_until,
    )
