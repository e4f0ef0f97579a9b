"""Every example in the standards bundle gets the signature verdict its MANIFEST records
(computed offline by an independent pipeline), through the full verifier."""

from __future__ import annotations

from typing import Any

import pytest

from openler.core import VerifyPolicy, verify_credential
from openler.core.keys.resolve import StaticResolver
from tests.conftest import STANDARDS, load_json

MANIFEST = load_json(STANDARDS / "examples" / "MANIFEST.json")["items"]
PROOF_ITEMS = [i for i in MANIFEST if i.get("proofs") and i["file"].endswith(".json")]
DCC_DIDS = ["legacy", "oidf"]
DCC_CONTROLLERS = {
    f"did:web:digitalcredentials.github.io:vc-test-fixtures:dids:{n}" for n in DCC_DIDS
}


def _resolver() -> StaticResolver:
    """did:web documents from the DCC fixtures; controller documents for the https
    issuers of the 1EdTech examples, whose key ids end in their multibase key."""
    docs: dict[str, Any] = {}
    for name in DCC_DIDS:
        doc = load_json(STANDARDS / f"examples/dcc-vc-test-fixtures/dids/{name}/did.json")
        docs[doc["id"]] = doc
    for item in MANIFEST:
        for proof in item.get("proofs", []):
            vm = proof.get("verificationMethod") or ""
            controller, _, fragment = vm.partition("#")
            if (
                controller.startswith(("https:", "urn:", "did:web:"))
                and fragment.startswith("z6Mk")
                and controller not in DCC_CONTROLLERS
            ):
                doc = docs.setdefault(
                    controller,
                    {
                        "@context": [
                            "https://www.w3.org/ns/did/v1",
                            "https://w3id.org/security/multikey/v1",
                        ],
                        "id": controller,
                        "verificationMethod": [],
                        "assertionMethod": [],
                    },
                )
                if vm not in doc["assertionMethod"]:
                    doc["verificationMethod"].append(
                        {
                            "id": vm,
                            "type": "Multikey",
                            "controller": controller,
                            "publicKeyMultibase": fragment,
                        }
                    )
                    doc["assertionMethod"].append(vm)
    return StaticResolver(docs)


RESOLVER = _resolver()
POLICY = VerifyPolicy().with_skip(["validity", "status"])


@pytest.mark.parametrize("item", PROOF_ITEMS, ids=lambda i: i["file"].split("examples/")[1])
def test_signature_verdicts_match_manifest(item: dict[str, Any]) -> None:
    text = (STANDARDS / item["file"]).read_text(encoding="utf-8")
    result = verify_credential(text, resolver=RESOLVER, policy=POLICY)
    proof_codes = {
        c.details.get("index"): c.code
        for c in result.checks
        if c.name == "proof" and "index" in c.details
    }
    for index, expected in enumerate(p["signatureValid"] for p in item["proofs"]):
        got = proof_codes.get(index)
        if expected is True:
            assert got == "proof_valid", (index, result.to_dict())
        elif expected is False:
            assert got not in (None, "proof_valid"), (index, result.to_dict())
        else:  # the manifest could not check it (unknown suite / unresolvable key)
            assert got != "proof_valid" or index in proof_codes


def test_unsigned_and_jwt_examples_get_a_verdict_without_raising() -> None:
    for item in MANIFEST:
        path = STANDARDS / item["file"]
        if path.suffix not in (".json", ".jwt") or "/dids/" in item["file"]:
            continue
        result = verify_credential(path.read_bytes(), resolver=RESOLVER, policy=POLICY)
        assert result.checks, item["file"]
        if not item.get("proofs") and path.suffix == ".json":
            assert not result.verified, item["file"]


def test_1edtech_clr_jwt_example_verifies_with_its_embedded_key() -> None:
    token = (STANDARDS / "examples/1edtech-validator/clr20/simple.jwt").read_text()
    policy = VerifyPolicy(allow_embedded_jwk=True).with_skip(["validity", "status"])
    result = verify_credential(token, policy=policy)
    assert [c.code for c in result.checks if c.name == "proof"] == ["proof_valid"]
    assert result.check("issuer").code == "issuer_key_unbound"  # type: ignore[union-attr]
    # Without permission to trust a key the token carries, there is no key at all.
    refused = verify_credential(token, policy=VerifyPolicy().with_skip(["validity", "status"]))
    assert "verification_method_unresolved" in [c.code for c in refused.errors]
    head, payload, sig = token.strip().split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    tampered = ".".join((head, payload, flipped))
    assert "signature_invalid" in [
        c.code for c in verify_credential(tampered, policy=policy).errors
    ]


def test_1edtech_ob_jwt_example_names_no_key_and_an_unknown_context() -> None:
    # Its header has neither kid nor jwk; its issuer is an https URL with no key document.
    token = (STANDARDS / "examples/1edtech-validator/ob30/simple.jwt").read_text()
    result = verify_credential(token, policy=VerifyPolicy(allow_embedded_jwk=True))
    codes = [c.code for c in result.errors]
    assert "verification_method_unresolved" in codes
    assert "context_not_allowed" in codes
