"""VC-JWT: OB 3.0 signing round trips, 1EdTech examples, VC-JOSE, bad tokens."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from openler.core.errors import (
    InputTooLarge,
    InvalidInput,
    KeyError_,
    MalformedJson,
    UnsupportedSuite,
)
from openler.core.keys.keypair import KeyPair, PublicKey
from openler.core.keys.multibase import b64url_decode, b64url_encode
from openler.core.proofs.vc_jwt import (
    MAX_JWT_BYTES,
    DecodedJwt,
    decode_jwt,
    jwt_claim_mismatches,
    jwt_embedded_key,
    jwt_issuer,
    jwt_key_id,
    sign_jwt,
    verify_jwt,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
OB30_JWT = (VECTORS / "examples/1edtech-validator/ob30/simple.jwt").read_text()
CLR20_JWT = (VECTORS / "examples/1edtech-validator/clr20/simple.jwt").read_text()
ISSUED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://example.edu/issuers/565049"

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Example University"},
    "validFrom": "2010-01-01T00:00:00Z",
    "validUntil": "2011-01-01T00:00:00+01:00",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
    },
}


def _signer(algorithm: str = "Ed25519") -> tuple[KeyPair, Any]:
    pair = KeyPair.generate(algorithm).with_identity(controller=ISSUER)
    return pair, pair.signer()


def _compact(header: Mapping[str, Any], payload: Any, sign: Callable[[bytes], bytes]) -> str:
    head = b64url_encode(json.dumps(header).encode())
    body = b64url_encode(
        json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    )
    signing_input = f"{head}.{body}"
    return f"{signing_input}.{b64url_encode(sign(signing_input.encode()))}"


@pytest.mark.parametrize(("algorithm", "alg"), [("Ed25519", "EdDSA"), ("P-256", "ES256")])
def test_sign_and_verify_round_trip(algorithm: str, alg: str) -> None:
    pair, signer = _signer(algorithm)
    original = copy.deepcopy(CREDENTIAL)
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    assert original == CREDENTIAL  # not mutated
    decoded = decode_jwt(token)
    assert decoded.header == {"alg": alg, "typ": "JWT", "kid": pair.key_id}
    assert decoded.form == "ob3-vc-claim"
    assert decoded.credential == CREDENTIAL
    assert {k: v for k, v in decoded.claims.items() if k != "vc"} == {
        "iss": ISSUER,
        "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "jti": CREDENTIAL["id"],
        "nbf": 1262304000,
        "exp": 1293836400,
        "iat": 1714564800,
    }
    assert verify_jwt(token, pair.public_key)
    assert verify_jwt(decoded, pair.public_key)
    assert not verify_jwt(token, KeyPair.generate(algorithm).public_key)
    assert jwt_key_id(decoded) == pair.key_id
    assert jwt_claim_mismatches(decoded) == []


def test_expired_tokens_still_verify_here() -> None:
    # validUntil is in 2011: nbf/exp are for the verifier's own clock, never checked here.
    pair, signer = _signer()
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    assert decode_jwt(token).claims["exp"] < ISSUED.timestamp()
    assert verify_jwt(token, pair.public_key)


def test_vcdm_1_1_dates_and_string_issuer() -> None:
    _, signer = _signer()
    credential = {
        k: v for k, v in CREDENTIAL.items() if k not in ("validFrom", "validUntil", "issuer")
    }
    credential |= {
        "issuer": ISSUER,
        "issuanceDate": "2010-01-01T00:00:00Z",
        "expirationDate": "2030-01-01T00:00:00.500Z",
        "credentialSubject": [{"id": "did:example:1"}],
    }
    claims = decode_jwt(sign_jwt(credential, signer, issued_at=ISSUED)).claims
    assert claims["iss"] == ISSUER
    assert claims["nbf"] == 1262304000
    assert claims["exp"] == 1893456000
    assert claims["sub"] == "did:example:1"


def test_no_sub_without_a_single_subject_id() -> None:
    _, signer = _signer()
    credential = CREDENTIAL | {"credentialSubject": [{"id": "did:a"}, {"id": "did:b"}]}
    assert "sub" not in decode_jwt(sign_jwt(credential, signer, issued_at=ISSUED)).claims


@pytest.mark.parametrize(
    ("credential", "issued_at"),
    [
        ({k: v for k, v in CREDENTIAL.items() if k != "issuer"}, ISSUED),
        (CREDENTIAL, datetime(2024, 5, 1)),  # naive
        (CREDENTIAL | {"validFrom": "yesterday"}, ISSUED),
        (CREDENTIAL | {"validFrom": "2010-01-01"}, ISSUED),  # no time, no zone
        (CREDENTIAL | {"validUntil": 1262304000}, ISSUED),
        (CREDENTIAL | {"extra": float("nan")}, ISSUED),
        (CREDENTIAL | {"extra": {1, 2}}, ISSUED),
        (["not", "an", "object"], ISSUED),
    ],
)
def test_sign_rejects_bad_input(credential: Any, issued_at: datetime) -> None:
    _, signer = _signer()
    with pytest.raises(InvalidInput):
        sign_jwt(credential, signer, issued_at=issued_at)


class _RsaSigner:
    algorithm = "RSA"
    verification_method = f"{ISSUER}#rsa"

    def sign(self, data: bytes) -> bytes:
        return data


def test_sign_refuses_signers_without_a_jws_algorithm() -> None:
    with pytest.raises(UnsupportedSuite):
        sign_jwt(CREDENTIAL, _RsaSigner(), issued_at=ISSUED)


def _tamper_payload(token: str) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(b64url_decode(body))
    claims["vc"]["name"] = "Forged"
    return f"{head}.{b64url_encode(json.dumps(claims).encode())}.{sig}"


def _tamper_signature(token: str) -> str:
    head, body, sig = token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[5] ^= 0x40
    return f"{head}.{body}.{b64url_encode(bytes(raw))}"


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
@pytest.mark.parametrize("tamper", [_tamper_payload, _tamper_signature])
def test_tampered_tokens_are_false(algorithm: str, tamper: Callable[[str], str]) -> None:
    pair, signer = _signer(algorithm)
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    assert verify_jwt(token, pair.public_key)
    assert verify_jwt(tamper(token), pair.public_key) is False


def test_algorithm_allow_list_and_key_type_confusion() -> None:
    pair, signer = _signer()
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    assert not verify_jwt(token, pair.public_key, allowed_algs={"ES256", "RS256"})
    assert verify_jwt(token, pair.public_key, allowed_algs={"EdDSA"})
    assert not verify_jwt(token, KeyPair.generate("P-256").public_key)


@pytest.mark.parametrize("algs", [{"none"}, {"HS256"}, {"EdDSA", "PS512"}])
def test_unknown_allowed_algorithms_are_a_setup_error(algs: set[str]) -> None:
    pair, signer = _signer()
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    with pytest.raises(UnsupportedSuite):
        verify_jwt(token, pair.public_key, allowed_algs=algs)


def test_alg_none_is_never_accepted() -> None:
    pair, _ = _signer()
    payload = {"iss": ISSUER, "vc": CREDENTIAL}
    token = _compact({"alg": "none", "typ": "JWT"}, payload, lambda _data: b"\x00")
    assert decode_jwt(token).header["alg"] == "none"
    assert verify_jwt(token, pair.public_key) is False
    unsigned = token.rsplit(".", 1)[0] + "."
    assert verify_jwt(unsigned, pair.public_key) is False


def test_a_key_source_is_required() -> None:
    _, signer = _signer()
    token = sign_jwt(CREDENTIAL, signer, issued_at=ISSUED)
    with pytest.raises(KeyError_):
        verify_jwt(token, None)


def test_1edtech_clr_example_verifies_with_its_header_jwk() -> None:
    decoded = decode_jwt(CLR20_JWT)
    assert decoded.header["alg"] == "RS256"
    key = jwt_embedded_key(decoded)
    assert key is not None
    assert key.algorithm == "RSA"
    assert verify_jwt(CLR20_JWT, None, allow_embedded_jwk=True)
    assert verify_jwt(CLR20_JWT, key)
    assert not verify_jwt(_tamper_payload(CLR20_JWT), None, allow_embedded_jwk=True)
    assert not verify_jwt(CLR20_JWT, key, allowed_algs={"EdDSA", "ES256"})
    # a caller-supplied key wins over the header's
    assert not verify_jwt(CLR20_JWT, KeyPair.generate().public_key, allow_embedded_jwk=True)


def test_1edtech_ob30_example_decodes() -> None:
    decoded = decode_jwt(OB30_JWT)
    assert decoded.form == "ob3-vc-claim"
    assert decoded.header == {"alg": "RS256", "typ": "JWT"}
    assert decoded.claims["iss"] == ISSUER
    assert decoded.claims["jti"] == "http://example.edu/credentials/3732"
    assert decoded.claims["nbf"] == 1262304000
    assert decoded.credential["issuanceDate"] == "2010-01-01T00:00:00Z"
    assert jwt_issuer(decoded) == ISSUER
    assert jwt_claim_mismatches(decoded) == []
    # This example carries neither 'jwk' nor 'kid': there is no key to check it with.
    assert jwt_key_id(decoded) is None
    assert jwt_embedded_key(decoded) is None
    assert verify_jwt(OB30_JWT, None, allow_embedded_jwk=True) is False


def test_rs256_round_trip_with_a_given_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = PublicKey(private.public_key())
    header = {"alg": "RS256", "typ": "JWT", "kid": f"{ISSUER}#rsa"}

    def sign(data: bytes) -> bytes:
        return private.sign(data, padding.PKCS1v15(), hashes.SHA256())

    token = _compact(header, {"iss": ISSUER, "vc": CREDENTIAL}, sign)
    assert verify_jwt(token, public)
    assert not verify_jwt(token, public, allowed_algs={"EdDSA"})
    assert not verify_jwt(_tamper_payload(token), public)


def test_embedded_ed25519_jwk() -> None:
    pair = KeyPair.generate()
    header = {"alg": "EdDSA", "typ": "JWT", "jwk": pair.to_jwk()}
    token = _compact(header, {"iss": ISSUER, "vc": CREDENTIAL}, pair.sign)
    assert verify_jwt(token, None, allow_embedded_jwk=True)
    bad_header = header | {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}}
    bad = _compact(bad_header, {"iss": ISSUER, "vc": CREDENTIAL}, pair.sign)
    assert jwt_embedded_key(decode_jwt(bad)) is None
    assert verify_jwt(bad, None, allow_embedded_jwk=True) is False


@pytest.mark.parametrize("typ", ["vc+jwt", "application/vc+jwt", "vp+jwt", None])
def test_vc_jose_form(typ: str | None) -> None:
    pair, _ = _signer("P-256")
    header = {"alg": "ES256", "kid": pair.key_id} | ({"typ": typ} if typ else {})
    token = _compact(header, CREDENTIAL, pair.sign)
    decoded = decode_jwt(token)
    assert decoded.form == "vc-jose"
    assert decoded.credential == CREDENTIAL
    assert jwt_issuer(decoded) == ISSUER
    assert jwt_claim_mismatches(decoded) == []
    assert verify_jwt(token, pair.public_key)


@pytest.mark.parametrize(
    ("kid", "issuer", "expected"),
    [
        ("#key-1", ISSUER, f"{ISSUER}#key-1"),
        ("key-1", ISSUER, f"{ISSUER}#key-1"),
        ("did:web:example.com#k", ISSUER, "did:web:example.com#k"),
        (None, "https://no-kid.example", None),
    ],
)
def test_jwt_key_id(kid: str | None, issuer: str, expected: str | None) -> None:
    header = {"alg": "EdDSA"} | ({"kid": kid} if kid else {})
    token = _compact(header, {"iss": issuer, "vc": {"issuer": issuer}}, lambda _d: b"sig")
    assert jwt_key_id(decode_jwt(token)) == expected


def test_jwt_key_id_for_a_did_key_issuer_without_kid() -> None:
    pair = KeyPair.generate()
    token = _compact({"alg": "EdDSA"}, {"iss": pair.controller, "vc": {}}, pair.sign)
    assert jwt_key_id(decode_jwt(token)) == pair.key_id


def test_claim_mismatches() -> None:
    pair = KeyPair.generate()  # did:key kid, but the credential names ISSUER
    token = sign_jwt(CREDENTIAL, pair.signer(), issued_at=ISSUED)
    assert jwt_claim_mismatches(decode_jwt(token)) == ["kid"]
    forged = {"iss": "https://evil.example", "jti": "urn:other", "vc": CREDENTIAL}
    decoded = decode_jwt(_compact({"alg": "EdDSA"}, forged, pair.sign))
    assert jwt_claim_mismatches(decoded) == ["iss", "jti"]


def _b64(value: Any) -> str:
    return b64url_encode(json.dumps(value).encode())


def _raw(payload: bytes) -> str:
    return f"{_b64({'alg': 'EdDSA'})}.{b64url_encode(payload)}.c2ln"


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("", InvalidInput),
        ("abc", InvalidInput),
        ("a.b.c.d.e", InvalidInput),
        (f"{_b64({'alg': 'EdDSA'})}..c2ln", InvalidInput),
        ("not*base64.e30.c2ln", InvalidInput),
        (f"{b64url_encode(b'{not json')}.{_b64({'vc': {}})}.c2ln", MalformedJson),
        (f"{_b64(['alg'])}.{_b64({'vc': {}})}.c2ln", MalformedJson),
        (f"{_b64({'alg': 'EdDSA'})}.{_b64([1])}.c2ln", MalformedJson),
        (_raw(b'{"vc":{},"vc":{}}'), MalformedJson),
        (_raw(b'{"vc":{"n":NaN}}'), MalformedJson),
        (_raw(b"\xff\xfe"), MalformedJson),
        (f"{_b64({'typ': 'JWT'})}.{_b64({'vc': {}})}.c2ln", InvalidInput),
        (f"{_b64({'alg': 'EdDSA', 'crit': ['exp']})}.{_b64({'vc': {}})}.c2ln", InvalidInput),
        (f"{_b64({'alg': 'EdDSA', 'b64': False})}.{_b64({'vc': {}})}.c2ln", InvalidInput),
        (f"{_b64({'alg': 'EdDSA'})}.{_b64({'iss': 'x'})}.c2ln", InvalidInput),
        (f"{_b64({'alg': 'EdDSA'})}.{_b64({'vc': 'string'})}.c2ln", InvalidInput),
        ("x" * (MAX_JWT_BYTES + 1), InputTooLarge),
        (_raw(b"[" * 100000), InputTooLarge),
        (b"\xff.\xfe.\xfd", InvalidInput),
        (42, InvalidInput),
    ],
)
def test_decode_rejects_garbage_with_clear_errors(token: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_jwt(token)
    if isinstance(token, str):
        assert verify_jwt(token, KeyPair.generate().public_key) is False


def test_decode_accepts_bytes_and_surrounding_whitespace() -> None:
    decoded = decode_jwt(f"  {CLR20_JWT}\n".encode())
    assert isinstance(decoded, DecodedJwt)
    assert decoded.token == CLR20_JWT.strip()
    assert decoded.signing_input == CLR20_JWT.strip().rsplit(".", 1)[0].encode()
    assert len(decoded.signature) == 256  # RSA-2048


def test_issued_at_keeps_its_offset() -> None:
    _, signer = _signer()
    local = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert decode_jwt(sign_jwt(CREDENTIAL, signer, issued_at=local)).claims["iat"] == 1714564800
