"""Bitstring: spec vectors, bit order, round trips, the minimum length and the bomb cap."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openler.core.errors import (
    StatusListError,
    StatusListIndexOutOfRange,
    StatusListMalformed,
    StatusListTooLarge,
    StatusListTooShort,
)
from openler.core.status import MIN_LENGTH, Bitstring

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
DECODED = json.loads((VECTORS / "vectors/status-list/decoded-status-lists.json").read_text())
LISTS: list[dict[str, Any]] = DECODED["lists"]


def _encode_raw(raw: bytes, *, prefix: str = "u") -> str:
    return prefix + base64.urlsafe_b64encode(gzip.compress(raw, mtime=0)).rstrip(b"=").decode()


@pytest.mark.parametrize("vector", LISTS, ids=[v["description"][:60] for v in LISTS])
def test_spec_vectors_decode_to_their_set_indexes(vector: dict[str, Any]) -> None:
    legacy = vector["multibasePrefix"] is None
    if vector["decodeError"]:
        with pytest.raises(StatusListMalformed) as info:
            Bitstring.decode(vector["encodedList"], legacy=legacy)
        assert info.value.code == "status_list_malformed"
        return
    bits = Bitstring.decode(vector["encodedList"], legacy=legacy)
    assert list(bits.set_indexes()) == vector["setIndexes"]
    assert bits.length == vector["decodedBits"]
    assert len(bits.to_bytes()) == vector["decodedBytes"]
    for index in vector["setIndexes"]:
        assert bits.get(index) == 1
        assert bits.is_set(index)
    if vector["setIndexes"]:
        assert bits.get(vector["setIndexes"][0] + 1) == 0


@pytest.mark.parametrize("vector", [v for v in LISTS if v["file"]], ids=lambda v: v["file"])
def test_vector_files_carry_the_listed_encoded_list(vector: dict[str, Any]) -> None:
    document = json.loads((VECTORS / vector["file"]).read_text())
    assert document["credentialSubject"]["encodedList"] == vector["encodedList"]


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = Bitstring()
    bits.set(0)
    bits.set(7)
    bits.set(9)
    raw = bits.to_bytes()
    assert raw[0] == 0b1000_0001
    assert raw[1] == 0b0100_0000
    assert raw[2:] == bytes(len(raw) - 2)


def test_our_encoding_of_index_23_decodes_like_the_1edtech_list() -> None:
    ours = Bitstring()
    ours.set(23)
    theirs = Bitstring.decode(LISTS[0]["encodedList"])
    assert Bitstring.decode(ours.encode()) == theirs


def test_encode_is_deterministic_and_multibase() -> None:
    bits = Bitstring()
    bits.set(94567)
    first, second = bits.encode(), bits.encode()
    assert first == second
    assert first.startswith("uH4sI")
    compressed = base64.urlsafe_b64decode(first[1:] + "=" * (-len(first[1:]) % 4))
    assert compressed[4:8] == b"\x00\x00\x00\x00"  # GZIP MTIME is zero
    assert bits.encode_legacy() == first[1:]


def test_default_length_is_the_spec_minimum() -> None:
    bits = Bitstring()
    assert len(bits) == MIN_LENGTH == 131_072
    assert len(bits.to_bytes()) == 16 * 1024


def test_creating_a_short_list_is_refused_unless_allowed() -> None:
    with pytest.raises(StatusListTooShort) as info:
        Bitstring(100_000)
    assert info.value.code == "status_list_too_short"
    assert len(Bitstring(100_000, allow_short=True)) == 100_000


def test_creating_an_oversized_list_is_refused() -> None:
    with pytest.raises(StatusListTooLarge):
        Bitstring(16 * 1024 * 1024 * 8 + 8)


def test_strict_decode_needs_the_multibase_prefix_and_legacy_does_not() -> None:
    bare = LISTS[-1]["encodedList"]
    assert not bare.startswith("u")
    with pytest.raises(StatusListMalformed):
        Bitstring.decode(bare)
    assert len(Bitstring.decode(bare, legacy=True)) == 131_072
    assert len(Bitstring.decode("u" + bare, legacy=True)) == 131_072


def test_legacy_decode_accepts_padding_and_the_standard_alphabet() -> None:
    bits = Bitstring()
    bits.set(5)
    standard = base64.b64encode(gzip.compress(bits.to_bytes(), mtime=0)).decode()
    assert Bitstring.decode(standard, legacy=True) == bits
    with pytest.raises(StatusListMalformed):
        Bitstring.decode("u" + standard)


def test_decompression_bomb_is_refused() -> None:
    # 17 MiB of zeros squeezes into about 17 KB of GZIP.
    bomb = _encode_raw(bytes(17 * 1024 * 1024))
    assert len(bomb) < 40_000
    with pytest.raises(StatusListTooLarge) as info:
        Bitstring.decode(bomb)
    assert info.value.code == "status_list_too_large"


def test_bomb_cap_is_configurable_and_exact() -> None:
    encoded = _encode_raw(bytes(2048))
    assert len(Bitstring.decode(encoded, max_bytes=2048)) == 2048 * 8
    with pytest.raises(StatusListTooLarge):
        Bitstring.decode(encoded, max_bytes=2047)


def test_an_absurdly_long_encoded_list_is_refused_before_decoding() -> None:
    with pytest.raises(StatusListTooLarge):
        Bitstring.decode("u" + "A" * 4096, max_bytes=1024)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "u",
        "u!!!!",
        "uAAAAA",  # 5 characters cannot be base64
        _encode_raw(bytes(64))[:-6],  # truncated GZIP
        _encode_raw(bytes(64)) + "AAAA",  # data after the GZIP trailer
        "u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="),
    ],
)
def test_malformed_encoded_lists_are_refused(encoded: str) -> None:
    with pytest.raises(StatusListMalformed):
        Bitstring.decode(encoded)


def test_corrupted_gzip_checksum_is_refused() -> None:
    raw = bytearray(gzip.compress(bytes(64), mtime=0))
    raw[-8] ^= 0xFF  # CRC32 of the trailer
    encoded = "u" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(StatusListMalformed):
        Bitstring.decode(encoded)


@pytest.mark.parametrize("index", [-1, 131_072, 10**12])
def test_out_of_range_indexes(index: int) -> None:
    bits = Bitstring()
    with pytest.raises(StatusListIndexOutOfRange) as info:
        bits.get(index)
    assert info.value.code == "status_index_out_of_range"
    with pytest.raises(StatusListIndexOutOfRange):
        bits.set(index)


def test_non_integer_indexes_are_refused() -> None:
    bits = Bitstring()
    with pytest.raises(StatusListIndexOutOfRange):
        bits.get(True)
    with pytest.raises(StatusListIndexOutOfRange):
        bits.get("3")  # type: ignore[arg-type]


def test_set_clear_and_value_range() -> None:
    bits = Bitstring()
    bits.set(42)
    assert bits.get(42) == 1
    bits.clear(42)
    assert bits.get(42) == 0
    bits.set(43, False)
    assert list(bits.set_indexes()) == []
    with pytest.raises(StatusListError):
        bits.set(1, 2)


def test_multi_bit_entries_are_read_most_significant_bit_first() -> None:
    bits = Bitstring(MIN_LENGTH, status_size=2)
    bits.set(0, 2)  # bits 0-1 = "10"
    bits.set(3, 1)  # bits 6-7 = "01"
    assert bits.to_bytes()[0] == 0b1000_0001
    assert [bits.get(i) for i in range(5)] == [2, 0, 0, 1, 0]
    assert list(bits.set_indexes()) == [0, 3]
    with pytest.raises(StatusListError):
        bits.set(1, 4)


def test_from_bytes_counts_whole_entries() -> None:
    assert len(Bitstring.from_bytes(bytes(3), status_size=3)) == 8
    assert len(Bitstring.from_bytes(bytes(3), status_size=5)) == 4


@pytest.mark.parametrize("size", [0, 17, True])
def test_bad_status_sizes(size: int) -> None:
    with pytest.raises(StatusListMalformed):
        Bitstring(MIN_LENGTH, status_size=size)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=4096),
    data=st.data(),
)
def test_round_trip_of_random_short_lists(length: int, data: st.DataObject) -> None:
    indexes = data.draw(st.sets(st.integers(min_value=0, max_value=length - 1), max_size=64))
    bits = Bitstring(length, allow_short=True)
    for index in indexes:
        bits.set(index)
    decoded = Bitstring.decode(bits.encode())
    assert list(decoded.set_indexes())[: len(indexes)] == sorted(indexes)
    assert all(decoded.get(i) == (1 if i in indexes else 0) for i in range(length))


@settings(max_examples=25, deadline=None)
@given(indexes=st.sets(st.integers(min_value=0, max_value=MIN_LENGTH - 1), max_size=200))
def test_round_trip_of_full_size_lists(indexes: set[int]) -> None:
    bits = Bitstring()
    for index in indexes:
        bits.set(index)
    decoded = Bitstring.decode(bits.encode())
    assert decoded == bits
    assert list(decoded.set_indexes()) == sorted(indexes)


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=8),
    values=st.dictionaries(st.integers(min_value=0, max_value=511), st.integers(0, 255)),
)
def test_round_trip_of_multi_bit_values(size: int, values: dict[int, int]) -> None:
    bits = Bitstring(512, status_size=size, allow_short=True)
    expected = {index: value % (1 << size) for index, value in values.items()}
    for index, value in expected.items():
        bits.set(index, value)
    decoded = Bitstring.decode(bits.encode(), status_size=size)
    assert len(decoded) == 512
    for index in range(512):
        assert decoded.get(index) == expected.get(index, 0)
