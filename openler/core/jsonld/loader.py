"""A JSON-LD document loader that serves only the contexts bundled with openler.

Every bundled file is listed in ``contexts/index.json`` with its URL and SHA-256; the
digest is checked when the file is first read. Any other URL raises
:class:`~openler.core.errors.ContextNotAllowed`: the core never fetches.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

from openler.core.errors import ContextNotAllowed, OpenlerError

__all__ = ["BundledLoader", "bundled_context_urls", "default_loader"]

#: Other URLs that serve byte-identical copies of a bundled context.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": (
            "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
        ),
        "https://w3c.github.io/vc-data-model/contexts/credentials/v2": (
            "https://www.w3.org/ns/credentials/v2"
        ),
    }
)


def _read_index() -> dict[str, tuple[str, str]]:
    root = resources.files("openler.core") / "contexts"
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    return {c["url"]: (c["file"], c["sha256"]) for c in index["contexts"]}


class BundledLoader:
    """Callable loader: ``loader(url) -> parsed JSON``; also usable by pyld via
    :meth:`pyld_loader`. ``extra`` adds caller-vetted contexts (URL -> parsed JSON)."""

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._index = _read_index()
        self._docs: dict[str, Mapping[str, Any]] = {}
        self._extra = dict(extra or {})
        self._terms: frozenset[str] | None = None

    def urls(self) -> frozenset[str]:
        return frozenset(self._index) | frozenset(ALIASES) | frozenset(self._extra)

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self._canonical_url(url) is not None

    def _canonical_url(self, url: str) -> str | None:
        if url in self._extra or url in self._index:
            return url
        target = ALIASES.get(url)
        return target if target in self._index else None

    def __call__(self, url: str) -> Mapping[str, Any]:
        found = self._docs.get(url)
        if found is not None:
            return found
        key = self._canonical_url(url)
        if key is None:
            raise ContextNotAllowed(
                f"The JSON-LD context {url!r} is not one openler knows; it is never fetched.",
                details={"url": url},
            )
        if key in self._extra:
            doc = self._extra[key]
        else:
            filename, digest = self._index[key]
            raw = (resources.files("openler.core") / "contexts" / filename).read_bytes()
            if hashlib.sha256(raw).hexdigest() != digest:
                raise OpenlerError(f"The bundled context file {filename} is corrupt.")
            doc = json.loads(raw)
        self._docs[url] = doc
        return doc

    def defined_terms(self) -> frozenset[str]:
        """Every term defined anywhere in the contexts served (any could act as a prefix
        of a compact IRI). Computed once."""
        if self._terms is None:
            terms: set[str] = set()
            for url in sorted(self.urls()):
                _collect_terms(self(url).get("@context"), terms)
            self._terms = frozenset(terms)
        return self._terms

    def pyld_loader(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The document-loader shape pyld expects; ``tag: static`` lets pyld cache the
        processed context between calls."""
        return {
            "contextUrl": None,
            "documentUrl": url,
            # pyld may rewrite relative URLs inside the context: give it its own copy.
            "document": copy.deepcopy(dict(self(url))),
            "tag": "static",
        }


def _collect_terms(ctx: Any, terms: set[str]) -> None:
    if isinstance(ctx, list):
        for item in ctx:
            _collect_terms(item, terms)
    elif isinstance(ctx, Mapping):
        for key, value in ctx.items():
            if not key.startswith("@"):
                terms.add(key)
            if isinstance(value, Mapping) and "@context" in value:
                _collect_terms(value["@context"], terms)
            elif key == "@context":
                _collect_terms(value, terms)


_DEFAULT: BundledLoader | None = None


def default_loader() -> BundledLoader:
    """One process-wide loader over the bundled contexts (pyld caches by URL)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = BundledLoader()
    return _DEFAULT


def bundled_context_urls() -> frozenset[str]:
    return default_loader().urls()
