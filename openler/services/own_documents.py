"""The platform's own DID documents and status lists, read from its database.

A deployment verifying credentials its own organizations issued must not fetch its own
URLs over the network (in development they are plain-http loopback URLs, which the HTTPS
resolver rightly refuses). :class:`OwnDocuments` answers for
``did:web:<our host>:orgs:<slug>`` and ``<OPENLER_BASE_URL>/orgs/…/status/…`` and says
"not found" for anything else, so a chain falls through to HTTPS for other issuers.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cachetools import LRUCache

from openler.config import Settings
from openler.core.errors import DidNotFound, StatusListNotFound
from openler.services.issuing import signed_status_list
from openler.services.keystore import KeyStore
from openler.services.organizations import did_document
from openler.store.db import Database
from openler.store.models import Organization, StatusList

__all__ = ["OwnDocuments"]


class OwnDocuments:
    """A ControllerResolver and StatusListFetcher over this platform's database."""

    def __init__(
        self,
        settings: Settings,
        database: Callable[[], Database],
        keystore: Callable[[], KeyStore],
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._database = database
        self._keystore = keystore
        self._clock = clock
        self._did_prefix = f"did:web:{settings.did_web_host}:orgs:"
        #: Signed status lists by (list, version): a list changes version on every status
        #: change, so an entry never goes stale; the LRU bound keeps memory flat.
        self._signed: LRUCache[tuple[uuid.UUID, int], bytes] = LRUCache(maxsize=256)
        self._lock = threading.Lock()

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        slug = identifier.removeprefix(self._did_prefix)
        if slug == identifier or not slug or ":" in slug:
            raise DidNotFound(f"{identifier} is not one of this platform's organizations.")
        with self._database().session_scope() as session:
            org = session.scalar(sa.select(Organization).where(Organization.slug == slug))
            if org is None:
                raise DidNotFound(f"No organization {slug!r} on this platform.")
            return did_document(session, self._settings, org)

    def fetch(self, url: str) -> Mapping[str, Any]:
        base = self._settings.base_url
        if not url.startswith(base + "/orgs/"):
            raise StatusListNotFound(f"{url} is not one of this platform's status lists.")
        path = url.removeprefix(base)
        with self._database().session_scope() as session:
            found = session.scalar(sa.select(StatusList).where(StatusList.url_path == path))
            if found is None:
                raise StatusListNotFound(f"No status list at {url}.")
            key = (found.id, found.version)
            with self._lock:
                data = self._signed.get(key)
            if data is None:
                # Read-only: a stale list is signed in memory (and remembered for this
                # version), never written from here (see signed_status_list).
                data = signed_status_list(
                    session,
                    self._settings,
                    self._keystore(),
                    found,
                    now=self._clock(),
                    persist=False,
                )
                with self._lock:
                    self._signed[key] = data
        loaded: Mapping[str, Any] = json.loads(data)
        return loaded
