"""Status list credentials and entries, and reading a status from real and built lists."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

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
from openler.core.status import (
    Bitstring,
    StatusReading,
    build_status_list_credential,
    read_status,
    status_entry,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
ONE_EDTECH = VECTORS / "examples/1edtech-validator/ob30"
DCC = VECTORS / "examples/dcc-vc-test-fixtures"
DCC_LISTS = DCC / "statusLists/didkey-ed25519Signature2020"
LIST_URL = "https://issuer.example/status/7"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _list(purpose: str = "revocation", *, set_at: tuple[int, ...] = (5,)) -> dict[str, Any]:
    bits = Bitstring()
    for index in set_at:
        bits.set(index)
    return build_status_list_credential(
        list_id=LIST_URL,
        issuer="did:example:issuer",
        purpose=purpose,  # type: ignore[arg-type]
        bitstring=bits,
        valid_from=T0,
    )


# -- building ----------------------------------------------------------------------------


def test_build_status_list_credential_shape() -> None:
    bits = Bitstring()
    bits.set(3)
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer={"id": "did:example:issuer", "name": "Example College"},
        purpose="suspension",
        bitstring=bits,
        valid_from=datetime(2025, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        valid_until=T0 + timedelta(days=1),
        ttl_ms=300_000,
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Example College"},
        "validFrom": "2025-01-02T03:04:05Z",
        "validUntil": "2025-01-03T03:04:05Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": bits.encode(),
            "ttl": 300_000,
        },
    }


def test_build_leaves_out_optional_members() -> None:
    credential = _list()
    assert "validUntil" not in credential
    assert "ttl" not in credential["credentialSubject"]


@pytest.mark.parametrize(
    "changes",
    [
        {"valid_from": datetime(2025, 1, 1)},  # naive
        {"valid_until": T0},  # not after valid_from
        {"purpose": "expiry"},
        {"list_id": "not a url"},
        {"list_id": LIST_URL + "#frag"},
        {"issuer": {"name": "no id"}},
        {"issuer": ""},
        {"ttl_ms": -1},
        {"ttl_ms": True},
    ],
)
def test_build_refuses_bad_arguments(changes: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "list_id": LIST_URL,
        "issuer": "did:example:issuer",
        "purpose": "revocation",
        "bitstring": Bitstring(),
        "valid_from": T0,
    }
    arguments.update(changes)
    with pytest.raises(InvalidInput):
        build_status_list_credential(**arguments)


def test_build_refuses_a_short_list() -> None:
    with pytest.raises(StatusListTooShort):
        build_status_list_credential(
            list_id=LIST_URL,
            issuer="did:example:i",
            purpose="revocation",
            bitstring=Bitstring(8, allow_short=True),
            valid_from=T0,
        )


def test_build_does_not_keep_a_reference_to_the_issuer_object() -> None:
    issuer = {"id": "did:example:issuer"}
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer=issuer,
        purpose="revocation",
        bitstring=Bitstring(),
        valid_from=T0,
    )
    credential["issuer"]["name"] = "changed"
    assert issuer == {"id": "did:example:issuer"}


def test_status_entry_shape_has_a_string_index() -> None:
    assert status_entry(LIST_URL, 94567, "revocation") == {
        "id": LIST_URL + "#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


def test_status_entry_for_messages() -> None:
    entry = status_entry(
        LIST_URL,
        1,
        "message",
        status_size=2,
        status_messages=["pending", "accepted", "rejected", "undefined"],
        status_reference="https://issuer.example/status-dictionary/",
    )
    assert entry["statusSize"] == 2
    assert entry["statusMessage"] == [
        {"status": "0x0", "message": "pending"},
        {"status": "0x1", "message": "accepted"},
        {"status": "0x2", "message": "rejected"},
        {"status": "0x3", "message": "undefined"},
    ]
    assert entry["statusReference"] == "https://issuer.example/status-dictionary/"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((LIST_URL, -1, "revocation"), {}),
        ((LIST_URL, True, "revocation"), {}),
        ((LIST_URL, 1, "expiry"), {}),
        (("nowhere", 1, "revocation"), {}),
        ((LIST_URL, 1, "message"), {"status_size": 2}),
        ((LIST_URL, 1, "message"), {"status_size": 2, "status_messages": ["a", "b"]}),
        ((LIST_URL, 1, "message"), {"status_size": 0}),
    ],
)
def test_status_entry_refuses_bad_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        status_entry(*args, **kwargs)


# -- reading built lists ---------------------------------------------------------------


def test_read_status_of_a_built_list() -> None:
    credential = _list(set_at=(5,))
    revoked = read_status(status_entry(LIST_URL, 5, "revocation"), credential)
    assert revoked == StatusReading(
        purpose="revocation",
        index=5,
        value=1,
        set=True,
        list_type="BitstringStatusList",
        message="set",
        status_size=1,
        list_id_matches=True,
    )
    fine = read_status(status_entry(LIST_URL, 6, "revocation"), credential)
    assert (fine.set, fine.value, fine.message) == (False, 0, "unset")


def test_read_status_does_not_mutate_its_inputs() -> None:
    credential = _list()
    entry = status_entry(LIST_URL, 5, "revocation")
    before = copy.deepcopy((entry, credential))
    read_status(entry, credential)
    assert (entry, credential) == before


def test_purpose_mismatch() -> None:
    with pytest.raises(StatusPurposeMismatch) as info:
        read_status(status_entry(LIST_URL, 5, "suspension"), _list("revocation"))
    assert info.value.code == "status_purpose_mismatch"


def test_a_list_may_have_several_purposes() -> None:
    credential = _list()
    credential["credentialSubject"]["statusPurpose"] = ["revocation", "suspension"]
    assert read_status(status_entry(LIST_URL, 5, "suspension"), credential).set


def test_entry_and_list_types_must_match() -> None:
    legacy_entry = {
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": LIST_URL,
    }
    with pytest.raises(StatusListTypeMismatch) as info:
        read_status(legacy_entry, _list())
    assert info.value.code == "status_list_type_mismatch"
    wrong_subject = _list()
    wrong_subject["credentialSubject"]["type"] = "StatusList2021"
    with pytest.raises(StatusListTypeMismatch):
        read_status(status_entry(LIST_URL, 5, "revocation"), wrong_subject)


@pytest.mark.parametrize(
    ("index", "error"),
    [
        ("-1", StatusListMalformed),
        ("abc", StatusListMalformed),
        ("1.5", StatusListMalformed),
        (" 5", StatusListMalformed),
        (1.0, StatusListMalformed),
        (True, StatusListMalformed),
        (None, StatusListMalformed),
        (-1, StatusListIndexOutOfRange),
        ("131072", StatusListIndexOutOfRange),
        ("9" * 40, StatusListIndexOutOfRange),
    ],
)
def test_index_validation(index: Any, error: type[StatusListError]) -> None:
    entry = status_entry(LIST_URL, 0, "revocation")
    entry["statusListIndex"] = index
    with pytest.raises(error):
        read_status(entry, _list())


def test_integer_and_string_indexes_read_the_same_bit() -> None:
    entry = status_entry(LIST_URL, 5, "revocation")
    entry["statusListIndex"] = 5
    assert read_status(entry, _list()).set


def test_list_id_mismatch_is_reported_or_refused() -> None:
    credential = _list()
    credential["id"] = "https://elsewhere.example/list"
    entry = status_entry(LIST_URL, 5, "revocation")
    assert read_status(entry, credential).list_id_matches is False
    with pytest.raises(StatusListCredentialMismatch) as info:
        read_status(entry, credential, require_matching_id=True)
    assert info.value.code == "status_list_credential_mismatch"


def test_unsupported_status_type() -> None:
    entry = {"type": "RevocationList2020Status", "revocationListIndex": "1"}
    with pytest.raises(UnsupportedStatusType) as info:
        read_status(entry, _list())
    assert info.value.code == "unsupported_status_type"


def test_missing_encoded_list_is_malformed() -> None:
    credential = _list()
    del credential["credentialSubject"]["encodedList"]
    with pytest.raises(StatusListMalformed):
        read_status(status_entry(LIST_URL, 5, "revocation"), credential)


def test_multi_bit_message_list() -> None:
    messages = ["pending_review", "accepted", "rejected", "undefined"]
    bits = Bitstring(status_size=2)
    bits.set(10, 2)
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer="did:example:i",
        purpose="message",
        bitstring=bits,
        valid_from=T0,
    )
    entry = status_entry(LIST_URL, 10, "message", status_size=2, status_messages=messages)
    reading = read_status(entry, credential)
    assert (reading.value, reading.set, reading.message) == (2, True, "rejected")
    assert reading.status_size == 2
    other = read_status(
        status_entry(LIST_URL, 11, "message", status_size=2, status_messages=messages), credential
    )
    assert (other.value, other.message) == (0, "pending_review")


def test_status_message_of_the_wrong_length_is_malformed() -> None:
    bits = Bitstring(status_size=2)
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer="did:example:i",
        purpose="message",
        bitstring=bits,
        valid_from=T0,
    )
    entry = status_entry(LIST_URL, 1, "message", status_size=2, status_messages=["a"] * 4)
    entry["statusMessage"] = entry["statusMessage"][:3]
    with pytest.raises(StatusListMalformed):
        read_status(entry, credential)
    del entry["statusMessage"]
    with pytest.raises(StatusListMalformed):
        read_status(entry, credential)


def test_minimum_number_of_entries_counts_entries_not_bits() -> None:
    bits = Bitstring(MIN := 131_072, status_size=2)
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer="did:example:i",
        purpose="revocation",
        bitstring=bits,
        valid_from=T0,
    )
    entry = status_entry(
        LIST_URL, MIN - 1, "revocation", status_size=2, status_messages=["a", "b", "c", "d"]
    )
    assert read_status(entry, credential).value == 0
    entry["statusSize"] = 4  # the same bytes now hold only 65,536 entries
    entry["statusMessage"] = [{"status": hex(i), "message": str(i)} for i in range(16)]
    with pytest.raises(StatusListTooShort):
        read_status(entry, credential)


# -- legacy StatusList2021 -------------------------------------------------------------


def test_legacy_status_list_2021() -> None:
    bits = Bitstring()
    bits.set(94567)
    credential = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/vc/status-list/2021/v1",
        ],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": "did:example:12345",
        "issuanceDate": "2021-04-05T14:27:40Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": bits.encode_legacy(),
        },
    }
    entry = {
        "id": LIST_URL + "#94567",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    reading = read_status(entry, credential)
    assert (reading.set, reading.list_type, reading.message) == (True, "StatusList2021", None)
    entry["statusListIndex"] = "94568"
    assert read_status(entry, credential).set is False
    entry["type"] = "BitstringStatusListEntry"
    with pytest.raises(StatusListTypeMismatch):
        read_status(entry, credential)


# -- real vectors ----------------------------------------------------------------------


def test_1edtech_revoked_credential_against_its_list() -> None:
    credential = _load(ONE_EDTECH / "bit-string-list/credential-status-revoked.json")
    status_list = _load(ONE_EDTECH / "bit-string-list/testlist.json")
    entry = credential["credentialStatus"]
    assert entry["statusListIndex"] == 23  # an integer in this vector
    reading = read_status(entry, status_list)
    assert (reading.set, reading.index, reading.purpose) == (True, 23, "revocation")
    # The vector's list id is not the URL the entry points to.
    assert reading.list_id_matches is False
    with pytest.raises(StatusListCredentialMismatch):
        read_status(entry, status_list, require_matching_id=True)


@pytest.mark.parametrize(
    ("credential_file", "revoked"),
    [("oidf-revokedStatus-noExpiry.json", True), ("oidf-validStatus-noExpiry.json", False)],
)
def test_dcc_credentials_against_their_100000_entry_list(
    credential_file: str, revoked: bool
) -> None:
    credential = _load(DCC / "verifiableCredentials/v1/ed25519/didWeb" / credential_file)
    status_list = _load(DCC_LISTS / "e5WK8CbZ1GjycuPombrj.json")
    entry = credential["credentialStatus"]
    with pytest.raises(StatusListTooShort) as info:
        read_status(entry, status_list)
    assert info.value.details == {"length": 100_000, "minimum": 131_072}
    reading = read_status(entry, status_list, min_entries=100_000)
    assert reading.set is revoked


def test_dcc_list_without_its_type_is_a_type_mismatch() -> None:
    entry = status_entry("https://testing.dcconsortium.org/status/x", 2, "revocation")
    with pytest.raises(StatusListTypeMismatch):
        read_status(entry, _load(DCC_LISTS / "missingBitStringType.json"), min_entries=0)


def test_dcc_tampered_list_is_malformed() -> None:
    entry = status_entry("https://testing.dcconsortium.org/status/x", 2, "revocation")
    with pytest.raises(StatusListMalformed):
        read_status(entry, _load(DCC_LISTS / "tampered.json"), min_entries=0)


# -- 1EdTech Revocation List -----------------------------------------------------------


def _revocation_case() -> tuple[dict[str, Any], str, dict[str, Any]]:
    credential = _load(ONE_EDTECH / "credential-status-revoked.json")
    entry = credential["credentialStatus"]
    document = {
        "id": entry["id"],
        "issuer": credential["issuer"]["id"],
        "revokedCredential": [
            {"id": "urn:uuid:someone-else", "revoked": True},
            {"id": credential["id"], "revocationReason": "Issued in error"},
        ],
    }
    return entry, credential["id"], document


def test_1edtech_revocation_list_marks_a_listed_credential() -> None:
    entry, credential_id, document = _revocation_case()
    assert entry["type"] == "1EdTechRevocationList"
    reading = read_status(entry, document, credential_id=credential_id)
    assert reading == StatusReading(
        purpose="revocation",
        index=None,
        value=1,
        set=True,
        list_type="1EdTechRevocationList",
        message="Issued in error",
        list_id_matches=True,
    )


def test_1edtech_revocation_list_revoked_false_and_unlisted() -> None:
    entry, credential_id, document = _revocation_case()
    document["revokedCredential"][1]["revoked"] = False
    assert read_status(entry, document, credential_id=credential_id).set is False
    assert read_status(entry, {"id": entry["id"]}, credential_id=credential_id).set is False


def test_1edtech_revocation_list_needs_the_credential_id() -> None:
    entry, _, document = _revocation_case()
    with pytest.raises(StatusListError) as info:
        read_status(entry, document)
    assert "credential_id" in info.value.message


@pytest.mark.parametrize(
    "revoked_credential",
    [{"id": "x"}, ["urn:uuid:bare-string"], [{"id": "x", "revoked": "yes"}], [{"revoked": True}]],
)
def test_1edtech_revocation_list_malformed(revoked_credential: Any) -> None:
    entry, credential_id, _ = _revocation_case()
    document = {"id": entry["id"], "revokedCredential": revoked_credential}
    with pytest.raises(StatusListMalformed):
        read_status(entry, document, credential_id=credential_id)


def test_1edtech_entry_pointing_at_a_bitstring_list_is_a_type_mismatch() -> None:
    entry, credential_id, _ = _revocation_case()
    with pytest.raises(StatusListTypeMismatch):
        read_status(entry, _list(), credential_id=credential_id)
