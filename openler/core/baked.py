"""Baked badges: an Open Badges credential carried inside its PNG or SVG image.

Open Badges 3.0 section "Baked Badge" (pure bytes in, bytes out):

* PNG: one ``iTXt`` chunk, keyword ``openbadgecredential``, compression flag 0, empty
  language tag and translated keyword; the text is the credential's JSON or its compact JWS
  (VC-JWT). We insert it right after ``IHDR`` and drop any earlier one.
* SVG: an ``<openbadges:credential>`` element in namespace ``https://purl.imsglobal.org/ob/v3p0``
  directly after the ``<svg>`` tag, holding the JSON in ``<![CDATA[...]]>``, or, for VC-JWT, an
  empty element whose ``verify`` attribute is the compact JWS.

Open Badges 2.0 images are read too (``legacy=True``): an ``iTXt`` (2.0) or ``tEXt`` (1.x,
a hosted-assertion URL) chunk with keyword ``openbadges``, and ``<openbadges:assertion>`` in
namespace ``http://openbadges.org``.

SVG is parsed with expat under defusedxml-style rules: any DOCTYPE, entity or notation
declaration is refused, so no entity expansion and no external fetch can happen.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.parsers import expat

from openler.core.errors import (
    InputTooLarge,
    InvalidInput,
    MalformedImage,
    MalformedJson,
    NoCredentialInImage,
    UnrecognizedFormat,
)

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "MAX_IMAGE_BYTES",
    "OB3_PNG_KEYWORD",
    "OB3_SVG_NAMESPACE",
    "ExtractedCredential",
    "bake_png",
    "bake_svg",
    "extract_credential",
    "extract_from_png",
    "extract_from_svg",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_PNG_KEYWORD = "openbadgecredential"
LEGACY_PNG_KEYWORD = "openbadges"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
LEGACY_SVG_NAMESPACE = "http://openbadges.org"
_OB3_ELEMENT = f"{OB3_SVG_NAMESPACE} credential"
_LEGACY_ELEMENT = f"{LEGACY_SVG_NAMESPACE} assertion"

_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_FORBIDDEN_MARKUP = re.compile(rb"<!(?:DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")

Kind = Literal["json", "jwt", "url"]
Source = Literal["png", "svg", "json", "jwt"]


@dataclass(frozen=True, slots=True)
class ExtractedCredential:
    """A credential found in bytes.

    ``kind`` is ``"json"`` (embedded proof), ``"jwt"`` (compact JWS) or, for Open Badges 1.x/2.0
    images only, ``"url"`` (a hosted assertion to fetch). ``legacy`` is true for Open Badges
    2.0 and older baking; ``location`` names where it was found (``"iTXt:openbadgecredential"``,
    ``"tEXt:openbadges"``, ``"svg:openbadges:credential"``, ...).
    """

    kind: Kind
    text: str
    source: Source
    legacy: bool = False
    location: str | None = None


# -- payloads ----------------------------------------------------------------------------


def _is_jws(text: str) -> bool:
    if not _JWS.fullmatch(text):
        return False
    head = text.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


def _check_json_object(text: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedJson(f"The credential is not valid JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise MalformedJson("The credential must be a JSON object.")


def _classify(text: str, *, legacy: bool) -> Kind | None:
    """``json``/``jwt``/``url`` for a baked payload (stripped), ``None`` if it is neither."""
    if text.startswith("{"):
        _check_json_object(text)
        return "json"
    if _is_jws(text):
        return "jwt"
    if legacy and re.fullmatch(r"https?://\S+", text):
        return "url"
    return None


def _credential_to_bake(credential: str) -> tuple[str, Kind]:
    if not isinstance(credential, str):
        raise InvalidInput("The credential to bake must be a str (JSON text or a compact JWS).")
    text = credential.strip()
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CREDENTIAL_BYTES:
        raise InputTooLarge(f"A credential to bake may be at most {MAX_CREDENTIAL_BYTES} bytes.")
    kind = _classify(text, legacy=False)
    if kind is None:
        raise InvalidInput("Only a JSON credential or a compact JWS can be baked.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("The credential is not valid Unicode text.") from exc
    return text, kind


def _cap(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("Expected bytes.")
    if len(data) > MAX_IMAGE_BYTES:
        raise InputTooLarge(
            f"The file is {len(data)} bytes; at most {MAX_IMAGE_BYTES} are accepted.",
            details={"bytes": len(data), "limit": MAX_IMAGE_BYTES},
        )


# -- PNG ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chunk:
    type: bytes
    start: int  # offset of the length field
    end: int  # offset after the CRC
    body: bytes


def _png_chunks(data: bytes) -> list[_Chunk]:
    """Every chunk up to IEND, with lengths, types and CRCs checked."""
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedImage("Not a PNG: the 8-byte PNG signature is missing.")
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise MalformedImage("The PNG is truncated (no IEND chunk).")
        length = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        if length > 0x7FFFFFFF or not ctype.isalpha() or not ctype.isascii():
            raise MalformedImage(f"The PNG has a malformed chunk header at byte {pos}.")
        end = pos + 12 + length
        if end > len(data):
            raise MalformedImage(f"The PNG is truncated inside its {ctype.decode()} chunk.")
        body = bytes(data[pos + 8 : pos + 8 + length])
        crc = int.from_bytes(data[end - 4 : end], "big")
        if zlib.crc32(body, zlib.crc32(ctype)) != crc:
            raise MalformedImage(f"The PNG's {ctype.decode()} chunk at byte {pos} has a bad CRC.")
        if not chunks and (ctype != b"IHDR" or length != 13):
            raise MalformedImage("The PNG does not start with an IHDR chunk.")
        chunks.append(_Chunk(ctype, pos, end, body))
        pos = end
        if ctype == b"IEND":
            return chunks


def _text_keyword(chunk: _Chunk) -> str | None:
    if chunk.type not in (b"iTXt", b"tEXt"):
        return None
    keyword, sep, _ = chunk.body.partition(b"\x00")
    return keyword.decode("latin-1") if sep else None


def _itxt_text(chunk: _Chunk) -> str:
    """The text of an uncompressed iTXt chunk (keyword, flag, method, language, translated)."""
    _, _, rest = chunk.body.partition(b"\x00")
    if len(rest) < 2:
        raise MalformedImage("The PNG's iTXt chunk is truncated.")
    if rest[0] != 0:
        raise MalformedImage("Open Badges iTXt chunks MUST NOT be compressed; this one is.")
    parts = rest[2:].split(b"\x00", 2)
    if len(parts) != 3:
        raise MalformedImage("The PNG's iTXt chunk lacks its language tag or translated keyword.")
    try:
        return parts[2].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedImage("The PNG's iTXt text is not valid UTF-8.") from exc


def _find_in_png(data: bytes) -> ExtractedCredential:
    _cap(data)
    found: dict[tuple[bytes, str], list[_Chunk]] = {}
    for chunk in _png_chunks(bytes(data)):
        keyword = _text_keyword(chunk)
        if keyword in (OB3_PNG_KEYWORD, LEGACY_PNG_KEYWORD):
            found.setdefault((chunk.type, keyword), []).append(chunk)
    for ctype, keyword, legacy in (
        (b"iTXt", OB3_PNG_KEYWORD, False),
        (b"iTXt", LEGACY_PNG_KEYWORD, True),
        (b"tEXt", LEGACY_PNG_KEYWORD, True),
    ):
        chunks = found.get((ctype, keyword), [])
        if not chunks:
            continue
        location = f"{ctype.decode()}:{keyword}"
        if len(chunks) > 1:
            raise MalformedImage(f"The PNG has {len(chunks)} {location} chunks; one is allowed.")
        if ctype == b"iTXt":
            text = _itxt_text(chunks[0]).strip()
        else:
            text = chunks[0].body.partition(b"\x00")[2].decode("latin-1").strip()
        kind = _classify(text, legacy=legacy)
        if kind is None:
            raise MalformedImage(f"The PNG's {location} text is neither JSON nor a compact JWS.")
        return ExtractedCredential(kind, text, "png", legacy, location)
    raise NoCredentialInImage("The PNG has no baked Open Badges credential in it.")


def extract_from_png(data: bytes) -> str:
    """The credential text baked into a PNG (Open Badges 3.0 first, else 2.0 / 1.x).

    Use :func:`extract_credential` to also learn its kind and whether it is legacy.
    """
    return _find_in_png(data).text


def bake_png(png: bytes, credential: str) -> bytes:
    """A copy of ``png`` with ``credential`` in an ``iTXt:openbadgecredential`` chunk placed
    right after IHDR; any earlier such chunk is removed. Other chunks are kept byte for byte."""
    _cap(png)
    text, _ = _credential_to_bake(credential)
    png = bytes(png)
    chunks = _png_chunks(png)
    body = OB3_PNG_KEYWORD.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    new_chunk = (
        len(body).to_bytes(4, "big")
        + b"iTXt"
        + body
        + zlib.crc32(body, zlib.crc32(b"iTXt")).to_bytes(4, "big")
    )
    out = bytearray(png[: chunks[0].end])
    out += new_chunk
    for chunk in chunks[1:]:
        if chunk.type == b"iTXt" and _text_keyword(chunk) == OB3_PNG_KEYWORD:
            continue
        out += png[chunk.start : chunk.end]
    out += png[chunks[-1].end :]
    return bytes(out)


# -- SVG ---------------------------------------------------------------------------------


class _Forbidden(Exception):
    pass


@dataclass
class _Element:
    name: str
    attrs: dict[str, str]
    start: int
    depth: int
    text: list[str] = field(default_factory=list)
    end: int = -1  # offset of "</" or, for an empty element, of the byte after it


@dataclass
class _SvgScan:
    root_name: str = ""
    root_start: int = -1
    root_namespaces: dict[str, str] = field(default_factory=dict)
    found: list[_Element] = field(default_factory=list)


def _forbid(*_: Any) -> None:
    raise _Forbidden


def _scan_svg(data: bytes) -> _SvgScan:
    _cap(data)
    data = bytes(data)
    # A DTD can only sit in the prolog, before the first element; expat's handlers below catch
    # it in any encoding, this check just fails fast (and never trips on CDATA text).
    first_element = _FIRST_ELEMENT.search(data)
    if _FORBIDDEN_MARKUP.search(data, 0, first_element.start() if first_element else len(data)):
        raise MalformedImage("SVG with a DOCTYPE or entity declarations is refused (XML bombs).")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.NotationDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid  # type: ignore[assignment]
    scan = _SvgScan()
    pending: dict[str, str] = {}
    stack: list[_Element | None] = []

    def start_ns(prefix: str | None, uri: str) -> None:
        pending[prefix or ""] = uri

    def start(name: str, attrs: dict[str, str]) -> None:
        if not stack:
            scan.root_name, scan.root_start = name, parser.CurrentByteIndex
            scan.root_namespaces = dict(pending)
        pending.clear()
        element = None
        if name in (_OB3_ELEMENT, _LEGACY_ELEMENT):
            element = _Element(name, dict(attrs), parser.CurrentByteIndex, len(stack))
            scan.found.append(element)
        stack.append(element)

    def end(_name: str) -> None:
        element = stack.pop()
        if element is not None:
            element.end = parser.CurrentByteIndex

    def text(chars: str) -> None:
        if stack and stack[-1] is not None:
            stack[-1].text.append(chars)

    parser.StartNamespaceDeclHandler = start_ns
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Forbidden:
        raise MalformedImage("SVG with DTD, entity or notation declarations is refused.") from None
    except expat.ExpatError as exc:
        raise MalformedImage(f"The SVG is not well-formed XML: {exc}.") from exc
    if scan.root_name.rsplit(" ", 1)[-1] != "svg":
        raise MalformedImage("The document's root element is not <svg>.")
    return scan


def _svg_payload(element: _Element, *, legacy: bool) -> ExtractedCredential:
    location = "svg:openbadges:assertion" if legacy else "svg:openbadges:credential"
    verify = element.attrs.get("verify", "").strip()
    body = "".join(element.text).strip()
    if not legacy and verify and body:
        raise MalformedImage("<openbadges:credential> has both a verify attribute and a body.")
    # OB 2.0 may carry both the assertion (body) and its URL (verify): the body wins.
    text = (body or verify) if legacy else (verify or body)
    if not text:
        raise NoCredentialInImage(f"The SVG's {location} element is empty.")
    kind = _classify(text, legacy=legacy)
    if kind is None or (verify and not legacy and kind != "jwt"):
        raise MalformedImage(f"The SVG's {location} content is neither JSON nor a compact JWS.")
    return ExtractedCredential(kind, text, "svg", legacy, location)


def _find_in_svg(data: bytes) -> ExtractedCredential:
    scan = _scan_svg(data)
    for name, legacy in ((_OB3_ELEMENT, False), (_LEGACY_ELEMENT, True)):
        elements = [e for e in scan.found if e.name == name]
        if len(elements) > 1:
            raise MalformedImage(f"The SVG has {len(elements)} baked credentials; one is allowed.")
        if elements:
            return _svg_payload(elements[0], legacy=legacy)
    raise NoCredentialInImage("The SVG has no <openbadges:credential> element in it.")


def extract_from_svg(data: bytes) -> str:
    """The credential text baked into an SVG (Open Badges 3.0 first, else 2.0)."""
    return _find_in_svg(data).text


def _tag_end(data: bytes, start: int) -> int:
    """Offset just after the ``>`` closing the tag that begins at ``start`` (quote-aware)."""
    quote = 0
    for pos in range(start + 1, len(data)):
        byte = data[pos]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return pos + 1
    raise MalformedImage("An SVG tag is not closed.")  # pragma: no cover - expat parsed it


def _escape_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def bake_svg(svg: bytes, credential: str) -> bytes:
    """A copy of ``svg`` with ``credential`` in an ``<openbadges:credential>`` element placed
    directly after the ``<svg>`` tag (JSON as CDATA, a compact JWS as ``verify``); any earlier
    such element is removed. Only UTF-8 (or ASCII) SVG is accepted for baking."""
    text, kind = _credential_to_bake(credential)
    data = bytes(svg)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput("Only UTF-8 SVG can be baked; this one is UTF-16.")
    declared = _XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise InvalidInput(f"Only UTF-8 SVG can be baked; this one is {declared.group(1)!r}.")
    if _XML_ILLEGAL.search(text):
        raise InvalidInput("The credential contains characters that XML cannot carry.")
    scan = _scan_svg(data)

    prefix, declare_here = "openbadges", ""
    existing = scan.root_namespaces.get(prefix)
    add_to_root = existing is None
    if existing not in (None, OB3_SVG_NAMESPACE):
        declare_here = f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'
    if kind == "jwt":
        expected = text
        element = f'<{prefix}:credential{declare_here} verify="{_escape_attr(text)}"/>'
    else:
        expected = text.replace("\r\n", "\n").replace("\r", "\n")  # XML normalises line ends
        body = expected.replace("]]>", "]]]]><![CDATA[>")
        element = f"<{prefix}:credential{declare_here}><![CDATA[{body}]]></{prefix}:credential>"

    root_end = _tag_end(data, scan.root_start)
    self_closing = data[root_end - 2 : root_end] == b"/>"
    close_at = root_end - 2 if self_closing else root_end - 1
    head = data[:close_at]
    if add_to_root:
        head += f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'.encode()
    insert = element.encode("utf-8")
    if self_closing:
        raw_name = re.match(rb"<([^\s/>]+)", data[scan.root_start : root_end])
        if raw_name is None:  # pragma: no cover - expat parsed this start tag
            raise MalformedImage("The SVG's root tag cannot be read.")
        insert += b"</" + raw_name.group(1) + b">"
    out = bytearray(head + b">" + insert)
    pos = root_end
    for old in sorted((e for e in scan.found if e.name == _OB3_ELEMENT), key=lambda e: e.start):
        if old.start < pos:  # nested inside one already removed
            continue
        start_end = _tag_end(data, old.start)
        stop = start_end if data[start_end - 2 : start_end] == b"/>" else _tag_end(data, old.end)
        out += data[pos : old.start]
        pos = stop
    out += data[pos:]
    baked = bytes(out)
    if _find_in_svg(baked).text != expected.strip():
        raise InvalidInput("The baked SVG did not read back the same credential.")
    return baked


# -- any file ----------------------------------------------------------------------------


def extract_credential(data: bytes, filename: str | None = None) -> ExtractedCredential:
    """Finds the credential in a PNG, an SVG, a JSON file or a compact JWS, by content.

    ``filename`` is only a hint: a ``.png`` or ``.svg`` name on other content is reported as a
    malformed image rather than as an unknown format.
    """
    _cap(data)
    data = bytes(data)
    if data.startswith(PNG_SIGNATURE):
        return _find_in_png(data)
    stripped = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"<") or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _find_in_svg(data)
    hint = filename.lower().rsplit(".", 1)[-1] if filename and "." in filename else ""
    if hint in ("png", "svg"):
        raise MalformedImage(f"The file is named .{hint} but is not a {hint.upper()} image.")
    try:
        text = stripped.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise UnrecognizedFormat("The file is not PNG, SVG, JSON or a compact JWS.") from exc
    if text.startswith("{"):
        _check_json_object(text)
        return ExtractedCredential("json", text, "json")
    if _is_jws(text):
        return ExtractedCredential("jwt", text, "jwt")
    raise UnrecognizedFormat("The file is not PNG, SVG, JSON or a compact JWS.")
