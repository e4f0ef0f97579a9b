"""Which roster column holds what: the column mapping of a bulk job.

A mapping names, for each field, the header of the column that holds it (matched without
regard to case or spacing), and for each of the achievement's result descriptions (by id,
or by name when unambiguous) the column holding the learner's result. As JSON::

    {"recipientEmail": "E-mail", "recipientName": "Student",
     "results": {"urn:uuid:…": "Grade"}, "validUntil": "Expires",
     "identifierType": "studentId", "required": ["recipientName"]}

A row needs a recipient: an e-mail address, an institutional identifier or a DID (several
may be mapped; the DID, then the e-mail address, is the credential's primary recipient).
``required`` lists further fields (or result description ids) a row must fill; mapped
results are required unless ``required`` is given. :func:`suggest_mapping` guesses a mapping
from the headers (used when none is given and none is saved for the achievement).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from openler.core.errors import InvalidInput
from openler.core.model.common import as_list, text_value
from openler.core.model.identity import hashed_identity
from openler.services.bulk.errors import MappingInvalid

__all__ = [
    "FIELDS",
    "RECIPIENT_FIELDS",
    "ColumnMapping",
    "ResolvedMapping",
    "ResultColumn",
    "result_descriptions",
    "suggest_mapping",
]

#: The fields a column can be mapped to, with what they become in the credential.
FIELDS: Final[Mapping[str, str]] = {
    "recipientEmail": "the learner's e-mail address (a salted hash in the credential; the "
    "claim link is sent there)",
    "recipientIdentifier": "an institutional identifier such as a student number (a salted "
    "hash in the credential)",
    "recipientDid": "the learner's DID or other URI (credentialSubject.id)",
    "recipientName": "the learner's name (an IdentityObject of type name, in clear)",
    "evidenceUrl": "a URL of evidence (an Evidence entry)",
    "activityStartDate": "when the learning began (credentialSubject.activityStartDate)",
    "activityEndDate": "when it ended (credentialSubject.activityEndDate)",
    "validUntil": "when the credential expires (validUntil)",
    "narrative": "a narrative for this learner (credentialSubject.narrative, Markdown)",
}
RECIPIENT_FIELDS: Final = ("recipientDid", "recipientEmail", "recipientIdentifier")
_IDENTITY_TYPE = re.compile(r"^(?:[a-z][A-Za-z0-9]{0,63}|ext:[A-Za-z][A-Za-z0-9_-]{0,63})$")

# Header spellings suggest_mapping recognizes (compared as lower-case letters and digits).
_GUESSES: Final[Mapping[str, tuple[str, ...]]] = {
    "recipientEmail": ("email", "emailaddress", "mail", "recipientemail", "studentemail"),
    "recipientIdentifier": (
        "studentid",
        "studentnumber",
        "learnerid",
        "identifier",
        "recipientidentifier",
        "sourcedid",
        "employeeid",
        "memberid",
        "id",
    ),
    "recipientDid": ("did", "recipientdid", "learnerdid"),
    "recipientName": ("name", "fullname", "studentname", "learnername", "recipientname"),
    "evidenceUrl": ("evidence", "evidenceurl", "portfolio", "portfoliourl"),
    "activityStartDate": ("startdate", "activitystartdate", "start", "from"),
    "activityEndDate": (
        "enddate",
        "activityenddate",
        "end",
        "completiondate",
        "completed",
        "to",
    ),
    "validUntil": ("validuntil", "expires", "expiry", "expirydate", "expirationdate"),
    "narrative": ("narrative", "notes", "comment", "comments"),
}


def _identity_type_ok(value: str) -> bool:
    if not _IDENTITY_TYPE.match(value):
        return False
    try:
        hashed_identity(value, "x", "0")
    except InvalidInput:
        return False
    return True


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


@dataclass(frozen=True)
class ColumnMapping:
    """Field -> column header, result description id -> column header."""

    columns: Mapping[str, str] = field(default_factory=dict)
    results: Mapping[str, str] = field(default_factory=dict)
    identifier_type: str = "identifier"
    required: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.columns)
        out["results"] = dict(self.results)
        out["identifierType"] = self.identifier_type
        if self.required is not None:
            out["required"] = list(self.required)
        return out

    @classmethod
    def from_json(cls, data: Any) -> ColumnMapping:
        """A mapping from its JSON form; :class:`MappingInvalid` for anything else."""
        if not isinstance(data, Mapping):
            raise MappingInvalid("A mapping is a JSON object of field names to column headers.")
        columns: dict[str, str] = {}
        results: dict[str, str] = {}
        identifier_type = "identifier"
        required: tuple[str, ...] | None = None
        for name, value in data.items():
            if name == "results":
                if value is None:
                    continue
                if not isinstance(value, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) and v.strip()
                    for k, v in value.items()
                ):
                    raise MappingInvalid(
                        '"results" maps result description ids (or names) to column headers.'
                    )
                results = dict(value)
            elif name == "identifierType":
                if not isinstance(value, str) or not _identity_type_ok(value):
                    raise MappingInvalid(
                        '"identifierType" is an OB 3.0 identifier type (sourcedId, '
                        "identifier …) or an extension term (ext:StudentId).",
                        details={"identifierType": value},
                    )
                identifier_type = value
            elif name == "required":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise MappingInvalid('"required" is a list of field names.')
                required = tuple(value)
            elif name in FIELDS:
                if value is None:
                    continue
                if not isinstance(value, str) or not value.strip():
                    raise MappingInvalid(f'"{name}" names a column header (a string).')
                columns[name] = value
            else:
                known = ", ".join([*FIELDS, "results", "identifierType", "required"])
                raise MappingInvalid(
                    f"Unknown mapping field {name!r}; the fields are: {known}.",
                    details={"field": name},
                )
        return cls(columns, results, identifier_type, required)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """A result description of the achievement and the column holding its values."""

    description: Mapping[str, Any]
    column: int

    @property
    def id(self) -> str:
        return str(self.description["id"])

    @property
    def label(self) -> str:
        return text_value(self.description.get("name")) or self.id


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping applied to a roster's headers: field -> column position."""

    columns: Mapping[str, int]
    results: tuple[ResultColumn, ...]
    identifier_type: str
    #: Fields (and result ids) a row must fill, besides a recipient.
    required: frozenset[str]
    headers: tuple[str, ...]

    def header(self, name: str) -> str:
        """The header of the column mapped to field (or result id) ``name``."""
        if name in self.columns:
            return self.headers[self.columns[name]]
        for result in self.results:
            if result.id == name:
                return self.headers[result.column]
        return name


