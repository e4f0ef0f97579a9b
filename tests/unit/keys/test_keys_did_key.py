"""did:key: the w3c-ccg vectors, Multikey documents, X25519 derivation, malformed DIDs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from openler.core.errors import DidResolutionError, UnsupportedKeyType
from openler.core.keys.did_key import (
    did_key_from_public_key,
    did_key_vm_id,
    ed25519_seed_to_x25519_private,
    ed25519_to_x25519_public,
    is_did_key,
    parse_did_key,
    resolve_did_key,
)
from openler.core.keys.keypair import KeyPair
from openler.core.keys.multibase import (
    Multicodec,
    b58encode,
    b64url_encode,
    encode_multikey,
    varint_encode,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
DID_KEY = json.loads((VECTORS / "vectors/did-key/ed25519-x25519.json").read_text())
ED_DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


@pytest.mark.parametrize("did", sorted(DID_KEY))
def test_vector_documents_are_reproduced(did: str) -> None:
    entry = DID_KEY[did]
    jwk_form = "publicKeyJwk" in entry["verificationKeyPair"]
    fmt = "JsonWebKey2020" if jwk_form else "Ed25519VerificationKey2018"
    document = resolve_did_key(did, method_format=fmt, key_agreement=True)
    assert document == entry["didDocument"]


@pytest.mark.parametrize("did", sorted(DID_KEY))
def test_vector_x25519_keys_are_derived(did: str) -> None:
    entry = DID_KEY[did]
    seed = bytes.fromhex(entry["seed"])
    pair = KeyPair.from_seed(seed)
    assert did_key_from_public_key(pair.public_key) == did
    x_public = ed25519_to_x25519_public(pair.public_key.raw_bytes())
    x_private = ed25519_seed_to_x25519_private(seed)
    agreement = entry["keyAgreementKeyPair"]
    assert agreement["id"].endswith("#" + encode_multikey(Multicodec.X25519_PUB, x_public))
    if "privateKeyBase58" in agreement:
        assert b58encode(x_public) == agreement["publicKeyBase58"]
        assert b58encode(x_private) == agreement["privateKeyBase58"]
    else:
        assert b64url_encode(x_public) == agreement["publicKeyJwk"]["x"]
        assert b64url_encode(x_private) == agreement["privateKeyJwk"]["d"]


@settings(max_examples=25)
@given(st.binary(min_size=32, max_size=32))
def test_x25519_derivation_matches_scalar_multiplication(seed: bytes) -> None:
    # The birational map of the Ed25519 public key equals X25519(derived private key).
    pair = KeyPair.from_seed(seed)
    x_private = X25519PrivateKey.from_private_bytes(ed25519_seed_to_x25519_private(seed))
    expected = x_private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert ed25519_to_x25519_public(pair.public_key.raw_bytes()) == expected


def test_default_document_is_multikey_without_key_agreement() -> None:
    document = resolve_did_key(ED_DID)
    vm_id = f"{ED_DID}#{ED_DID.removeprefix('did:key:')}"
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert document["verificationMethod"] == [
        {
            "id": vm_id,
            "type": "Multikey",
            "controller": ED_DID,
            "publicKeyMultibase": ED_DID.removeprefix("did:key:"),
        }
    ]
    for relationship in (
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert document[relationship] == [vm_id]
    assert "keyAgreement" not in document
    assert did_key_vm_id(ED_DID) == vm_id


def test_multikey_key_agreement_uses_an_x25519_multikey() -> None:
    document = resolve_did_key(ED_DID, key_agreement=True)
    agreement = document["verificationMethod"][1]
    assert agreement["type"] == "Multikey"
    assert agreement["publicKeyMultibase"].startswith("z6LS")
    assert document["keyAgreement"] == [agreement["id"]]
    assert agreement["id"] == f"{ED_DID}#{agreement['publicKeyMultibase']}"


def test_ed25519_2020_format() -> None:
    document = resolve_did_key(
        ED_DID, method_format="Ed25519VerificationKey2020", key_agreement=True
    )
    assert document["@context"][1:] == [
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://w3id.org/security/suites/x25519-2020/v1",
    ]
    assert document["verificationMethod"][0]["type"] == "Ed25519VerificationKey2020"
    assert document["verificationMethod"][1]["type"] == "X25519KeyAgreementKey2020"


def test_p256_did_key() -> None:
    pair = KeyPair.generate("P-256")
    did = did_key_from_public_key(pair.public_key)
    assert did.startswith("did:key:zDn")
    assert parse_did_key(did) == pair.public_key
    document = resolve_did_key(did, key_agreement=True)
    assert document["verificationMethod"][0]["type"] == "Multikey"
    assert "keyAgreement" not in document  # no derivation for P-256
    assert (
        resolve_did_key(did, method_format="JsonWebKey2020")["verificationMethod"][0][
            "publicKeyJwk"
        ]
        == pair.to_jwk()
    )
    with pytest.raises(DidResolutionError):
        resolve_did_key(did, method_format="Ed25519VerificationKey2020")


def _did(codec: int, raw: bytes) -> str:
    return "did:key:z" + b58encode(varint_encode(codec) + raw)


@pytest.mark.parametrize(
    "did",
    [
        "did:key:",
        "did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        ED_DID + "#" + ED_DID.removeprefix("did:key:"),
        ED_DID + "/path",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW",
        "did:web:example.com",
        "DID:KEY:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        _did(0xE7, b"\x02" + bytes(32)),  # secp256k1: not supported
        _did(0xEC, bytes(32)),  # X25519: no verification key
        _did(0x1200, b"\x02" + (1).to_bytes(32, "big")),  # x = 1 is not on P-256
        _did(0xED, bytes(33)),  # wrong length
    ],
)
def test_malformed_did_keys_are_rejected(did: str) -> None:
    with pytest.raises(DidResolutionError) as info:
        resolve_did_key(did)
    assert info.value.code == "did_resolution_error"


def test_is_did_key() -> None:
    assert is_did_key(ED_DID)
    assert not is_did_key("did:web:example.com")


def test_x25519_map_rejects_the_identity_point() -> None:
    with pytest.raises(UnsupportedKeyType):
        ed25519_to_x25519_public(b"\x01" + bytes(31))
    with pytest.raises(UnsupportedKeyType):
        ed25519_to_x25519_public(bytes(31))
    with pytest.raises(UnsupportedKeyType):
        ed25519_seed_to_x25519_private(bytes(16))
