"""Baked badges: PNG iTXt and SVG baking and extraction, legacy images, hostile input."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openler.core.baked import (
    MAX_IMAGE_BYTES,
    ExtractedCredential,
    bake_png,
    bake_svg,
    extract_credential,
    extract_from_png,
    extract_from_svg,
)
from openler.core.errors import (
    InputTooLarge,
    InvalidInput,
    MalformedImage,
    MalformedJson,
    NoCredentialInImage,
    UnrecognizedFormat,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork 🤝 チームワーク 团队合作 — Ünïcödé",
    },
    ensure_ascii=False,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


JWS = ".".join(
    [_b64(b'{"alg":"EdDSA","typ":"JWT"}'), _b64('{"vc":{"name":"日本"}}'.encode()), _b64(b"s" * 64)]
)


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _png(*extra: bytes) -> bytes:
    """A 1x1 8-bit greyscale PNG (filter byte 0, one black pixel), with extra chunks."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return PNG_SIGNATURE + ihdr + b"".join(extra) + idat + _chunk(b"IEND", b"")


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """An independent little PNG reader for the assertions: (type, body) pairs."""
    assert png[:8] == PNG_SIGNATURE
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(ctype + body)
        out.append((ctype, body))
        pos += 12 + length
    return out


def _itxt(keyword: bytes, text: bytes, flag: int = 0) -> bytes:
    return _chunk(b"iTXt", keyword + b"\x00" + bytes([flag, 0]) + b"\x00\x00" + text)


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
    b'<circle cx="256" cy="256" r="200"/></svg>\n'
)


# -- PNG --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [(CREDENTIAL, "json"), (JWS, "jwt")])
def test_png_round_trip(text: str, kind: str) -> None:
    baked = bake_png(_png(), text)
    assert extract_from_png(baked) == text
    assert extract_credential(baked) == ExtractedCredential(
        kind, text, "png", legacy=False, location="iTXt:openbadgecredential"
    )


def test_png_itxt_layout_is_exactly_the_spec() -> None:
    original = _png(_chunk(b"tEXt", b"Comment\x00made by hand"))
    baked = bake_png(original, CREDENTIAL)
    chunks = _chunks(baked)
    assert [c[0] for c in chunks] == [b"IHDR", b"iTXt", b"tEXt", b"IDAT", b"IEND"]
    body = chunks[1][1]
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated NUL
    assert body == b"openbadgecredential\x00" + b"\x00\x00" + b"\x00" + b"\x00" + (
        CREDENTIAL.encode("utf-8")
    )
    assert [c for c in chunks if c[0] != b"iTXt"] == _chunks(original)


def test_rebaking_a_png_replaces_the_credential() -> None:
    once = bake_png(_png(), CREDENTIAL)
    twice = bake_png(once, JWS)
    itxt = [body for ctype, body in _chunks(twice) if ctype == b"iTXt"]
    assert len(itxt) == 1
    assert extract_from_png(twice) == JWS


def test_png_without_a_credential() -> None:
    with pytest.raises(NoCredentialInImage) as info:
        extract_from_png(_png(_chunk(b"tEXt", b"Comment\x00hello")))
    assert info.value.code == "no_credential_in_image"


@pytest.mark.parametrize("cut", [1, 4, 12, 30])
def test_truncated_png(cut: int) -> None:
    baked = bake_png(_png(), CREDENTIAL)
    with pytest.raises(MalformedImage) as info:
        extract_from_png(baked[:-cut])
    assert info.value.code == "malformed_image"


def test_png_with_a_bad_crc() -> None:
    baked = bytearray(bake_png(_png(), CREDENTIAL))
    baked[60] ^= 0x01  # inside the iTXt text
    with pytest.raises(MalformedImage, match="CRC"):
        extract_from_png(bytes(baked))
    with pytest.raises(MalformedImage):
        bake_png(bytes(baked), JWS)


def test_not_a_png() -> None:
    with pytest.raises(MalformedImage):
        extract_from_png(b"GIF89a" + bytes(20))
    with pytest.raises(MalformedImage):
        bake_png(SVG, CREDENTIAL)


def test_png_must_start_with_ihdr() -> None:
    png = _png()
    broken = PNG_SIGNATURE + _chunk(b"tEXt", b"a\x00b") + png[8:]
    with pytest.raises(MalformedImage, match="IHDR"):
        extract_from_png(broken)


def test_two_credential_chunks_are_refused() -> None:
    text = CREDENTIAL.encode()
    png = _png(_itxt(b"openbadgecredential", text), _itxt(b"openbadgecredential", text))
    with pytest.raises(MalformedImage, match="one is allowed"):
        extract_from_png(png)


def test_compressed_itxt_is_refused() -> None:
    png = _png(_itxt(b"openbadgecredential", zlib.compress(CREDENTIAL.encode()), flag=1))
    with pytest.raises(MalformedImage, match="compressed"):
        extract_from_png(png)


