"""Context processing that pyld does once per loader instead of once per document.

pyld (3.3) caches a processed context on its ``ResolvedContext`` keyed by the ``_uuid`` of the
active context it was processed against. That key defeats reuse across documents:

* a type-scoped context (``propagate=False``) is processed against a *fresh clone* of the active
  context, which gets a fresh ``uuid1()`` every time, so every ``@type`` of every node re-runs
  ``_create_term_definition`` for the whole scoped context (and pre-validates its nested scoped
  contexts), document after document;
* everything processed after such a context hangs off a fresh ``_uuid`` too;
* every inline (scoped) context object is JCS-canonicalized on each use to find its
  ``ResolvedContext`` again, and ``expand`` builds a fresh ``ContextResolver`` per call.

A persistent resolver keyed by ``id()`` of context objects changes nothing: the cache *key* is
the active context's uuid, not the local context.

This module keys the processed result structurally instead. An active context belongs to a
``_Node``: a class of active contexts with identical content, ``previousContext`` and ``_uuid``
aside (processing reads neither: it copies ``previousContext`` into the result and re-keys).
A node is either pyld's initial context, a verified clone of a node (the type-scoped case), or
"node N after processing local context Y with flags F". Y is identified by a token: the
trusted, never-mutated context objects of the loader's documents by identity, any other inline
context by its JCS text (what pyld itself keys it by). F are the arguments of
``_process_context`` that change the result (``override_protected``, ``validate_scoped``, the
``base`` option), read from pyld's frame; if the frame is not the one expected, nothing is
shared.

So that the per-document behaviour stays *exactly* pyld's (its per-document caches are
deliberately flag-insensitive and can mask errors), every operation gets its own resolver that
mirrors pyld's per-call state: ``ResolvedContext`` objects deduplicated by URL / JCS text,
each with pyld's own uuid-keyed LRU. The shared cache only replaces a *computation*: when pyld
would process Y against an active context it has not seen in this document, a copy of the
shared result (new ``_uuid``, this document's ``previousContext``) is handed out instead, as if
pyld had just computed it. Documents with ``@import`` (whose processing mutates context
documents) switch their operation to pyld's plain behaviour over private copies.

Contexts with keyword-like terms or values (``"@foo"``) are never shared, so that every
document still gets pyld's SyntaxWarning. pyld's ``uuid1()`` is swapped for a counter (see
``_PyldUuid``; the only pyld global this module touches).

Bounds: trusted-only results (bundled contexts) and results involving any inline context from a
document live in separate LRUs, so untrusted documents cannot evict the bundled working set;
contexts whose JCS text is longer than ``max_inline_chars`` are never shared. The URL cache
holds only documents the loader actually served (a finite set).
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from types import CodeType, FrameType
from typing import Any, Final

from c14n.Canonicalize import canonicalize
from frozendict import frozendict
from pyld import iri_resolver, jsonld
from pyld.context_resolver import ContextResolver
from pyld.resolved_context import MAX_ACTIVE_CONTEXTS, ResolvedContext

from openler.core.jsonld.loader import BundledLoader

__all__ = ["ContextCache", "OperationResolver", "context_cache", "operation_resolver"]

PyldLoader = Callable[..., dict[str, Any]]
Flags = tuple[bool, bool, str]

_PROCESS_CONTEXT: Final[CodeType] = jsonld.JsonLdProcessor._process_context.__code__
_PROCESSOR: Final[type] = jsonld.JsonLdProcessor
# The pyld methods that process contexts for the expansion algorithm itself.
_EXPANSION_CODES: Final[frozenset[CodeType]] = frozenset(
    getattr(jsonld.JsonLdProcessor, name).__code__
    for name in (
        "_expand",
        "_expand_object",
        "_prepare_nested_context",
        "_expand_index_map",
        "process_context",
    )
)
_MAX_CALLER_DEPTH: Final[int] = 4
_CLONE_KEYS: Final[frozenset[str]] = frozenset(
    {"mappings", "previousContext", "_uuid", "@base", "@language", "@vocab"}
)
_ROOT_KEYS: Final[frozenset[str]] = frozenset({"_uuid", "processingMode", "mappings"})
_MAX_ROOTS: Final[int] = 8
_MAX_ACTIVE_CONTEXTS: Final[int] = int(MAX_ACTIVE_CONTEXTS)
_KEYWORDS: Final[frozenset[str]] = frozenset(jsonld.KEYWORDS)
_KEYWORD_LIKE: Final[re.Pattern[str]] = re.compile(jsonld.KEYWORD_PATTERN)

# Identifiers for active contexts. pyld only compares them (as cache keys); a process-unique
# prefix plus a counter can collide neither with each other nor with a uuid1() string.
_ID_PREFIX: Final[str] = f"openler-{uuid.uuid4().hex}-"
_ids: Iterator[int] = itertools.count()


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ids)}"


class _PyldUuid:
    """Stands in for the ``uuid`` module inside ``pyld.jsonld``, whose only use of it is
    ``str(uuid.uuid1())`` to name a new active context. ``uuid1()`` costs ~9 µs here (libuuid's
    time-safe generator); pyld calls it for every type-scoped context of every node, about a
    tenth of the whole expansion once contexts are cached. Names stay unique per process."""

    uuid1 = staticmethod(_new_id)


# THE ONE MUTATION OF A PYLD GLOBAL (done once, on import): pyld.jsonld's `uuid` module
# reference. Nothing else in pyld is patched; its files are untouched.
if jsonld.uuid is uuid:
    jsonld.uuid = _PyldUuid


class _Trusted:
    """A context object inside a document the loader served; never mutated once registered."""

    __slots__ = ("_key", "has_import", "obj")

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self._key: str | None = None
        self.has_import = _has_import(obj)

    def key(self) -> str:
        """pyld's key for this object: its JCS text (computed once, not once per document)."""
        key = self._key
        if key is None:
            key = self._key = canonicalize(dict(self.obj)).decode("UTF-8")
        return key


