"""resolve_verification_method, StaticResolver and CompositeResolver."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from openler.core.errors import DidNotFound, DidResolutionError
from openler.core.keys.keypair import KeyPair
from openler.core.keys.resolve import (
    CompositeResolver,
    StaticResolver,
    resolve_verification_method,
)
from openler.core.ports import ControllerResolver

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
DCC = VECTORS / "examples/dcc-vc-test-fixtures/dids"
OB3 = json.loads((VECTORS / "vectors/1edtech-ob3-impl/obv3p0/vector.json").read_text())
ALL_PURPOSES = {"assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"}
ISSUER = "https://example.edu/issuers/565049"


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DCC / name / "did.json").read_text())
    return document


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_did_key_resolves_without_a_resolver(algorithm: str) -> None:
    pair = KeyPair.generate(algorithm)
    resolved = resolve_verification_method(pair.key_id)
    assert resolved.id == pair.key_id
    assert resolved.type == "Multikey"
    assert resolved.controller == pair.controller
    assert resolved.public_key == pair.public_key
    assert resolved.purposes == ALL_PURPOSES


def test_did_key_without_fragment_names_its_only_key() -> None:
    # Real credentials (DCC fixtures) use the bare did:key as verificationMethod.
    pair = KeyPair.generate()
    resolved = resolve_verification_method(pair.controller)
    assert resolved.id == pair.key_id
    assert resolved.public_key == pair.public_key


def test_did_key_with_another_fragment_is_not_found() -> None:
    pair = KeyPair.generate()
    with pytest.raises(DidNotFound):
        resolve_verification_method(f"{pair.controller}#key-1")


@pytest.mark.parametrize(
    ("name", "vm_type"), [("legacy", "Ed25519VerificationKey2020"), ("oidf", "Multikey")]
)
def test_dcc_did_web_documents(name: str, vm_type: str) -> None:
    document = _load(name)
    did = document["id"]
    vm_id = f"{did}#z6MkjXe1vZvPRqFuc9nRBtZ3e1Y9XKDFSbjFAfzLfW2bD6cZ"
    resolved = resolve_verification_method(vm_id, StaticResolver({did: document}))
    assert resolved.type == vm_type
    assert resolved.controller == did
    assert resolved.purposes == {"assertionMethod"}
    assert resolved.public_key.fingerprint == "z6MkjXe1vZvPRqFuc9nRBtZ3e1Y9XKDFSbjFAfzLfW2bD6cZ"


def _controller_document(**changes: Any) -> dict[str, Any]:
    method = dict(OB3["verificationMethod"], id="#" + OB3["publicKeyMultibase"])
    document = {"id": ISSUER, "verificationMethod": [method], "assertionMethod": [method["id"]]}
    return document | changes


def test_https_controller_document_with_relative_ids() -> None:
    resolver = StaticResolver({ISSUER: _controller_document()})
    resolved = resolve_verification_method(OB3["verificationMethod"]["id"], resolver)
    assert resolved.id == OB3["verificationMethod"]["id"]
    assert resolved.purposes == {"assertionMethod"}
    assert resolved.public_key.fingerprint == OB3["publicKeyMultibase"]


def test_embedded_and_listed_methods_must_agree() -> None:
    method = dict(OB3["verificationMethod"])
    other = method | {"publicKeyMultibase": KeyPair.generate().fingerprint}
    document = {"id": ISSUER, "verificationMethod": [method], "authentication": [other]}
    with pytest.raises(DidResolutionError, match="twice"):
        resolve_verification_method(method["id"], StaticResolver({ISSUER: document}))
    same = {"id": ISSUER, "verificationMethod": [method], "authentication": [method]}
    resolved = resolve_verification_method(method["id"], StaticResolver({ISSUER: same}))
    assert resolved.purposes == {"authentication"}


@pytest.mark.parametrize(
    ("document", "error", "reason"),
    [
        (_controller_document(id="https://example.edu/other"), DidResolutionError, "not"),
        (_controller_document(verificationMethod=[]), DidNotFound, "no verification method"),
        (
            _controller_document(
                verificationMethod=[
                    dict(OB3["verificationMethod"], controller="https://evil.example")
                ]
            ),
            DidResolutionError,
            "names controller",
        ),
        (
            _controller_document(
                verificationMethod=[dict(OB3["verificationMethod"], publicKeyMultibase="zBAD")]
            ),
            DidResolutionError,
            "unusable key",
        ),
        (
            _controller_document(
                verificationMethod=[
                    {k: v for k, v in OB3["verificationMethod"].items() if k != "type"}
                ]
            ),
            DidResolutionError,
            "no type",
        ),
    ],
)
def test_inconsistent_controller_documents(
    document: dict[str, Any], error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        resolve_verification_method(
            OB3["verificationMethod"]["id"], StaticResolver({ISSUER: document})
        )


def test_standalone_verification_method_document() -> None:
    key = KeyPair.generate()
    vm_url = "https://example.edu/keys/1"
    method = {
        "id": vm_url,
        "type": "Multikey",
        "controller": ISSUER,
        "publicKeyMultibase": key.fingerprint,
    }
    controller = {"id": ISSUER, "assertionMethod": [vm_url]}
    resolved = resolve_verification_method(
        vm_url, StaticResolver({vm_url: method, ISSUER: controller})
    )
    assert resolved.purposes == {"assertionMethod"}
    assert resolved.public_key == key.public_key
    unlisted = StaticResolver({vm_url: method, ISSUER: {"id": ISSUER}})
    with pytest.raises(DidResolutionError, match="does not list"):
        resolve_verification_method(vm_url, unlisted)


def test_a_controller_document_is_not_a_method() -> None:
    resolver = StaticResolver({ISSUER: _controller_document()})
    with pytest.raises(DidResolutionError, match="fragment"):
        resolve_verification_method(ISSUER, resolver)


def test_no_resolver_for_did_web() -> None:
    with pytest.raises(DidResolutionError, match="only did:key"):
        resolve_verification_method("did:web:example.com#key-1")


def test_unknown_document_is_not_found() -> None:
    with pytest.raises(DidNotFound):
        resolve_verification_method("did:web:example.com#key-1", StaticResolver({}))


@pytest.mark.parametrize("vm_id", ["", 42, "x" * 3000])
def test_bad_ids(vm_id: Any) -> None:
    with pytest.raises(DidResolutionError):
        resolve_verification_method(vm_id)


class _ListResolver:
    def resolve(self, identifier: str) -> Mapping[str, Any]:
        return ["not", "an", "object"]  # type: ignore[return-value]


def test_non_object_documents_are_rejected() -> None:
    with pytest.raises(DidResolutionError, match="JSON object"):
        resolve_verification_method("did:web:example.com#k", _ListResolver())


def test_static_resolver_is_a_resolver_and_copies_its_input() -> None:
    document = _controller_document()
    resolver = StaticResolver({ISSUER: document})
    assert isinstance(resolver, ControllerResolver)
    document["id"] = "changed"
    assert resolver.resolve(ISSUER)["id"] == ISSUER


def test_composite_resolver() -> None:
    key = KeyPair.generate()
    composite = CompositeResolver(StaticResolver({ISSUER: _controller_document()}))
    assert isinstance(composite, ControllerResolver)
    assert composite.resolve(key.controller)["id"] == key.controller
    assert composite.resolve(ISSUER)["id"] == ISSUER
    with pytest.raises(DidNotFound):
        CompositeResolver().resolve("did:web:example.com")
    assert CompositeResolver().resolve(key.controller)["verificationMethod"][0]["id"] == key.key_id
