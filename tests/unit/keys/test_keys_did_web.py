"""did:web: URL and folder mapping, identifier validation, DID document building."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from openler.core.errors import DidNotFound, DidResolutionError, InvalidInput, UnsupportedKeyType
from openler.core.keys.did_web import (
    did_web_document,
    did_web_path_in_dir,
    did_web_to_url,
    parse_did_web,
)
from openler.core.keys.keypair import KeyPair, PublicKey
from openler.core.keys.resolve import StaticResolver, resolve_verification_method

DID = "did:web:issuer.example.edu"


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3a8443", "https://example.com:8443/.well-known/did.json"),
        ("did:web:Example.COM:Issuers", "https://example.com/Issuers/did.json"),
        ("did:web:example.com:a%20b", "https://example.com/a%20b/did.json"),
        (
            "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:legacy",
            "https://digitalcredentials.github.io/vc-test-fixtures/dids/legacy/did.json",
        ),
    ],
)
def test_did_web_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    ("did", "path"),
    [
        ("did:web:example.com", "example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:1", "example.com/issuers/1/did.json"),
        ("did:web:example.com%3A8443:a", "example.com%3A8443/a/did.json"),
    ],
)
def test_did_web_path_in_dir(did: str, path: str) -> None:
    assert did_web_path_in_dir(did) == PurePosixPath(path)
    assert not did_web_path_in_dir(did).is_absolute()


def test_parse_did_web_parts() -> None:
    assert parse_did_web("did:web:example.com%3A8443:a:b") == ("example.com", 8443, ["a", "b"])
    assert parse_did_web("did:web:localhost%3A8000") == ("localhost", 8000, [])


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:web:example",
        "did:web:192.168.0.1",
        "did:web:example.com:",
        "did:web:example.com::a",
        "did:web:example.com:..",
        "did:web:example.com:.",
        "did:web:example.com:%2E%2E",
        "did:web:example.com:a%2Fb",
        "did:web:example.com:a%5cb",
        "did:web:exa mple.com",
        "did:web:-bad.example.com",
        "did:web:example.com%3A0",
        "did:web:example.com%3A99999",
        "did:web:example.com%3A08",
        "did:web:example.com%3Ahttp",
        "did:web:example.com#key-1",
        "did:web:example.com?service=x",
        "did:web:example.com/path",
        "did:web:exämple.com",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "did:web:" + "a" * 2100 + ".com",
    ],
)
def test_invalid_did_web_is_rejected(did: str) -> None:
    with pytest.raises(DidResolutionError):
        did_web_to_url(did)
    with pytest.raises(DidResolutionError):
        did_web_path_in_dir(did)


def test_non_string_is_rejected() -> None:
    with pytest.raises(DidResolutionError):
        parse_did_web(42)  # type: ignore[arg-type]


def _key(algorithm: str = "Ed25519") -> PublicKey:
    return KeyPair.generate(algorithm).public_key


def test_document_lists_active_and_retired_keys() -> None:
    active, retired, revoked = _key(), _key("P-256"), _key()
    document = did_web_document(
        DID,
        [("key-3", active)],
        retired=[("key-2", retired), ("key-1", revoked)],
        revoked=["key-1"],
    )
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert document["id"] == DID
    assert [m["id"] for m in document["verificationMethod"]] == [f"{DID}#key-3", f"{DID}#key-2"]
    assert document["verificationMethod"][1] == {
        "id": f"{DID}#key-2",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": retired.to_multibase(),
    }
    assert document["assertionMethod"] == [f"{DID}#key-3", f"{DID}#key-2"]
    assert document["authentication"] == [f"{DID}#key-3"]
    assert revoked.to_multibase() not in str(document)
    assert "service" not in document


def test_rotated_keys_still_verify_and_revoked_keys_do_not() -> None:
    document = did_web_document(DID, [("new", _key())], retired=[("old", _key())], revoked=["gone"])
    resolver = StaticResolver({DID: document})
    assert resolve_verification_method(f"{DID}#new", resolver).purposes == {
        "assertionMethod",
        "authentication",
    }
    assert resolve_verification_method(f"{DID}#old", resolver).purposes == {"assertionMethod"}
    with pytest.raises(DidNotFound):
        resolve_verification_method(f"{DID}#gone", resolver)


def test_services_get_absolute_ids() -> None:
    service = {"id": "#linked", "type": "LinkedDomains", "serviceEndpoint": "https://x.example"}
    document = did_web_document(DID, [("k", _key())], services=[service])
    assert document["service"] == [service | {"id": f"{DID}#linked"}]
    assert service["id"] == "#linked"  # the input is not mutated


@pytest.mark.parametrize(
    ("keys", "services", "error"),
    [
        ([("k", "dup"), ("k", "dup")], [], InvalidInput),
        ([("bad fragment", "key")], [], InvalidInput),
        ([("", "key")], [], InvalidInput),
        ([("k", "key")], [{"id": "#s"}], InvalidInput),
    ],
)
def test_bad_document_input(
    keys: list[tuple[str, str]], services: list[dict[str, str]], error: type[Exception]
) -> None:
    public = _key()
    with pytest.raises(error):
        did_web_document(DID, [(f, public) for f, _ in keys], services=services)


def test_rsa_keys_cannot_be_multikeys() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = PublicKey(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    with pytest.raises(UnsupportedKeyType):
        did_web_document(DID, [("rsa", rsa_key)])


def test_document_needs_a_valid_did_web() -> None:
    with pytest.raises(DidResolutionError):
        did_web_document("did:web:192.168.1.1", [("k", _key())])