Token = _Trusted | str


class _Node:
    """A class of structurally identical active contexts (see the module docstring)."""

    __slots__ = ("clone", "has_previous", "serial", "template", "trusted")

    def __init__(self, template: dict[str, Any] | None, trusted: bool) -> None:
        self.serial = next(_ids)
        self.template = template
        self.has_previous = template is not None and "previousContext" in template
        self.trusted = trusted
        self.clone: _Node | None = None

    def instantiate(self, active_ctx: Mapping[str, Any]) -> frozendict[str, Any]:
        """A new active context of this class for ``active_ctx``, as if pyld had processed it:
        its own ``_uuid`` and ``active_ctx``'s previous context (keys keep pyld's order)."""
        out = dict(self.template or ())
        out["_uuid"] = _new_id()
        if self.has_previous:
            out["previousContext"] = active_ctx["previousContext"]
        return frozendict(out)


def _has_import(ctx: Mapping[str, Any]) -> bool:
    if "@import" in ctx:
        return True
    inner = ctx.get("@context")
    return isinstance(inner, Mapping) and "@import" in inner


def _may_warn(value: Any) -> bool:
    """Whether processing this context could warn (pyld warns about terms and IRIs that look
    like keywords, e.g. ``"@foo"``): such a context is always processed, never shared, so
    that every document gets its warnings."""
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, str):
            if cur.startswith("@") and cur not in _KEYWORDS and _KEYWORD_LIKE.match(cur):
                return True
        elif isinstance(cur, Mapping):
            stack.extend(cur.keys())
            stack.extend(cur.values())
        elif isinstance(cur, (list, tuple)):
            stack.extend(cur)
    return False


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


class _LRU:
    """A bounded least-recently-used map (the caller holds the lock)."""

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> Any:
        data = self._data
        if key not in data:
            return None
        data.move_to_end(key)
        return data[key]

    def put(self, key: Hashable, value: Any) -> None:
        data = self._data
        data[key] = value
        data.move_to_end(key)
        while len(data) > self.maxsize:
            data.popitem(last=False)


