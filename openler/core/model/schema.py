"""Validation against the official 1EdTech JSON Schemas bundled with openler.

The schemas (Draft 2019-09) are read from the package's own files; a ``$ref`` or a
declared ``credentialSchema`` is resolved among them only, never fetched. Validators are
built once per schema and cached. A valid document is confirmed by a compiled check
(:mod:`openler.core.model._fastcheck`); the messages of an invalid one come from
``jsonschema``.

The bundled OB 3.0 / CLR 2.0 schemas describe VCDM 2.0 documents. The VCDM 1.1 variants
(``*_anyachievementcredential_schema.json`` …) are not bundled, so for a VCDM 1.1 document
:func:`check_schema` answers *not applicable* rather than *invalid*.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from jsonschema import exceptions as js_exceptions
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from openler.core.errors import SchemaInvalid, SchemaNotBundled
from openler.core.model import _fastcheck
from openler.core.model.common import as_list, types_of, vcdm_version

__all__ = [
    "CLR_CREDENTIAL_SCHEMA",
    "OB_ACHIEVEMENT_CREDENTIAL_SCHEMA",
    "OB_ENDORSEMENT_CREDENTIAL_SCHEMA",
    "OB_PROFILE_SCHEMA",
    "SCHEMA_VALIDATOR_TYPE",
    "DeclaredSchema",
    "SchemaIssue",
    "SchemaStatus",
    "SchemaVerdict",
    "assert_valid_for_signing",
    "bundled_schema",
    "bundled_schema_ids",
    "check_schema",
    "declared_schemas",
    "schema_for_types",
    "validate_against",
    "validate_credential",
]

#: ``credentialSchema.type`` of a 1EdTech JSON Schema declaration.
SCHEMA_VALIDATOR_TYPE: Final = "1EdTechJsonSchemaValidator2019"
_OB: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
_CLR: Final = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/"
OB_ACHIEVEMENT_CREDENTIAL_SCHEMA: Final = _OB + "ob_v3p0_achievementcredential_schema.json"
OB_ENDORSEMENT_CREDENTIAL_SCHEMA: Final = _OB + "ob_v3p0_endorsementcredential_schema.json"
OB_PROFILE_SCHEMA: Final = _OB + "ob_v3p0_profile_schema.json"
CLR_CREDENTIAL_SCHEMA: Final = _CLR + "clr_v2p0_clrcredential_schema.json"

_SCHEMA_DIRS: Final = ("ob-3.0", "clr-2.0", "vcdm-2.0")


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem: ``path`` is a JSON Pointer into the document (``""`` is the root)."""

    path: str
    message: str
    schema_id: str


class SchemaStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class SchemaVerdict:
    """The outcome of :func:`check_schema`. ``notes`` are declarations that could not be
    checked (a schema that is not bundled); they do not make a document invalid."""

    status: SchemaStatus
    schema_ids: tuple[str, ...] = ()
    issues: tuple[SchemaIssue, ...] = ()
    notes: tuple[SchemaIssue, ...] = ()
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True unless the document was checked and found invalid."""
        return self.status is not SchemaStatus.INVALID


@dataclass(frozen=True, slots=True)
class DeclaredSchema:
    """A ``credentialSchema`` entry of type ``1EdTechJsonSchemaValidator2019``;
    ``bundled`` is the bundled file (``"ob-3.0/…json"``) or ``None`` with an ``issue``."""

    schema_id: str
    bundled: str | None
    issue: SchemaIssue | None = field(default=None)


# -- the bundled files -------------------------------------------------------------------


@cache
def _bundle() -> tuple[Mapping[str, Mapping[str, Any]], Mapping[str, str]]:
    """(``$id`` -> schema, ``$id`` -> file) for every bundled schema, read once."""
    root = resources.files("openler.core") / "schemas"
    schemas: dict[str, Mapping[str, Any]] = {}
    files: dict[str, str] = {}
    for folder in _SCHEMA_DIRS:
        for entry in sorted((root / folder).iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".json"):
                continue
            schema = json.loads(entry.read_text(encoding="utf-8"))
            schemas[schema["$id"]] = schema
            files[schema["$id"]] = f"{folder}/{entry.name}"
    return MappingProxyType(schemas), MappingProxyType(files)


def bundled_schema_ids() -> frozenset[str]:
    """The ``$id`` of every bundled schema."""
    return frozenset(_bundle()[0])


def bundled_schema(schema_id: str) -> dict[str, Any]:
    """A copy of the bundled schema with this ``$id``."""
    schemas = _bundle()[0]
    if schema_id not in schemas:
        raise SchemaNotBundled(f"no bundled schema has the $id {schema_id}")
    copied: dict[str, Any] = json.loads(json.dumps(schemas[schema_id]))
    return copied


@cache
def _registry() -> Registry[Any]:
    """The bundled schemas by ``$id``. A Registry built without ``retrieve`` raises
    ``Unresolvable`` for any other URI: nothing is fetched."""
    resources_ = [(sid, Resource.from_contents(s)) for sid, s in _bundle()[0].items()]
    registry: Registry[Any] = Registry()
    return registry.with_resources(resources_)


@cache
def _validator(schema_id: str) -> Validator:
    schema = _bundle()[0][schema_id]
    cls = validator_for(schema)
    return cls(schema, registry=_registry())


@cache
def _fast(schema_id: str) -> Callable[[Any], bool] | None:
    try:
        return _fastcheck.Compiler(_bundle()[0]).compile(schema_id)
    except _fastcheck.Unsupported:
        return None


# -- validation --------------------------------------------------------------------------


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _message(error: js_exceptions.ValidationError) -> str:
    if error.context:
        best = js_exceptions.best_match(error.context)
        where = _pointer(best.absolute_path)
        return f"{error.message} (closest: {best.message}{' at ' + where if where else ''})"
    return str(error.message)


def _plain(value: Any) -> Any:
    """Mappings -> dicts and tuples -> lists, as ``jsonschema``'s type checks expect."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def validate_against(doc: Any, schema_id: str) -> list[SchemaIssue]:
    """Issues of ``doc`` against the bundled schema ``schema_id`` (``[]`` when valid)."""
    if schema_id not in _bundle()[0]:
        raise SchemaNotBundled(f"no bundled schema has the $id {schema_id}")
    # Parsed JSON (dicts all the way down) is used as is; other containers are copied.
    instance = doc if isinstance(doc, dict) else _plain(doc)
    fast = _fast(schema_id)
    if fast is not None and fast(instance):
        return []
    errors = sorted(
        _validator(schema_id).iter_errors(instance),
        key=lambda e: (list(map(str, e.absolute_path)), e.message),
    )
    return [SchemaIssue(_pointer(e.absolute_path), _message(e), schema_id) for e in errors]


def schema_for_types(types: list[str]) -> str | None:
    """The bundled schema for a document with these ``type`` values, if any."""
    if "ClrCredential" in types:
        return CLR_CREDENTIAL_SCHEMA
    if "AchievementCredential" in types or "OpenBadgeCredential" in types:
        return OB_ACHIEVEMENT_CREDENTIAL_SCHEMA
    if "EndorsementCredential" in types:
        return OB_ENDORSEMENT_CREDENTIAL_SCHEMA
    if "Profile" in types and "VerifiableCredential" not in types:
        return OB_PROFILE_SCHEMA
    return None


