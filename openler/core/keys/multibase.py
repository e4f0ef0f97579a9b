"""Multibase (``z`` base58btc, ``u`` base64url) and multicodec key prefixes.

A Multikey value such as ``z6Mk…`` is ``"z" + base58btc(varint(codec) + raw key)``
(W3C Controlled Identifiers, "Multikey"; multiformats multibase / multicodec tables).
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import IntEnum

import base58

from openler.core.errors import InvalidInput, KeyError_, UnsupportedKeyType

__all__ = [
    "BASE58BTC",
    "BASE64URL",
    "Multicodec",
    "b58decode",
    "b58encode",
    "b64url_decode",
    "b64url_encode",
    "decode_multikey",
    "encode_multikey",
    "multibase_decode",
    "multibase_encode",
    "multicodec_unwrap",
    "multicodec_wrap",
    "varint_decode",
    "varint_encode",
]

BASE58BTC = "z"
BASE64URL = "u"

_B58_ALPHABET = re.compile(r"[1-9A-HJ-NP-Za-km-z]*")
_B64URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class Multicodec(IntEnum):
    """The multicodec key codes openler understands."""

    ED25519_PUB = 0xED
    X25519_PUB = 0xEC
    P256_PUB = 0x1200
    ED25519_PRIV = 0x1300
    P256_PRIV = 0x1306


#: Expected raw key lengths, in bytes, after the multicodec prefix.
KEY_LENGTHS: dict[Multicodec, tuple[int, ...]] = {
    Multicodec.ED25519_PUB: (32,),
    Multicodec.X25519_PUB: (32,),
    Multicodec.P256_PUB: (33,),  # compressed SEC1 point
    # 32-byte seed; some tools (1EdTech's vectors) append the 32-byte public key.
    Multicodec.ED25519_PRIV: (32, 64),
    Multicodec.P256_PRIV: (32,),
}


def b58encode(data: bytes) -> str:
    """Base58btc (Bitcoin alphabet) without a multibase prefix."""
    return str(base58.b58encode(bytes(data)).decode("ascii"))


def b58decode(text: str) -> bytes:
    """Decode base58btc; raises :class:`InvalidInput` on any other character."""
    if not isinstance(text, str) or not text or not _B58_ALPHABET.fullmatch(text):
        raise InvalidInput("Not a base58btc string.", details={"value": _clip(text)})
    return bytes(base58.b58decode(text))


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5, as JOSE uses it)."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding; raises :class:`InvalidInput`."""
    if not isinstance(text, str) or not _B64URL_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidInput("Not a base64url string.", details={"value": _clip(text)})
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - alphabet checked above
        raise InvalidInput("Not a base64url string.") from exc
    if b64url_encode(data) != text:  # non-zero trailing bits: not canonical
        raise InvalidInput("Non-canonical base64url string.", details={"value": _clip(text)})
    return data


def multibase_encode(data: bytes, base: str = BASE58BTC) -> str:
    """Multibase-encode ``data`` with ``z`` (base58btc) or ``u`` (base64url, no pad)."""
    if base == BASE58BTC:
        return BASE58BTC + b58encode(data)
    if base == BASE64URL:
        return BASE64URL + b64url_encode(data)
    raise InvalidInput(f"Unsupported multibase prefix {base!r}; use 'z' or 'u'.")


def multibase_decode(text: str) -> bytes:
    """Decode a ``z…`` or ``u…`` multibase string."""
    if not isinstance(text, str) or len(text) < 2:
        raise InvalidInput("Not a multibase string.", details={"value": _clip(text)})
    prefix, body = text[0], text[1:]
    if prefix == BASE58BTC:
        return b58decode(body)
    if prefix == BASE64URL:
        return b64url_decode(body)
    raise InvalidInput(
        f"Unsupported multibase prefix {prefix!r}; expected 'z' or 'u'.",
        details={"value": _clip(text)},
    )


def varint_encode(value: int) -> bytes:
    """Unsigned LEB128 varint, as multiformats uses."""
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_decode(data: bytes) -> tuple[int, int]:
    """Return ``(value, bytes used)``; rejects truncated and non-minimal encodings."""
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if i > 0 and byte == 0:
                raise InvalidInput("Non-minimal multicodec varint.")
            return value, i + 1
    raise InvalidInput("Truncated or oversized multicodec varint.")


def multicodec_wrap(codec: Multicodec, raw: bytes) -> bytes:
    """Prefix raw key bytes with the codec's varint, checking the length."""
    if len(raw) not in KEY_LENGTHS[codec]:
        raise KeyError_(
            f"A {codec.name} key must be {_lengths(codec)} bytes, not {len(raw)}.",
        )
    return varint_encode(int(codec)) + bytes(raw)


def multicodec_unwrap(data: bytes) -> tuple[Multicodec, bytes]:
    """Split a multicodec-prefixed key into ``(codec, raw bytes)``."""
    code, used = varint_decode(data)
    try:
        codec = Multicodec(code)
    except ValueError:
        raise UnsupportedKeyType(
            f"Unsupported multicodec key type 0x{code:x}.", details={"codec": code}
        ) from None
    raw = bytes(data[used:])
    if len(raw) not in KEY_LENGTHS[codec]:
        raise KeyError_(
            f"A {codec.name} key must be {_lengths(codec)} bytes, not {len(raw)}.",
            details={"codec": code},
        )
    return codec, raw


def encode_multikey(codec: Multicodec, raw: bytes) -> str:
    """``publicKeyMultibase`` / ``secretKeyMultibase`` value (always base58btc ``z``)."""
    return multibase_encode(multicodec_wrap(codec, raw), BASE58BTC)


def decode_multikey(text: str) -> tuple[Multicodec, bytes]:
    """Decode a Multikey multibase value into ``(codec, raw key bytes)``."""
    return multicodec_unwrap(multibase_decode(text))


def _lengths(codec: Multicodec) -> str:
    return " or ".join(str(n) for n in KEY_LENGTHS[codec])


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
