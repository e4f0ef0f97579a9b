"""The key store: private keys sealed with AES-256-GCM under a key derived by HKDF."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from openler.config import ConfigurationError, Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.keys.keypair import KeyPair
from openler.services.keystore import (
    DEFAULT_SALT,
    DEV_SECRET_FILE,
    DevelopmentSecretWarning,
    KeyStore,
    KeyStoreError,
    UnknownKeyVersion,
)

CURRENT = "current-master-secret-0123456789abcdefghij"
OLD = "old-master-secret-9876543210zyxwvutsrqponm"
ORG = UUID("0b6c1a52-4a0e-4c1b-9d59-8f3a4f5c2e11")
OTHER_ORG = UUID("7d0f3c8e-2b7a-4f55-a0d4-1c9e6b3a5f22")
KEY_ID = "signing-key-1"
ALGORITHMS = ["Ed25519", "P-256"]

#: Byte regions of a version-1 envelope around a 32-byte private key.
REGIONS = {
    "version": range(1),
    "key_version": range(1, 9),
    "nonce": range(9, 21),
    "ciphertext": range(21, 53),
    "tag": range(53, 69),
}


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development",
        "data_dir": tmp_path / "var",
        "secret_key": None,
        "base_url": "https://badges.example",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def store() -> KeyStore:
    return KeyStore(CURRENT)


@pytest.fixture(params=ALGORITHMS)
def key_pair(request: pytest.FixtureRequest) -> KeyPair:
    return KeyPair.generate(request.param)


# -- round trip and format ----------------------------------------------------------


def test_round_trip(store: KeyStore, key_pair: KeyPair) -> None:
    envelope = store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    opened = store.decrypt_private_key(
        envelope, org_id=ORG, key_id=KEY_ID, algorithm=key_pair.algorithm
    )
    assert opened.algorithm == key_pair.algorithm
    assert opened.private_bytes() == key_pair.private_bytes()
    assert opened.public_key == key_pair.public_key
    assert key_pair.private_bytes() not in envelope


def test_uuid_is_bound_in_its_canonical_string_form(store: KeyStore) -> None:
    pair = KeyPair.generate()
    envelope = store.encrypt_private_key(pair, org_id=ORG, key_id=UUID(int=7))
    opened = store.decrypt_private_key(
        envelope, org_id=str(ORG), key_id=str(UUID(int=7)), algorithm="Ed25519"
    )
    assert opened.public_key == pair.public_key


def test_envelope_layout_is_pinned(key_pair: KeyPair) -> None:
    """An independent re-implementation of the documented format opens the envelope."""
    salt = b"deployment-salt"
    store = KeyStore(SecretStr(CURRENT), salt=salt)
    envelope = store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    assert len(envelope) == 1 + 8 + 12 + 32 + 16
    assert envelope[0] == 1

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"openler/keystore/wrap/v1")
    key = hkdf.derive(CURRENT.encode())
    version = hmac.new(key, b"openler/keystore/key-version/v1", hashlib.sha256).digest()[:8]
    assert envelope[1:9] == version
    assert store.current_version == version.hex()
    assert store.key_version_of(envelope) == version.hex()
    # The key version names the derived key, not the secret.
    assert version not in hashlib.sha256(CURRENT.encode()).digest()

    def field(text: str) -> bytes:
        return len(text.encode()).to_bytes(4, "big") + text.encode()

    aad = envelope[:9] + b"openler/keystore/aad/v1" + field(str(ORG)) + field(KEY_ID)
    aad += field(key_pair.algorithm)
    assert AESGCM(key).decrypt(envelope[9:21], envelope[21:], aad) == key_pair.private_bytes()


def test_envelopes_of_the_same_key_differ(store: KeyStore) -> None:
    pair = KeyPair.generate()
    envelopes = {store.encrypt_private_key(pair, org_id=ORG, key_id=KEY_ID) for _ in range(20)}
    assert len(envelopes) == 20
    assert len({envelope[9:21] for envelope in envelopes}) == 20  # nonces
    for envelope in envelopes:
        assert store.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")


def test_bytearray_and_memoryview_are_accepted(store: KeyStore) -> None:
    pair = KeyPair.generate()
    envelope = store.encrypt_private_key(pair, org_id=ORG, key_id=KEY_ID)
    for form in (bytearray(envelope), memoryview(envelope)):
        opened = store.decrypt_private_key(form, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")  # type: ignore[arg-type]
        assert opened.public_key == pair.public_key


# -- tampering, truncation and context ------------------------------------------------


@pytest.mark.parametrize("region", list(REGIONS))
def test_every_tampered_byte_is_refused(store: KeyStore, key_pair: KeyPair, region: str) -> None:
    envelope = store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    for offset in REGIONS[region]:
        for flip in (0x01, 0x80, 0xFF):
            tampered = bytearray(envelope)
            tampered[offset] ^= flip
            with pytest.raises(KeyStoreError) as caught:
                store.decrypt_private_key(
                    bytes(tampered), org_id=ORG, key_id=KEY_ID, algorithm=key_pair.algorithm
                )
            expected = "unknown_key_version" if region == "key_version" else "key_decryption_failed"
            assert caught.value.code == expected
            with pytest.raises(KeyStoreError):
                store.rewrap(
                    bytes(tampered), org_id=ORG, key_id=KEY_ID, algorithm=key_pair.algorithm
                )


def test_truncated_or_extended_envelopes_are_refused(store: KeyStore) -> None:
    envelope = store.encrypt_private_key(KeyPair.generate(), org_id=ORG, key_id=KEY_ID)
    candidates = [envelope[:length] for length in range(len(envelope))]
    candidates += [envelope + b"\x00", envelope[:21] + envelope[22:], b"\x01" * 5000]
    for candidate in candidates:
        with pytest.raises(KeyStoreError) as caught:
            store.decrypt_private_key(candidate, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")
        assert caught.value.code == "key_decryption_failed"


def test_non_bytes_envelope_is_refused(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError):
        store.decrypt_private_key("not bytes", org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("org_id", "key_id", "algorithm"),
    [
        (OTHER_ORG, KEY_ID, None),  # copied to another organization's row
        (ORG, "signing-key-2", None),  # copied to another key row of the same organization
        (ORG, KEY_ID, "other"),  # stored with the wrong algorithm
        (str(ORG).upper(), KEY_ID, None),  # not the canonical UUID form
    ],
)
def test_envelope_is_bound_to_its_context(
    store: KeyStore,
    key_pair: KeyPair,
    org_id: UUID | str,
    key_id: str,
    algorithm: str | None,
) -> None:
    envelope = store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    if algorithm == "other":
        algorithm = "P-256" if key_pair.algorithm == "Ed25519" else "Ed25519"
    with pytest.raises(KeyStoreError) as caught:
        store.decrypt_private_key(
            envelope, org_id=org_id, key_id=key_id, algorithm=algorithm or key_pair.algorithm
        )
    assert caught.value.code == "key_decryption_failed"
    assert isinstance(caught.value, OpenlerError)


def test_context_fields_cannot_shift_into_each_other(store: KeyStore) -> None:
    envelope = store.encrypt_private_key(KeyPair.generate(), org_id="org-a", key_id="bc")
    with pytest.raises(KeyStoreError):
        store.decrypt_private_key(envelope, org_id="org-ab", key_id="c", algorithm="Ed25519")


def test_unsupported_algorithm_is_refused(store: KeyStore) -> None:
    envelope = store.encrypt_private_key(KeyPair.generate(), org_id=ORG, key_id=KEY_ID)
    with pytest.raises(KeyStoreError):
        store.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm="RSA")


@pytest.mark.parametrize("bad", ["", None, 42])
def test_empty_context_is_invalid_input(store: KeyStore, bad: object) -> None:
    with pytest.raises(InvalidInput):
        store.encrypt_private_key(KeyPair.generate(), org_id=bad, key_id=KEY_ID)  # type: ignore[arg-type]


# -- rotation ---------------------------------------------------------------------


def test_rotation_rewraps_to_the_current_secret(key_pair: KeyPair) -> None:
    old_store = KeyStore(OLD)
    envelope = old_store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    alg = key_pair.algorithm

    rotated = KeyStore(CURRENT, previous=[OLD])
    assert rotated.current_version != old_store.current_version
    assert rotated.versions == (rotated.current_version, old_store.current_version)
    opened = rotated.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm=alg)
    assert opened.private_bytes() == key_pair.private_bytes()
    assert rotated.needs_rewrap(envelope)

    rewrapped = rotated.rewrap(envelope, org_id=ORG, key_id=KEY_ID, algorithm=alg)
    assert rotated.key_version_of(rewrapped) == rotated.current_version
    assert not rotated.needs_rewrap(rewrapped)

    new_only = KeyStore(CURRENT)
    opened = new_only.decrypt_private_key(rewrapped, org_id=ORG, key_id=KEY_ID, algorithm=alg)
    assert opened.private_bytes() == key_pair.private_bytes()
    with pytest.raises(UnknownKeyVersion) as caught:
        new_only.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm=alg)
    assert caught.value.code == "unknown_key_version"
    assert caught.value.details == {"key_version": old_store.current_version}


def test_rewrap_keeps_the_context_binding() -> None:
    rotated = KeyStore(CURRENT, previous=[OLD])
    envelope = KeyStore(OLD).encrypt_private_key(KeyPair.generate(), org_id=ORG, key_id=KEY_ID)
    with pytest.raises(KeyStoreError):
        rotated.rewrap(envelope, org_id=OTHER_ORG, key_id=KEY_ID, algorithm="Ed25519")
    rewrapped = rotated.rewrap(envelope, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")
    with pytest.raises(KeyStoreError):
        rotated.decrypt_private_key(rewrapped, org_id=OTHER_ORG, key_id=KEY_ID, algorithm="Ed25519")


def test_encryption_uses_only_the_current_secret() -> None:
    rotated = KeyStore(CURRENT, previous=[OLD])
    envelope = rotated.encrypt_private_key(KeyPair.generate(), org_id=ORG, key_id=KEY_ID)
    with pytest.raises(UnknownKeyVersion):
        KeyStore(OLD).decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")


def test_secrets_of_every_type_derive_the_same_key() -> None:
    versions = {
        KeyStore(form).current_version for form in (CURRENT, SecretStr(CURRENT), CURRENT.encode())
    }
    assert len(versions) == 1
    assert KeyStore(CURRENT, previous=[CURRENT, OLD, SecretStr(OLD)]).versions == (
        KeyStore(CURRENT).current_version,
        KeyStore(OLD).current_version,
    )


def test_salt_separates_deployments() -> None:
    one, two = KeyStore(CURRENT), KeyStore(CURRENT, salt=b"another deployment")
    assert one.current_version != two.current_version
    envelope = one.encrypt_private_key(KeyPair.generate(), org_id=ORG, key_id=KEY_ID)
    with pytest.raises(UnknownKeyVersion):
        two.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm="Ed25519")
    assert KeyStore(CURRENT, salt=DEFAULT_SALT).current_version == one.current_version


def test_bad_secrets_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        KeyStore("")
    with pytest.raises(ConfigurationError):
        KeyStore(CURRENT, previous=[SecretStr("")])
    with pytest.raises(TypeError):
        KeyStore(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        KeyStore(CURRENT, salt="text")  # type: ignore[arg-type]


def test_derived_keys_are_per_purpose_stable_and_follow_the_current_secret() -> None:
    store = KeyStore(CURRENT, previous=[OLD])
    token_key = store.derived_key("oauth/access-token/v1")
    assert len(token_key) == 32
    assert store.derived_key("oauth/access-token/v1") == token_key  # stable
    assert KeyStore(SecretStr(CURRENT)).derived_key("oauth/access-token/v1") == token_key
    assert store.derived_key("something-else") != token_key  # one key per purpose
    assert len(store.derived_key("oauth/access-token/v1", length=64)) == 64
    # Independent of the secret's other uses and of the previous secrets.
    wrap = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=DEFAULT_SALT, info=b"openler/keystore/wrap/v1"
    ).derive(CURRENT.encode())
    assert token_key != wrap
    assert KeyStore(OLD).derived_key("oauth/access-token/v1") != token_key
    assert KeyStore(CURRENT, salt=b"other").derived_key("oauth/access-token/v1") != token_key
    for bad in ("", "x" * 101, "caf\u00e9", "new\nline"):
        with pytest.raises(InvalidInput):
            store.derived_key(bad)
    with pytest.raises(InvalidInput):
        store.derived_key("short", length=8)


# -- secrets never shown ------------------------------------------------------------


def test_secrets_never_appear_in_repr_str_or_errors(key_pair: KeyPair) -> None:
    store = KeyStore(CURRENT, previous=[OLD])
    shown = [repr(store), str(store)]
    assert store.current_version in repr(store)
    assert not hasattr(store, "__dict__")
    envelope = store.encrypt_private_key(key_pair, org_id=ORG, key_id=KEY_ID)
    attempts = [
        (envelope[:10], ORG, key_pair.algorithm),
        (b"\x02" + envelope[1:], ORG, key_pair.algorithm),
        (envelope[:1] + b"\x00" * 8 + envelope[9:], ORG, key_pair.algorithm),
        (envelope, OTHER_ORG, key_pair.algorithm),
        (envelope, ORG, "RSA"),
    ]
    for candidate, org_id, algorithm in attempts:
        with pytest.raises(KeyStoreError) as caught:
            store.decrypt_private_key(candidate, org_id=org_id, key_id=KEY_ID, algorithm=algorithm)
        error = caught.value
        assert error.__cause__ is None
        shown += [str(error), repr(error), repr(error.to_dict())]
    with pytest.raises(TypeError) as type_error:
        KeyStore(12345)  # type: ignore[arg-type]
    shown.append(str(type_error.value))
    text = "\n".join(shown)
    for secret in (CURRENT, OLD, "12345"):
        assert secret not in text
    assert key_pair.private_bytes().hex() not in text


# -- settings: production refusal and the development stand-in ------------------------


@pytest.mark.parametrize("secret", [None, "", "x" * 31])
def test_production_refuses_a_missing_or_short_secret(tmp_path: Path, secret: str | None) -> None:
    settings = _settings(tmp_path, env="production", secret_key=secret)
    with pytest.raises(ConfigurationError) as caught:
        KeyStore.for_settings(settings)
    assert "OPENLER_SECRET_KEY" in str(caught.value)
    if secret:
        assert secret not in str(caught.value)
    assert not (tmp_path / "var" / DEV_SECRET_FILE).exists()


def test_production_uses_the_configured_secret(tmp_path: Path) -> None:
    settings = _settings(tmp_path, env="production", secret_key=CURRENT)
    store = KeyStore.for_settings(settings, previous=[OLD])
    assert not store.is_development
    assert store.current_version == KeyStore(CURRENT).current_version
    assert store.versions[1] == KeyStore(OLD).current_version
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_secret_is_created_private_and_reused(tmp_path: Path, env: str) -> None:
    settings = _settings(tmp_path, env=env)
    with pytest.warns(DevelopmentSecretWarning, match="development secret"):
        first = KeyStore.for_settings(settings)
    path = tmp_path / "var" / DEV_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.is_development
    assert "development=True" in repr(first)
    assert path.read_text().strip() not in repr(first)
    assert [p.name for p in path.parent.iterdir()] == [DEV_SECRET_FILE]  # no temporary left

    pair = KeyPair.generate("P-256")
    envelope = first.encrypt_private_key(pair, org_id=ORG, key_id=KEY_ID)
    with pytest.warns(DevelopmentSecretWarning):
        second = KeyStore.for_settings(settings)
    assert second.current_version == first.current_version
    opened = second.decrypt_private_key(envelope, org_id=ORG, key_id=KEY_ID, algorithm="P-256")
    assert opened.public_key == pair.public_key


def test_development_secret_file_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with pytest.warns(DevelopmentSecretWarning):
        KeyStore.for_settings(settings)
    path = tmp_path / "var" / DEV_SECRET_FILE
    path.chmod(0o644)
    with pytest.warns(DevelopmentSecretWarning):
        KeyStore.for_settings(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", [b"", b"short\n", b"\xff" * 64])
def test_damaged_development_secret_is_a_configuration_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "var" / DEV_SECRET_FILE
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(ConfigurationError) as caught:
        KeyStore.for_settings(_settings(tmp_path))
    assert caught.value.__cause__ is None


def test_configured_secret_outside_production_needs_no_file(tmp_path: Path) -> None:
    store = KeyStore.for_settings(_settings(tmp_path, secret_key=CURRENT))
    assert not store.is_development
    assert store.current_version == KeyStore(CURRENT).current_version
    assert not (tmp_path / "var").exists()


def test_short_secret_outside_production_warns(tmp_path: Path) -> None:
    with pytest.warns(DevelopmentSecretWarning, match="shorter than 32"):
        store = KeyStore.for_settings(_settings(tmp_path, env="test", secret_key="short"))
    assert store.current_version == KeyStore("short").current_version