class ContextCache:
    """Shared, bounded, thread-safe state for one document loader."""

    def __init__(
        self,
        loader: PyldLoader,
        *,
        max_trusted: int = 1024,
        max_untrusted: int = 128,
        max_inline_chars: int = 16384,
    ) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self.max_inline_chars = max_inline_chars
        # url -> (the context's @context value with its URLs resolved, documentUrl, tag)
        self._urls: dict[str, tuple[Any, str, Any]] = {}
        self.trusted: dict[int, _Trusted] = {}
        self._roots: dict[str, _Node] = {}
        self._iris = _LRU(256)
        self._processed_trusted = _LRU(max_trusted)
        self._processed_untrusted = _LRU(max_untrusted)

    def operation(self) -> OperationResolver:
        """A resolver for one ``expand`` call (pass it as ``options['contextResolver']``)."""
        return OperationResolver(self)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "urls": len(self._urls),
                "trusted_objects": len(self.trusted),
                "processed_trusted": len(self._processed_trusted),
                "processed_untrusted": len(self._processed_untrusted),
                "max_trusted": self._processed_trusted.maxsize,
                "max_untrusted": self._processed_untrusted.maxsize,
            }

    # -- URLs -------------------------------------------------------------------------------

    def resolve_iri(self, url: str, base: Any) -> Any:
        """``iri_resolver.resolve(url, base)``, remembered for string arguments."""
        if not isinstance(base, str) or len(url) + len(base) > 2048:
            return iri_resolver.resolve(url, base)
        with self._lock:
            found = self._iris.get((url, base))
        if found is None:
            found = iri_resolver.resolve(url, base)
            if isinstance(found, str):
                with self._lock:
                    self._iris.put((url, base), found)
        return found

    def load(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """pyld document loader: the stored, already URL-resolved context, or the real loader."""
        entry = self._urls.get(url)
        if entry is None:
            return self._loader(url, options)
        value, document_url, tag = entry
        return {
            "contextUrl": None,
            "documentUrl": document_url,
            "document": {"@context": value},
            "tag": tag,
        }

    def url_value(self, url: str) -> Any:
        entry = self._urls.get(url)
        return None if entry is None else entry[0]

    def store_url(self, url: str, value: Any, document_url: str, tag: Any) -> None:
        with self._lock:
            if url in self._urls:
                return
            self._urls[url] = (value, document_url, tag)
            if _may_warn(value):  # left to the per-document path (see _may_warn)
                return
            for obj in _dicts(value):
                self.trusted.setdefault(id(obj), _Trusted(obj))

    # -- processed contexts -----------------------------------------------------------------

    def root(self, processing_mode: str) -> _Node | None:
        with self._lock:
            node = self._roots.get(processing_mode)
            if node is None and len(self._roots) < _MAX_ROOTS:
                node = self._roots[processing_mode] = _Node(None, trusted=True)
            return node

    def clone_of(self, node: _Node) -> _Node:
        clone = node.clone
        if clone is not None:
            return clone
        with self._lock:
            if node.clone is None:
                node.clone = _Node(None, trusted=node.trusted)
            return node.clone

    def _processed(self, node: _Node, token: Token) -> _LRU:
        if node.trusted and isinstance(token, _Trusted):
            return self._processed_trusted
        return self._processed_untrusted

    def lookup(self, node: _Node, token: Token, flags: Flags) -> _Node | None:
        cache = self._processed(node, token)
        with self._lock:
            found: _Node | None = cache.get((node.serial, token, flags))
            return found

    def store(self, node: _Node, token: Token, flags: Flags, processed: Mapping[str, Any]) -> _Node:
        child = _Node(dict(processed), node.trusted and isinstance(token, _Trusted))
        cache = self._processed(node, token)
        key = (node.serial, token, flags)
        with self._lock:
            existing: _Node | None = cache.get(key)
            if existing is not None:
                return existing
            cache.put(key, child)
        return child


class _OpResolved(ResolvedContext):  # type: ignore[misc]
    """pyld's ResolvedContext that can also consult the shared cache.

    Its per-operation cache behaves exactly like pyld's (an LRU of ``MAX_ACTIVE_CONTEXTS``
    entries keyed by the active context's ``_uuid``; ``get`` refreshes an entry), but is an
    ``OrderedDict`` created on first use: most of these objects never hold anything."""

    def __init__(self, op: OperationResolver, document: Any, token: Token | None) -> None:
        # ResolvedContext.__init__ only sets ``document`` and ``cache``.
        self.document = document
        self.op = op
        self.token = token
        self._lru: OrderedDict[Any, Any] | None = None

    def get_cached(self, key: Any) -> Any:
        lru = self._lru
        if lru is None or key not in lru:
            return None
        lru.move_to_end(key)
        return lru[key]

    def put_cached(self, key: Any, value: Any) -> None:
        lru = self._lru
        if lru is None:
            lru = self._lru = OrderedDict()
        elif key in lru:
            lru[key] = value
            lru.move_to_end(key)
            return
        elif len(lru) >= _MAX_ACTIVE_CONTEXTS:
            lru.popitem(last=False)
        lru[key] = value

    def get_processed(self, active_ctx: Mapping[str, Any]) -> Any:
        hit = self.get_cached(active_ctx["_uuid"])
        if hit is not None or self.token is None or self.op.exact:
            return hit
        return self.op.shared_get(self, active_ctx, sys._getframe(1))

    def set_processed(self, active_ctx: Mapping[str, Any], processed: Any) -> None:
        self.put_cached(active_ctx["_uuid"], processed)
        if self.token is not None and not self.op.exact:
            self.op.shared_set(self, active_ctx, processed, sys._getframe(1))


class OperationResolver(ContextResolver):  # type: ignore[misc]
    """pyld's ContextResolver for one operation, mirroring a fresh one exactly, with the
    expensive parts (loading, URL resolution, JCS, context processing) served from a
    :class:`ContextCache`."""

    def __init__(self, cache: ContextCache) -> None:
        super().__init__(None, cache.load)
        self._cache = cache
        self.exact = False
        self._keys: dict[int, tuple[Any, str, str | None]] = {}
        self._registry: dict[int, tuple[Any, _Node]] = {}

    # -- resolution (pyld's algorithm; only the dict branch and remote loading differ) ------

    def _get(self, key: str) -> Any:
        # pyld looks in its per-operation cache, then in the shared one; a fresh resolver's
        # shared cache only ever holds what the per-operation cache holds too.
        return self.per_op_cache.get(key)

    def _cache_resolved_context(self, key: str, resolved: Any, tag: Any) -> Any:
        self.per_op_cache[key] = resolved
        return resolved

    def resolve(
        self, active_ctx: Any, context: Any, base: Any, cycles: set[str] | None = None
    ) -> list[Any]:
        if cycles is None:
            cycles = set()
        if isinstance(context, (dict, frozendict)) and "@context" in context:
            context = context["@context"]
        if not isinstance(context, list):
            context = [context]
        per_op = self.per_op_cache
        trusted_objects = self._cache.trusted
        all_resolved: list[Any] = []
        for ctx in context:
            if isinstance(ctx, str):
                resolved = per_op.get(ctx)
                if not resolved:
                    resolved = self._resolve_remote_context(active_ctx, ctx, base, cycles)
                if isinstance(resolved, list):
                    all_resolved.extend(resolved)
                else:
                    all_resolved.append(resolved)
            elif ctx is None or ctx is False:
                all_resolved.append(ResolvedContext(False))
            elif not isinstance(ctx, (dict, frozendict)):
                raise jsonld.JsonLdError(
                    "Invalid JSON-LD syntax; @context must be an object.",
                    "jsonld.SyntaxError",
                    {"context": ctx},
                    code="invalid local context",
                )
            else:
                trusted = trusted_objects.get(id(ctx))
                token: Token | None
                if trusted is not None and trusted.obj is ctx:
                    key = trusted.key()
                    token = trusted
                    has_import = trusted.has_import
                else:
                    key, token = self._inline_key(ctx)
                    has_import = _has_import(ctx)
                resolved = per_op.get(key)
                if not resolved:
                    document = dict(ctx) if self.exact and type(ctx) is dict else ctx
                    resolved = per_op[key] = _OpResolved(self, document, token)
                if has_import and not self.exact:
                    self._enter_exact_mode()
                all_resolved.append(resolved)
        return all_resolved

    def _inline_key(self, ctx: Any) -> tuple[str, str | None]:
        """pyld's key (JCS text) for a context object of the document, once per object."""
        memo = self._keys.get(id(ctx))
        if memo is not None and memo[0] is ctx:
            return memo[1], memo[2]
        key: str = canonicalize(dict(ctx)).decode("UTF-8")
        share = len(key) <= self._cache.max_inline_chars and not _may_warn(ctx)
        token = key if share else None
        self._keys[id(ctx)] = (ctx, key, token)
        return key, token

    def _resolve_remote_context(
        self, active_ctx: Any, url: str, base: Any, cycles: set[str]
    ) -> Any:
        url = self._cache.resolve_iri(url, base)
        context, remote_doc = self._fetch_context(active_ctx, url, cycles)
        base = remote_doc.get("documentUrl", url)
        stored = self._cache.url_value(url)
        if stored is None or context.get("@context") is not stored:
            self._resolve_context_urls(context, base)
            if (
                not self.exact
                and remote_doc.get("tag") == "static"
                and not remote_doc.get("contextUrl")
                and isinstance(context, dict)
                and isinstance(base, str)
            ):
                self._cache.store_url(url, context["@context"], base, "static")
        resolved = self.resolve(active_ctx, context, base, cycles)
        self._cache_resolved_context(url, resolved, remote_doc.get("tag"))
        return resolved

    def _enter_exact_mode(self) -> None:
        """``@import`` processing mutates the imported document in place: from now on this
        operation is pyld's plain algorithm, over private copies of shared documents."""
        self.exact = True
        for value in self.per_op_cache.values():
            for resolved in value if isinstance(value, list) else [value]:
                if isinstance(resolved, _OpResolved) and type(resolved.document) is dict:
                    resolved.document = dict(resolved.document)

    # -- the shared processed-context cache -------------------------------------------------

    def _flags(self, frame: FrameType, resolved: _OpResolved) -> Flags | None:
        """The arguments of the pyld ``_process_context`` call asking, if it is a top-level
        call (not a scoped-context pre-validation) of the unmodified pyld method."""
        if frame.f_code is not _PROCESS_CONTEXT:
            return None
        # Who called it: a scoped-context pre-validation (nested in _process_context: its
        # `cycles` and partial active context make it unshareable) or the expansion algorithm.
        # Walk a few frames so that a wrapper around pyld's method cannot hide the nesting.
        caller = frame.f_back
        for _ in range(_MAX_CALLER_DEPTH):
            if caller is None or caller.f_code is _PROCESS_CONTEXT:
                return None
            if caller.f_code in _EXPANSION_CODES:
                break
            caller = caller.f_back
        else:
            return None
        local = frame.f_locals
        options = local.get("options")
        override = local.get("override_protected")
        validate = local.get("validate_scoped")
        if (
            local.get("resolved_context") is not resolved
            or type(local.get("self")) is not _PROCESSOR
            or type(override) is not bool
            or type(validate) is not bool
            or type(options) is not dict
            or options.get("contextResolver") is not self
        ):
            return None
        base = options.get("base", "")
        if type(base) is not str:
            return None
        return (override, validate, base)

    def _node_of(self, ctx: Any) -> _Node | None:
        found = self._registry.get(id(ctx))
        if found is not None and found[0] is ctx:
            return found[1]
        kind = type(ctx)
        if kind is dict:
            # A clone of its previous context: how pyld prepares a type-scoped context.
            prev = ctx.get("previousContext")
            if type(prev) is not frozendict or not ctx.keys() <= _CLONE_KEYS:
                return None
            for key in ("@base", "@language", "@vocab"):
                if (key in ctx) != (key in prev) or ctx.get(key) is not prev.get(key):
                    return None
            mappings = ctx.get("mappings")
            if type(mappings) is not dict or mappings != prev.get("mappings"):
                return None
            parent = self._node_of(prev)
            return None if parent is None else self._cache.clone_of(parent)
        if kind is frozendict and ctx.keys() == _ROOT_KEYS:
            # pyld's initial context for a processing mode.
            pm = ctx.get("processingMode")
            mappings = ctx.get("mappings")
            if isinstance(pm, str) and type(mappings) is dict and not mappings:
                return self._cache.root(pm)
        return None

    def shared_get(self, resolved: _OpResolved, active_ctx: Any, frame: FrameType) -> Any:
        token = resolved.token
        assert token is not None
        flags = self._flags(frame, resolved)
        if flags is None:
            return None
        node = self._node_of(active_ctx)
        if node is None:
            return None
        child = self._cache.lookup(node, token, flags)
        if child is None:
            return None
        processed = child.instantiate(active_ctx)
        # What pyld's set_processed would have recorded had it computed the context itself.
        resolved.put_cached(active_ctx["_uuid"], processed)
        self._registry[id(processed)] = (processed, child)
        return processed

    def shared_set(
        self, resolved: _OpResolved, active_ctx: Any, processed: Any, frame: FrameType
    ) -> None:
        token = resolved.token
        assert token is not None
        if type(processed) is not frozendict or "_uuid" not in processed:
            return
        if ("previousContext" in processed) != ("previousContext" in active_ctx) or (
            processed.get("previousContext") is not active_ctx.get("previousContext")
        ):
            return
        flags = self._flags(frame, resolved)
        if flags is None:
            return
        node = self._node_of(active_ctx)
        if node is None:
            return
        child = self._cache.store(node, token, flags, processed)
        self._registry[id(processed)] = (processed, child)


_CACHES: weakref.WeakKeyDictionary[BundledLoader, ContextCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _weak_pyld_loader(loader: BundledLoader) -> PyldLoader:
    # The cache is the value of a WeakKeyDictionary keyed by the loader: a bound method would
    # keep the loader (and so the cache) alive forever.
    ref = weakref.ref(loader)

    def load(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        target = ref()
        if target is None:  # pragma: no cover - the caller holds the loader during a call
            raise RuntimeError("the document loader is gone")
        return target.pyld_loader(url, options)

    return load


def context_cache(loader: BundledLoader) -> ContextCache:
    """The shared :class:`ContextCache` of ``loader`` (created on first use)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(loader)
        if cache is None:
            cache = _CACHES[loader] = ContextCache(_weak_pyld_loader(loader))
        return cache


def operation_resolver(loader: BundledLoader) -> OperationResolver:
    """A fresh per-operation resolver backed by ``loader``'s shared cache."""
    return context_cache(loader).operation()
