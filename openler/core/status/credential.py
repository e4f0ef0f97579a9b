"""Status list credentials and entries: build them, and read one credential's status.

Specs: W3C Bitstring Status List v1.0 (REC, 2025-05-15), its predecessor StatusList2021
(CCG / 2023 FPWD), and the 1EdTech Revocation List Status Method 1.0 (VCRL) that Open Badges
3.0 and CLR 2.0 reference as ``1EdTechRevocationList``.

Reading a status here checks the list's *shape* against the entry (types, purpose, index,
length). It does not verify the list credential's proof, its issuer or its validity
window: the verifier does those before trusting a :class:`StatusReading`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from openler.core.errors import (
    InvalidInput,
    StatusListCredentialMismatch,
    StatusListError,
    StatusListIndexOutOfRange,
    StatusListMalformed,
    StatusListTooShort,
    StatusListTypeMismatch,
    StatusPurposeMismatch,
    UnsupportedStatusType,
)
from openler.core.status.bitstring import MAX_STATUS_SIZE, MIN_LENGTH, Bitstring

__all__ = [
    "ListType",
    "StatusPurpose",
    "StatusReading",
    "build_status_list_credential",
    "read_status",
    "status_entry",
]

StatusPurpose = Literal["revocation", "suspension", "refresh", "message"]
ListType = Literal["BitstringStatusList", "StatusList2021", "1EdTechRevocationList"]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_PURPOSES: frozenset[str] = frozenset(get_args(StatusPurpose))
_MAX_INDEX_DIGITS = 20
_DIGITS = re.compile(r"[0-9]+")
_HEX_STATUS = re.compile(r"0[xX][0-9a-fA-F]+")


@dataclass(frozen=True, slots=True)
class _Kind:
    list_type: ListType
    entry_type: str
    credential_type: str
    subject_type: str
    legacy: bool


_BITSTRING = _Kind(
    "BitstringStatusList",
    "BitstringStatusListEntry",
    "BitstringStatusListCredential",
    "BitstringStatusList",
    legacy=False,
)
_SL2021 = _Kind(
    "StatusList2021", "StatusList2021Entry", "StatusList2021Credential", "StatusList2021", True
)
_REVOCATION_LIST_TYPE = "1EdTechRevocationList"
_KINDS = {k.entry_type: k for k in (_BITSTRING, _SL2021)}


@dataclass(frozen=True, slots=True)
class StatusReading:
    """What a status list says about one credential.

    ``value`` is the raw status (0 or 1 for one-bit lists); ``set`` is ``value != 0``.
    ``index`` is ``None`` for a 1EdTech revocation list, which lists credential ids.
    ``message`` is the entry's ``statusMessage`` for the value, else ``"set"``/``"unset"``
    (Bitstring Status List), the ``revocationReason`` (1EdTech), or ``None``.
    ``list_id_matches`` tells whether the entry's ``statusListCredential`` (or, for 1EdTech,
    its ``id``) equals the list document's ``id``; the spec only says it MAY, and the 1EdTech
    validator's own vector does not, so a mismatch is reported, not raised, unless asked.
    """

    purpose: str
    index: int | None
    value: int
    set: bool
    list_type: ListType
    message: str | None
    status_size: int = 1
    list_id_matches: bool = True


# -- building --------------------------------------------------------------------------


def _format_datetime(value: datetime, name: str) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime.")
    value = value.astimezone(UTC)
    spec = "microseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=spec).replace("+00:00", "Z")


def build_status_list_credential(
    *,
    list_id: str,
    issuer: str | Mapping[str, Any],
    purpose: StatusPurpose,
    bitstring: Bitstring,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` (VC Data Model 2.0) for ``bitstring``.

    ``credentialSubject.id`` is ``list_id + "#list"``. Sign the result with a proof before
    publishing it at ``list_id``. The credentials v2 context defines every term used.
    """
    if not isinstance(list_id, str) or ":" not in list_id or "#" in list_id:
        raise InvalidInput("list_id must be an absolute URL without a fragment.")
    if isinstance(issuer, str):
        if not issuer:
            raise InvalidInput("issuer must not be empty.")
        issuer_value: str | dict[str, Any] = issuer
    elif isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str) and issuer["id"]:
        issuer_value = dict(issuer)
    else:
        raise InvalidInput("issuer must be a URL or an object with an 'id'.")
    if purpose not in _PURPOSES:
        raise InvalidInput(
            f"purpose must be one of {sorted(_PURPOSES)}, not {purpose!r}.",
            details={"purpose": purpose},
        )
    if not isinstance(bitstring, Bitstring):
        raise InvalidInput("bitstring must be a Bitstring.")
    if bitstring.length < MIN_LENGTH:
        raise StatusListTooShort(
            f"A published status list needs at least {MIN_LENGTH} entries "
            f"(this one has {bitstring.length}).",
            details={"length": bitstring.length, "minimum": MIN_LENGTH},
        )
    subject: dict[str, Any] = {
        "id": f"{list_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise InvalidInput("ttl_ms must be a non-negative integer of milliseconds.")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_value,
        "validFrom": _format_datetime(valid_from, "valid_from"),
    }
    if valid_until is not None:
        until = _format_datetime(valid_until, "valid_until")
        if valid_until <= valid_from:
            raise InvalidInput("valid_until must be later than valid_from.")
        credential["validUntil"] = until
    credential["credentialSubject"] = subject
    return credential


