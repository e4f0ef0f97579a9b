"""Find the public key behind a verification method id, and what it may be used for.

did:key is expanded here; every other identifier (did:web, ``https://`` controller
documents, ``urn:``…) goes to a :class:`~openler.core.ports.ControllerResolver` passed
in by the caller. The core itself never fetches anything.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from openler.core.errors import DidNotFound, DidResolutionError, OpenlerError
from openler.core.keys.did_key import did_key_vm_id, is_did_key, resolve_did_key
from openler.core.keys.keypair import PublicKey
from openler.core.ports import ControllerResolver

__all__ = [
    "VERIFICATION_RELATIONSHIPS",
    "CompositeResolver",
    "ResolvedMethod",
    "StaticResolver",
    "resolve_verification_method",
]

VERIFICATION_RELATIONSHIPS: Final = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
_MAX_ID_LENGTH: Final = 2048


@dataclass(frozen=True, slots=True)
class ResolvedMethod:
    """A verification method found in its controller's document.

    ``purposes`` holds the verification relationships (``assertionMethod``, …) under
    which the controller document lists this method."""

    id: str
    type: str
    controller: str
    public_key: PublicKey
    purposes: frozenset[str]


class StaticResolver:
    """An in-memory :class:`ControllerResolver` over ``{identifier: document}``."""

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self._documents = {str(k): copy.deepcopy(dict(v)) for k, v in documents.items()}

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        try:
            return self._documents[identifier]
        except KeyError:
            raise DidNotFound(
                f"No document is known for {identifier!r}.", details={"id": identifier}
            ) from None


class CompositeResolver:
    """Resolves did:key itself and hands every other identifier to ``delegate``."""

    def __init__(self, delegate: ControllerResolver | None = None) -> None:
        self._delegate = delegate

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        if is_did_key(identifier):
            return resolve_did_key(identifier)
        if self._delegate is None:
            raise DidNotFound(
                f"No resolver is configured for {identifier!r}.", details={"id": identifier}
            )
        return self._delegate.resolve(identifier)


def resolve_verification_method(
    vm_id: str, resolver: ControllerResolver | None = None
) -> ResolvedMethod:
    """Resolve ``vm_id`` (``did:…#frag`` or ``https://…#frag``) to its key and purposes.

    The controller document must carry ``id`` equal to the part of ``vm_id`` before
    ``#``, and the method's ``controller`` must be that document. A ``vm_id`` without a
    fragment is accepted for did:key (it names the single key) and for a standalone
    verification method document whose controller document lists it.

    Raises :class:`DidNotFound` when a document or method is missing and
    :class:`DidResolutionError` when something is malformed or inconsistent.
    """
    if not isinstance(vm_id, str) or not vm_id or len(vm_id) > _MAX_ID_LENGTH:
        raise DidResolutionError("A verification method id must be a non-empty URL string.")
    base, sep, _fragment = vm_id.partition("#")
    if is_did_key(base):
        full_id = vm_id if sep else did_key_vm_id(base)
        return _from_controller(full_id, base, resolve_did_key(base))
    if resolver is None:
        raise DidResolutionError(
            f"No resolver is available for {base!r}; only did:key resolves offline.",
            details={"id": vm_id},
        )
    document = _lookup(resolver, base)
    if sep:
        return _from_controller(vm_id, base, document)
    return _from_standalone(vm_id, document, resolver)


def _from_controller(vm_id: str, controller: str, document: Mapping[str, Any]) -> ResolvedMethod:
    _check_document_id(document, controller)
    method = _find_method(document, vm_id)
    if method is None:
        raise DidNotFound(
            f"The document of {controller!r} has no verification method {vm_id!r}.",
            details={"id": vm_id},
        )
    return _build(vm_id, method, controller, _purposes(document, vm_id))


def _from_standalone(
    vm_id: str, method: Mapping[str, Any], resolver: ControllerResolver
) -> ResolvedMethod:
    if method.get("id") != vm_id or "type" not in method or "controller" not in method:
        raise DidResolutionError(
            f"{vm_id!r} is not a verification method; add the key's '#fragment'.",
            details={"id": vm_id},
        )
    controller = method["controller"]
    if not isinstance(controller, str) or not controller or "#" in controller:
        raise DidResolutionError("The verification method's controller is not a URL.")
    document = _lookup(CompositeResolver(resolver), controller)
    _check_document_id(document, controller)
    purposes = _purposes(document, vm_id)
    if not purposes and _find_method(document, vm_id) is None:
        raise DidResolutionError(
            f"The controller {controller!r} does not list {vm_id!r} as its key.",
            details={"id": vm_id},
        )
    return _build(vm_id, method, controller, purposes)


def _build(
    vm_id: str, method: Mapping[str, Any], controller: str, purposes: frozenset[str]
) -> ResolvedMethod:
    vm_type = method.get("type")
    if not isinstance(vm_type, str):
        raise DidResolutionError(f"The verification method {vm_id!r} has no type.")
    if method.get("controller") != controller:
        raise DidResolutionError(
            f"The verification method {vm_id!r} names controller "
            f"{method.get('controller')!r}, not {controller!r}.",
            details={"id": vm_id},
        )
    try:
        key = PublicKey.from_verification_method(method)
    except OpenlerError as exc:
        raise DidResolutionError(
            f"The verification method {vm_id!r} has an unusable key: {exc.message}",
            details={"id": vm_id, "reason": exc.code},
        ) from exc
    return ResolvedMethod(vm_id, vm_type, controller, key, purposes)


def _lookup(resolver: ControllerResolver, identifier: str) -> Mapping[str, Any]:
    document = resolver.resolve(identifier)
    if not isinstance(document, Mapping):
        raise DidResolutionError(
            f"The document for {identifier!r} is not a JSON object.", details={"id": identifier}
        )
    return document


def _check_document_id(document: Mapping[str, Any], expected: str) -> None:
    if document.get("id") != expected:
        raise DidResolutionError(
            f"The document's id {document.get('id')!r} is not {expected!r}.",
            details={"id": expected},
        )


def _absolute(ref: object, document_id: str) -> str | None:
    if isinstance(ref, Mapping):
        ref = ref.get("id")
    if not isinstance(ref, str):
        return None
    return document_id + ref if ref.startswith("#") else ref


def _entries(value: object) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [value]


def _find_method(document: Mapping[str, Any], vm_id: str) -> Mapping[str, Any] | None:
    doc_id = str(document.get("id"))
    found: list[Mapping[str, Any]] = []
    for key in ("verificationMethod", *VERIFICATION_RELATIONSHIPS):
        for entry in _entries(document.get(key)):
            if isinstance(entry, Mapping) and _absolute(entry, doc_id) == vm_id:
                found.append(entry)
    if any(other != found[0] for other in found[1:]):
        raise DidResolutionError(
            f"The verification method {vm_id!r} is defined twice, differently.",
            details={"id": vm_id},
        )
    if not found:
        return None
    method = dict(found[0])
    method["id"] = vm_id
    return method


def _purposes(document: Mapping[str, Any], vm_id: str) -> frozenset[str]:
    doc_id = str(document.get("id"))
    return frozenset(
        rel
        for rel in VERIFICATION_RELATIONSHIPS
        if any(_absolute(e, doc_id) == vm_id for e in _entries(document.get(rel)))
    )
