"""Private signing keys encrypted at rest under a key derived from ``OPENLER_SECRET_KEY``.

The caller passes the secret in (from :class:`openler.config.Settings`); this module never
reads the environment. A master secret becomes a wrapping key through HKDF-SHA256::

    wrapping key = HKDF-SHA256(ikm=secret, salt=salt, info=b"openler/keystore/wrap/v1", L=32)
    key version  = HMAC-SHA256(wrapping key, b"openler/keystore/key-version/v1")[:8]

The key version names the wrapping key, never the secret, so it can be stored and shown.
A private key is sealed with AES-256-GCM into a self-describing envelope (bytes)::

    offset  size   field
    0       1      envelope format version (0x01)
    1       8      key version of the wrapping key
    9       12     nonce, random for every encryption
    21      n+16   ciphertext of the raw private key (32 bytes) followed by the 16-byte tag

The associated data is the 9 header bytes followed by a label and the length-prefixed
organization id, key id and algorithm, so an envelope copied to another organization, key
row or algorithm (or with an edited header) fails to decrypt. UUIDs are bound in their
canonical ``str()`` form; strings are bound exactly as given.

Rotation: ``KeyStore(current=new, previous=[old, …])`` decrypts envelopes made under any of
them (picked by key version), encrypts under ``current`` only, and :meth:`KeyStore.rewrap`
moves an envelope to ``current``; once every row is rewrapped the old secret can go.

Other purposes (e.g. signing the platform's OAuth access tokens) get their own keys from
the current secret through :meth:`KeyStore.derived_key`, never the wrapping key::

    root = HKDF-SHA256(ikm=secret, salt=salt, info=b"openler/keystore/derive/v1", L=32)
    key  = HKDF-SHA256(ikm=root, salt=None, info=b"openler/keystore/purpose/v1:" + purpose)

Distinct info strings keep these keys independent of the wrapping key and of each other.
A derived key follows the current secret: rotating the secret changes every derived key.

HKDF does not stretch a weak passphrase: the secret must be random (at least 32
characters, e.g. ``python -c "import secrets; print(secrets.token_urlsafe(32))"``).

Errors::

    OpenlerError                  openler_error
    └── KeyStoreError             key_decryption_failed
        └── UnknownKeyVersion     unknown_key_version

:class:`openler.config.ConfigurationError` is raised by :meth:`KeyStore.for_settings` for a
configuration that must not run (production without a secret of at least 32 characters).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Final
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from openler.config import ConfigurationError, Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.keys.keypair import KeyPair

__all__ = [
    "DEFAULT_SALT",
    "DEV_SECRET_FILE",
    "ENVELOPE_VERSION",
    "MIN_PRODUCTION_SECRET_CHARS",
    "DevelopmentSecretWarning",
    "KeyStore",
    "KeyStoreError",
    "Secret",
    "UnknownKeyVersion",
]

logger = logging.getLogger(__name__)

Secret = SecretStr | str | bytes

ENVELOPE_VERSION: Final = 1
#: Salt used when a deployment passes none (HKDF's salt is optional: RFC 5869, 3.1).
DEFAULT_SALT: Final = b"openler/keystore/salt/v1"
#: The development stand-in secret, under the data directory.
DEV_SECRET_FILE: Final = "dev-secret.key"  # noqa: S105 - a file name, not a secret
MIN_PRODUCTION_SECRET_CHARS: Final = 32

_HKDF_INFO: Final = b"openler/keystore/wrap/v1"
_DERIVE_ROOT_INFO: Final = b"openler/keystore/derive/v1"
_PURPOSE_INFO_PREFIX: Final = b"openler/keystore/purpose/v1:"
_MAX_PURPOSE_CHARS: Final = 100
_KEY_VERSION_LABEL: Final = b"openler/keystore/key-version/v1"
_AAD_LABEL: Final = b"openler/keystore/aad/v1"
_KEY_VERSION_BYTES: Final = 8
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_HEADER_BYTES: Final = 1 + _KEY_VERSION_BYTES
_MIN_ENVELOPE_BYTES: Final = _HEADER_BYTES + _NONCE_BYTES + _TAG_BYTES
_MAX_ENVELOPE_BYTES: Final = 4096


class KeyStoreError(OpenlerError):
    """A key envelope that cannot be opened: altered, truncated, or bound to another
    organization, key or algorithm. Never carries key material or secrets."""

    code = "key_decryption_failed"


class UnknownKeyVersion(KeyStoreError):
    """The envelope was sealed under a secret that is neither current nor previous."""

    code = "unknown_key_version"


class DevelopmentSecretWarning(UserWarning):
    """Private keys are protected by a generated development secret, not OPENLER_SECRET_KEY."""


class _WrappingKey:
    """An AES-256-GCM key derived from one master secret, and its key version."""

    __slots__ = ("aead", "version")

    def __init__(self, secret: bytes, salt: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret)
        self.version = hmac.new(key, _KEY_VERSION_LABEL, hashlib.sha256).digest()[
            :_KEY_VERSION_BYTES
        ]
        self.aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"_WrappingKey({self.version.hex()})"


class KeyStore:
    """Encrypts and decrypts private signing keys; see the module docstring for the format.

    ``current`` seals new envelopes; ``previous`` secrets only open old ones. The secrets
    themselves are not kept: only the derived AES keys and their key versions."""

    __slots__ = ("_by_version", "_current", "_derivation_root", "_development")

    def __init__(
        self,
        current: Secret,
        previous: Iterable[Secret] = (),
        *,
        salt: bytes = DEFAULT_SALT,
        development: bool = False,
    ) -> None:
        if not isinstance(salt, bytes):
            raise TypeError("The key store salt must be bytes.")
        current_secret = _secret_bytes(current)
        self._current = _WrappingKey(current_secret, salt)
        self._derivation_root = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=salt, info=_DERIVE_ROOT_INFO
        ).derive(current_secret)
        self._by_version: dict[bytes, _WrappingKey] = {self._current.version: self._current}
        for secret in previous:
            wrapping_key = _WrappingKey(_secret_bytes(secret), salt)
            self._by_version.setdefault(wrapping_key.version, wrapping_key)
        self._development = development

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        *,
        previous: Iterable[Secret] = (),
        salt: bytes = DEFAULT_SALT,
    ) -> KeyStore:
        """The key store the settings call for.

        With ``OPENLER_SECRET_KEY`` set, it is the current secret. Without it, production
        refuses to start (:class:`~openler.config.ConfigurationError`, also for a secret
        under 32 characters); elsewhere a random secret is generated once into
        ``<data_dir>/dev-secret.key`` (mode 0600), reused on later starts, and a
        :class:`DevelopmentSecretWarning` is emitted."""
        value = settings.secret_key.get_secret_value() if settings.secret_key is not None else ""
        if settings.env == "production":
            if len(value) < MIN_PRODUCTION_SECRET_CHARS:
                raise ConfigurationError(
                    "OPENLER_SECRET_KEY must be set (at least "
                    f"{MIN_PRODUCTION_SECRET_CHARS} characters) in production: private "
                    "keys are never protected by a development secret there."
                )
            return cls(value, previous, salt=salt)
        if value:
            if len(value) < MIN_PRODUCTION_SECRET_CHARS:
                _warn(
                    f"OPENLER_SECRET_KEY is shorter than {MIN_PRODUCTION_SECRET_CHARS} "
                    "characters; production refuses it."
                )
            return cls(value, previous, salt=salt)
        path = settings.data_dir / DEV_SECRET_FILE
        store = cls(_load_or_create_dev_secret(path), previous, salt=salt, development=True)
        _warn(
            f"Private keys are protected by a development secret ({path}), not "
            "OPENLER_SECRET_KEY; set OPENLER_SECRET_KEY before going to production."
        )
        return store

    # -- properties -----------------------------------------------------------------

    @property
    def current_version(self) -> str:
        """The key version (16 hex digits) that new envelopes are sealed under."""
        return self._current.version.hex()

    @property
    def versions(self) -> tuple[str, ...]:
        """Every key version this store can open, the current one first."""
        return tuple(version.hex() for version in self._by_version)

    @property
    def is_development(self) -> bool:
        """Whether the secret is the generated development stand-in."""
        return self._development

    # -- operations -----------------------------------------------------------------

    def encrypt_private_key(
        self, key_pair: KeyPair, *, org_id: str | UUID, key_id: str | UUID
    ) -> bytes:
        """A new envelope (fresh nonce) for the key pair's private key, under the current
        secret, bound to ``org_id``, ``key_id`` and the key's algorithm."""
        context = _context(org_id, key_id, key_pair.algorithm)
        header = bytes([ENVELOPE_VERSION]) + self._current.version
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, key_pair.private_bytes(), header + context)
        return header + nonce + sealed

    def decrypt_private_key(
        self,
        envelope: bytes,
        *,
        org_id: str | UUID,
        key_id: str | UUID,
        algorithm: str,
    ) -> KeyPair:
        """The key pair in ``envelope``; :class:`KeyStoreError` unless it opens whole."""
        data = _envelope_bytes(envelope)
        wrapping_key = self._wrapping_key(data)
        aad = data[:_HEADER_BYTES] + _context(org_id, key_id, algorithm)
        nonce = data[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
        try:
            private = wrapping_key.aead.decrypt(nonce, data[_HEADER_BYTES + _NONCE_BYTES :], aad)
        except InvalidTag:
            raise KeyStoreError(
                "The private key could not be decrypted: the envelope was altered, or it "
                "belongs to another organization, key or algorithm."
            ) from None
        try:
            return KeyPair.from_private_bytes(algorithm, private)
        except OpenlerError:
            raise KeyStoreError(
                f"The decrypted key material is not a valid {algorithm} private key."
            ) from None

    def rewrap(
        self,
        envelope: bytes,
        *,
        org_id: str | UUID,
        key_id: str | UUID,
        algorithm: str,
    ) -> bytes:
        """``envelope`` re-encrypted under the current secret (with a fresh nonce), for
        the same organization, key and algorithm."""
        key_pair = self.decrypt_private_key(
            envelope, org_id=org_id, key_id=key_id, algorithm=algorithm
        )
        return self.encrypt_private_key(key_pair, org_id=org_id, key_id=key_id)

    def derived_key(self, purpose: str, *, length: int = 32) -> bytes:
        """A key of ``length`` bytes for ``purpose`` (e.g. ``"oauth/access-token/v1"``),
        derived from the current secret; the same purpose always gives the same key, and
        different purposes give independent keys (see the module docstring)."""
        if (
            not isinstance(purpose, str)
            or not purpose
            or len(purpose) > _MAX_PURPOSE_CHARS
            or not purpose.isascii()
            or not purpose.isprintable()
        ):
            raise InvalidInput(
                f"A key purpose is 1-{_MAX_PURPOSE_CHARS} printable ASCII characters."
            )
        if not 16 <= length <= 64:
            raise InvalidInput("A derived key is 16 to 64 bytes long.")
        info = _PURPOSE_INFO_PREFIX + purpose.encode("ascii")
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
            self._derivation_root
        )

    def key_version_of(self, envelope: bytes) -> str:
        """The key version an envelope is sealed under (read from its header, unchecked)."""
        return _envelope_bytes(envelope)[1:_HEADER_BYTES].hex()

    def needs_rewrap(self, envelope: bytes) -> bool:
        """Whether ``envelope`` is sealed under a secret other than the current one."""
        return self.key_version_of(envelope) != self.current_version

    def _wrapping_key(self, data: bytes) -> _WrappingKey:
        version = data[1:_HEADER_BYTES]
        wrapping_key = self._by_version.get(version)
        if wrapping_key is None:
            raise UnknownKeyVersion(
                f"The private key was encrypted under key version {version.hex()}, which is "
                "not configured; pass the secret that was in use as a previous secret.",
                details={"key_version": version.hex()},
            )
        return wrapping_key

    def __repr__(self) -> str:
        previous = [
            version.hex() for version in self._by_version if version != self._current.version
        ]
        dev = ", development=True" if self._development else ""
        return f"KeyStore(current_version={self.current_version!r}, previous={previous!r}{dev})"

    __str__ = __repr__


