"""Ports: what the pure core needs from the outside world, passed in by the caller.

Implementations that touch the network or a database live outside ``openler.core``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["ControllerResolver", "DocumentLoader", "Signer", "StatusListFetcher"]


@runtime_checkable
class DocumentLoader(Protocol):
    """Returns the JSON document for a JSON-LD context URL.

    Must raise :class:`openler.core.errors.ContextNotAllowed` for any URL it does not
    serve; it never fetches from the network by itself.
    """

    def __call__(self, url: str) -> Mapping[str, Any]: ...


@runtime_checkable
class ControllerResolver(Protocol):
    """Resolves a DID (``did:web:...``) or controller-document URL (no fragment) to its
    DID document / controller document. Raises
    :class:`openler.core.errors.DidResolutionError` when it cannot."""

    def resolve(self, identifier: str) -> Mapping[str, Any]: ...


@runtime_checkable
class StatusListFetcher(Protocol):
    """Returns the status list credential (parsed JSON) published at ``url``.

    Raises :class:`openler.core.errors.StatusListError` when it cannot be had; the
    verifier then reports the status as *unavailable*, which is not *revoked*."""

    def fetch(self, url: str) -> Mapping[str, Any]: ...


@runtime_checkable
class Signer(Protocol):
    """Signs bytes with a private key the caller controls (a local key, an HSM, a KMS).

    ``algorithm`` is ``"Ed25519"`` or ``"P-256"``; ``verification_method`` is the full
    id (``did:...#fragment``) that proofs will reference."""

    @property
    def algorithm(self) -> str: ...

    @property
    def verification_method(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...
