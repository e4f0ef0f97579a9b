"""FolderResolver / FolderStatusFetcher / the chains: a folder that mirrors the web."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from openler.core import KeyPair
from openler.core.errors import DidNotFound, DidResolutionError, StatusListError
from openler.core.keys.did_web import did_web_document
from openler.core.keys.resolve import resolve_verification_method
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.resolvers import (
    ChainResolver,
    ChainStatusFetcher,
    FolderResolver,
    FolderStatusFetcher,
    StatusListNotFound,
)
from openler.resolvers.folder import url_path_in_dir


def _write(root: Path, relative: str, document: Any) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), "utf-8")
    return path


class _Fixed:
    """A resolver / fetcher that always answers with one document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.calls: list[str] = []

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        self.calls.append(identifier)
        return self.document

    def fetch(self, url: str) -> Mapping[str, Any]:
        self.calls.append(url)
        return self.document


def test_the_adapters_implement_the_core_ports(tmp_path: Path) -> None:
    assert isinstance(FolderResolver(tmp_path), ControllerResolver)
    assert isinstance(FolderStatusFetcher(tmp_path), StatusListFetcher)
    assert isinstance(ChainResolver(), ControllerResolver)
    assert isinstance(ChainStatusFetcher(), StatusListFetcher)


@pytest.mark.parametrize(
    ("identifier", "relative"),
    [
        # did:web, as did_web_path_in_dir maps it
        ("did:web:example.com:orgs:acme", "example.com/orgs/acme/did.json"),
        ("did:web:example.com", "example.com/.well-known/did.json"),
        ("did:web:example.com%3A8443:a", "example.com%3A8443/a/did.json"),
        # https controller documents, with or without a .json ending
        ("https://example.com/issuers/1", "example.com/issuers/1"),
        ("https://example.com/issuers/1", "example.com/issuers/1.json"),
        ("https://Example.COM:8443/a/b", "example.com%3A8443/a/b.json"),
        ("https://example.com/", "example.com/index.json"),
    ],
)
def test_did_web_and_https_identifiers_map_to_their_files(
    tmp_path: Path, identifier: str, relative: str
) -> None:
    _write(tmp_path, relative, {"id": identifier})
    assert FolderResolver(tmp_path).resolve(identifier) == {"id": identifier}


def test_a_did_web_document_in_the_folder_resolves_a_verification_method(
    tmp_path: Path,
) -> None:
    did = "did:web:example.com:orgs:acme"
    key = KeyPair.generate()
    _write(
        tmp_path,
        "example.com/orgs/acme/did.json",
        did_web_document(did, [("key-1", key.public_key)]),
    )
    method = resolve_verification_method(f"{did}#key-1", FolderResolver(tmp_path))
    assert method.public_key == key.public_key
    assert "assertionMethod" in method.purposes


def test_a_missing_document_is_did_not_found(tmp_path: Path) -> None:
    with pytest.raises(DidNotFound, match=r"example\.com/\.well-known/did\.json"):
        FolderResolver(tmp_path).resolve("did:web:example.com")


@pytest.mark.parametrize(
    "identifier",
    [
        "did:example:123",
        "http://example.com/issuer",
        "did:web:example.com:..:secret",
        "https://example.com/a/%2e%2e/b",
        "https://example.com/a/..%2fb",
        "https://example.com/a?x=1",
        "https://user@example.com/a",
    ],
)
def test_identifiers_that_cannot_name_a_file_are_refused(tmp_path: Path, identifier: str) -> None:
    with pytest.raises(DidResolutionError) as info:
        FolderResolver(tmp_path).resolve(identifier)
    assert not isinstance(info.value, DidNotFound)


def test_a_symlink_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside/secret.json", {"id": "secret"})
    root = tmp_path / "root"
    (root / "example.com" / ".well-known").mkdir(parents=True)
    (root / "example.com" / ".well-known" / "did.json").symlink_to(outside)
    with pytest.raises(DidResolutionError, match="leads outside"):
        FolderResolver(root).resolve("did:web:example.com")


def test_broken_files_are_errors_not_misses(tmp_path: Path) -> None:
    path = tmp_path / "example.com" / ".well-known" / "did.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", "utf-8")
    with pytest.raises(DidResolutionError, match="not valid JSON") as info:
        FolderResolver(tmp_path).resolve("did:web:example.com")
    assert not isinstance(info.value, DidNotFound)
    path.write_text("[1, 2]", "utf-8")
    with pytest.raises(DidResolutionError, match="JSON object"):
        FolderResolver(tmp_path).resolve("did:web:example.com")


def test_files_over_the_cap_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "example.com/.well-known/did.json", {"id": "x" * 2000})
    with pytest.raises(DidResolutionError, match="larger than 1,000 bytes"):
        FolderResolver(tmp_path, max_bytes=1000).resolve("did:web:example.com")


def test_status_lists_map_by_url(tmp_path: Path) -> None:
    _write(tmp_path, "example.com/status/3.json", {"id": "https://example.com/status/3"})
    fetcher = FolderStatusFetcher(tmp_path)
    assert fetcher.fetch("https://example.com/status/3")["id"] == "https://example.com/status/3"
    with pytest.raises(StatusListNotFound):
        fetcher.fetch("https://example.com/status/4")
    with pytest.raises(StatusListError, match="query"):
        fetcher.fetch("https://example.com/status?list=3")


def test_url_path_in_dir() -> None:
    assert str(url_path_in_dir("https://example.com/a/b")) == "example.com/a/b"
    with pytest.raises(ValueError, match="https"):
        url_path_in_dir("ftp://example.com/a")


def test_chain_moves_on_only_when_not_found(tmp_path: Path) -> None:
    fallback = _Fixed({"id": "did:web:example.com"})
    chain = ChainResolver(FolderResolver(tmp_path), fallback)
    assert chain.resolve("did:web:example.com") == {"id": "did:web:example.com"}
    assert fallback.calls == ["did:web:example.com"]

    (tmp_path / "example.com" / ".well-known").mkdir(parents=True)
    (tmp_path / "example.com" / ".well-known" / "did.json").write_text("oops", "utf-8")
    with pytest.raises(DidResolutionError, match="not valid JSON"):
        chain.resolve("did:web:example.com")
    assert len(fallback.calls) == 1


def test_chain_reports_every_miss(tmp_path: Path) -> None:
    with pytest.raises(DidNotFound, match="No document"):
        ChainResolver(FolderResolver(tmp_path)).resolve("did:web:example.com")
    with pytest.raises(DidNotFound, match="No resolver"):
        ChainResolver().resolve("did:web:example.com")


def test_status_chain(tmp_path: Path) -> None:
    fallback = _Fixed({"id": "https://example.com/status/1"})
    chain = ChainStatusFetcher(FolderStatusFetcher(tmp_path), fallback)
    assert chain.fetch("https://example.com/status/1")["id"] == "https://example.com/status/1"
    with pytest.raises(StatusListNotFound):
        ChainStatusFetcher(FolderStatusFetcher(tmp_path)).fetch("https://example.com/s/1")
    with pytest.raises(StatusListError, match="No status list fetcher"):
        ChainStatusFetcher().fetch("https://example.com/s/1")
