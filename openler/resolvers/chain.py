"""Try several resolvers (or status fetchers) in order: the first that has the document
wins. Only a *not found* moves on to the next one; any other error stops the chain, so a
broken local copy is reported instead of being silently replaced by the network's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openler.core.errors import DidNotFound, StatusListError, StatusListNotFound
from openler.core.ports import ControllerResolver, StatusListFetcher

__all__ = ["ChainResolver", "ChainStatusFetcher"]


class ChainResolver:
    """``ChainResolver(FolderResolver(dir), HttpResolver())``: the folder first, then HTTPS."""

    def __init__(self, *resolvers: ControllerResolver) -> None:
        self.resolvers = tuple(resolvers)

    def __repr__(self) -> str:
        return f"ChainResolver{self.resolvers!r}"

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        misses: list[str] = []
        for resolver in self.resolvers:
            try:
                return resolver.resolve(identifier)
            except DidNotFound as exc:
                misses.append(exc.message)
        raise DidNotFound(
            " ".join(misses) or f"No resolver is configured for {identifier}.",
            details={"id": identifier},
        )


class ChainStatusFetcher:
    """``ChainStatusFetcher(FolderStatusFetcher(dir), HttpStatusFetcher())``."""

    def __init__(self, *fetchers: StatusListFetcher) -> None:
        self.fetchers = tuple(fetchers)

    def __repr__(self) -> str:
        return f"ChainStatusFetcher{self.fetchers!r}"

    def fetch(self, url: str) -> Mapping[str, Any]:
        misses: list[str] = []
        for fetcher in self.fetchers:
            try:
                return fetcher.fetch(url)
            except StatusListNotFound as exc:
                misses.append(exc.message)
        if not self.fetchers:
            raise StatusListError(f"No status list fetcher is configured for {url}.")
        raise StatusListNotFound(" ".join(misses), details={"url": url})
