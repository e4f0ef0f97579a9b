"""A fast JSON-LD to RDF converter for the shapes credentials use, or ``Unsupported``.

It walks the document once and emits quads directly (no expanded form, no node map),
following pyld 3.3's expansion (JSON-LD 1.1 Expansion, IRI and Value Expansion), node map
generation and RDF deserialization for a deliberately small subset:

* ``@context`` only as a URL or a list of URLs (top-level or on nested node objects);
* keys that expand to ``@id``, ``@type`` or an absolute IRI (terms, compact IRIs, ``@vocab``);
  no other keyword, no dropped term, no relative IRI anywhere (nothing is ever resolved
  against a base), no ``@reverse`` terms, no ``@json`` terms;
* containers ``@set``, ``@list`` (no lists of lists) and ``@graph`` (alone or with ``@set``);
* values: node objects, strings (no default language or direction), booleans, numbers
  (finite; not under an ``xsd:double`` coercion), with type coercion ``@id``, ``@vocab`` or
  an absolute datatype IRI; blank node identifiers ``_:x`` in ``@id`` and ``@id`` values.

Anything else raises :class:`Unsupported` and the caller uses the full pyld path. Context
processing itself is pyld's (``_process_context``, with the same flags expansion uses), run
once per (active context, local context, flags) and kept in a bounded cache of immutable
:class:`_Ctx` objects, so results are pyld's by construction. Blank node labels differ from
pyld's; the RDFC-1.0 canonical form does not.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Final

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from openler.core.jsonld.loader import BundledLoader
from openler.core.jsonld.rdfc import Quad, iri, literal

__all__ = ["Unsupported", "to_quads_fast"]

# Must stay the pattern of openler.core.jsonld.expand._ABSOLUTE_IRI (a test checks).
_ABSOLUTE_IRI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x20<>\"{}|^`\\]*$")
# pyld's own absolute-IRI test (used where pyld uses it to decide how to expand).
_PYLD_ABSOLUTE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_KEYWORD_LIKE: Final = re.compile(r"^@[a-zA-Z]+$")
_KEYWORDS: Final[frozenset[str]] = frozenset(jsonld.KEYWORDS)

_XSD: Final = "http://www.w3.org/2001/XMLSchema#"
_XSD_BOOLEAN: Final = _XSD + "boolean"
_XSD_DOUBLE: Final = _XSD + "double"
_XSD_INTEGER: Final = _XSD + "integer"
_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE: Final = iri(_RDF + "type")
_RDF_FIRST: Final = iri(_RDF + "first")
_RDF_REST: Final = iri(_RDF + "rest")
_RDF_NIL: Final = iri(_RDF + "nil")
_CONTAINERS: Final[tuple[frozenset[str], ...]] = (
    frozenset(),
    frozenset({"@set"}),
    frozenset({"@list"}),
)
_GRAPH_CONTAINERS: Final = (frozenset({"@graph"}), frozenset({"@graph", "@set"}))

_MAX_CONTEXTS: Final = 2048  # processed active contexts kept (per loader)
_MAX_PROPS: Final = 1024  # keys remembered per active context


class Unsupported(Exception):
    """The document uses JSON-LD this converter does not handle; use the full path."""


_RELATIVE: Final = "\x00relative"  # marker: pyld would resolve this against the base


class _Prop:
    """What a key means in one active context (pyld's ``_expand_iri`` + term definition)."""

    __slots__ = ("container", "exp", "lang_ok", "pred", "reverse", "scoped", "tmap")

    def __init__(self, ctx: _Ctx, key: str) -> None:
        exp = ctx.expand(key, vocab=True)
        self.exp = exp
        self.pred: str | None = None
        if exp is not None and exp not in _KEYWORDS and _ABSOLUTE_IRI.match(exp):
            self.pred = iri(exp)
        mapping = ctx.mappings.get(key)
        self.scoped: Any = None
        self.container: frozenset[str] = frozenset()
        self.tmap: Any = None
        self.reverse = False
        if mapping:
            self.scoped = mapping.get("@context")
            cont = mapping.get("@container")
            if cont is not None:
                self.container = frozenset(cont if isinstance(cont, list | tuple) else [cont])
            self.tmap = mapping.get("@type")
            self.reverse = bool(mapping.get("reverse"))
        # JsonLdProcessor.get_context_value(ctx, key, '@language' / '@direction')
        lang = ctx.pc.get("@language")
        direction = ctx.pc.get("@direction")
        if mapping:
            lang = mapping.get("@language", lang)
            direction = mapping.get("@direction", direction)
        self.lang_ok = lang is None and direction is None


class _Ctx:
    """An immutable wrapper of one pyld active context, with memoized lookups."""

    __slots__ = ("_prev", "_props", "conv", "has_previous", "mappings", "pc", "serial")

    def __init__(self, conv: _Converter, pc: Mapping[str, Any]) -> None:
        self.serial = next(_SERIALS)
        self.conv = conv
        self.pc = pc
        self.mappings: Mapping[str, Any] = pc["mappings"]
        self.has_previous = bool(pc.get("previousContext"))
        self._prev: _Ctx | None = None
        self._props: dict[str, _Prop] = {}

    def expand(self, value: str, *, vocab: bool) -> str | None:
        """pyld's ``_expand_iri`` after context processing; ``_RELATIVE`` where pyld would
        resolve against the base."""
        if value in _KEYWORDS:
            return value
        if _KEYWORD_LIKE.match(value):
            return None
        if vocab and value in self.mappings:
            mapping = self.mappings[value]
            if mapping is None:
                return None
            found = mapping.get("@id")
            if not isinstance(found, str):
                raise Unsupported("term without @id")
            return found
        colon = value.find(":")
        if colon > 0:
            prefix, suffix = value[:colon], value[colon + 1 :]
            if prefix == "_" or suffix.startswith("//"):
                return value
            mapping = self.mappings.get(prefix)
            if mapping and mapping.get("_prefix"):
                found = mapping.get("@id")
                if not isinstance(found, str):
                    raise Unsupported("prefix without @id")
                return found + suffix
            if _PYLD_ABSOLUTE.match(value):
                return value
        if vocab and "@vocab" in self.pc:
            base = self.pc["@vocab"]
            if not isinstance(base, str):
                raise Unsupported("@vocab")
            return base + value
        return _RELATIVE

    def prop(self, key: str) -> _Prop:
        found = self._props.get(key)
        if found is None:
            found = _Prop(self, key)
            if len(self._props) < _MAX_PROPS:
                self._props[key] = found
        return found

    def type_context(self, type_: str) -> Any:
        """``get_context_value(ctx, type_, '@context')``."""
        mapping = self.mappings.get(type_)
        return mapping.get("@context") if mapping else None

    def revert(self) -> _Ctx:
        if "previousContext" not in self.pc:
            return self
        prev = self._prev
        if prev is None:
            prev = self._prev = self.conv.wrap(self.pc["previousContext"])
        return prev

    def process(self, local: Any, *, override: bool = False, propagate: bool = True) -> _Ctx:
        if isinstance(local, str):
            key: Hashable = local
        elif isinstance(local, list) and all(isinstance(u, str) for u in local):
            key = tuple(local)
        elif isinstance(local, Mapping):
            key = ("obj", id(local))  # a scoped context inside a processed context
        else:
            raise Unsupported("@context")
        return self.conv.process(self, local, key, override, propagate)


_FAILED: Final = object()
_SERIALS: Final = itertools.count()


class _Converter:
    """Processed contexts for one loader (bounded, thread-safe)."""

    def __init__(self, loader: BundledLoader) -> None:
        self._lock = threading.Lock()
        self._options: dict[str, Any] = {
            "documentLoader": loader.pyld_loader,
            "contextResolver": ContextResolver(LRUCache(maxsize=100), loader.pyld_loader),
            "base": "",
            "processingMode": "json-ld-1.1",
            "isFrame": False,
            "keepFreeFloatingNodes": False,
            "extractAllScripts": True,
        }
        self._proc = jsonld.JsonLdProcessor()
        # (parent serial, local key, flags) -> (local object, result or _FAILED)
        self._cache: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()
        # id(pyld context) -> wrapper (the wrapper keeps the pyld context alive)
        self._wrapped: OrderedDict[int, _Ctx] = OrderedDict()
        self.root = self.wrap(self._proc._get_initial_context(self._options))

    def wrap(self, pc: Mapping[str, Any]) -> _Ctx:
        with self._lock:
            found = self._wrapped.get(id(pc))
            if found is not None and found.pc is pc:
                self._wrapped.move_to_end(id(pc))
                return found
            ctx = _Ctx(self, pc)
            self._wrapped[id(pc)] = ctx
            while len(self._wrapped) > _MAX_CONTEXTS:
                self._wrapped.popitem(last=False)
            return ctx

    def process(
        self, parent: _Ctx, local: Any, key: Hashable, override: bool, propagate: bool
    ) -> _Ctx:
        ck = (parent.serial, key, override, propagate)
        with self._lock:
            entry = self._cache.get(ck)
            if entry is not None and isinstance(local, Mapping) and entry[0] is not local:
                entry = None
            if entry is not None:
                self._cache.move_to_end(ck)
        if entry is None:
            entry = (local, self._compute(parent, local, override, propagate))
            with self._lock:
                self._cache[ck] = entry
                while len(self._cache) > _MAX_CONTEXTS:
                    self._cache.popitem(last=False)
        if entry[1] is _FAILED:
            raise Unsupported("context processing")
        result: _Ctx = entry[1]
        return result

    def _compute(self, parent: _Ctx, local: Any, override: bool, propagate: bool) -> Any:
        arg = list(local) if isinstance(local, list) else local
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pc = self._proc._process_context(
                    parent.pc,
                    arg,
                    self._options,
                    override_protected=override,
                    propagate=propagate,
                )
        except Exception:  # pyld's error is for the full path to report
            return _FAILED
        if caught:  # pyld warns per document: leave such contexts to the full path
            return _FAILED
        return self.wrap(pc)


_CONVERTERS: weakref.WeakKeyDictionary[BundledLoader, _Converter] = weakref.WeakKeyDictionary()
_CONVERTERS_LOCK = threading.Lock()


def _converter(loader: BundledLoader) -> _Converter:
    conv = _CONVERTERS.get(loader)
    if conv is None:
        with _CONVERTERS_LOCK:
            conv = _CONVERTERS.get(loader)
            if conv is None:
                conv = _CONVERTERS[loader] = _Converter(loader)
    return conv


def _flat(value: Any) -> Iterator[Any]:
    """The items of a property value, nested arrays flattened (pyld's array expansion)."""
    if isinstance(value, list):
        for item in value:
            yield from _flat(item)
    else:
        yield value


class _Walk:
    """One document: expansion, node map generation and RDF in a single pass."""

    __slots__ = ("blanks", "counter", "out")

    def __init__(self) -> None:
        self.out: list[Quad] = []
        self.blanks: dict[str, str] = {}
        self.counter = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"_:f{self.counter}"

    def blank(self, label: str) -> str:
        found = self.blanks.get(label)
        if found is None:
            found = self.blanks[label] = f"_:d{len(self.blanks)}"
        return found

    def ref(self, ctx: _Ctx, value: str, *, vocab: bool) -> str:
        """An IRI-expanded ``@id`` (or @id/@vocab-coerced string) as an RDF term."""
        exp = ctx.expand(value, vocab=vocab)
        if exp is None or exp in _KEYWORDS:
            raise Unsupported("@id")
        if exp.startswith("_:"):
            return self.blank(exp)
        if not _ABSOLUTE_IRI.match(exp):  # also _RELATIVE
            raise Unsupported("relative IRI")
        return iri(exp)

    def node(self, ctx: _Ctx, key: str | None, element: dict[str, Any], graph: str) -> str:
        """pyld ``_expand`` of a map (with ``_prepare_nested_context``), then its quads."""
        if not all(isinstance(k, str) for k in element):
            raise Unsupported("key type")
        scoped = ctx.prop(key).scoped if key is not None else None
        must_revert = True
        if ctx.has_previous and len(element) <= 2 and "@context" not in element:
            for k in sorted(element):
                exp = ctx.prop(k).exp
                if exp == "@value":
                    raise Unsupported("@value")
                if exp == "@id" and len(element) == 1:
                    must_revert = False
                    break
        if must_revert:
            ctx = ctx.revert()
        if scoped is not None:
            ctx = ctx.process(scoped, override=True)
        if "@context" in element:
            ctx = ctx.process(element["@context"])
        type_scoped = ctx
        type_key: str | None = None
        for k in sorted(element):
            if ctx.prop(k).exp != "@type":
                continue
            type_key = type_key or k
            value = element[k]
            types = value if isinstance(value, list) else [value]
            for t in sorted(t for t in types if isinstance(t, str)):
                local = type_scoped.type_context(t)
                if local is not None and local is not False:
                    ctx = ctx.process(local, propagate=False)
        if type_key is not None:
            value = element[type_key]
            first = value[0] if value and isinstance(value, list) else value
            if isinstance(first, str) and ctx.expand(first, vocab=True) == "@json":
                raise Unsupported("@json")

        subject: str | None = None
        types_out: list[str] = []
        props: list[tuple[str, Any, _Prop]] = []
        for k, value in element.items():
            if k == "@context":
                continue
            p = ctx.prop(k)
            if p.pred is not None:
                props.append((k, value, p))
            elif p.exp == "@id":
                if subject is not None or not isinstance(value, str):
                    raise Unsupported("@id")
                subject = self.ref(ctx, value, vocab=False)
            elif p.exp == "@type":
                for t in value if isinstance(value, list) else [value]:
                    if not isinstance(t, str):
                        raise Unsupported("@type")
                    exp = type_scoped.expand(t, vocab=True)
                    if exp is None or exp in _KEYWORDS or not _ABSOLUTE_IRI.match(exp):
                        raise Unsupported("@type")
                    types_out.append(iri(exp))
            else:
                raise Unsupported(f"key {k!r}")
        if subject is None:
            subject = self.fresh()
        out = self.out
        for t in types_out:
            out.append((subject, _RDF_TYPE, t, graph))
        for k, value, p in props:
            self.property(ctx, subject, k, value, p, graph)
        return subject

    def property(self, ctx: _Ctx, subject: str, key: str, value: Any, p: _Prop, graph: str) -> None:
        """pyld ``_expand_object`` for one non-keyword key, then its quads."""
        tctx = ctx.process(p.scoped, override=True) if p.scoped is not None else ctx
        tp = tctx.prop(key) if tctx is not ctx else p
        if p.reverse or tp.reverse or p.tmap == "@json" or tp.pred is None:
            raise Unsupported("term")
        if tp.container != p.container:
            raise Unsupported("container")
        pred = p.pred
        assert pred is not None
        out = self.out
        if p.container in _CONTAINERS:
            if "@list" in p.container:
                if isinstance(value, list) and any(isinstance(v, list) for v in value):
                    raise Unsupported("list of lists")
                items = [self.item(tctx, key, tp, v, graph) for v in _flat(value)]
                out.append((subject, pred, self.rdf_list(items, graph), graph))
            else:
                for v in _flat(value):
                    out.append((subject, pred, self.item(tctx, key, tp, v, graph), graph))
        elif p.container in _GRAPH_CONTAINERS:
            for v in _flat(value):
                name = self.fresh()
                obj = self.item(tctx, key, tp, v, name)
                if obj.startswith('"'):
                    raise Unsupported("value in a graph container")
                out.append((subject, pred, name, graph))
        else:
            raise Unsupported("container")

    def item(self, ctx: _Ctx, key: str, p: _Prop, value: Any, graph: str) -> str:
        """One expanded item of a property value (node object or value), as an RDF term."""
        if isinstance(value, dict):
            return self.node(ctx, key, value, graph)
        tmap = p.tmap
        if isinstance(value, str):
            if tmap == "@id":
                return self.ref(ctx, value, vocab=False)
            if tmap == "@vocab":
                return self.ref(ctx, value, vocab=True)
        if tmap is None or tmap == "@id" or tmap == "@vocab":
            datatype = None
        elif tmap == "@none" or tmap == "@json" or tmap == _XSD_DOUBLE:
            raise Unsupported("type mapping")
        elif isinstance(tmap, str) and _ABSOLUTE_IRI.match(tmap):
            datatype = tmap
        else:
            raise Unsupported("datatype")
        if isinstance(value, str):
            if datatype is None and not p.lang_ok:
                raise Unsupported("language")
            return literal(value, datatype)
        if isinstance(value, bool):
            return literal("true" if value else "false", datatype or _XSD_BOOLEAN)
        if isinstance(value, int):
            if abs(value) >= 1e21:
                raise Unsupported("huge integer")
            return literal(str(value), datatype or _XSD_INTEGER)
        if isinstance(value, float) and math.isfinite(value):
            if not value.is_integer():
                return literal(jsonld._canonicalize_double(value), datatype or _XSD_DOUBLE)
            if abs(value) >= 1e21:
                return literal(jsonld._canonicalize_double(value), datatype or _XSD_DOUBLE)
            return literal(str(int(value)), datatype or _XSD_INTEGER)
        raise Unsupported("value")

    def rdf_list(self, items: list[str], graph: str) -> str:
        if not items:
            return _RDF_NIL
        head = node = self.fresh()
        out = self.out
        for i, item in enumerate(items):
            out.append((node, _RDF_FIRST, item, graph))
            nxt = self.fresh() if i + 1 < len(items) else _RDF_NIL
            out.append((node, _RDF_REST, nxt, graph))
            node = nxt
        return head


def to_quads_fast(document: Mapping[str, Any], loader: BundledLoader) -> list[Quad]:
    """The quads of ``document`` (deduplicated), or :class:`Unsupported`. Whenever this
    returns, the full path would report no dropped terms and no invalid IRIs."""
    if not isinstance(document, dict):
        raise Unsupported("not a map")
    walk = _Walk()
    try:
        walk.node(_converter(loader).root, None, document, "")
    except RecursionError as exc:
        raise Unsupported("too deep") from exc
    return list(dict.fromkeys(walk.out))
