"""verify_credential / verify_presentation never raise for bad input: a corpus of
malformed, truncated, huge, deep and tampered documents each gets a failing verdict."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.sample import realistic_credential
from openler.core import KeyPair, issue, verify_credential, verify_presentation
from openler.core.limits import Limits
from openler.core.verification import VerifyPolicy

NOW = datetime(2026, 7, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(32)))


def _signed() -> dict[str, Any]:
    doc = realistic_credential(5)
    doc["issuer"]["id"] = KEY.controller
    return issue(doc, KEY.signer(), created=NOW)


SIGNED = _signed()
TEXT = json.dumps(SIGNED)


def _nest(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"x": 1}
    for _ in range(depth):
        doc = {"x": doc}
    return doc


def _corpus() -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = [
        ("empty", ""),
        ("whitespace", "   \n"),
        ("null", "null"),
        ("number", "42"),
        ("array", "[1, 2]"),
        ("string", '"hello"'),
        ("bad json", "{'single': 'quotes'}"),
        ("nan", '{"a": NaN}'),
        ("binary", b"\x89PNG\r\n\x1a\n\x00\x00garbage"),
        ("latin1 bytes", '{"name": "caf\xe9"}'.encode("latin-1")),
        ("jwt garbage", "aaa.bbb.ccc"),
        ("jwt empty parts", ".."),
        ("empty object", {}),
        ("no context", {k: v for k, v in SIGNED.items() if k != "@context"}),
        ("wrong first context", {**SIGNED, "@context": ["https://example.com/ctx"]}),
        (
            "unknown extra context",
            {**SIGNED, "@context": [*SIGNED["@context"], "https://evil.example/ctx"]},
        ),
        ("context is a number", {**SIGNED, "@context": 7}),
        ("type missing", {k: v for k, v in SIGNED.items() if k != "type"}),
        ("type is an object", {**SIGNED, "type": {"a": 1}}),
        ("issuer missing", {k: v for k, v in SIGNED.items() if k != "issuer"}),
        ("issuer is a number", {**SIGNED, "issuer": 5}),
        ("subject is a string", {**SIGNED, "credentialSubject": "me"}),
        ("bad validFrom", {**SIGNED, "validFrom": "yesterday"}),
        ("validFrom without zone", {**SIGNED, "validFrom": "2026-01-01T00:00:00"}),
        ("proof is a string", {**SIGNED, "proof": "signed, trust me"}),
        ("proof list of numbers", {**SIGNED, "proof": [1, 2]}),
        ("proof value garbage", {**SIGNED, "proof": {**SIGNED["proof"], "proofValue": "z!!"}}),
        ("proof value not z", {**SIGNED, "proof": {**SIGNED["proof"], "proofValue": "u123"}}),
        (
            "proof value huge",
            {**SIGNED, "proof": {**SIGNED["proof"], "proofValue": "z" + "1" * 100_000}},
        ),
        ("unknown cryptosuite", {**SIGNED, "proof": {**SIGNED["proof"], "cryptosuite": "rot13"}}),
        ("proof type unknown", {**SIGNED, "proof": {**SIGNED["proof"], "type": "Magic"}}),
        (
            "vm missing",
            {
                **SIGNED,
                "proof": {k: v for k, v in SIGNED["proof"].items() if k != "verificationMethod"},
            },
        ),
        ("vm not a did", {**SIGNED, "proof": {**SIGNED["proof"], "verificationMethod": "x"}}),
        (
            "vm bad did:key",
            {**SIGNED, "proof": {**SIGNED["proof"], "verificationMethod": "did:key:zzzz#zzzz"}},
        ),
        (
            "vm did:web unresolvable",
            {
                **SIGNED,
                "proof": {**SIGNED["proof"], "verificationMethod": "did:web:example.com#key-1"},
            },
        ),
        (
            "wrong purpose",
            {**SIGNED, "proof": {**SIGNED["proof"], "proofPurpose": "authentication"}},
        ),
        ("too many proofs", {**SIGNED, "proof": [SIGNED["proof"]] * 40}),
        ("deep", _nest(150)),
        ("deep text", "[" * 100_000 + "]" * 100_000),
        ("deep inside credential", {**SIGNED, "evidence": [_nest(200)]}),
        (
            "many values",
            {
                **SIGNED,
                "credentialSubject": {**SIGNED["credentialSubject"], "tag": ["t"] * 200_000},
            },
        ),
        ("huge text", "{" + '"a": "' + "x" * 6_000_000 + '"}'),
        ("truncated", TEXT[: len(TEXT) // 2]),
        (
            "lone surrogate",
            '{"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "\\ud800"}',
        ),
        ("status entry garbage", {**SIGNED, "credentialStatus": "revoked?"}),
        ("relative id", {**SIGNED, "id": "relative/path"}),
    ]
    rng = random.Random(1234)
    for i in range(60):  # random truncations and byte flips of the real thing
        cut = rng.randrange(1, len(TEXT))
        items.append((f"truncated at {cut}", TEXT[:cut]))
        pos = rng.randrange(len(TEXT))
        flipped = TEXT[:pos] + chr(rng.randrange(32, 127)) + TEXT[pos + 1 :]
        if flipped != TEXT:
            items.append((f"flip {i} at {pos}", flipped))
    return items


CORPUS = _corpus()


@pytest.mark.parametrize(("name", "document"), CORPUS, ids=[n for n, _ in CORPUS])
def test_bad_credentials_get_a_failing_verdict_never_an_exception(name: str, document: Any) -> None:
    result = verify_credential(copy.deepcopy(document), now=NOW)
    if not result.verified:
        failed = result.errors
        assert failed, name
        for check in failed:
            assert check.code, name
            assert check.message, name
            assert check.code == check.code.lower()
            assert " " not in check.code
        return
    # A random byte flip may land in insignificant whitespace or a JSON escape that
    # decodes to the same text: then the credential really is unchanged.
    assert name.startswith("flip"), name
    assert json.loads(document) == SIGNED, name


@pytest.mark.parametrize(("name", "document"), CORPUS[:25], ids=[n for n, _ in CORPUS[:25]])
def test_bad_presentations_never_raise(name: str, document: Any) -> None:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [document],
    }
    result = verify_presentation(vp, now=NOW)
    assert not result.verified
    assert not verify_presentation(document, now=NOW).verified


def test_limits_are_configurable() -> None:
    tight = VerifyPolicy(limits=Limits(max_bytes=1000))
    result = verify_credential(TEXT, now=NOW, policy=tight)
    assert [c.code for c in result.errors] == ["input_too_large"]
    assert verify_credential(TEXT, now=NOW).check("structure").status == "pass"  # type: ignore[union-attr]


def test_undefined_terms_are_a_warning_by_default_and_an_error_when_strict() -> None:
    doc = realistic_credential(9)
    doc["issuer"]["id"] = KEY.controller
    signed = issue(doc, KEY.signer(), created=NOW)
    # An extension added after signing (real badges carry such unsigned extras)
    signed["credentialSubject"]["nickname"] = "unsigned extra"
    lenient = verify_credential(signed, now=NOW)
    assert lenient.verified
    assert "undefined_terms" in [c.code for c in lenient.warnings]
    strict = verify_credential(signed, now=NOW, policy=VerifyPolicy(strict=True))
    assert "undefined_terms" in [c.code for c in strict.errors]
