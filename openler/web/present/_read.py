"""Reading untrusted documents: every field defensively, strings capped, lists bounded,
links only ``http(s)://``, images only ``data:image/...`` (the page policy allows no
other images)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from openler.core.results import VerificationResult
from openler.web.present._models import ImageView, IssuerView, TrustView

#: Longest text kept from a document (characters), items kept per list, nested credentials.
MAX_TEXT: Final = 5_000
MAX_ITEMS: Final = 100
MAX_ENDORSEMENTS: Final = 20
MAX_CLAIMS: Final = 50
MAX_IMAGE_URL: Final = 2_000_000

_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+")
_HTTP_URL = re.compile(r"https?://[^\s<>\"'\x00-\x1f\x7f]+", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A string (or a language value, or a number) as text; None when empty."""
    if isinstance(value, list):
        value = next((v for v in value if _text(v) is not None), None)
    if isinstance(value, Mapping) and "@value" in value:
        value = value["@value"]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        text = f"{value:g}" if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _items(value: Any, limit: int = MAX_ITEMS) -> list[Any]:
    items = value if isinstance(value, list) else [] if value is None else [value]
    return items[:limit]


def _maps(value: Any, limit: int = MAX_ITEMS) -> list[Mapping[str, Any]]:
    return [v for v in _items(value, limit) if isinstance(v, Mapping)]


def _types(value: Any) -> tuple[str, ...]:
    return tuple(t for t in _items(value) if isinstance(t, str))


def _id(value: Any) -> str | None:
    """The id of a node (its ``id``, or the string itself)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return _text(value, 2_000) if isinstance(value, str) else None


def _url(value: Any) -> str | None:
    text = _text(value, 2_000)
    return text if text and _HTTP_URL.fullmatch(text) else None


def _image(value: Any, fallback_alt: str) -> ImageView | None:
    src = _id(value) if not isinstance(value, str) else value.strip()
    if not src or len(src) > MAX_IMAGE_URL or not _DATA_IMAGE.fullmatch(src):
        return None
    caption = _text(value.get("caption")) if isinstance(value, Mapping) else None
    return ImageView(src=src, alt=caption or fallback_alt)


def humanize(term: str) -> str:
    """``BachelorDegree`` -> ``Bachelor degree``; ``ext:Employment`` -> ``Employment``."""
    term = term.removeprefix("ext:").strip()
    words = _CAMEL.sub(" ", term).replace("_", " ").split()
    if not words:
        return term
    out = [words[0][:1].upper() + words[0][1:]]
    out += [w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:]]
    return " ".join(out)


def human_date(value: Any) -> str | None:
    """An ISO 8601 date-time as ``1 June 2026`` (the text itself when it is not one)."""
    text = _text(value, 100)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return f"{moment.day} {moment:%B %Y}"


def _id_kind(identifier: str | None) -> str | None:
    if not identifier:
        return None
    if identifier.startswith("did:"):
        return "Decentralized identifier (DID)"
    if identifier.startswith("urn:"):
        return "Identifier (URN)"
    if _HTTP_URL.fullmatch(identifier):
        return "Web address"
    return "Identifier"


def _vcdm(document: Mapping[str, Any]) -> str | None:
    contexts = _items(document.get("@context"), 1)
    first = contexts[0] if contexts else None
    if first == "https://www.w3.org/ns/credentials/v2":
        return "2.0"
    if first == "https://www.w3.org/2018/credentials/v1":
        return "1.1"
    return None


def _first_subject(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    subjects = _maps(document.get("credentialSubject"), 1)
    return subjects[0] if subjects else None


def _trust(report: VerificationResult | None) -> TrustView | None:
    check = report.check("trust") if report is not None else None
    if check is None:
        return None
    details = check.details or {}
    if check.status == "pass":
        name = _text(details.get("name"))
        accreditation = _text(details.get("accreditation"))
        sentence = f"Listed in this platform's trust registry as {name or 'a trusted issuer'}"
        sentence += f" ({accreditation})." if accreditation else "."
        return TrustView(True, name, accreditation, sentence)
    inactive = bool(details.get("inactiveEntry"))
    sentence = (
        "Its entry in this platform's trust registry has been withdrawn."
        if inactive
        else "Not in this platform's trust registry: the signature shows who issued "
        "the credential, not whether that issuer is recognised."
    )
    return TrustView(False, None, None, sentence)


def _issuer(value: Any, trust: TrustView | None = None) -> IssuerView:
    profile = value if isinstance(value, Mapping) else {}
    issuer_id = _id(value)
    name = _text(profile.get("name")) or issuer_id or "Unknown issuer"
    return IssuerView(
        id=issuer_id,
        name=name,
        url=_url(profile.get("url")),
        email=_text(profile.get("email"), 320),
        description=_text(profile.get("description")),
        image=_image(profile.get("image"), f"Logo of {name}"),
        trust=trust,
    )