def test_itxt_with_garbage_text_is_refused() -> None:
    with pytest.raises(MalformedImage):
        extract_from_png(_png(_itxt(b"openbadgecredential", b"hello")))
    with pytest.raises(MalformedJson):
        extract_from_png(_png(_itxt(b"openbadgecredential", b"{not json")))


def test_legacy_open_badges_2_png() -> None:
    assertion = '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}'
    found = extract_credential(_png(_itxt(b"openbadges", assertion.encode())))
    assert found == ExtractedCredential("json", assertion, "png", True, "iTXt:openbadges")


def test_legacy_open_badges_1_png_holds_a_url() -> None:
    png = _png(_chunk(b"tEXt", b"openbadges\x00https://example.org/assertions/123"))
    found = extract_credential(png)
    assert (found.kind, found.text, found.legacy, found.location) == (
        "url",
        "https://example.org/assertions/123",
        True,
        "tEXt:openbadges",
    )


def test_ob3_chunk_wins_over_a_legacy_one() -> None:
    png = _png(_itxt(b"openbadges", b'{"legacy": true}'))
    found = extract_credential(bake_png(png, CREDENTIAL))
    assert (found.text, found.legacy) == (CREDENTIAL, False)


def test_oversized_input_is_refused() -> None:
    with pytest.raises(InputTooLarge) as info:
        extract_from_png(PNG_SIGNATURE + bytes(MAX_IMAGE_BYTES))
    assert info.value.code == "input_too_large"
    with pytest.raises(InputTooLarge):
        extract_credential(b" " * (MAX_IMAGE_BYTES + 1))


@pytest.mark.parametrize("text", ["", "hello", "[1, 2]", "a.b", "{not json"])
def test_only_credentials_can_be_baked(text: str) -> None:
    with pytest.raises(InvalidInput):
        bake_png(_png(), text)
    with pytest.raises(InvalidInput):
        bake_svg(SVG, text)


# -- SVG --------------------------------------------------------------------------------


def test_svg_round_trip_json_uses_cdata_right_after_the_svg_tag() -> None:
    baked = bake_svg(SVG, CREDENTIAL)
    text = baked.decode("utf-8")
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" '
        f'xmlns:openbadges="{OB3_NS}">'
        f"<openbadges:credential><![CDATA[{CREDENTIAL}]]></openbadges:credential>"
        '<circle cx="256"'
    )
    assert extract_from_svg(baked) == CREDENTIAL
    assert extract_credential(baked) == ExtractedCredential(
        "json", CREDENTIAL, "svg", False, "svg:openbadges:credential"
    )


def test_svg_round_trip_jwt_uses_the_verify_attribute() -> None:
    baked = bake_svg(SVG, JWS)
    assert f'<openbadges:credential verify="{JWS}"/>'.encode() in baked
    found = extract_credential(baked)
    assert (found.kind, found.text, found.source) == ("jwt", JWS, "svg")


def test_the_spec_example_svg_is_read() -> None:
    example = f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:openbadges="{OB3_NS}"
  viewBox="0 0 512 512">
  <openbadges:credential>
    <![CDATA[
      {CREDENTIAL}
    ]]>
  </openbadges:credential>
  <!-- rest-of-image -->