def _secret_bytes(secret: Secret) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes):
        raise TypeError(f"A key store secret must be str, bytes or SecretStr, not {type(secret)}.")
    if not secret:
        raise ConfigurationError("A key store secret must not be empty.")
    return secret


def _context(org_id: str | UUID, key_id: str | UUID, algorithm: str) -> bytes:
    """The associated data naming where an envelope belongs (length-prefixed, so no two
    different contexts encode alike)."""
    parts = [_AAD_LABEL]
    for name, value in (("org_id", org_id), ("key_id", key_id), ("algorithm", algorithm)):
        text = str(value) if isinstance(value, UUID) else value
        if not isinstance(text, str) or not text:
            raise InvalidInput(f"{name} must be a non-empty string or UUID.")
        raw = text.encode("utf-8")
        parts.append(len(raw).to_bytes(4, "big") + raw)
    return b"".join(parts)


def _envelope_bytes(envelope: bytes) -> bytes:
    if not isinstance(envelope, bytes | bytearray | memoryview):
        raise KeyStoreError("A key envelope must be bytes.")
    data = bytes(envelope)
    if not _MIN_ENVELOPE_BYTES <= len(data) <= _MAX_ENVELOPE_BYTES:
        raise KeyStoreError(f"The key envelope is truncated or malformed ({len(data)} bytes).")
    if data[0] != ENVELOPE_VERSION:
        raise KeyStoreError(f"Unsupported key envelope format version {data[0]}.")
    return data


def _warn(message: str) -> None:
    logger.warning(message)
    warnings.warn(message, DevelopmentSecretWarning, stacklevel=3)


def _load_or_create_dev_secret(path: Path) -> str:
    """The development secret in ``path``, generated (mode 0600) when the file is absent.

    The file is written under a temporary name and hard-linked into place, so two
    processes starting at once agree on one secret and nobody reads a half-written file."""
    try:
        return _read_dev_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_dev_secret(path)  # another process created it first
    finally:
        tmp.unlink(missing_ok=True)
    return secret


def _read_dev_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # a secret file others can read is tightened, not trusted as is
    try:
        value = path.read_text(encoding="ascii").strip()
    except (UnicodeDecodeError, OSError):
        # ``from None``: a UnicodeDecodeError carries the file's bytes in ``.object``.
        raise ConfigurationError(f"The development secret {path} cannot be read.") from None
    if len(value) < MIN_PRODUCTION_SECRET_CHARS:
        raise ConfigurationError(
            f"The development secret {path} is empty or damaged; restore it, or delete it to "
            "start afresh (keys encrypted under it are then lost)."
        )
    return value
