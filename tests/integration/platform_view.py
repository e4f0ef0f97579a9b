"""What a verifier sees over HTTPS: the DID documents and status lists the platform
serves, read from the database. One object is both a ControllerResolver and a
StatusListFetcher for the core verifier."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import Verifier, VerifyPolicy
from openler.core.errors import DidNotFound, StatusListError
from openler.services.issuing import signed_status_list
from openler.services.keystore import KeyStore
from openler.services.organizations import did_document
from openler.store.models import Organization, StatusList


class PlatformView:
    """Resolves ``did:web:<host>:orgs:<slug>`` to the organization's DID document and
    fetches status lists by URL, signed as the platform would publish them at ``now``."""

    def __init__(
        self, session: Session, settings: Settings, keystore: KeyStore, *, now: datetime
    ) -> None:
        self.session = session
        self.settings = settings
        self.keystore = keystore
        self.now = now

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        prefix = f"did:web:{self.settings.did_web_host}:orgs:"
        if not identifier.startswith(prefix):
            raise DidNotFound(identifier)
        slug = identifier.removeprefix(prefix)
        org = self.session.scalar(sa.select(Organization).where(Organization.slug == slug))
        if org is None:
            raise DidNotFound(identifier)
        return did_document(self.session, self.settings, org)

    def fetch(self, url: str) -> Mapping[str, Any]:
        path = url.removeprefix(self.settings.base_url)
        found = self.session.scalar(sa.select(StatusList).where(StatusList.url_path == path))
        if found is None:
            raise StatusListError(f"no list at {url}")
        data = signed_status_list(self.session, self.settings, self.keystore, found, now=self.now)
        loaded: Mapping[str, Any] = json.loads(data)
        return loaded

    def error_codes(self, credential: bytes | Mapping[str, Any]) -> list[str]:
        """The codes of the checks that failed when the core verifier checks ``credential``
        (``[]``: it verifies)."""
        verifier = Verifier(resolver=self, status_fetcher=self, policy=VerifyPolicy())
        result = verifier.verify(credential, now=self.now)
        return [check.code for check in result.errors]