</svg>""".encode()
    assert extract_from_svg(example) == CREDENTIAL
    rebaked = bake_svg(example, JWS)
    assert rebaked.count(b"openbadges:credential") == 1  # one self-closing element
    assert rebaked.count(b"xmlns:openbadges") == 1
    assert extract_from_svg(rebaked) == JWS


def test_any_prefix_bound_to_the_namespace_is_found() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg"><g><ob:credential xmlns:ob="{OB3_NS}" '
        f'verify="{JWS}"/></g></svg>'
    ).encode()
    assert extract_from_svg(svg) == JWS


def test_cdata_terminator_inside_the_json_survives() -> None:
    credential = '{"description": "a ]]> b"}'
    baked = bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', credential)
    assert baked.endswith(b"</openbadges:credential></svg>")
    assert extract_from_svg(baked) == credential


def test_svg_with_a_legacy_openbadges_prefix_gets_a_local_declaration() -> None:
    legacy = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://example.org/assertions/123"/></svg>'
    )
    assert extract_credential(legacy) == ExtractedCredential(
        "url", "https://example.org/assertions/123", "svg", True, "svg:openbadges:assertion"
    )
    baked = bake_svg(legacy, CREDENTIAL)
    assert f'<openbadges:credential xmlns:openbadges="{OB3_NS}">'.encode() in baked
    found = extract_credential(baked)
    assert (found.text, found.legacy) == (CREDENTIAL, False)


def test_legacy_open_badges_2_svg_with_an_assertion_body() -> None:
    assertion = '{"type": "Assertion", "id": "https://example.org/assertions/123"}'
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="https://example.org/assertions/123">'
        f"<![CDATA[{assertion}]]></openbadges:assertion></svg>"
    ).encode()
    found = extract_credential(svg)
    assert (found.kind, found.text, found.legacy) == ("json", assertion, True)


def test_svg_with_a_doctype_entity_is_rejected() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a "aaaaaaaaaa">\n'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
    )
    for call in (extract_from_svg, extract_credential):
        with pytest.raises(MalformedImage) as info:
            call(bomb)
        assert info.value.code == "malformed_image"
    with pytest.raises(MalformedImage):
        bake_svg(bomb, CREDENTIAL)


def test_svg_with_an_external_dtd_is_rejected() -> None:
    svg = b'<!DOCTYPE svg SYSTEM "http://example.org/evil.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(MalformedImage):
        extract_from_svg(svg)


@pytest.mark.parametrize(
    "svg",
    [
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY a "x">]><svg>&a;</svg>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg><svg/>',
    ],
)
def test_utf16_svg_with_a_doctype_is_rejected_by_the_parser(svg: str) -> None:
    # The byte scan cannot see UTF-16 markup; the expat handlers must refuse it.
    with pytest.raises(MalformedImage, match="DTD"):
        extract_from_svg(svg.encode("utf-16"))


def test_doctype_text_inside_a_credential_is_not_a_dtd() -> None:
    credential = '{"narrative": "<!DOCTYPE html> is how pages start"}'
    assert extract_from_svg(bake_svg(SVG, credential)) == credential


def test_svg_without_a_credential() -> None:
    with pytest.raises(NoCredentialInImage) as info:
        extract_from_svg(SVG)
    assert info.value.code == "no_credential_in_image"
    empty = f'<svg xmlns:openbadges="{OB3_NS}"><openbadges:credential/></svg>'.encode()
    with pytest.raises(NoCredentialInImage):
        extract_from_svg(empty)


_O = f'<svg xmlns:o="{OB3_NS}">'.encode()


@pytest.mark.parametrize(
    "svg",
    [
        b"<svg><g></svg>",
        b'<html xmlns="http://www.w3.org/1999/xhtml"/>',
        _O + b'<o:credential verify="x"/></svg>',
        _O + f'<o:credential verify="{JWS}">{{"a":1}}</o:credential></svg>'.encode(),
        _O + f'<o:credential verify="{JWS}"/><o:credential verify="{JWS}"/></svg>'.encode(),
    ],
    ids=["not-well-formed", "not-svg", "verify-not-jws", "verify-and-body", "two-credentials"],
)
def test_malformed_svgs(svg: bytes) -> None:
    with pytest.raises(MalformedImage):
        extract_from_svg(svg)


def test_bake_svg_refuses_non_utf8_documents() -> None:
    with pytest.raises(InvalidInput):
        bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), CREDENTIAL)
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(InvalidInput):
        bake_svg(latin, CREDENTIAL)


def test_bake_svg_refuses_characters_xml_cannot_carry() -> None:
    with pytest.raises(InvalidInput):
        bake_svg(SVG, '{"a": "\ufffe"}')


# -- sniffing ---------------------------------------------------------------------------


def test_extract_credential_sniffs_json_and_jwt_files() -> None:
    assert extract_credential(("\ufeff" + CREDENTIAL + "\n").encode()) == ExtractedCredential(
        "json", CREDENTIAL, "json"
    )
    assert extract_credential(JWS.encode() + b"\r\n") == ExtractedCredential("jwt", JWS, "jwt")


def test_extract_credential_errors() -> None:
    with pytest.raises(UnrecognizedFormat) as info:
        extract_credential(b"GIF89a\x01\x00")
    assert info.value.code == "unrecognized_format"
    with pytest.raises(UnrecognizedFormat):
        extract_credential(b"not.a.jws")
    with pytest.raises(MalformedJson):
        extract_credential(b'{"unterminated": ')
    with pytest.raises(MalformedImage):
        extract_credential(CREDENTIAL.encode(), filename="badge.PNG")


def test_extraction_does_not_care_about_the_filename_when_content_is_clear() -> None:
    found = extract_credential(bake_png(_png(), JWS), filename="badge.json")
    assert (found.source, found.kind) == ("png", "jwt")


# -- properties -------------------------------------------------------------------------

# Lone surrogates are not Unicode text: baking refuses them (tested separately).
_TEXT = st.text(
    st.characters(exclude_characters="\ufffe\uffff", exclude_categories=("Cs",)), max_size=80
)


@settings(max_examples=60, deadline=None)
@given(name=_TEXT, description=_TEXT)
def test_any_json_credential_round_trips_through_png_and_svg(name: str, description: str) -> None:
    credential = json.dumps({"name": name, "description": description}, ensure_ascii=False)
    assert extract_from_png(bake_png(_png(), credential)) == credential
    assert extract_from_svg(bake_svg(SVG, credential)) == credential
    assert json.loads(extract_credential(bake_svg(SVG, credential)).text)["name"] == name


def test_lone_surrogates_are_refused_when_baking() -> None:
    png = _png()
    with pytest.raises(InvalidInput):
        bake_png(png, '{"name": "\ud800"}')
