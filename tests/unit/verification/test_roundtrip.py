"""Round trips for every suite; tampering with any signed value is detected; reordering
keys or whitespace is not a change; non-ASCII and control characters survive."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.sample import realistic_credential
from openler.core import (
    KeyPair,
    VerifyPolicy,
    create_presentation,
    issue,
    issue_jwt,
    sign_presentation,
    verify_credential,
    verify_presentation,
)

NOW = datetime(2026, 7, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(32)))
SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]
NO_STATUS = VerifyPolicy().with_skip(["status"])


def _credential(n: int = 1, **changes: Any) -> dict[str, Any]:
    doc = realistic_credential(n)
    doc["issuer"]["id"] = KEY.controller
    doc.update(changes)
    return doc


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k not in ("@context", "proof"):
                yield from _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, (*path, i))
    else:
        yield path, doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip_and_every_leaf_is_signed(suite: str) -> None:
    signed = issue(_credential(), KEY.signer(), suites=[suite], created=NOW)
    assert verify_credential(signed, now=NOW, policy=NO_STATUS).verified
    leaves = list(_leaves(signed))
    assert len(leaves) > 30
    for path, value in leaves:
        tampered = copy.deepcopy(signed)
        _set(tampered, path, value + "x" if isinstance(value, str) else "changed")
        result = verify_credential(tampered, now=NOW, policy=NO_STATUS)
        assert not result.verified, path
        assert any(c.name == "proof" and c.status == "fail" for c in result.checks), path


@pytest.mark.parametrize("suite", SUITES)
def test_key_order_and_whitespace_are_not_changes(suite: str) -> None:
    signed = issue(_credential(), KEY.signer(), suites=[suite], created=NOW)
    rng = random.Random(7)

    def shuffle(node: Any) -> Any:
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {k: shuffle(v) for k, v in items}
        if isinstance(node, list):
            return [shuffle(v) for v in node]
        return node

    text = json.dumps(shuffle(signed), indent=7, ensure_ascii=True)
    assert verify_credential(text, now=NOW, policy=NO_STATUS).verified


def test_type_order_survives_rdfc_but_not_jcs() -> None:
    # RDF has no order among types; JCS signs the JSON text as it is.
    for suite, survives in (("eddsa-rdfc-2022", True), ("eddsa-jcs-2022", False)):
        signed = issue(_credential(), KEY.signer(), suites=[suite], created=NOW)
        signed["type"] = list(reversed(signed["type"]))
        assert verify_credential(signed, now=NOW, policy=NO_STATUS).verified is survives


TEXTS = [
    "Café crème, naïve résumé",
    "电气焊接技术员 — 溶接技術者 — 용접 기술자",
    "Welding 👩🏽‍🏭🔥 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "لحام متقدم — ריתוך מתקדם",
    "tab\there, newline\nthere, CR\r, bell\x07, NUL\x00, DEL\x7f, \x1f",
    'quotes " and backslash \\ and \\u0000 literally',
    "\u2028\u2029\ufeff\u0085",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("suite", SUITES)
def test_text_survives_signing(text: str, suite: str) -> None:
    doc = _credential()
    doc["credentialSubject"]["achievement"]["name"] = text
    doc["credentialSubject"]["achievement"]["description"] = text * 3
    signed = issue(doc, KEY.signer(), suites=[suite], created=NOW)
    back = json.loads(json.dumps(signed, ensure_ascii=False))
    assert back["credentialSubject"]["achievement"]["name"] == text
    assert verify_credential(back, now=NOW, policy=NO_STATUS).verified


def test_numbers_and_booleans_are_signed() -> None:
    doc = _credential()
    doc["credentialSubject"]["achievement"]["creditsAvailable"] = 3.5
    signed = issue(doc, KEY.signer(), created=NOW)
    assert verify_credential(signed, now=NOW, policy=NO_STATUS).verified
    signed["credentialSubject"]["achievement"]["creditsAvailable"] = 3.25
    assert not verify_credential(signed, now=NOW, policy=NO_STATUS).verified


def test_proof_set_with_all_suites_and_jwt() -> None:
    signed = issue(_credential(), KEY.signer(), suites=SUITES, created=NOW)
    assert len(signed["proof"]) == 3
    result = verify_credential(signed, now=NOW, policy=NO_STATUS)
    assert result.verified
    assert [c.code for c in result.checks if c.name == "proof"] == ["proof_valid"] * 3
    only_rdfc = VerifyPolicy(suites=frozenset({"eddsa-rdfc-2022"})).with_skip(["status"])
    narrowed = verify_credential(signed, now=NOW, policy=only_rdfc)
    assert narrowed.verified
    assert sorted(c.code for c in narrowed.warnings) == ["suite_not_allowed"] * 2
    token = issue_jwt(_credential(), KEY.signer(), issued_at=NOW)
    assert verify_credential(token, now=NOW, policy=NO_STATUS).verified


def test_validity_window_and_clock_skew() -> None:
    doc = _credential(validFrom="2026-07-01T00:10:00Z", validUntil="2026-08-01T00:00:00Z")
    signed = issue(doc, KEY.signer(), created=NOW)
    early = verify_credential(signed, now=NOW, policy=NO_STATUS)
    assert [c.code for c in early.errors] == ["not_yet_valid"]
    skewed = VerifyPolicy(max_clock_skew=timedelta(minutes=15)).with_skip(["status"])
    assert verify_credential(signed, now=NOW, policy=skewed).verified
    late = verify_credential(signed, now=NOW + timedelta(days=40), policy=NO_STATUS)
    assert [c.code for c in late.errors] == ["expired"]


def test_presentation_with_challenge_and_domain() -> None:
    holder = KeyPair.from_seed(bytes(range(1, 33)))
    cred = issue(_credential(), KEY.signer(), created=NOW)
    vp = create_presentation([cred], holder=holder.controller)
    signed = sign_presentation(
        vp, holder.signer(), challenge="c-123", domain="hire.example", created=NOW
    )
    ok = verify_presentation(
        signed, challenge="c-123", domain="hire.example", now=NOW, policy=NO_STATUS
    )
    assert ok.verified, ok.to_dict()
    assert ok.credentials[0].verified
    replay = verify_presentation(
        signed, challenge="other", domain="hire.example", now=NOW, policy=NO_STATUS
    )
    assert "challenge_mismatch" in [c.code for c in replay.errors]
    other = KeyPair.from_seed(bytes(range(2, 34)))
    forged = sign_presentation(vp, other.signer(), challenge="c-123", created=NOW)
    assert "holder_mismatch" in [
        c.code
        for c in verify_presentation(forged, challenge="c-123", now=NOW, policy=NO_STATUS).errors
    ]
    inner = copy.deepcopy(signed)
    inner["verifiableCredential"][0]["name"] = "Forged"
    bad = verify_presentation(
        inner, challenge="c-123", domain="hire.example", now=NOW, policy=NO_STATUS
    )
    assert not bad.verified
