"""One roster row -> one signed credential: the direct path writes exactly what the core's
builder writes, shape by shape, and what it signs verifies."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from openler.core import KeyPair, verify_credential
from openler.core.keys.did_web import did_web_document
from openler.core.keys.resolve import StaticResolver
from openler.core.model.builders import build_achievement_credential
from openler.core.signing import default_cache
from openler.core.status import status_entry
from openler.services.bulk.build import CredentialFactory, IssuerContext, _subject, sign_row
from openler.services.bulk.validate import CheckedRow
from openler.services.issuing import recipient_lookup
from openler.store.models.enums import RecipientKind, StatusPurpose

DID = "did:web:issuer.example:orgs:acme"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KEY = KeyPair.generate("Ed25519")
ACHIEVEMENT: dict[str, Any] = {
    "id": "https://issuer.example/orgs/acme/achievements/welding",
    "type": ["Achievement"],
    "name": "Welding I",
    "description": "Safe setup and basic structural welds.",
    "criteria": {"narrative": "Pass the practical test."},
}
STATUS_URL = "https://issuer.example/orgs/acme/status/revocation/1"


def _context(purpose: StatusPurpose = StatusPurpose.REVOCATION) -> IssuerContext:
    return IssuerContext(
        organization_id=uuid.uuid4(),
        achievement_id=uuid.uuid4(),
        issuer={"id": DID, "type": ["Profile"], "name": "Acme College"},
        achievement=ACHIEVEMENT,
        signing_key_id=uuid.uuid4(),
        signer=KEY.signer(f"{DID}#key-1"),
        suites=("eddsa-rdfc-2022",),
        purpose=purpose,
        identifier_type="sourcedId",
        cache=default_cache(),
    )


def _row(n: int, **changes: Any) -> CheckedRow:
    values: dict[str, Any] = {
        "recipient_kind": RecipientKind.EMAIL,
        "recipient": f"learner{n}@example.org",
        "email": f"learner{n}@example.org",
        "identifier": None,
        "did": None,
        "name": None,
        "results": (),
        "evidence_url": None,
        "activity_start": None,
        "activity_end": None,
        "valid_until": None,
        "narrative": None,
    }
    values.update(changes)
    return CheckedRow(**values)


SHAPES = {
    "email": {},
    "everything": {
        "identifier": "S-{n}",
        "name": "Learner {n}",
        "results": (
            {"type": ["Result"], "resultDescription": "urn:rd:grade", "value": "A"},
            {"type": ["Result"], "resultDescription": "urn:rd:lvl", "achievedLevel": "urn:l:2"},
        ),
        "evidence_url": "https://portfolio.example/{n}",
        "activity_start": "2025-01-06T00:00:00Z",
        "activity_end": "2025-05-30T00:00:00Z",
        "valid_until": datetime(2030, 1, 1, tzinfo=UTC),
        "narrative": "Row {n}: *distinction*",
    },
    "did": {"recipient_kind": RecipientKind.DID, "did": "did:key:z6Mk{n}", "email": None},
    "identifier": {
        "recipient_kind": RecipientKind.INSTITUTIONAL_ID,
        "email": None,
        "identifier": "S-{n}",
    },
}


def _shaped(shape: str, n: int) -> CheckedRow:
    changes = {k: v.format(n=n) if isinstance(v, str) else v for k, v in SHAPES[shape].items()}
    if "email" in changes and changes["email"] is None:
        changes["recipient"] = (changes.get("did") or changes.get("identifier")).lower()
    return _row(n, **changes)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_direct_path_writes_what_the_builder_writes(shape: str) -> None:
    context = _context()
    factory = CredentialFactory(context)
    for n in range(3):
        row = _shaped(shape, n)
        salt = f"{n:032x}"
        subject = _subject(row, context.identifier_type, salt)
        status = status_entry(STATUS_URL, n, "revocation")
        made = factory.unsigned(
            row, credential_id=f"urn:uuid:{n}", subject=subject, status=status, now=NOW
        )
        expected = build_achievement_credential(
            credential_id=f"urn:uuid:{n}",
            issuer=context.issuer,
            achievement=ACHIEVEMENT,
            subject=subject,
            valid_from=NOW,
            valid_until=row.valid_until,
            results=row.results,
            evidence=[{"id": row.evidence_url, "type": ["Evidence"]}] if row.evidence_url else (),
            credential_status=status,
            credential_schema=False,
        )
        assert json.dumps(made) == json.dumps(expected)
    assert list(factory._trusted.values()) == [True]  # rows 1 and 2 took the direct path


def test_a_shape_the_direct_path_gets_wrong_keeps_the_builder() -> None:
    factory = CredentialFactory(_context())
    factory._direct = lambda *a, **k: {"wrong": True}  # type: ignore[method-assign]
    for n in range(3):
        row = _row(n)
        made = factory.unsigned(
            row,
            credential_id=f"urn:uuid:{n}",
            subject=_subject(row, "sourcedId", f"{n:032x}"),
            status=status_entry(STATUS_URL, n, "revocation"),
            now=NOW,
        )
        assert made["credentialSubject"]["identifier"][0]["identityType"] == "emailAddress"
    assert list(factory._trusted.values()) == [False]


@pytest.mark.parametrize("purpose", [StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION])
def test_signed_rows_verify_and_carry_their_status_entry(purpose: StatusPurpose) -> None:
    factory = CredentialFactory(_context(purpose))
    resolver = StaticResolver({DID: did_web_document(DID, [("key-1", KEY.public_key)])})
    list_id, job_id = uuid.uuid4(), uuid.uuid4()
    for n, shape in enumerate(["everything", "everything", "did", "identifier"]):
        signed = sign_row(
            factory,
            n + 2,
            _shaped(shape, n),
            status_list_id=list_id,
            status_list_url=STATUS_URL,
            index=40 + n,
            now=NOW,
            job_id=job_id,
        )
        values = signed.values
        document = json.loads(values["credential_bytes"])
        result = verify_credential(document, resolver=resolver, now=NOW)
        checks = {c.name: c.status for c in result.checks}
        assert checks["proof"] == checks["schema"] == checks["issuer"] == "pass", checks
        entry = document["credentialStatus"]
        assert entry["statusListIndex"] == str(40 + n)
        assert entry["statusPurpose"] == purpose.value
        revocation = purpose is StatusPurpose.REVOCATION
        assert values["revocation_index" if revocation else "suspension_index"] == 40 + n
        assert values["revocation_list_id" if revocation else "suspension_list_id"] == list_id
        assert values["idempotency_key"] == f"bulk:{job_id}:{n + 2}"
        row = _shaped(shape, n)
        assert values["recipient_lookup"] == recipient_lookup(row.recipient)
        if shape == "did":
            assert document["credentialSubject"]["id"] == values["recipient_identifier"]
            assert values["recipient_hashed"] is False
        else:
            first = document["credentialSubject"]["identifier"][0]
            assert values["recipient_identifier"] == first["identityHash"]
            assert values["recipient_salt"] == first["salt"]
