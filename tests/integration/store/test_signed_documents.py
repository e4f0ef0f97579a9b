"""Signed documents come back exactly as they were stored: same bytes, same key order,
same whitespace, same escapes, same non-ASCII characters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from openler.store.models import Endorsement, IssuedCredential
from openler.store.models._base import sha256_hex
from tests.integration.store.factories import (
    make_achievement,
    make_credential,
    make_organization,
)

DOCUMENTS = {
    "pretty_unsorted": (
        '{\n  "proof": {"type": "DataIntegrityProof"},\n  "@context": ["https://www.w3.org/ns/'
        'credentials/v2"],\n\t"name" :  "Soldadura — Niveau 2 · 溶接",\n  "id": "urn:uuid:1"\n}\n'
    ).encode(),
    "compact_escaped": json.dumps(
        {"z": 1, "a": "é\u2028😀", "n": 1.10, "e": 1.5e300}, separators=(",", ":")
    ).encode(),
    "duplicate_keys_and_trailing_space": b'{"a": 1, "a": 2}   ',
    "bom_and_crlf": b'\xef\xbb\xbf{"a":\r\n "b"}\r\n',
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_issued_credential_bytes_are_kept_verbatim(db_session: Session, name: str) -> None:
    data = DOCUMENTS[name]
    org = make_organization(db_session)
    credential = make_credential(db_session, org, make_achievement(db_session, org), data)
    db_session.flush()
    db_session.expunge_all()
    loaded = db_session.get(IssuedCredential, credential.id)
    assert loaded is not None
    assert type(loaded.credential_bytes) is bytes
    assert loaded.credential_bytes == data
    assert loaded.credential_sha256 == sha256_hex(data)


def test_the_parsed_view_keeps_key_order(db_session: Session) -> None:
    data = DOCUMENTS["pretty_unsorted"]
    org = make_organization(db_session)
    credential = make_credential(db_session, org, make_achievement(db_session, org), data)
    db_session.expunge_all()
    loaded = db_session.get(IssuedCredential, credential.id)
    assert loaded is not None
    document = loaded.document
    assert list(document) == ["proof", "@context", "name", "id"]
    assert document["name"] == "Soldadura — Niveau 2 · 溶接"
    document["name"] = "changed"  # a fresh object each time: the stored bytes stay as issued
    assert loaded.document["name"] == "Soldadura — Niveau 2 · 溶接"


def test_endorsement_bytes_are_kept_verbatim(db_session: Session) -> None:
    data = DOCUMENTS["compact_escaped"]
    endorser = make_organization(db_session)
    endorsement = Endorsement(
        endorser=endorser, target_kind="profile", target_id="did:web:x", credential_id="urn:e:1"
    )
    endorsement.set_signed_document(data)
    db_session.add(endorsement)
    db_session.flush()
    db_session.expunge_all()
    loaded = db_session.get(Endorsement, endorsement.id)
    assert loaded is not None
    assert loaded.credential_bytes == data


def test_only_bytes_are_accepted() -> None:
    with pytest.raises(TypeError, match="exact bytes"):
        IssuedCredential().set_signed_document('{"a": 1}')  # type: ignore[arg-type]
