"""JSON-LD to RDF quads through pyld, in a *safe mode* of our own.

pyld has no safe mode: it silently drops terms the contexts do not define and quads
whose IRIs are relative. Both would leave data unsigned, so we collect them here and
the caller decides (signing: error; verifying: a warning by default). pyld's own
N-Quads serializer is never used (see :mod:`openler.core.jsonld.rdfc`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyld import jsonld

from openler.core.errors import ContextNotAllowed, JsonLdError
from openler.core.jsonld.fast import Unsupported, to_quads_fast
from openler.core.jsonld.loader import BundledLoader, default_loader
from openler.core.jsonld.rdfc import Quad, iri, literal
from openler.core.jsonld.resolver import operation_resolver

__all__ = ["Expansion", "is_absolute_iri", "to_quads"]

#: Try the fast converter (:mod:`openler.core.jsonld.fast`) first; tests switch it off to
#: compare with the full pyld path (or pass ``fast=`` to :func:`to_quads`).
USE_FAST = True

# RFC 3987 scheme, then no whitespace, no characters N-Quads cannot carry in an IRIREF.
# Unicode whitespace (\s) is excluded as pyld's own check excludes it: pyld drops quads
# with such IRIs, so they must be reported, not signed around.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x20<>\"{}|^`\\]*$")


def is_absolute_iri(value: str) -> bool:
    return _ABSOLUTE_IRI.match(value) is not None


@dataclass(frozen=True, slots=True)
class Expansion:
    """The quads of a document and what a strict JSON-LD processor would refuse."""

    quads: list[Quad]
    dropped_terms: tuple[str, ...] = ()
    invalid_iris: tuple[str, ...] = ()

    @property
    def safe(self) -> bool:
        return not self.dropped_terms and not self.invalid_iris


def _find_context_error(exc: BaseException) -> ContextNotAllowed | None:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, ContextNotAllowed):
            return cur
        stack.extend((cur.__cause__, cur.__context__))
        details = getattr(cur, "details", None)
        if isinstance(details, Mapping):
            stack.extend(v for v in details.values() if isinstance(v, BaseException))
    return None


def _collect_invalid_iris(node: Any, out: list[str]) -> None:
    """Walk expanded JSON-LD; note every @id / @type / property IRI that isn't absolute."""
    if isinstance(node, list):
        for item in node:
            _collect_invalid_iris(item, out)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        typ = node.get("@type")
        if isinstance(typ, str) and typ != "@json" and not is_absolute_iri(typ):
            out.append(typ)
        return
    for key, value in node.items():
        if key == "@id":
            if isinstance(value, str) and not value.startswith("_:") and not is_absolute_iri(value):
                out.append(value)
        elif key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and not t.startswith("_:") and not is_absolute_iri(t):
                    out.append(t)
        elif key in ("@graph", "@list", "@set", "@included"):
            _collect_invalid_iris(value, out)
        elif key == "@reverse" and isinstance(value, dict):
            for rev_value in value.values():
                _collect_invalid_iris(rev_value, out)
        elif not key.startswith("@"):
            if not key.startswith("_:") and not is_absolute_iri(key):
                out.append(key)
            _collect_invalid_iris(value, out)


def _term(t: Mapping[str, Any]) -> str:
    kind = t["type"]
    if kind == "IRI":
        return iri(t["value"])
    if kind == "blank node":
        return str(t["value"])
    return literal(t["value"], t.get("datatype"), t.get("language"))


def to_quads(
    document: Mapping[str, Any],
    loader: BundledLoader | None = None,
    *,
    fast: bool | None = None,
) -> Expansion:
    """Expand ``document`` with only the bundled contexts and convert it to quads.

    Raises :class:`ContextNotAllowed` for an unknown context and :class:`JsonLdError`
    for a document JSON-LD cannot process. Undefined terms and invalid IRIs are
    reported on the result, not raised.

    The fast converter handles the JSON-LD that credentials use; for anything else it
    signals :class:`~openler.core.jsonld.fast.Unsupported` and pyld does the work.
    ``fast`` overrides :data:`USE_FAST` for this call.
    """
    loader = loader or default_loader()
    if USE_FAST if fast is None else fast:
        try:
            return Expansion(quads=to_quads_fast(document, loader))
        except Unsupported:
            pass
    dropped: list[str] = []

    def on_dropped(term: str | None) -> None:
        dropped.append(term if term is not None else "(null)")

    proc = jsonld.JsonLdProcessor(on_property_dropped=on_dropped)
    options: dict[str, Any] = {
        "documentLoader": loader.pyld_loader,
        "base": "",
        "produceGeneralizedRdf": False,
        "processingMode": "json-ld-1.1",
        "extractAllScripts": True,
        # Processed contexts shared between calls (see openler.core.jsonld.resolver).
        "contextResolver": operation_resolver(loader),
    }
    try:
        expanded = proc.expand(dict(document), options)
        invalid: list[str] = []
        _collect_invalid_iris(expanded, invalid)
        issuer = jsonld.IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        proc._create_node_map(expanded, node_map, "@default", issuer)
        quads: list[Quad] = []
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default":
                g = ""
            elif graph_name.startswith("_:"):
                g = graph_name
            elif is_absolute_iri(graph_name):
                g = iri(graph_name)
            else:
                invalid.append(graph_name)
                continue
            for triple in proc._graph_to_rdf(graph, issuer, options):
                quads.append(
                    (
                        _term(triple["subject"]),
                        _term(triple["predicate"]),
                        _term(triple["object"]),
                        g,
                    )
                )
    except ContextNotAllowed:
        raise
    except RecursionError as exc:
        raise JsonLdError("The document is nested too deeply to process.") from exc
    except Exception as exc:
        ctx_error = _find_context_error(exc)
        if ctx_error is not None:
            raise ctx_error from None
        raise JsonLdError(
            f"The document is not valid JSON-LD: {getattr(exc, 'message', None) or exc}",
        ) from exc
    return Expansion(
        quads=quads,
        dropped_terms=tuple(dict.fromkeys(dropped)),
        invalid_iris=tuple(dict.fromkeys(invalid)),
    )
