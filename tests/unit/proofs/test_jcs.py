"""RFC 8785 JCS: the RFC's own examples, W3C eddsa-jcs-2022 vectors, properties."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openler.core.errors import InputTooLarge, InvalidInput
from openler.core.proofs.jcs import MAX_DEPTH, canonicalize, canonicalize_str, format_number

VECTORS = Path(__file__).resolve().parents[2] / "vectors"

# RFC 8785 §3.2.2: the input as JSON text, and the canonical output.
RFC_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 §3.2.3: property sorting by UTF-16 code units.
RFC_SORT_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORT_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]

# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]
APPENDIX_B_ERRORS = ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]


def _double(hex64: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(hex64))[0]
    return value


def test_rfc_example_3_2_2() -> None:
    output = canonicalize(json.loads(RFC_INPUT))
    assert output == RFC_OUTPUT.encode("utf-8")
    assert b'"string":"\xe2\x82\xac$' in output  # the Euro sign stays raw UTF-8


def test_rfc_sorting_example_3_2_3() -> None:
    output = canonicalize(json.loads(RFC_SORT_INPUT))
    pairs = json.loads(output, object_pairs_hook=lambda p: p)
    assert [value for _, value in pairs] == RFC_SORT_VALUES


def test_utf16_order_differs_from_code_point_order() -> None:
    # U+1F600 is D83D DE00 in UTF-16, which sorts before U+FFFF; by code point it is after.
    output = canonicalize_str({"\uffff": 1, "\U0001f600": 2})
    assert output == '{"\U0001f600":2,"\uffff":1}'
    assert sorted(["\uffff", "\U0001f600"]) == ["\uffff", "\U0001f600"]


@pytest.mark.parametrize(("hex64", "expected"), APPENDIX_B)
def test_rfc_appendix_b_numbers(hex64: str, expected: str) -> None:
    assert format_number(_double(hex64)) == expected
    assert canonicalize([_double(hex64)]) == f"[{expected}]".encode()


@pytest.mark.parametrize("hex64", APPENDIX_B_ERRORS)
def test_rfc_appendix_b_nan_and_infinity_are_errors(hex64: str) -> None:
    with pytest.raises(InvalidInput):
        canonicalize({"n": _double(hex64)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (0, "0"),
        (-1.5, "-1.5"),
        (123.0, "123"),
        (2**53 + 1, "9007199254740992"),  # integers beyond 2^53 are serialized as doubles
        (10**21, "1e+21"),
        (-(10**30), "-1e+30"),
    ],
)
def test_number_edges(value: float, expected: str) -> None:
    assert format_number(value) == expected


def test_huge_integers_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="too large"):
        canonicalize(10**400)


def test_booleans_are_not_numbers() -> None:
    assert canonicalize([True, False, None, 1]) == b"[true,false,null,1]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x00\x1f", '"\\u0000\\u001f"'),
        ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
        ('"\\', '"\\"\\\\"'),
        ("\x7f\u2028/é", '"\x7f\u2028/é"'),
        ("\U0001f600", '"\U0001f600"'),
    ],
)
def test_string_escaping(text: str, expected: str) -> None:
    assert canonicalize_str(text) == expected


def test_lone_surrogates_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        canonicalize({"a": "\ud800"})


@pytest.mark.parametrize("value", [{1: "x"}, {"a": {1, 2}}, b"bytes", object(), {"a": 1j}])
def test_non_json_values_are_rejected(value: object) -> None:
    with pytest.raises(InvalidInput):
        canonicalize(value)


def test_depth_is_capped() -> None:
    nested: Any = "leaf"
    for _ in range(MAX_DEPTH):
        nested = [nested]
    assert canonicalize(nested).startswith(b"[[")
    with pytest.raises(InputTooLarge):
        canonicalize([nested])


def test_mappings_and_tuples_are_json() -> None:
    value = MappingProxyType({"b": (1, 2), "a": MappingProxyType({})})
    assert canonicalize(value) == b'{"a":{},"b":[1,2]}'


def test_input_is_not_mutated() -> None:
    value = {"b": [3, {"d": 1, "c": 2}], "a": None}
    snapshot = json.dumps(value)
    canonicalize(value)
    assert json.dumps(value) == snapshot


def test_w3c_eddsa_jcs_2022_document_vector() -> None:
    unsigned = json.loads((VECTORS / "vectors/vc-di-eddsa/unsigned.json").read_text())
    expected = (VECTORS / "vectors/vc-di-eddsa/eddsa-jcs-2022/canonDocJCS.txt").read_bytes().strip()
    assert canonicalize(unsigned) == expected


def test_w3c_eddsa_jcs_2022_proof_config_vector() -> None:
    config = json.loads(
        (VECTORS / "vectors/vc-di-eddsa/eddsa-jcs-2022/proofConfigJCS.json").read_text()
    )
    expected = (
        (VECTORS / "vectors/vc-di-eddsa/eddsa-jcs-2022/proofCanonJCS.txt").read_bytes().strip()
    )
    assert canonicalize(config) == expected


# -- properties against straightforward references -------------------------------------


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_safe_integers_print_like_str(value: int) -> None:
    assert canonicalize(value) == str(value).encode()


@given(st.text())
def test_strings_match_json_dumps(text: str) -> None:
    # json.dumps(ensure_ascii=False) escapes exactly what RFC 8785 escapes, in lowercase hex.
    assert canonicalize_str(text) == json.dumps(text, ensure_ascii=False)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip_and_use_es_shapes(value: float) -> None:
    text = format_number(value)
    assert float(text) == value
    if value.is_integer() and abs(value) < 1e21:
        assert "." not in text
        assert "e" not in text
    if value.is_integer() and abs(value) <= 2**53:
        assert text == str(int(value))
    assert "E" not in text
    assert "e+0" not in text
    assert "e-0" not in text


def _utf16_units(text: str) -> list[int]:
    units: list[int] = []
    for char in text:
        cp = ord(char)
        if cp > 0xFFFF:
            cp -= 0x10000
            units += [0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)]
        else:
            units.append(cp)
    return units


@given(st.dictionaries(st.text(), st.integers(), max_size=12))
def test_members_are_sorted_by_utf16_units(value: dict[str, int]) -> None:
    pairs = json.loads(canonicalize(value), object_pairs_hook=lambda p: p)
    assert [k for k, _ in pairs] == sorted(value, key=_utf16_units)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_output_parses_back_to_the_input(value: Any) -> None:
    output = canonicalize(value)
    assert json.loads(output) == value
    assert canonicalize(json.loads(output)) == output


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON)
def test_fast_encoder_path_equals_the_reference_writer(value: object) -> None:
    from openler.core.proofs.jcs import _write

    out: list[str] = []
    try:
        _write(value, out, 0)
    except InvalidInput:
        return
    expected = "".join(out)
    try:
        assert canonicalize_str(value) == expected
    except InvalidInput:  # lone surrogates are refused on both paths
        expected.encode("utf-8")
        raise
