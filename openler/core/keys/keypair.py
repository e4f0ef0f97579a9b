"""Key pairs (Ed25519, P-256), verification keys (also RSA) and a local signer.

Signatures are raw bytes: 64 bytes for Ed25519, and ``r || s`` (IEEE P1363, 64 bytes)
for P-256 — the form JWS ``ES256`` and the Data Integrity ECDSA suites use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from openler.core.errors import InvalidInput, KeyError_, UnsupportedKeyType
from openler.core.keys.multibase import (
    Multicodec,
    b58decode,
    b58encode,
    b64url_decode,
    b64url_encode,
    decode_multikey,
    encode_multikey,
)

__all__ = ["Algorithm", "KeyPair", "LocalSigner", "PublicKey", "VerificationAlgorithm"]

Algorithm = Literal["Ed25519", "P-256"]
VerificationAlgorithm = Literal["Ed25519", "P-256", "RSA"]

MIN_RSA_BITS: Final = 2048
_P256_ORDER_BYTES: Final = 32
#: Verification method types carrying ``publicKeyMultibase``, and the key each requires.
_MULTIBASE_TYPES: Final[Mapping[str, str | None]] = {
    "Multikey": None,
    "Ed25519VerificationKey2020": "Ed25519",
    "EcdsaSecp256r1VerificationKey2019": "P-256",
}
_PublicCrypto = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
_PrivateCrypto = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class PublicKey:
    """A public key that verifies signatures; ``verify`` never raises on a bad one."""

    __slots__ = ("_key", "algorithm")

    def __init__(self, key: _PublicCrypto) -> None:
        self.algorithm: VerificationAlgorithm
        if isinstance(key, ed25519.Ed25519PublicKey):
            self.algorithm = "Ed25519"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1):
                raise UnsupportedKeyType(f"Unsupported elliptic curve {key.curve.name}.")
            self.algorithm = "P-256"
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < MIN_RSA_BITS:
                raise KeyError_(f"RSA keys shorter than {MIN_RSA_BITS} bits are refused.")
            self.algorithm = "RSA"
        else:
            raise UnsupportedKeyType(f"Unsupported key object {type(key).__name__}.")
        self._key = key

    # -- constructors -------------------------------------------------------------

    @classmethod
    def from_raw(cls, algorithm: str, data: bytes) -> PublicKey:
        """32-byte Ed25519 key or 33-byte compressed P-256 point."""
        if algorithm == "Ed25519":
            if len(data) != 32:
                raise KeyError_(f"An Ed25519 public key is 32 bytes, not {len(data)}.")
            return cls(ed25519.Ed25519PublicKey.from_public_bytes(bytes(data)))
        if algorithm == "P-256":
            if len(data) != 33:
                raise KeyError_(f"A compressed P-256 public key is 33 bytes, not {len(data)}.")
            try:
                point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(data))
            except ValueError as exc:
                raise KeyError_("Not a valid P-256 point.") from exc
            return cls(point)
        raise UnsupportedKeyType(f"Unsupported key algorithm {algorithm!r}.")

    @classmethod
    def from_multibase(cls, text: str) -> PublicKey:
        """From a ``publicKeyMultibase`` value (``z6Mk…`` Ed25519, ``zDn…`` P-256)."""
        codec, raw = decode_multikey(text)
        if codec is Multicodec.ED25519_PUB:
            return cls.from_raw("Ed25519", raw)
        if codec is Multicodec.P256_PUB:
            return cls.from_raw("P-256", raw)
        raise UnsupportedKeyType(f"{codec.name} is not a signature verification key.")

    @classmethod
    def from_base58(cls, text: str) -> PublicKey:
        """From an Ed25519VerificationKey2018 ``publicKeyBase58`` (raw 32 bytes)."""
        return cls.from_raw("Ed25519", b58decode(text))

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """From a public JWK: OKP Ed25519, EC P-256, or RSA (verification only)."""
        if not isinstance(jwk, Mapping):
            raise KeyError_("A JWK must be a JSON object.")
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "Ed25519":
            return cls.from_raw("Ed25519", _jwk_bytes(jwk, "x", 32))
        if kty == "EC" and crv == "P-256":
            x, y = _jwk_bytes(jwk, "x", 32), _jwk_bytes(jwk, "y", 32)
            if not _on_curve(x, y):
                raise KeyError_("The JWK is not a point on P-256.")
            return cls.from_raw("P-256", bytes([2 + (y[-1] & 1)]) + x)
        if kty == "RSA":
            n = int.from_bytes(_jwk_bytes(jwk, "n"), "big")
            e = int.from_bytes(_jwk_bytes(jwk, "e"), "big")
            try:
                return cls(rsa.RSAPublicNumbers(e, n).public_key())
            except ValueError as exc:
                raise KeyError_("Not a valid RSA public key.") from exc
        raise UnsupportedKeyType(
            f"Unsupported JWK kty={kty!r} crv={crv!r}.", details={"kty": kty, "crv": crv}
        )

    @classmethod
    def from_verification_method(cls, method: Mapping[str, Any]) -> PublicKey:
        """From a verification method object (Multikey, Ed25519VerificationKey2018/2020,
        JsonWebKey2020/JsonWebKey, EcdsaSecp256r1VerificationKey2019)."""
        vm_type = method.get("type")
        if isinstance(vm_type, str) and vm_type in _MULTIBASE_TYPES:
            key = cls.from_multibase(_str_field(method, "publicKeyMultibase"))
            expected = _MULTIBASE_TYPES[vm_type]
            if expected is not None and key.algorithm != expected:
                raise KeyError_(f"A {vm_type} must hold a {expected} key.")
            return key
        if vm_type == "Ed25519VerificationKey2018":
            if "publicKeyBase58" in method:
                return cls.from_base58(_str_field(method, "publicKeyBase58"))
            key = cls.from_multibase(_str_field(method, "publicKeyMultibase"))
            if key.algorithm != "Ed25519":
                raise KeyError_("An Ed25519VerificationKey2018 must hold an Ed25519 key.")
            return key
        if vm_type in ("JsonWebKey2020", "JsonWebKey"):
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, Mapping):
                raise KeyError_(f"A {vm_type} verification method needs publicKeyJwk.")
            return cls.from_jwk(jwk)
        raise UnsupportedKeyType(
            f"Unsupported verification method type {vm_type!r}.", details={"type": vm_type}
        )

    # -- use ----------------------------------------------------------------------

    @property
    def crypto_key(self) -> _PublicCrypto:
        """The underlying ``cryptography`` key object."""
        return self._key

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` over ``data`` is valid; False otherwise, never raises.

        RSA uses RSASSA-PKCS1-v1_5 with SHA-256 (JWS ``RS256``)."""
        try:
            signature, data = bytes(signature), bytes(data)
            key = self._key
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, data)
            elif isinstance(key, ec.EllipticCurvePublicKey):
                if len(signature) != 2 * _P256_ORDER_BYTES:
                    return False
                r = int.from_bytes(signature[:_P256_ORDER_BYTES], "big")
                s = int.from_bytes(signature[_P256_ORDER_BYTES:], "big")
                key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            else:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def raw_bytes(self) -> bytes:
        """32-byte Ed25519 key or 33-byte compressed P-256 point (not for RSA)."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PublicKey):
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
        raise UnsupportedKeyType("RSA keys have no Multikey encoding.")

    def to_multibase(self) -> str:
        """The ``publicKeyMultibase`` value."""
        codec = Multicodec.ED25519_PUB if self.algorithm == "Ed25519" else Multicodec.P256_PUB
        return encode_multikey(codec, self.raw_bytes())

    @property
    def fingerprint(self) -> str:
        """The multibase public key, as did:key and Multikey fragments use it."""
        return self.to_multibase()

    def to_base58(self) -> str:
        """Ed25519VerificationKey2018 ``publicKeyBase58`` (Ed25519 only)."""
        if self.algorithm != "Ed25519":
            raise UnsupportedKeyType("publicKeyBase58 is defined for Ed25519 keys only.")
        return b58encode(self.raw_bytes())

    def to_jwk(self) -> dict[str, str]:
        """The public JWK."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PublicKey):
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.raw_bytes())}
        if isinstance(key, ec.EllipticCurvePublicKey):
            nums = key.public_numbers()
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url_encode(nums.x.to_bytes(32, "big")),
                "y": b64url_encode(nums.y.to_bytes(32, "big")),
            }
        rnums = key.public_numbers()
        return {
            "kty": "RSA",
            "n": b64url_encode(_int_bytes(rnums.n)),
            "e": b64url_encode(_int_bytes(rnums.e)),
        }

    def _identity(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        if isinstance(self._key, rsa.RSAPublicKey):
            return f"PublicKey(RSA, {self._key.key_size} bits)"
        return f"PublicKey({self.algorithm}, {self.fingerprint})"


class KeyPair:
    """An Ed25519 or P-256 private key with its public key.

    ``controller`` and ``key_id`` name the verification method the key signs as;
    they default to the key's did:key (``did:key:z…`` and ``did:key:z…#z…``)."""

    __slots__ = ("_controller", "_key", "_key_id", "algorithm", "public_key")

    def __init__(
        self,
        private_key: _PrivateCrypto,
        *,
        controller: str | None = None,
        key_id: str | None = None,
    ) -> None:
        self.algorithm: Algorithm
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            self.algorithm = "Ed25519"
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(
            private_key.curve, ec.SECP256R1
        ):
            self.algorithm = "P-256"
        else:
            raise UnsupportedKeyType("Only Ed25519 and P-256 private keys are supported.")
        self._key = private_key
        self.public_key = PublicKey(private_key.public_key())
        self._controller = controller
        self._key_id = key_id

    @classmethod
    def generate(cls, algorithm: str = "Ed25519") -> KeyPair:
        """A fresh random key pair (``"Ed25519"`` or ``"P-256"``)."""
        if algorithm == "Ed25519":
            return cls(ed25519.Ed25519PrivateKey.generate())
        if algorithm == "P-256":
            return cls(ec.generate_private_key(ec.SECP256R1()))
        raise UnsupportedKeyType(f"Unsupported key algorithm {algorithm!r}.")

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        """An Ed25519 key pair from its 32-byte seed."""
        return cls.from_private_bytes("Ed25519", seed)

    @classmethod
    def from_private_bytes(cls, algorithm: str, data: bytes) -> KeyPair:
        """Ed25519: 32-byte seed (or seed + public key, checked); P-256: 32-byte scalar."""
        data = bytes(data)
        if algorithm == "Ed25519":
            if len(data) not in (32, 64):
                raise KeyError_(f"An Ed25519 private key is a 32-byte seed, not {len(data)} bytes.")
            pair = cls(ed25519.Ed25519PrivateKey.from_private_bytes(data[:32]))
            if len(data) == 64 and pair.public_key.raw_bytes() != data[32:]:
                raise KeyError_("The Ed25519 private key does not match its appended public key.")
            return pair
        if algorithm == "P-256":
            if len(data) != 32:
                raise KeyError_(f"A P-256 private key is 32 bytes, not {len(data)}.")
            try:
                return cls(ec.derive_private_key(int.from_bytes(data, "big"), ec.SECP256R1()))
            except ValueError as exc:
                raise KeyError_("Not a valid P-256 private scalar.") from exc
        raise UnsupportedKeyType(f"Unsupported key algorithm {algorithm!r}.")

    @classmethod
    def from_multikey(
        cls, secret_key_multibase: str, public_key_multibase: str | None = None
    ) -> KeyPair:
        """From ``secretKeyMultibase`` (checked against ``publicKeyMultibase`` if given)."""
        codec, raw = decode_multikey(secret_key_multibase)
        if codec is Multicodec.ED25519_PRIV:
            pair = cls.from_private_bytes("Ed25519", raw)
        elif codec is Multicodec.P256_PRIV:
            pair = cls.from_private_bytes("P-256", raw)
        else:
            raise UnsupportedKeyType(f"{codec.name} is not a supported secret key.")
        if (
            public_key_multibase is not None
            and PublicKey.from_multibase(public_key_multibase) != pair.public_key
        ):
            raise KeyError_("publicKeyMultibase does not match secretKeyMultibase.")
        return pair

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> KeyPair:
        """From a private JWK (OKP Ed25519 or EC P-256 with ``d``)."""
        if not isinstance(jwk, Mapping) or "d" not in jwk:
            raise KeyError_("A private JWK needs a 'd' member.")
        kind = f"{jwk.get('kty')}/{jwk.get('crv')}"
        algorithm = {"OKP/Ed25519": "Ed25519", "EC/P-256": "P-256"}.get(kind)
        if algorithm is None:
            raise UnsupportedKeyType(f"Unsupported private JWK kty={jwk.get('kty')!r}.")
        pair = cls.from_private_bytes(algorithm, _jwk_bytes(jwk, "d", 32))
        if "x" in jwk and PublicKey.from_jwk(jwk) != pair.public_key:
            raise KeyError_("The JWK public part does not match its private key.")
        return pair

    @classmethod
    def from_key_file(cls, data: Mapping[str, Any]) -> KeyPair:
        """From the CLI key file: ``{"type": "Multikey", "id", "controller",
        "publicKeyMultibase", "secretKeyMultibase"}``."""
        if not isinstance(data, Mapping) or data.get("type") != "Multikey":
            raise InvalidInput('A key file must be a JSON object with "type": "Multikey".')
        pair = cls.from_multikey(
            _str_field(data, "secretKeyMultibase"), _opt_str(data, "publicKeyMultibase")
        )
        controller, key_id = _opt_str(data, "controller"), _opt_str(data, "id")
        if key_id is not None:
            if key_id.startswith("#") and controller:
                key_id = controller + key_id
            base, sep, fragment = key_id.partition("#")
            if not sep or not base or not fragment:
                raise InvalidInput("The key file 'id' must be an absolute URL with a fragment.")
            if controller is not None and base != controller:
                raise InvalidInput("The key file 'id' must start with its 'controller'.")
            controller = base
        return pair.with_identity(controller=controller, key_id=key_id)

    def with_identity(self, *, controller: str | None, key_id: str | None = None) -> KeyPair:
        """The same key naming another controller / verification method id."""
        return KeyPair(self._key, controller=controller, key_id=key_id)

    # -- properties -----------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """The public key's multibase value (``z6Mk…`` / ``zDn…``)."""
        return self.public_key.fingerprint

    @property
    def controller(self) -> str:
        """The controller (DID or URL); defaults to the key's did:key."""
        return self._controller or f"did:key:{self.fingerprint}"

    @property
    def key_id(self) -> str:
        """The verification method id; defaults to ``<controller>#<fingerprint>``."""
        return self._key_id or f"{self.controller}#{self.fingerprint}"

    @property
    def secret_key_multibase(self) -> str:
        codec = Multicodec.ED25519_PRIV if self.algorithm == "Ed25519" else Multicodec.P256_PRIV
        return encode_multikey(codec, self.private_bytes())

    def private_bytes(self) -> bytes:
        """The 32-byte Ed25519 seed or P-256 scalar. Keep it secret."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        return key.private_numbers().private_value.to_bytes(32, "big")

    # -- export and signing ------------------------------------------------------

    def to_multikey(self) -> dict[str, str]:
        return {
            "publicKeyMultibase": self.fingerprint,
            "secretKeyMultibase": self.secret_key_multibase,
        }

    def to_jwk(self, *, private: bool = False) -> dict[str, str]:
        jwk = self.public_key.to_jwk()
        if private:
            jwk["d"] = b64url_encode(self.private_bytes())
        return jwk

    def to_key_file(self) -> dict[str, str]:
        """The CLI key file (holds the secret key: store it with care)."""
        return {"type": "Multikey", "id": self.key_id, "controller": self.controller} | (
            self.to_multikey()
        )

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature, or P-256/SHA-256 ECDSA as raw ``r || s``."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(bytes(data))
        r, s = decode_dss_signature(key.sign(bytes(data), ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def signer(self, verification_method: str | None = None) -> LocalSigner:
        return LocalSigner(self, verification_method)

    def __repr__(self) -> str:
        return f"KeyPair({self.algorithm}, {self.key_id})"


class LocalSigner:
    """A :class:`~openler.core.ports.Signer` over an in-memory :class:`KeyPair`."""

    __slots__ = ("_pair", "_vm")

    def __init__(self, key_pair: KeyPair, verification_method: str | None = None) -> None:
        self._pair = key_pair
        self._vm = verification_method or key_pair.key_id

    @property
    def algorithm(self) -> str:
        return self._pair.algorithm

    @property
    def verification_method(self) -> str:
        return self._vm

    @property
    def public_key(self) -> PublicKey:
        return self._pair.public_key

    def sign(self, data: bytes) -> bytes:
        return self._pair.sign(data)

    def __repr__(self) -> str:
        return f"LocalSigner({self.algorithm}, {self._vm})"


def _jwk_bytes(jwk: Mapping[str, Any], name: str, length: int | None = None) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise KeyError_(f"The JWK member {name!r} is missing.")
    try:
        data = b64url_decode(value)
    except InvalidInput as exc:
        raise KeyError_(f"The JWK member {name!r} is not base64url.") from exc
    if length is not None and len(data) != length:
        raise KeyError_(f"The JWK member {name!r} must be {length} bytes, not {len(data)}.")
    return data


def _on_curve(x: bytes, y: bytes) -> bool:
    try:
        ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError:
        return False
    return True


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _str_field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise KeyError_(f"{name!r} must be a non-empty string.")
    return value


def _opt_str(data: Mapping[str, Any], name: str) -> str | None:
    return None if data.get(name) is None else _str_field(data, name)