def status_entry(
    list_credential_url: str,
    index: int,
    purpose: StatusPurpose,
    *,
    status_size: int = 1,
    status_messages: Sequence[str] | None = None,
    status_reference: str | None = None,
) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for a credential's ``credentialStatus``.

    ``statusListIndex`` is written as a base-10 string, as the spec requires.
    ``status_messages[v]`` is the message for status value ``v``; it is required when
    ``status_size`` is more than 1 and must then have ``2 ** status_size`` items.
    """
    if not isinstance(list_credential_url, str) or ":" not in list_credential_url:
        raise InvalidInput("list_credential_url must be an absolute URL.")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InvalidInput(f"index must be a non-negative integer, not {index!r}.")
    if purpose not in _PURPOSES:
        raise InvalidInput(f"purpose must be one of {sorted(_PURPOSES)}, not {purpose!r}.")
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        raise InvalidInput("status_size must be an integer.")
    if not 1 <= status_size <= MAX_STATUS_SIZE:
        raise InvalidInput(f"status_size must be from 1 to {MAX_STATUS_SIZE}.")
    entry: dict[str, Any] = {
        "id": f"{list_credential_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_url,
    }
    if status_size != 1:
        entry["statusSize"] = status_size
    if status_messages is None:
        if status_size > 1:
            raise InvalidInput("status_messages are required when status_size is more than 1.")
    else:
        messages = list(status_messages)
        if len(messages) != 1 << status_size or not all(isinstance(m, str) for m in messages):
            raise InvalidInput(
                f"status_messages must be {1 << status_size} strings, one per status value."
            )
        entry["statusMessage"] = [
            {"status": hex(value), "message": message} for value, message in enumerate(messages)
        ]
    if status_reference is not None:
        entry["statusReference"] = status_reference
    return entry


# -- reading ---------------------------------------------------------------------------


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def _parse_index(raw: Any) -> int:
    if isinstance(raw, bool):
        raise StatusListMalformed("statusListIndex must be an integer, not a boolean.")
    if isinstance(raw, int):
        if raw < 0:
            raise StatusListIndexOutOfRange(
                f"statusListIndex {raw} is negative.", details={"index": raw}
            )
        return raw
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        if len(raw) > _MAX_INDEX_DIGITS:
            raise StatusListIndexOutOfRange(
                "statusListIndex is larger than any status list.", details={"index": raw[:32]}
            )
        return int(raw)
    raise StatusListMalformed(
        'statusListIndex must be a non-negative base-10 integer (a string such as "94567").',
        details={"index": repr(raw)[:64]},
    )


def _parse_status_size(entry: Mapping[str, Any], subject: Mapping[str, Any]) -> int:
    raw = entry.get("statusSize", subject.get("statusSize", 1))
    if isinstance(raw, str) and _DIGITS.fullmatch(raw) and len(raw) < 4:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_STATUS_SIZE:
        raise StatusListMalformed(
            f"statusSize must be an integer from 1 to {MAX_STATUS_SIZE}.",
            details={"status_size": repr(raw)[:64]},
        )
    return raw


def _message_for(entry: Mapping[str, Any], status_size: int, value: int) -> str | None:
    raw = entry.get("statusMessage")
    if raw is None:
        if status_size > 1:
            raise StatusListMalformed("statusMessage is required when statusSize is more than 1.")
        return "set" if value else "unset"
    if not isinstance(raw, list) or len(raw) != 1 << status_size:
        raise StatusListMalformed(
            f"statusMessage must be an array of {1 << status_size} items for statusSize "
            f"{status_size}."
        )
    found: str | None = None
    for item in raw:
        if not (
            isinstance(item, Mapping)
            and isinstance(item.get("status"), str)
            and _HEX_STATUS.fullmatch(item["status"])
            and isinstance(item.get("message"), str)
        ):
            raise StatusListMalformed(
                'Each statusMessage item needs a "status" such as "0x1" and a "message" string.'
            )
        if int(item["status"], 16) == value:
            found = item["message"]
    return found


def _subject(list_credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = list_credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise StatusListMalformed("The status list credential needs one credentialSubject object.")
    return subject


def read_status(
    entry: Mapping[str, Any],
    list_credential: Mapping[str, Any],
    *,
    credential_id: str | None = None,
    min_entries: int = MIN_LENGTH,
    require_matching_id: bool = False,
) -> StatusReading:
    """Reads the status that ``list_credential`` gives the credential holding ``entry``.

    ``entry`` is one ``credentialStatus`` object: a ``BitstringStatusListEntry``, a
    ``StatusList2021Entry`` or a ``1EdTechRevocationList`` (which then needs the credential's
    own ``credential_id``). ``list_credential`` is the parsed document the entry points to.
    ``min_entries`` is the spec's minimumNumberOfEntries (131,072 unless an ecosystem sets a
    lower bound; Digital Credentials Consortium lists have 100,000). With
    ``require_matching_id`` a list whose ``id`` differs from the entry's URL is refused.

    Raises a :class:`StatusListError` subclass: ``unsupported_status_type``,
    ``status_list_type_mismatch``, ``status_purpose_mismatch``, ``status_list_malformed``,
    ``status_list_too_large``, ``status_list_too_short``, ``status_index_out_of_range`` or
    ``status_list_credential_mismatch``.
    """
    if not isinstance(entry, Mapping) or not isinstance(list_credential, Mapping):
        raise StatusListMalformed("The status entry and the status list must be JSON objects.")
    entry_types = _types(entry.get("type"))
    if _REVOCATION_LIST_TYPE in entry_types:
        return _read_revocation_list(entry, list_credential, credential_id, require_matching_id)
    kind = next((_KINDS[t] for t in entry_types if t in _KINDS), None)
    if kind is None:
        raise UnsupportedStatusType(
            f"credentialStatus type {entry.get('type')!r} is not supported "
            "(BitstringStatusListEntry, StatusList2021Entry or 1EdTechRevocationList).",
            details={"type": repr(entry.get("type"))[:128]},
        )

    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        raise StatusListMalformed(f"{kind.entry_type} needs a statusListCredential URL.")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListMalformed(f"{kind.entry_type} needs a statusPurpose string.")
    index = _parse_index(entry.get("statusListIndex"))

    list_types = _types(list_credential.get("type"))
    if kind.credential_type not in list_types:
        raise StatusListTypeMismatch(
            f"A {kind.entry_type} must point to a {kind.credential_type}; the list's type is "
            f"{list_credential.get('type')!r}.",
            details={"expected": kind.credential_type, "type": repr(list_credential.get("type"))},
        )
    subject = _subject(list_credential)
    if kind.subject_type not in _types(subject.get("type")):
        raise StatusListTypeMismatch(
            f"The list's credentialSubject must have type {kind.subject_type}.",
            details={"expected": kind.subject_type, "type": repr(subject.get("type"))},
        )
    list_purposes = _types(subject.get("statusPurpose"))
    if not list_purposes:
        raise StatusListMalformed("The list's credentialSubject needs a statusPurpose.")
    if purpose not in list_purposes:
        raise StatusPurposeMismatch(
            f"The entry's statusPurpose {purpose!r} is not a purpose of the list "
            f"({', '.join(list_purposes)}).",
            details={"entry": purpose, "list": list_purposes},
        )

    list_id = list_credential.get("id")
    id_matches = isinstance(list_id, str) and list_id == url
    if require_matching_id and not id_matches:
        raise StatusListCredentialMismatch(
            f"The entry points to {url!r} but the list credential's id is {list_id!r}.",
            details={"statusListCredential": url, "id": repr(list_id)},
        )

    status_size = _parse_status_size(entry, subject)
    if kind.legacy and status_size != 1:
        raise StatusListMalformed("StatusList2021 entries are one bit each.")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusListMalformed("The list's credentialSubject needs an encodedList string.")
    bits = Bitstring.decode(encoded, legacy=kind.legacy, status_size=status_size)
    if bits.length < min_entries:
        raise StatusListTooShort(
            f"The status list has {bits.length} entries, fewer than the minimum of "
            f"{min_entries} (STATUS_LIST_LENGTH_ERROR).",
            details={"length": bits.length, "minimum": min_entries},
        )
    if index >= bits.length:
        raise StatusListIndexOutOfRange(
            f"statusListIndex {index} is outside the list of {bits.length} entries.",
            details={"index": index, "length": bits.length},
        )
    value = bits.get(index)
    message = None if kind.legacy else _message_for(entry, status_size, value)
    return StatusReading(
        purpose=purpose,
        index=index,
        value=value,
        set=value != 0,
        list_type=kind.list_type,
        message=message,
        status_size=status_size,
        list_id_matches=id_matches,
    )


def _read_revocation_list(
    entry: Mapping[str, Any],
    document: Mapping[str, Any],
    credential_id: str | None,
    require_matching_id: bool,
) -> StatusReading:
    """1EdTech Revocation List Status Method: ``revokedCredential`` is an array of
    ``{"id": <credential id>, "revoked": <bool, default true>, "revocationReason": ...}``;
    a credential is revoked when its id is listed and ``revoked`` is true or absent."""
    if not isinstance(credential_id, str) or not credential_id:
        raise StatusListError(
            "A 1EdTechRevocationList lists credential ids: pass the credential's id as "
            "credential_id to read it."
        )
    url = entry.get("id")
    if not isinstance(url, str) or not url:
        raise StatusListMalformed("A 1EdTechRevocationList entry needs the list's URL as id.")
    list_types = _types(document.get("type"))
    if any(t in list_types for t in ("BitstringStatusListCredential", "StatusList2021Credential")):
        raise StatusListTypeMismatch(
            "A 1EdTechRevocationList entry points to a bitstring status list credential.",
            details={"type": repr(document.get("type"))},
        )
    list_id = document.get("id")
    id_matches = isinstance(list_id, str) and list_id == url
    if require_matching_id and not id_matches:
        raise StatusListCredentialMismatch(
            f"The entry points to {url!r} but the revocation list's id is {list_id!r}.",
            details={"entry": url, "id": repr(list_id)},
        )
    items = document.get("revokedCredential", [])
    if not isinstance(items, list):
        raise StatusListMalformed("revokedCredential must be an array.")
    revoked = False
    reason: str | None = None
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise StatusListMalformed("Each revokedCredential item needs an 'id' string.")
        flag = item.get("revoked", True)
        if not isinstance(flag, bool):
            raise StatusListMalformed("revokedCredential 'revoked' must be true or false.")
        if item["id"] == credential_id and flag:
            revoked = True
            raw_reason = item.get("revocationReason")
            reason = raw_reason if isinstance(raw_reason, str) else None
    return StatusReading(
        purpose="revocation",
        index=None,
        value=1 if revoked else 0,
        set=revoked,
        list_type="1EdTechRevocationList",
        message=reason,
        status_size=1,
        list_id_matches=id_matches,
    )
