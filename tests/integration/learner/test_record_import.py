"""Importing credentials from other issuers: JSON, VC-JWT, baked PNG and SVG, verified on
arrival; unverifiable ones kept but marked; non-credentials and oversized files refused."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core import issue_jwt
from openler.core.baked import bake_png, bake_svg
from openler.core.errors import (
    InputTooLarge,
    MalformedJson,
    NoCredentialInImage,
    UnrecognizedFormat,
)
from openler.services.learners import sign_up
from openler.services.record import learner_record
from openler.services.record_import import (
    ImportNotFound,
    NotACredential,
    get_import,
    import_credential,
    remove_import,
    reverify_import,
)
from openler.store.models.enums import ImportFormat
from openler.store.models.learner import ImportedCredential
from openler.store.models.organizations import User
from tests.integration.learner.conftest import (
    KEYSTORE,
    NOW,
    PASSWORD,
    Issuer,
    OtherIssuer,
    verifier_for,
)


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'


@pytest.fixture
def ada(db_session: Session) -> User:
    return sign_up(db_session, KEYSTORE, email="ada@example.org", password=PASSWORD).user


def _import(session: Session, user: User, data: bytes | str, **options: Any) -> Any:
    return import_credential(
        session, user, data, verifier=verifier_for(session), now=NOW, **options
    )


def test_json_import_verifies_and_keeps_the_exact_bytes(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    text = json.dumps(other_issuer.credential(), indent=2)
    result = _import(db_session, ada, text.encode())
    row = result.imported
    assert result.created
    assert result.verified
    assert row.verified
    assert row.credential_bytes == text.encode()
    assert row.source_bytes is None
    assert row.source_format is ImportFormat.JSON
    assert row.issuer_id == other_issuer.key.controller
    assert row.name == "First Aid"
    assert row.verification["verified"] is True
    assert {c["check"] for c in row.verification["checks"]} >= {"proof", "issuer"}
    # Imported again (pasted, with spaces around): the same row, re-verified.
    again = _import(db_session, ada, "\n  " + text + "\n")
    assert not again.created
    assert again.imported.id == row.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ImportedCredential)) == 1


def test_vc_jwt_import(db_session: Session, ada: User, other_issuer: OtherIssuer) -> None:
    unsigned = {k: v for k, v in other_issuer.credential().items() if k != "proof"}
    token = issue_jwt(unsigned, other_issuer.key.signer(), issued_at=NOW)
    result = _import(db_session, ada, token)
    assert result.verified, result.imported.verification
    assert result.imported.source_format is ImportFormat.JWT
    assert result.imported.credential_bytes == token.encode("ascii")
    assert result.imported.name == "First Aid"
    item = learner_record(db_session, ada, now=NOW).items[0]
    assert item.format == "jwt"
    assert item.text() == token
    document = item.document()
    assert document is not None
    assert document["name"] == "First Aid"


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_baked_image_import(
    db_session: Session, ada: User, other_issuer: OtherIssuer, kind: str
) -> None:
    text = json.dumps(other_issuer.credential())
    image = bake_png(_png(), text) if kind == "png" else bake_svg(SVG, text)
    result = _import(db_session, ada, image, filename=f"badge.{kind}")
    assert result.verified
    row = result.imported
    assert row.source_format is ImportFormat(kind)
    assert row.source_bytes == image
    assert row.source_filename == f"badge.{kind}"
    assert row.credential_bytes == text.encode()


def test_platform_credentials_import_and_verify_live(
    db_session: Session, ada: User, issuer: Issuer
) -> None:
    issued = issuer.issue("someone@example.org")
    assert _import(db_session, ada, issued.credential_bytes).verified


def test_tampered_credentials_are_kept_but_never_verified(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    document = other_issuer.credential()
    document["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    result = _import(db_session, ada, json.dumps(document))
    assert result.created
    assert not result.verified
    assert "proof" in {
        c["check"] for c in result.imported.verification["checks"] if c["status"] == "fail"
    }
    record = learner_record(db_session, ada, now=NOW)
    assert [(i.source, i.state, i.verified) for i in record.items] == [
        ("imported", "unverified", False)
    ]
    assert record.verified_items == ()


def test_expired_import_is_marked_expired(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    document = other_issuer.credential(valid_until=NOW - timedelta(days=1))
    result = _import(db_session, ada, json.dumps(document))
    assert not result.verified
    assert learner_record(db_session, ada, now=NOW).items[0].state == "expired"


def test_reverify_refreshes_the_report(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    document = other_issuer.credential(valid_until=NOW + timedelta(days=1))
    row = _import(db_session, ada, json.dumps(document)).imported
    assert row.verified
    later = NOW + timedelta(days=2)
    result = reverify_import(db_session, row, verifier=verifier_for(db_session, later), now=later)
    assert not result.verified
    assert not row.verified
    assert row.verified_at == later
    assert "expired" in row.verification["errors"]


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"not json at all", UnrecognizedFormat, "unrecognized_format"),
        (b'{"a": 1,', MalformedJson, "malformed_json"),
        (b'{"@context": [], "type": ["Thing"]}', NotACredential, "not_a_credential"),
        (_png(), NoCredentialInImage, "no_credential_in_image"),
        (SVG, NoCredentialInImage, "no_credential_in_image"),
    ],
)
def test_non_credentials_are_refused(
    db_session: Session, ada: User, data: bytes, error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as caught:
        _import(db_session, ada, data)
    assert getattr(caught.value, "code", None) == code
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ImportedCredential)) == 0


def test_oversized_uploads_are_refused(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    text = json.dumps(other_issuer.credential())
    with pytest.raises(InputTooLarge) as caught:
        _import(db_session, ada, text, max_bytes=len(text) - 1)
    assert caught.value.code == "input_too_large"
    assert caught.value.details == {"bytes": len(text), "limit": len(text) - 1}
    assert _import(db_session, ada, text, max_bytes=len(text)).verified


def test_imports_belong_to_their_learner(
    db_session: Session, ada: User, other_issuer: OtherIssuer
) -> None:
    row = _import(db_session, ada, json.dumps(other_issuer.credential())).imported
    bob = sign_up(db_session, KEYSTORE, email="bob@example.org", password=PASSWORD).user
    with pytest.raises(ImportNotFound):
        get_import(db_session, bob, row.id)
    with pytest.raises(ImportNotFound):
        get_import(db_session, ada, "not-a-uuid")
    assert learner_record(db_session, bob, now=NOW).items == ()
    remove_import(db_session, ada, row.id)
    assert learner_record(db_session, ada, now=NOW).items == ()
