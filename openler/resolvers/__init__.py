"""Adapters that give the pure core the documents it asks for: DID documents, controller
documents and status list credentials, read from a folder mirror of the web or fetched
over HTTPS.

Each class implements a port of :mod:`openler.core.ports`::

    ControllerResolver            StatusListFetcher
    ├── FolderResolver            ├── FolderStatusFetcher
    ├── HttpResolver              ├── HttpStatusFetcher
    └── ChainResolver             └── ChainStatusFetcher

Errors are the core's: :class:`~openler.core.errors.DidResolutionError` (``DidNotFound``
when nothing is published there) and :class:`~openler.core.errors.StatusListError`
(:class:`StatusListNotFound` when nothing is published there). A chain moves on to its
next member only on a *not found*.

``openler.resolvers.http`` imports ``httpx``; import it only where the network is wanted.
"""

from openler.core.errors import StatusListNotFound
from openler.resolvers.chain import ChainResolver, ChainStatusFetcher
from openler.resolvers.folder import FolderResolver, FolderStatusFetcher

__all__ = [
    "ChainResolver",
    "ChainStatusFetcher",
    "FolderResolver",
    "FolderStatusFetcher",
    "HttpResolver",
    "HttpStatusFetcher",
    "StatusListNotFound",
]


def __getattr__(name: str) -> object:
    # The HTTP adapters pull in httpx; load them only when they are asked for.
    if name in ("HttpResolver", "HttpStatusFetcher"):
        from openler.resolvers import http

        return getattr(http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
