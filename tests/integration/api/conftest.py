"""Fixtures for the HTTP API tests: an application over a folder mirror of the web (never
the network), a did:key issuer, and credentials issued with the core.

Credentials are issued a day before the wall clock, because the application checks
validity dates against the wall clock at request time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from bench.sample import realistic_credential
from openler.api import create_app
from openler.config import Settings
from openler.core import KeyPair, issue, sign
from openler.core.status import Bitstring, build_status_list_credential, status_entry
from openler.resolvers import FolderResolver, FolderStatusFetcher
from tests.integration.api._client import TestClient
from tests.unit._http_fakes import block_network

ISSUER_KEY = KeyPair.from_seed(bytes(range(32)))
HOLDER_KEY = KeyPair.from_seed(bytes(range(1, 33)))
LIST_URL = "https://riverside.example.edu/status/1"
REVOKED_INDEX = 7

Issue = Callable[..., dict[str, Any]]
MakeApp = Callable[..., FastAPI]


def yesterday() -> datetime:
    return (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)


def credential_document(n: int = 1, *, status_index: int | None = None) -> dict[str, Any]:
    """An unsigned OB 3.0 credential from the did:key issuer, valid since yesterday."""
    doc = realistic_credential(n)
    doc["issuer"]["id"] = ISSUER_KEY.controller
    doc["validFrom"] = f"{yesterday():%Y-%m-%dT%H:%M:%SZ}"
    del doc["credentialStatus"]
    if status_index is not None:
        doc["credentialStatus"] = status_entry(LIST_URL, status_index, "revocation")
    return doc


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A folder mirror of the web holding a signed revocation list (index 7 revoked)."""
    root = tmp_path / "web"
    bits = Bitstring()
    bits.set(REVOKED_INDEX)
    unsigned = build_status_list_credential(
        list_id=LIST_URL,
        issuer=ISSUER_KEY.controller,
        purpose="revocation",
        bitstring=bits,
        valid_from=yesterday(),
    )
    signed = sign(unsigned, ISSUER_KEY.signer(), created=yesterday())
    target = root / "riverside.example.edu" / "status" / "1.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(signed), encoding="utf-8")
    return root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "var", max_request_bytes=64 * 1024)


@pytest.fixture
def make_app(settings: Settings, web: Path) -> MakeApp:
    """``make_app(**create_app_kwargs)``: an application resolving from the ``web`` folder."""

    def build(**kwargs: Any) -> FastAPI:
        kwargs.setdefault("resolver", FolderResolver(web))
        kwargs.setdefault("status_fetcher", FolderStatusFetcher(web))
        return create_app(kwargs.pop("settings", settings), **kwargs)

    return build


@pytest.fixture
def client(make_app: MakeApp) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


@pytest.fixture
def issued() -> Issue:
    """``issued(n=1, status_index=None)``: a credential signed by the did:key issuer."""

    def make(n: int = 1, *, status_index: int | None = None) -> dict[str, Any]:
        doc = credential_document(n, status_index=status_index)
        return issue(doc, ISSUER_KEY.signer(), created=yesterday())

    return make
