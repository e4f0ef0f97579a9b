"""The W3C vc-di-eddsa and 1EdTech OB 3.0 / CLR 2.0 vectors, reproduced byte for byte:
canonical N-Quads, hashes, signatures and proof values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from openler.core import KeyPair, ProofOptions, sign, verify_credential
from openler.core.jsonld.expand import to_quads
from openler.core.jsonld.rdfc import canonicalize
from openler.core.keys.resolve import StaticResolver
from openler.core.proofs import jcs
from tests.conftest import load_json, standards

W3C = "vectors/vc-di-eddsa/"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
SUITES = {
    # suite: (folder, file suffix, canonicalization)
    "eddsa-rdfc-2022": ("eddsa-rdfc-2022", "DataInt", "rdfc"),
    "eddsa-jcs-2022": ("eddsa-jcs-2022", "JCS", "jcs"),
    "Ed25519Signature2020": ("Ed25519Signature2020", "EdSig", "rdfc"),
}


def _text(path: str) -> str:
    return standards(path).read_text(encoding="utf-8").strip()


def _w3c_key() -> KeyPair:
    pair = load_json(standards(W3C + "keyPair.json"))
    return KeyPair.from_multikey(pair["privateKeyMultibase"], pair["publicKeyMultibase"])


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_w3c_vector_reproduces_every_intermediate(suite: str) -> None:
    folder, tag, method = SUITES[suite]
    base = f"{W3C}{folder}/"
    signed_doc = load_json(standards(base + f"signed{tag}.json"))
    unsigned = {k: v for k, v in signed_doc.items() if k != "proof"}
    config = load_json(standards(base + f"proofConfig{tag}.json"))

    if method == "rdfc":
        canon_doc = canonicalize(to_quads(unsigned).quads)
        canon_proof = canonicalize(to_quads(config).quads)
    else:
        canon_doc = jcs.canonicalize(unsigned).decode()
        canon_proof = jcs.canonicalize(config).decode()
    assert canon_doc.strip() == _text(base + f"canonDoc{tag}.txt")
    assert canon_proof.strip() == _text(base + f"proofCanon{tag}.txt")
    doc_hash = hashlib.sha256(canon_doc.encode()).hexdigest()
    proof_hash = hashlib.sha256(canon_proof.encode()).hexdigest()
    assert doc_hash == _text(base + f"docHash{tag}.txt")
    assert proof_hash == _text(base + f"proofHash{tag}.txt")
    assert proof_hash + doc_hash == _text(base + f"combinedHash{tag}.txt")

    key = _w3c_key()
    resigned = sign(
        unsigned, key.signer(config["verificationMethod"]), suites=[suite], created=CREATED
    )
    assert resigned["proof"]["proofValue"] == signed_doc["proof"]["proofValue"]
    assert resigned["proof"]["proofValue"] == _text(base + f"sigBTC58{tag}.txt")
    assert resigned == signed_doc


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_w3c_signed_vector_verifies_and_detects_tampering(suite: str) -> None:
    folder, tag, _ = SUITES[suite]
    signed_doc = load_json(standards(f"{W3C}{folder}/signed{tag}.json"))
    # The W3C example issuer is not the did:key that signed it: check the proof alone.
    result = verify_credential(signed_doc, policy=_proof_only())
    assert result.verified, result.to_dict()
    tampered = {
        **signed_doc,
        "credentialSubject": {**signed_doc["credentialSubject"], "alumniOf": "Another School"},
    }
    bad = verify_credential(tampered, policy=_proof_only())
    assert not bad.verified
    assert [c.code for c in bad.errors] == ["signature_invalid"]


def _proof_only():  # type: ignore[no-untyped-def]
    from openler.core import VerifyPolicy

    return VerifyPolicy().with_skip(["issuer", "validity", "status", "schema"])


@pytest.mark.parametrize("name", ["obv3p0", "clrv2p0"])
def test_1edtech_vectors_reproduce_signature(name: str) -> None:
    base = f"vectors/1edtech-ob3-impl/{name}/"
    vector = load_json(standards(base + "vector.json"))
    unsigned = load_json(standards(base + "unsigned.json"))
    expected = vector["expected"]
    canon_doc = canonicalize(to_quads(unsigned).quads)
    assert canon_doc == standards(base + "document-canon.txt").read_text(encoding="utf-8")
    assert hashlib.sha256(canon_doc.encode()).hexdigest() == expected["Document hash (hex)"]
    key = KeyPair.from_private_bytes(
        "Ed25519", bytes.fromhex(vector["privateKeyHex_seedPlusPublic"])
    )
    opts = vector["proofOptions"]
    created = datetime.fromisoformat(opts["created"].replace("Z", "+00:00"))
    signed = sign(unsigned, key.signer(opts["verificationMethod"]), created=created)
    assert signed["proof"]["proofValue"] == expected["Proof value (hex)"]
    published = load_json(standards(base + "signed.json"))
    if isinstance(published["proof"], list):  # the CLR vector publishes a set of one
        published = {**published, "proof": published["proof"][0]}
    assert signed == published
    controller = vector["verificationMethod"]["controller"]
    resolver = StaticResolver(
        {
            controller: {
                "@context": [
                    "https://www.w3.org/ns/did/v1",
                    "https://w3id.org/security/multikey/v1",
                ],
                "id": controller,
                "verificationMethod": [vector["verificationMethod"]],
                "assertionMethod": [vector["verificationMethod"]["id"]],
            }
        }
    )
    result = verify_credential(signed, resolver=resolver, now=created)
    assert result.verified, result.to_dict()
    assert [c.code for c in result.checks if c.name == "proof"] == ["proof_valid"]


def _chain_keys() -> dict[str, KeyPair]:
    pairs = load_json(standards(W3C + "proof-set-chain/multiKeyPairs.json"))
    out = {}
    for entry in pairs.values():
        key = KeyPair.from_multikey(entry["privateKeyMultibase"], entry["publicKeyMultibase"])
        out[entry["publicKeyMultibase"]] = key
    return out


@pytest.mark.parametrize("n", [1, 2])
def test_proof_set_vectors_reproduce_and_verify(n: int) -> None:
    base = W3C + "proof-set-chain/"
    unsigned = load_json(standards(base + "unsigned.json"))
    expected = load_json(standards(base + f"signedProofSet{n}.json"))
    keys = _chain_keys()
    doc = unsigned
    proofs = expected["proof"] if isinstance(expected["proof"], list) else [expected["proof"]]
    for proof in proofs:
        vm = proof["verificationMethod"]
        key = keys[vm.split("#")[1]]
        created = datetime.fromisoformat(proof["created"].replace("Z", "+00:00"))
        doc = sign(
            doc, key.signer(vm), options=ProofOptions(created=created, proof_id=proof.get("id"))
        )
    if isinstance(expected["proof"], dict):  # a set of one
        doc["proof"] = doc["proof"]
    assert doc == expected
    assert verify_credential(expected, policy=_proof_only()).verified


@pytest.mark.parametrize("n", [1, 2])
def test_proof_chain_vectors_verify(n: int) -> None:
    signed = load_json(standards(W3C + f"proof-set-chain/signedProofChain{n}.json"))
    result = verify_credential(signed, policy=_proof_only())
    assert result.verified, result.to_dict()
    assert sum(c.code == "proof_valid" for c in result.checks) == len(signed["proof"])
    # Dropping a proof the chain points to breaks the chain.
    chained = [p for p in signed["proof"] if "previousProof" in p]
    broken = {**signed, "proof": chained}
    codes = [c.code for c in verify_credential(broken, policy=_proof_only()).errors]
    assert "previous_proof_missing" in codes


def test_employment_vector_needs_a_context_we_do_not_carry() -> None:
    # vc-di-eddsa's employment example uses https://w3id.org/citizenship/v4rc1, which is
    # not bundled: openler must say so, never fetch it, never verify around it.
    from openler.core.errors import ContextNotAllowed

    signed = load_json(standards(W3C + "eddsa-rdfc-2022/employ/signedDataInt.json"))
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    with pytest.raises(ContextNotAllowed):
        sign(unsigned, _w3c_key().signer(), created=CREATED)
    result = verify_credential(signed, policy=_proof_only())
    assert "context_not_allowed" in [c.code for c in result.errors]
