"""Build an unsigned Open Badges 3.0 credential from the ``openler issue`` options.

The credential itself is made, and checked against the typed model and the bundled JSON
Schema, by :func:`openler.core.model.builders.build_achievement_credential`; hashed
identities by :func:`openler.core.model.identity.hashed_identity`. What is left here is
the command line's part: reading ``--recipient``, ``--result`` and the achievement file.

Recipient (``--recipient``), as Open Badges 3.0 allows:

* a DID (``did:…``), a URN (``urn:…``) or an ``http(s)://`` URL becomes
  ``credentialSubject.id``;
* an email address (``ada@example.org`` or ``mailto:ada@example.org``) becomes a hashed
  ``IdentityObject`` with ``identityType`` ``emailAddress``: the address is trimmed and
  lower-cased, then ``identityHash`` = ``"sha256$" + hex(sha256(address + salt))`` with a
  fresh random ``salt`` (OB 3.0 §B.1.9), so the credential does not reveal the address
  but whoever knows it can check it;
* anything else (a student number, a user name) is hashed the same way (trimmed, case
  kept) with ``identityType`` ``identifier``, or the type named by ``--recipient-type``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openler.cli._common import CliError
from openler.core.errors import InvalidInput, SchemaInvalid
from openler.core.model.builders import build_achievement_credential
from openler.core.model.common import as_list, text_value
from openler.core.model.identity import hashed_identity
from openler.core.model.ob3 import IdentityObject
from openler.core.model.vocab import IdentifierType

__all__ = ["build_credential", "build_results", "recipient_subject"]

_OB3_CONTEXTS = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.0\.\d+)?\.json")
_DID = re.compile(r"did:[a-z0-9]+:\S+")
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s/]+\S*", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@:/<>]+@[^\s@/<>]+\.[^\s@/<>]+")


# -- recipient -----------------------------------------------------------------------


def recipient_subject(recipient: str, identity_type: str | None = None) -> str | IdentityObject:
    """The subject id, or a salted, hashed ``IdentityObject``, for ``--recipient``."""
    text = recipient.strip()
    if not text:
        raise CliError("--recipient must not be empty.", "invalid_recipient")
    email = text[len("mailto:") :] if text.lower().startswith("mailto:") else text
    if _EMAIL.fullmatch(email) and identity_type in (None, "emailAddress"):
        return _hashed("emailAddress", email.lower())
    if identity_type is None and any(p.fullmatch(text) for p in (_DID, _URN, _URL)):
        return text
    return _hashed(identity_type or "identifier", text)


def _hashed(identity_type: str, value: str) -> IdentityObject:
    try:
        return hashed_identity(identity_type, value, secrets.token_hex(16))
    except InvalidInput:  # the only field that can be wrong is the identity type
        known = ", ".join(sorted(t.value for t in IdentifierType))
        raise CliError(
            f"--recipient-type {identity_type!r} is not an OB 3.0 identifier type "
            f"({known}) nor an extension term such as ext:StudentId.",
            "invalid_recipient",
        ) from None


# -- results -------------------------------------------------------------------------


def _texts(value: Any) -> list[str]:
    """Every string of a text property (plain strings and language value objects)."""
    return [t for t in (text_value(item) for item in as_list(value)) if t is not None]


def _names(node: Mapping[str, Any]) -> list[str]:
    return _texts(node.get("name"))


def _label(node: Mapping[str, Any]) -> str:
    return text_value(node.get("name")) or str(node.get("id"))


def _find_description(descriptions: list[Mapping[str, Any]], key: str) -> Mapping[str, Any]:
    wanted = key.strip()
    by_id = [d for d in descriptions if d.get("id") == wanted]
    by_name = [d for d in descriptions if any(n.casefold() == wanted.casefold() for n in _names(d))]
    found = by_id or by_name
    if len(found) == 1:
        return found[0]
    known = ", ".join(repr(_label(d)) for d in descriptions) or "none"
    if not found:
        raise CliError(
            f"--result {key!r}: the achievement has no resultDescription with that name or id "
            f"(it has: {known}).",
            "invalid_result",
        )
    raise CliError(
        f"--result {key!r} matches several resultDescriptions; use its id.", "invalid_result"
    )


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _result(description: Mapping[str, Any], value: str) -> dict[str, Any]:
    label = _label(description)
    result: dict[str, Any] = {"type": ["Result"], "resultDescription": description["id"]}
    levels = [
        lv
        for lv in as_list(description.get("rubricCriterionLevel"))
        if isinstance(lv, Mapping) and isinstance(lv.get("id"), str)
    ]
    if levels:
        match = [
            lv
            for lv in levels
            if lv["id"] == value
            or any(n.casefold() == value.strip().casefold() for n in _names(lv))
        ]
        if not match:
            names = ", ".join(repr(_label(lv)) for lv in levels)
            raise CliError(
                f"--result {label}: {value!r} is not one of its rubric levels ({names}).",
                "invalid_result",
            )
        result["achievedLevel"] = match[0]["id"]
        return result
    allowed = [a for a in _texts(description.get("allowedValue")) if a]
    if allowed:
        exact = [a for a in allowed if a == value] or [
            a for a in allowed if a.casefold() == value.strip().casefold()
        ]
        if not exact:
            raise CliError(
                f"--result {label}: {value!r} is not an allowed value ({', '.join(allowed)}).",
                "invalid_result",
            )
        value = exact[0]
    low, high = description.get("valueMin"), description.get("valueMax")
    bounds = [(_number(b) if isinstance(b, str) else None) for b in (low, high)]
    if any(b is not None for b in bounds):
        number = _number(value)
        if number is None:
            raise CliError(f"--result {label}: {value!r} is not a number.", "invalid_result")
        if (bounds[0] is not None and number < bounds[0]) or (
            bounds[1] is not None and number > bounds[1]
        ):
            raise CliError(
                f"--result {label}: {value} is outside {low or '…'} to {high or '…'}.",
                "invalid_result",
            )
    result["value"] = value
    return result


def build_results(achievement: Mapping[str, Any], specs: Sequence[str]) -> list[dict[str, Any]]:
    """One ``Result`` per ``--result NAME_OR_ID=VALUE`` (or plain ``VALUE`` when the
    achievement has exactly one resultDescription)."""
    descriptions = [
        d
        for d in as_list(achievement.get("resultDescription"))
        if isinstance(d, Mapping) and isinstance(d.get("id"), str)
    ]
    results: list[dict[str, Any]] = []
    used: set[str] = set()
    for spec in specs:
        if "=" in spec:
            key, value = spec.split("=", 1)
            description = _find_description(descriptions, key)
        elif len(descriptions) == 1:
            description, value = descriptions[0], spec
        else:
            raise CliError(
                f"--result {spec!r}: write NAME=VALUE, since the achievement has "
                f"{len(descriptions)} resultDescriptions, not exactly one.",
                "invalid_result",
            )
        if not value.strip():
            raise CliError(f"--result {spec!r} has no value.", "invalid_result")
        if description["id"] in used:
            raise CliError(f"--result {_label(description)} is given twice.", "invalid_result")
        used.add(description["id"])
        results.append(_result(description, value))
    return results


# -- credential ----------------------------------------------------------------------


def _check_achievement(achievement: Mapping[str, Any]) -> None:
    types = as_list(achievement.get("type"))
    if "Achievement" in types:
        return
    if any(
        t in types for t in ("OpenBadgeCredential", "AchievementCredential", "VerifiableCredential")
    ):
        raise CliError(
            "--achievement names a credential; give the Achievement object "
            "(credentialSubject.achievement) instead.",
            "invalid_achievement",
        )
    raise CliError(
        '--achievement must be an Open Badges 3.0 Achievement ("type": ["Achievement"]).',
        "invalid_achievement",
    )


def build_credential(
    achievement: Mapping[str, Any],
    *,
    issuer_id: str,
    subject: str | IdentityObject,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    issuer_name: str | None = None,
    results: Sequence[Mapping[str, Any]] = (),
    status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` (VC Data Model 2.0) awarding ``achievement``.

    An achievement file may carry its own ``@context``: it moves to the credential's
    (another version of the OB 3.0 context is dropped for the builder's)."""
    _check_achievement(achievement)
    if valid_until is not None and valid_until <= valid_from:
        raise CliError("--valid-until must be later than --valid-from.", "invalid_input")
    embedded = dict(achievement)
    contexts = [
        c
        for c in as_list(embedded.pop("@context", None))
        if not (isinstance(c, str) and _OB3_CONTEXTS.fullmatch(c))
    ]
    issuer: dict[str, Any] = {"id": issuer_id, "type": ["Profile"]}
    if issuer_name:
        issuer["name"] = issuer_name
    try:
        return build_achievement_credential(
            credential_id=credential_id,
            issuer=issuer,
            achievement=embedded,
            subject=subject,
            valid_from=valid_from,
            valid_until=valid_until,
            results=results,
            credential_status=status,
            extra_contexts=contexts,
            credential_schema=False,
        )
    except InvalidInput as exc:
        if type(exc) is not InvalidInput:  # SchemaInvalid, MalformedJson … as they are
            raise
        # Everything but the achievement file is built above, so the typed model can only
        # be refusing the achievement: report that as schema_invalid, the code `openler
        # issue` gave it before the builder checked the model ahead of the JSON Schema.
        raise SchemaInvalid(exc.message, details=exc.details) from None
