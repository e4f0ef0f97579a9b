"""RFC 8785 JSON Canonicalization Scheme (JCS).

No whitespace; object members sorted by their names' UTF-16 code units; strings
escaped only where JSON requires it (lowercase ``\\u00xx`` for other control
characters), everything else as raw UTF-8; numbers as IEEE 754 doubles printed the
way ECMAScript's ``Number.prototype.toString`` prints them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from openler.core.errors import InputTooLarge, InvalidInput

__all__ = ["MAX_DEPTH", "canonicalize", "canonicalize_str", "format_number"]

#: Deepest nesting of arrays and objects accepted.
MAX_DEPTH: Final = 128

_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def canonicalize(value: object) -> bytes:
    """The canonical UTF-8 bytes of a JSON value (dict, list, str, int, float, bool, None).

    Raises :class:`InvalidInput` for NaN, infinities, integers beyond the double range,
    lone surrogates, non-string keys or non-JSON types; :class:`InputTooLarge` when
    nested deeper than :data:`MAX_DEPTH`."""
    return canonicalize_str(value).encode("utf-8")


def canonicalize_str(value: object) -> str:
    """Like :func:`canonicalize`, as a ``str``."""
    if _plain(value, 0):
        # No floats, no integers beyond 2**53, ASCII member names only: then Python's
        # own encoder writes exactly the JCS text (same escapes, code point order equals
        # UTF-16 order for ASCII names), at C speed.
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        out: list[str] = []
        _write(value, out, 0)
        text = "".join(out)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("JSON strings must not contain lone surrogates.") from exc
    return text


def format_number(value: float | int) -> str:
    """ECMAScript ``Number.prototype.toString`` of ``value`` as a double (RFC 8785 §3.2.2.3)."""
    try:
        number = float(value)
    except OverflowError as exc:
        raise InvalidInput("The integer is too large for an IEEE 754 double.") from exc
    if not math.isfinite(number):
        raise InvalidInput("NaN and Infinity are not allowed in JSON.")
    if number == 0:
        return "0"  # also -0
    sign = "-" if number < 0 else ""
    # repr() is the shortest string that round-trips, which is what ECMAScript requires.
    # value = 0.<all_digits> x 10**n, with all_digits free of leading zeros.
    _sign, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    assert isinstance(exponent, int)
    all_digits = "".join(map(str, digit_tuple))
    n = len(all_digits) + exponent
    digits = all_digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


_SAFE_INT: Final = 2**53


def _plain(value: object, depth: int) -> bool:
    """True when the fast encoder gives the canonical text for ``value``."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return True
    if isinstance(value, int):
        return -_SAFE_INT <= value <= _SAFE_INT
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str) or not name.isascii() or not _plain(item, depth + 1):
                return False
        return True
    if isinstance(value, list):
        return all(_plain(item, depth + 1) for item in value)
    return False


def _write(value: object, out: list[str], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int | float):
        out.append(format_number(value))
    elif isinstance(value, Mapping):
        _enter(depth)
        names = list(value.keys())
        if not all(isinstance(name, str) for name in names):
            raise InvalidInput("JSON object member names must be strings.")
        out.append("{")
        for i, name in enumerate(sorted(names, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_quote(name))
            out.append(":")
            _write(value[name], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        _enter(depth)
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise InvalidInput(f"{type(value).__name__} is not a JSON type.")


def _enter(depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise InputTooLarge(f"JSON nested deeper than {MAX_DEPTH} levels.")


def _utf16_key(name: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like sequences of UTF-16 code units.
    return name.encode("utf-16-be", "surrogatepass")


def _quote(text: str) -> str:
    parts = ['"']
    for char in text:
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif char < " ":
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)
