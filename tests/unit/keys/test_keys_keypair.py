"""KeyPair, PublicKey and LocalSigner: vectors, round trips, tampering, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from openler.core.errors import InvalidInput, KeyError_, UnsupportedKeyType
from openler.core.keys.keypair import KeyPair, LocalSigner, PublicKey
from openler.core.keys.multibase import b64url_encode
from openler.core.ports import Signer

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
DID_KEY = json.loads((VECTORS / "vectors/did-key/ed25519-x25519.json").read_text())
MULTI_KEY_PAIRS = json.loads(
    (VECTORS / "vectors/vc-di-eddsa/proof-set-chain/multiKeyPairs.json").read_text()
)
KEY_PAIR = json.loads((VECTORS / "vectors/vc-di-eddsa/keyPair.json").read_text())
OB3 = json.loads((VECTORS / "vectors/1edtech-ob3-impl/obv3p0/vector.json").read_text())
ALGORITHMS = ["Ed25519", "P-256"]


@pytest.mark.parametrize("did", sorted(DID_KEY))
def test_seed_vectors_give_the_published_public_key(did: str) -> None:
    entry = DID_KEY[did]
    pair = KeyPair.from_seed(bytes.fromhex(entry["seed"]))
    assert f"did:key:{pair.fingerprint}" == did
    vkp = entry["verificationKeyPair"]
    if "publicKeyBase58" in vkp:
        assert pair.public_key.to_base58() == vkp["publicKeyBase58"]
    else:
        assert pair.to_jwk(private=True) == vkp["privateKeyJwk"]
        assert PublicKey.from_jwk(vkp["publicKeyJwk"]) == pair.public_key


@pytest.mark.parametrize(
    "pair", [KEY_PAIR, *MULTI_KEY_PAIRS.values()], ids=lambda p: p["publicKeyMultibase"][:12]
)
def test_w3c_multikey_vectors_round_trip(pair: dict[str, str]) -> None:
    key = KeyPair.from_multikey(pair["privateKeyMultibase"], pair["publicKeyMultibase"])
    assert key.algorithm == "Ed25519"
    assert key.fingerprint == pair["publicKeyMultibase"]
    assert key.secret_key_multibase == pair["privateKeyMultibase"]


def test_1edtech_vector_signature_is_reproduced() -> None:
    key = KeyPair.from_multikey(OB3["secretKeyMultibase"], OB3["publicKeyMultibase"])
    data = bytes.fromhex(OB3["expected"]["Data to sign (hex)"])
    signature = key.sign(data)
    assert signature.hex() == OB3["expected"]["Signature (hex)"]
    verifier = PublicKey.from_verification_method(OB3["verificationMethod"])
    assert verifier.verify(signature, data)
    # The 64-byte (seed + public) secret is accepted; we write the 32-byte seed form.
    assert KeyPair.from_multikey(key.secret_key_multibase).fingerprint == key.fingerprint
    assert key.secret_key_multibase != OB3["secretKeyMultibase"]


def test_seed_with_a_foreign_public_half_is_refused() -> None:
    seed = bytes.fromhex(OB3["privateKeyHex_seedPlusPublic"])[:32]
    with pytest.raises(KeyError_):
        KeyPair.from_private_bytes("Ed25519", seed + bytes(32))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_sign_verify_and_tamper(algorithm: str) -> None:
    pair = KeyPair.generate(algorithm)
    signature = pair.sign(b"payload")
    assert len(signature) == 64
    assert pair.public_key.verify(signature, b"payload")
    assert not pair.public_key.verify(signature, b"payloaD")
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not pair.public_key.verify(flipped, b"payload")
    assert not pair.public_key.verify(signature[:-1], b"payload")
    assert not pair.public_key.verify(b"", b"payload")
    assert not KeyPair.generate(algorithm).public_key.verify(signature, b"payload")


def test_p256_der_signatures_are_not_accepted() -> None:
    pair = KeyPair.generate("P-256")
    crypto_key = pair.public_key.crypto_key
    assert isinstance(crypto_key, ec.EllipticCurvePublicKey)
    der = ec.generate_private_key(ec.SECP256R1()).sign(b"x", ec.ECDSA(hashes.SHA256()))
    assert not pair.public_key.verify(der, b"x")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_multikey_and_jwk_round_trips(algorithm: str) -> None:
    pair = KeyPair.generate(algorithm)
    prefix = "z6Mk" if algorithm == "Ed25519" else "zDn"
    assert pair.fingerprint.startswith(prefix)
    again = KeyPair.from_multikey(**_multikey_args(pair.to_multikey()))
    assert again.private_bytes() == pair.private_bytes()
    assert KeyPair.from_jwk(pair.to_jwk(private=True)).private_bytes() == pair.private_bytes()
    public_jwk = pair.to_jwk()
    assert "d" not in public_jwk
    assert PublicKey.from_jwk(public_jwk) == pair.public_key
    assert PublicKey.from_multibase(pair.fingerprint) == pair.public_key
    assert hash(PublicKey.from_jwk(public_jwk)) == hash(pair.public_key)


def _multikey_args(data: dict[str, str]) -> dict[str, str]:
    return {
        "secret_key_multibase": data["secretKeyMultibase"],
        "public_key_multibase": data["publicKeyMultibase"],
    }


def test_mismatched_public_key_is_refused() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    with pytest.raises(KeyError_):
        KeyPair.from_multikey(a.secret_key_multibase, b.fingerprint)
    jwk = a.to_jwk(private=True) | {"x": b.to_jwk()["x"]}
    with pytest.raises(KeyError_):
        KeyPair.from_jwk(jwk)


@pytest.mark.parametrize(
    ("jwk", "error"),
    [
        ({"kty": "OKP", "crv": "Ed25519"}, KeyError_),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, KeyError_),
        ({"kty": "OKP", "crv": "Ed25519", "x": "not base64url!"}, KeyError_),
        (
            {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url_encode(bytes(32)),
                "y": b64url_encode(bytes(32)),
            },
            KeyError_,
        ),
        ({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, UnsupportedKeyType),
        ({"kty": "oct", "k": "AAAA"}, UnsupportedKeyType),
        ({"kty": "OKP", "crv": "X25519", "x": b64url_encode(bytes(32))}, UnsupportedKeyType),
    ],
)
def test_bad_public_jwks(jwk: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        PublicKey.from_jwk(jwk)


def test_bad_private_keys() -> None:
    with pytest.raises(KeyError_):
        KeyPair.from_private_bytes("P-256", bytes(32))  # zero is not a valid scalar
    with pytest.raises(KeyError_):
        KeyPair.from_seed(bytes(31))
    with pytest.raises(UnsupportedKeyType):
        KeyPair.generate("RSA")
    with pytest.raises(KeyError_):
        KeyPair.from_jwk({"kty": "OKP", "crv": "Ed25519"})
    with pytest.raises(UnsupportedKeyType):
        KeyPair.from_multikey(KeyPair.generate().fingerprint)  # a public key is no secret


def test_rsa_keys_verify_rs256_only() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = private.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    key = PublicKey.from_jwk(_rsa_jwk(private.public_key()))
    assert key.algorithm == "RSA"
    assert key.verify(signature, b"data")
    assert not key.verify(signature, b"date")
    assert PublicKey.from_jwk(key.to_jwk()) == key
    with pytest.raises(UnsupportedKeyType):
        key.to_multibase()


def test_short_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(KeyError_):
        PublicKey.from_jwk(_rsa_jwk(small))


def _rsa_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    nums = key.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url_encode(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(nums.e.to_bytes(3, "big")),
    }


def test_verification_method_types() -> None:
    ed = KeyPair.generate()
    p256 = KeyPair.generate("P-256")
    assert (
        PublicKey.from_verification_method(
            {"type": "Multikey", "publicKeyMultibase": p256.fingerprint}
        )
        == p256.public_key
    )
    assert (
        PublicKey.from_verification_method(
            {"type": "Ed25519VerificationKey2020", "publicKeyMultibase": ed.fingerprint}
        )
        == ed.public_key
    )
    assert (
        PublicKey.from_verification_method(
            {"type": "Ed25519VerificationKey2018", "publicKeyBase58": ed.public_key.to_base58()}
        )
        == ed.public_key
    )
    assert (
        PublicKey.from_verification_method(
            {"type": "JsonWebKey2020", "publicKeyJwk": p256.to_jwk()}
        )
        == p256.public_key
    )


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ({"type": "Ed25519VerificationKey2020", "publicKeyMultibase": "P256"}, KeyError_),
        ({"type": "Multikey"}, KeyError_),
        ({"type": "JsonWebKey2020"}, KeyError_),
        ({"type": "RsaVerificationKey2018", "publicKeyPem": "..."}, UnsupportedKeyType),
        ({"publicKeyMultibase": "z6Mk"}, UnsupportedKeyType),
    ],
)
def test_bad_verification_methods(method: dict[str, Any], error: type[Exception]) -> None:
    if method.get("publicKeyMultibase") == "P256":
        method = method | {"publicKeyMultibase": KeyPair.generate("P-256").fingerprint}
    with pytest.raises(error):
        PublicKey.from_verification_method(method)


def test_key_file_round_trip_defaults_to_did_key() -> None:
    pair = KeyPair.generate()
    data = pair.to_key_file()
    assert data["type"] == "Multikey"
    assert data["controller"] == f"did:key:{pair.fingerprint}"
    assert data["id"] == f"did:key:{pair.fingerprint}#{pair.fingerprint}"
    loaded = KeyPair.from_key_file(data)
    assert loaded.private_bytes() == pair.private_bytes()
    assert loaded.key_id == data["id"]


def test_key_file_keeps_a_did_web_identity() -> None:
    pair = KeyPair.generate("P-256").with_identity(
        controller="did:web:example.com", key_id="did:web:example.com#key-1"
    )
    loaded = KeyPair.from_key_file(json.loads(json.dumps(pair.to_key_file())))
    assert loaded.controller == "did:web:example.com"
    assert loaded.key_id == "did:web:example.com#key-1"
    relative = pair.to_key_file() | {"id": "#key-2"}
    assert KeyPair.from_key_file(relative).key_id == "did:web:example.com#key-2"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"type": "Ed25519VerificationKey2020"}, InvalidInput),
        ({"id": "did:web:other.example#key-1"}, InvalidInput),
        ({"id": "did:web:example.com"}, InvalidInput),
        ({"publicKeyMultibase": "PUBLIC"}, KeyError_),
        ({"secretKeyMultibase": None}, KeyError_),
    ],
)
def test_bad_key_files(change: dict[str, Any], error: type[Exception]) -> None:
    pair = KeyPair.generate().with_identity(controller="did:web:example.com")
    if change.get("publicKeyMultibase") == "PUBLIC":
        change = {"publicKeyMultibase": KeyPair.generate().fingerprint}
    with pytest.raises(error):
        KeyPair.from_key_file(pair.to_key_file() | change)


def test_local_signer_is_a_signer() -> None:
    pair = KeyPair.generate("P-256")
    signer = pair.signer()
    assert isinstance(signer, Signer)
    assert isinstance(signer, LocalSigner)
    assert signer.algorithm == "P-256"
    assert signer.verification_method == pair.key_id
    assert pair.public_key.verify(signer.sign(b"abc"), b"abc")
    assert pair.signer("did:web:example.com#k").verification_method == "did:web:example.com#k"


def test_reprs_never_show_the_secret() -> None:
    pair = KeyPair.generate()
    for text in (repr(pair), repr(pair.signer()), repr(pair.public_key)):
        assert pair.secret_key_multibase not in text
        assert pair.fingerprint in text