def declared_schemas(doc: Mapping[str, Any]) -> list[DeclaredSchema]:
    """The ``credentialSchema`` entries of type ``1EdTechJsonSchemaValidator2019``, each
    mapped to its bundled file; an unknown ``id`` gets an issue (nothing is fetched)."""
    out: list[DeclaredSchema] = []
    files = _bundle()[1]
    declared = doc.get("credentialSchema")
    for index, entry in enumerate(as_list(declared)):
        if not isinstance(entry, Mapping):
            continue
        if SCHEMA_VALIDATOR_TYPE not in as_list(entry.get("type")):
            continue
        sid = entry.get("id")
        if isinstance(sid, str) and sid in files:
            out.append(DeclaredSchema(sid, files[sid]))
            continue
        path = f"/credentialSchema/{index}" if isinstance(declared, list) else "/credentialSchema"
        issue = SchemaIssue(
            path + "/id",
            f"declared schema {sid!r} is not bundled with openler; it was not checked "
            "(schemas are never fetched)",
            sid if isinstance(sid, str) else "",
        )
        out.append(DeclaredSchema(sid if isinstance(sid, str) else "", None, issue))
    return out


def check_schema(doc: Any) -> SchemaVerdict:
    """Validate ``doc`` against the schema its ``type`` calls for plus every bundled schema
    it declares. *Not applicable* for VCDM 1.1 documents and for types without a bundled
    schema."""
    if not isinstance(doc, Mapping):
        issue = SchemaIssue("", "a credential must be a JSON object", "")
        return SchemaVerdict(SchemaStatus.INVALID, issues=(issue,))
    types = types_of(doc)
    chosen = schema_for_types(types)
    version = vcdm_version(doc)
    if chosen != OB_PROFILE_SCHEMA and version != "2.0":
        reason = (
            "the bundled schemas describe VCDM 2.0 credentials; the VCDM 1.1 variants are "
            "not available"
            if version == "1.1"
            else "the first @context entry is neither the VCDM 2.0 nor the VCDM 1.1 context"
        )
        return SchemaVerdict(SchemaStatus.NOT_APPLICABLE, reason=reason)
    declared = declared_schemas(doc)
    schema_ids = [chosen] if chosen else []
    schema_ids += [d.schema_id for d in declared if d.bundled and d.schema_id not in schema_ids]
    notes = tuple(d.issue for d in declared if d.issue is not None)
    if not schema_ids:
        return SchemaVerdict(
            SchemaStatus.NOT_APPLICABLE,
            notes=notes,
            reason=f"no bundled schema for type {types!r}",
        )
    issues = tuple(i for sid in schema_ids for i in validate_against(doc, sid))
    status = SchemaStatus.INVALID if issues else SchemaStatus.VALID
    return SchemaVerdict(status, tuple(schema_ids), issues, notes)


def validate_credential(doc: Any) -> list[SchemaIssue]:
    """The schema issues of ``doc`` (see :func:`check_schema`); ``[]`` when it is valid
    *or* when no bundled schema applies — use :func:`check_schema` to tell them apart."""
    return list(check_schema(doc).issues)


def assert_valid_for_signing(doc: Any, *, max_issues: int = 5) -> None:
    """Raise :class:`SchemaInvalid` unless ``doc`` passes the bundled schema(s) for its type.
    A document no bundled schema applies to is refused too: openler signs only what it
    can check."""
    verdict = check_schema(doc)
    if verdict.status is SchemaStatus.VALID:
        return
    if verdict.status is SchemaStatus.NOT_APPLICABLE:
        raise SchemaInvalid(
            f"cannot check this document against a schema before signing: {verdict.reason}",
            details={"reason": verdict.reason},
        )
    shown = verdict.issues[:max_issues]
    listed = "; ".join(f"{i.path or '/'}: {i.message}" for i in shown)
    more = len(verdict.issues) - len(shown)
    suffix = f" (and {more} more)" if more > 0 else ""
    raise SchemaInvalid(
        f"the document does not match its JSON Schema: {listed}{suffix}",
        details={
            "schemas": list(verdict.schema_ids),
            "issues": [{"path": i.path, "message": i.message} for i in shown],
            "count": len(verdict.issues),
        },
    )
