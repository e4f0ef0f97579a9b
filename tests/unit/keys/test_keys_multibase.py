"""Multibase, base58btc, base64url and multicodec varints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openler.core.errors import InvalidInput, KeyError_, UnsupportedKeyType
from openler.core.keys.multibase import (
    Multicodec,
    b58decode,
    b58encode,
    b64url_decode,
    b64url_encode,
    decode_multikey,
    encode_multikey,
    multibase_decode,
    multibase_encode,
    multicodec_unwrap,
    multicodec_wrap,
    varint_decode,
    varint_encode,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def test_base58_known_value_and_leading_zeros() -> None:
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert b58decode("StV1DL6CwTryKyV") == b"hello world"
    assert b58encode(b"\x00\x00\x01") == "112"
    assert b58decode("112") == b"\x00\x00\x01"


@given(st.binary(min_size=1, max_size=80))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    assert multibase_decode(multibase_encode(data, "z")) == data


@given(st.binary(min_size=1, max_size=80))
def test_base64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert "+" not in text
    assert "/" not in text
    assert b64url_decode(text) == data
    assert multibase_decode(multibase_encode(data, "u")) == data


@pytest.mark.parametrize("bad", ["0OIl", "abc!", "", "z z"])
def test_base58_rejects_other_characters(bad: str) -> None:
    with pytest.raises(InvalidInput):
        b58decode(bad)


@pytest.mark.parametrize("bad", ["AA==", "a+b/", "A", "AB", "ab$c"])
def test_base64url_is_strict(bad: str) -> None:
    # padding, the standard alphabet, impossible lengths and non-zero trailing bits
    with pytest.raises(InvalidInput):
        b64url_decode(bad)


@pytest.mark.parametrize("bad", ["", "z", "mAAAA", "fdeadbeef", "Zabc"])
def test_multibase_rejects_unknown_prefixes(bad: str) -> None:
    with pytest.raises(InvalidInput):
        multibase_decode(bad)


def test_multibase_encode_rejects_unknown_base() -> None:
    with pytest.raises(InvalidInput):
        multibase_encode(b"x", "m")


@pytest.mark.parametrize(
    ("codec", "encoded"),
    [
        (Multicodec.ED25519_PUB, b"\xed\x01"),
        (Multicodec.X25519_PUB, b"\xec\x01"),
        (Multicodec.P256_PUB, b"\x80\x24"),
        (Multicodec.ED25519_PRIV, b"\x80\x26"),
        (Multicodec.P256_PRIV, b"\x86\x26"),
    ],
)
def test_multicodec_varints(codec: Multicodec, encoded: bytes) -> None:
    assert varint_encode(int(codec)) == encoded
    assert varint_decode(encoded + b"rest") == (int(codec), len(encoded))


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_varint_round_trip(value: int) -> None:
    encoded = varint_encode(value)
    assert varint_decode(encoded) == (value, len(encoded))


@pytest.mark.parametrize("bad", [b"", b"\x80", b"\x80\x00", b"\xed\x80\x00", b"\xff" * 10])
def test_varint_rejects_truncated_and_non_minimal(bad: bytes) -> None:
    with pytest.raises(InvalidInput):
        varint_decode(bad)


def test_varint_rejects_negative() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        varint_encode(-1)


def test_multikey_vector_decodes_to_ed25519() -> None:
    pair = json.loads((VECTORS / "vectors/vc-di-eddsa/keyPair.json").read_text())
    codec, raw = decode_multikey(pair["publicKeyMultibase"])
    assert codec is Multicodec.ED25519_PUB
    assert len(raw) == 32
    assert encode_multikey(codec, raw) == pair["publicKeyMultibase"]
    codec, seed = decode_multikey(pair["privateKeyMultibase"])
    assert codec is Multicodec.ED25519_PRIV
    assert len(seed) == 32


def test_1edtech_vector_public_key_hex() -> None:
    vector = json.loads((VECTORS / "vectors/1edtech-ob3-impl/obv3p0/vector.json").read_text())
    codec, raw = decode_multikey(vector["publicKeyMultibase"])
    assert codec is Multicodec.ED25519_PUB
    assert raw.hex() == vector["publicKeyHex"]
    # 1EdTech's secret key is seed + public key (64 bytes) after the 0x1300 prefix.
    codec, secret = decode_multikey(vector["secretKeyMultibase"])
    assert codec is Multicodec.ED25519_PRIV
    assert secret.hex() == vector["privateKeyHex_seedPlusPublic"]


def test_prefixes_read_as_documented() -> None:
    assert encode_multikey(Multicodec.ED25519_PUB, bytes(32)).startswith("z6Mk")
    assert encode_multikey(Multicodec.X25519_PUB, bytes(32)).startswith("z6LS")
    assert encode_multikey(Multicodec.P256_PUB, b"\x02" + bytes(32)).startswith("zDn")


def test_unknown_codec_is_unsupported() -> None:
    secp256k1 = varint_encode(0xE7) + b"\x02" + bytes(32)
    with pytest.raises(UnsupportedKeyType) as info:
        multicodec_unwrap(secp256k1)
    assert info.value.code == "unsupported_key_type"


def test_wrong_key_length_is_a_key_error() -> None:
    with pytest.raises(KeyError_):
        multicodec_unwrap(varint_encode(0xED) + bytes(31))
    with pytest.raises(KeyError_):
        multicodec_wrap(Multicodec.P256_PUB, bytes(32))
