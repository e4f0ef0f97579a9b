"""The bitstring behind a status list (W3C Bitstring Status List v1.0, StatusList2021).

Layout (spec section "Bitstring Encoding"): index 0 is the left-most, i.e. most significant,
bit of the first byte: bit ``i`` is ``(byte[i // 8] >> (7 - i % 8)) & 1``. An entry of
``status_size`` bits starts at bit ``index * status_size`` and is read most significant bit
first. The published form (``encodedList``) is ``"u"`` (multibase base64url) + base64url
without padding of the GZIP-compressed bytes; StatusList2021 lists have no ``"u"``.

Decoding is capped: a list that would decompress beyond :data:`MAX_DECODED_BYTES` is refused
while it is being inflated, so a few kilobytes of GZIP cannot make us allocate gigabytes.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Iterator

from openler.core.errors import (
    StatusListError,
    StatusListIndexOutOfRange,
    StatusListMalformed,
    StatusListTooLarge,
    StatusListTooShort,
)

__all__ = [
    "MAX_DECODED_BYTES",
    "MAX_STATUS_SIZE",
    "MIN_LENGTH",
    "Bitstring",
]

#: The spec's minimum number of entries (16 KiB of 1-bit statuses), for herd privacy.
MIN_LENGTH = 131_072
#: The largest uncompressed list we build or accept: 16 MiB (134,217,728 one-bit entries).
MAX_DECODED_BYTES = 16 * 1024 * 1024
#: The largest ``statusSize`` we accept (a ``statusMessage`` array then has 65,536 items).
MAX_STATUS_SIZE = 16

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64_LENIENT = re.compile(r"[A-Za-z0-9_\-+/]*={0,2}")
_INFLATE_CHUNK = 64 * 1024


def _check_status_size(status_size: int) -> int:
    if (
        isinstance(status_size, bool)
        or not isinstance(status_size, int)
        or not 1 <= status_size <= MAX_STATUS_SIZE
    ):
        raise StatusListMalformed(
            f"statusSize must be an integer from 1 to {MAX_STATUS_SIZE}, not {status_size!r}.",
            details={"status_size": status_size},
        )
    return status_size


class Bitstring:
    """A fixed-length list of ``length`` statuses of ``status_size`` bits, all 0 at first.

    ``Bitstring()`` is the spec's default: 131,072 one-bit entries (16 KiB). Creating a
    shorter list raises :class:`StatusListTooShort` unless ``allow_short=True``, because strict
    verifiers reject lists below the minimum.
    """

    __slots__ = ("_bytes", "_length", "_status_size")

    def __init__(
        self, length: int = MIN_LENGTH, *, status_size: int = 1, allow_short: bool = False
    ) -> None:
        _check_status_size(status_size)
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise StatusListError(
                f"A status list length must be a non-negative integer, not {length!r}."
            )
        if length < MIN_LENGTH and not allow_short:
            raise StatusListTooShort(
                f"A status list needs at least {MIN_LENGTH} entries (got {length}); strict "
                "verifiers reject shorter lists. Pass allow_short=True to build one anyway.",
                details={"length": length, "minimum": MIN_LENGTH},
            )
        n_bytes = (length * status_size + 7) // 8
        if n_bytes > MAX_DECODED_BYTES:
            raise StatusListTooLarge(
                f"A status list of {length} entries of {status_size} bits exceeds "
                f"{MAX_DECODED_BYTES} bytes.",
                details={"length": length, "status_size": status_size},
            )
        self._length = length
        self._status_size = status_size
        self._bytes = bytearray(n_bytes)

    # -- construction from bytes -------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes | bytearray, *, status_size: int = 1) -> Bitstring:
        """Wraps uncompressed bytes (copied); the length is every whole entry they hold.

        No minimum applies: this reads what someone published. The minimum is checked
        by :func:`openler.core.status.read_status`.
        """
        _check_status_size(status_size)
        if len(data) > MAX_DECODED_BYTES:
            raise StatusListTooLarge(
                f"A status list of {len(data)} bytes exceeds {MAX_DECODED_BYTES} bytes.",
                details={"bytes": len(data)},
            )
        self = cls.__new__(cls)
        self._status_size = status_size
        self._length = (len(data) * 8) // status_size
        self._bytes = bytearray(data)
        return self

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        legacy: bool = False,
        status_size: int = 1,
        max_bytes: int = MAX_DECODED_BYTES,
    ) -> Bitstring:
        """Expands an ``encodedList`` (the spec's Bitstring Expansion Algorithm).

        Strict (``legacy=False``, Bitstring Status List): a multibase ``"u"`` prefix and
        unpadded base64url are required. ``legacy=True`` (StatusList2021) also accepts no
        prefix, ``=`` padding and the standard base64 alphabet. Raises
        :class:`StatusListMalformed` for bad base64 or GZIP and :class:`StatusListTooLarge`
        when the list would inflate beyond ``max_bytes``.
        """
        _check_status_size(status_size)
        max_bytes = min(max_bytes, MAX_DECODED_BYTES)
        if not isinstance(encoded, str) or not encoded:
            raise StatusListMalformed("encodedList must be a non-empty string.")
        # Even incompressible bytes grow only slightly under GZIP, then by 4/3 in base64.
        if len(encoded) > ((max_bytes + max_bytes // 100 + 1024) * 4) // 3 + 16:
            raise StatusListTooLarge(
                f"encodedList is {len(encoded)} characters long, more than a list of "
                f"{max_bytes} bytes can need.",
                details={"characters": len(encoded)},
            )
        compressed = _multibase_decode(encoded, legacy=legacy)
        raw = _gunzip_capped(compressed, max_bytes)
        return cls.from_bytes(raw, status_size=status_size)

    # -- encoding ----------------------------------------------------------------------

    def encode(self) -> str:
        """``"u"`` + base64url (no padding) of the GZIP-compressed bytes.

        GZIP runs with ``mtime=0`` so the same bits always give the same string.
        """
        compressed = gzip.compress(bytes(self._bytes), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    def encode_legacy(self) -> str:
        """The StatusList2021 form: as :meth:`encode` but without the ``"u"`` prefix."""
        return self.encode()[1:]

    def to_bytes(self) -> bytes:
        """The uncompressed bytes (a copy)."""
        return bytes(self._bytes)

    # -- access ------------------------------------------------------------------------

    @property
    def length(self) -> int:
        """Number of entries."""
        return self._length

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._status_size

    @property
    def bit_length(self) -> int:
        """Number of bits in the underlying bytes (a whole number of bytes)."""
        return len(self._bytes) * 8

    def __len__(self) -> int:
        return self._length

    def _check_index(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise StatusListIndexOutOfRange(
                f"A status list index must be an integer, not {type(index).__name__}.",
                details={"index": repr(index)},
            )
        if not 0 <= index < self._length:
            raise StatusListIndexOutOfRange(
                f"Index {index} is outside the status list (0 to {self._length - 1}).",
                details={"index": index, "length": self._length},
            )
        return index

    def get(self, index: int) -> int:
        """The status value at ``index``: 0 or 1 for one-bit lists, else 0 to 2**size - 1."""
        self._check_index(index)
        size = self._status_size
        start = index * size
        if size == 1:
            return (self._bytes[start >> 3] >> (7 - (start & 7))) & 1
        value = 0
        for bit in range(start, start + size):
            value = (value << 1) | ((self._bytes[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def is_set(self, index: int) -> bool:
        """Whether the status at ``index`` is not 0."""
        return self.get(index) != 0

    def set(self, index: int, value: bool | int = True) -> None:
        """Sets the status at ``index`` (``True`` means 1; ``False`` means 0)."""
        self._check_index(index)
        size = self._status_size
        if not isinstance(value, int) or not 0 <= int(value) < (1 << size):
            raise StatusListError(
                f"A {size}-bit status value must be from 0 to {(1 << size) - 1}, not {value!r}.",
                details={"value": repr(value), "status_size": size},
            )
        number = int(value)
        start = index * size
        for offset in range(size):
            bit = start + offset
            mask = 1 << (7 - (bit & 7))
            if (number >> (size - 1 - offset)) & 1:
                self._bytes[bit >> 3] |= mask
            else:
                self._bytes[bit >> 3] &= ~mask & 0xFF

    def clear(self, index: int) -> None:
        """Sets the status at ``index`` back to 0."""
        self.set(index, 0)

    def set_indexes(self) -> Iterator[int]:
        """The indexes whose status is not 0, in order (skips zero bytes quickly)."""
        size = self._status_size
        seen = -1
        for byte_index, byte in enumerate(self._bytes):
            if not byte:
                continue
            for bit in range(byte_index * 8, byte_index * 8 + 8):
                if (byte >> (7 - (bit & 7))) & 1:
                    index = bit // size
                    if index != seen and index < self._length:
                        seen = index
                        yield index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bitstring):
            return NotImplemented
        return (
            self._length == other._length
            and self._status_size == other._status_size
            and self._bytes == other._bytes
        )

    def __repr__(self) -> str:
        return f"Bitstring(length={self._length}, status_size={self._status_size})"


def _multibase_decode(encoded: str, *, legacy: bool) -> bytes:
    if encoded.startswith("u"):
        body = encoded[1:]
    elif legacy:
        body = encoded
    else:
        raise StatusListMalformed(
            "encodedList must be multibase base64url: it has to start with 'u'.",
            details={"prefix": encoded[:1]},
        )
    pattern = _B64_LENIENT if legacy else _B64URL
    if not pattern.fullmatch(body):
        raise StatusListMalformed("encodedList contains characters outside base64url.")
    body = body.rstrip("=").replace("+", "-").replace("/", "_")
    if len(body) % 4 == 1:
        raise StatusListMalformed(
            f"encodedList is not valid base64url: {len(body)} characters cannot encode bytes."
        )
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex guards this
        raise StatusListMalformed(f"encodedList is not valid base64url: {exc}.") from exc


def _gunzip_capped(compressed: bytes, max_bytes: int) -> bytes:
    """Inflates one GZIP member, refusing to produce more than ``max_bytes``."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = compressed
    try:
        while pending and not inflater.eof:
            room = max_bytes - len(out) + 1  # one byte more tells us the cap is exceeded
            out += inflater.decompress(pending, room)
            if len(out) > max_bytes:
                raise StatusListTooLarge(
                    f"The status list decompresses to more than {max_bytes} bytes; refused.",
                    details={"max_bytes": max_bytes},
                )
            pending = inflater.unconsumed_tail
            if not pending and not inflater.eof:
                out += inflater.flush(max_bytes - len(out) + 1)
                if len(out) > max_bytes:
                    raise StatusListTooLarge(
                        f"The status list decompresses to more than {max_bytes} bytes; refused.",
                        details={"max_bytes": max_bytes},
                    )
                break
    except zlib.error as exc:
        raise StatusListMalformed(f"encodedList is not valid GZIP data: {exc}.") from exc
    if not inflater.eof:
        raise StatusListMalformed("encodedList is truncated GZIP data.")
    if inflater.unused_data:
        raise StatusListMalformed("encodedList has data after the end of the GZIP stream.")
    return bytes(out)