def result_descriptions(achievement: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The achievement's result descriptions that have an id."""
    return [
        d
        for d in as_list(achievement.get("resultDescription"))
        if isinstance(d, Mapping) and isinstance(d.get("id"), str)
    ]


def _names(node: Mapping[str, Any]) -> list[str]:
    return [t for t in (text_value(v) for v in as_list(node.get("name"))) if t]


def _find_description(
    descriptions: Sequence[Mapping[str, Any]], wanted: str
) -> Mapping[str, Any] | None:
    by_id = [d for d in descriptions if d["id"] == wanted]
    if by_id:
        return by_id[0]
    by_name = [d for d in descriptions if any(_key(n) == _key(wanted) for n in _names(d))]
    return by_name[0] if len(by_name) == 1 else None


def resolve(
    mapping: ColumnMapping, headers: Sequence[str], achievement: Mapping[str, Any]
) -> ResolvedMapping:
    """Apply ``mapping`` to a roster's ``headers`` for ``achievement``; every problem at
    once in one :class:`MappingInvalid` (``details.problems``)."""
    positions = {_key(h): i for i, h in enumerate(headers)}
    problems: list[str] = []

    def column(name: str, header: str) -> int | None:
        position = positions.get(_key(header))
        if position is None:
            problems.append(f"{name}: the roster has no column {header!r}")
        return position

    columns: dict[str, int] = {}
    for name, header in mapping.columns.items():
        position = column(name, header)
        if position is not None:
            columns[name] = position
    if not any(f in mapping.columns for f in RECIPIENT_FIELDS):
        problems.append(
            "map a recipient column: recipientEmail, recipientIdentifier or recipientDid"
        )
    descriptions = result_descriptions(achievement)
    results: list[ResultColumn] = []
    for wanted, header in mapping.results.items():
        description = _find_description(descriptions, wanted)
        if description is None:
            known = ", ".join(repr(_names(d)[0] if _names(d) else d["id"]) for d in descriptions)
            problems.append(
                f"results: the achievement has no result description {wanted!r} "
                f"(it has: {known or 'none'})"
            )
            continue
        if any(r.id == description["id"] for r in results):
            problems.append(f"results: {wanted!r} is mapped twice")
            continue
        position = column(f"results.{wanted}", header)
        if position is not None:
            results.append(ResultColumn(description, position))
    if mapping.required is None:
        required = frozenset(r.id for r in results)
    else:
        mapped = set(columns) | {r.id for r in results}
        for name in mapping.required:
            if name not in mapped:
                problems.append(f"required: {name!r} is not a mapped field")
        required = frozenset(mapping.required)
    if problems:
        raise MappingInvalid(
            "The mapping does not fit the roster: " + "; ".join(problems) + ".",
            details={"problems": problems, "headers": list(headers)},
        )
    return ResolvedMapping(
        columns, tuple(results), mapping.identifier_type, required, tuple(headers)
    )


def suggest_mapping(headers: Sequence[str], achievement: Mapping[str, Any]) -> ColumnMapping:
    """A best guess from the header names (``Email``, ``Student ID``, ``Name``, a result
    description's name …); columns it cannot place are left out."""
    taken: set[int] = set()
    columns: dict[str, str] = {}
    keys = [_key(h) for h in headers]
    for name, spellings in _GUESSES.items():
        for spelling in spellings:
            if spelling in keys and keys.index(spelling) not in taken:
                taken.add(keys.index(spelling))
                columns[name] = headers[keys.index(spelling)]
                break
    results: dict[str, str] = {}
    for description in result_descriptions(achievement):
        for candidate in [*_names(description), str(description["id"])]:
            key = _key(candidate)
            if key in keys and keys.index(key) not in taken:
                taken.add(keys.index(key))
                results[str(description["id"])] = headers[keys.index(key)]
                break
    return ColumnMapping(columns, results)
