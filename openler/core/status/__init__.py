"""Status lists: W3C Bitstring Status List v1.0, legacy StatusList2021 and the 1EdTech
Revocation List. Pure: the caller fetches the list credential and verifies its proof."""

from openler.core.status.bitstring import MAX_DECODED_BYTES, MIN_LENGTH, Bitstring
from openler.core.status.credential import (
    ListType,
    StatusPurpose,
    StatusReading,
    build_status_list_credential,
    read_status,
    status_entry,
)

__all__ = [
    "MAX_DECODED_BYTES",
    "MIN_LENGTH",
    "Bitstring",
    "ListType",
    "StatusPurpose",
    "StatusReading",
    "build_status_list_credential",
    "read_status",
    "status_entry",
]
