"""Exports: one credential byte for byte, the holder-signed CLR 2.0 bundle, and the
one-page PDF résumé with its QR code."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from openler.core.errors import InvalidInput
from openler.core.verification import verify_presentation_with
from openler.services.employment import (
    EmploymentCredentialRequest,
    EmploymentInput,
    add_entry,
    issue_employment_credential,
)
from openler.services.exports import clr_bundle, credential_export, resume_pdf
from openler.services.issuing import IssueRequest, issue_credential
from openler.services.record import RecordItemNotFound
from openler.services.sharing import (
    ShareExpired,
    ShareNotFound,
    ShareRequest,
    ShareRevoked,
    create_share,
    revoke_share,
)
from openler.store.models.sharing import Share
from tests.integration.sharing.conftest import (
    KEYSTORE,
    NOW,
    SETTINGS,
    WELDING,
    World,
    published,
)


def _share(world: World, **changes: object) -> Share:
    fields: dict[str, object] = {"credentials": [world.sql_key]}
    fields.update(changes)
    return create_share(world.session, SETTINGS, world.ada, ShareRequest(**fields), now=NOW)  # type: ignore[arg-type]


def test_credential_export_is_byte_for_byte(world: World) -> None:
    export = credential_export(world.session, world.ada, world.sql_key, now=NOW)
    assert export.content == world.sql.credential_bytes
    assert export.media_type == "application/vc"
    assert export.filename == "databases-i.json"
    with pytest.raises(RecordItemNotFound):
        credential_export(world.session, world.bob, world.sql_key, now=NOW)


def test_clr_bundle_holds_the_issuers_proofs_under_the_holders(world: World) -> None:
    world.import_unverified(world.ada, [WELDING])
    export = clr_bundle(world.session, KEYSTORE, world.ada, now=NOW)
    assert export.media_type == "application/vp"
    bundle = json.loads(export.content)
    assert bundle["type"] == ["VerifiablePresentation"]
    assert bundle["holder"] == world.ada_did
    assert bundle["proof"]["proofPurpose"] == "authentication"
    # Only the verified credentials, each exactly as its issuer signed it.
    embedded = {c["id"]: c for c in bundle["verifiableCredential"]}
    assert set(embedded) == {world.sql.credential_id, world.writing.credential_id}
    assert embedded[world.sql.credential_id] == json.loads(world.sql.credential_bytes)
    result = verify_presentation_with(world.verifier(), export.content, now=NOW)
    assert result.verified, result.to_dict()
    assert [r.verified for r in result.credentials] == [True, True]
    assert "no_challenge" in [c.code for c in result.warnings]


def test_clr_bundle_of_chosen_items_bound_to_a_challenge(world: World) -> None:
    export = clr_bundle(
        world.session,
        KEYSTORE,
        world.ada,
        [world.writing_key],
        now=NOW,
        challenge="abc",
        domain="registrar.example",
    )
    bundle = json.loads(export.content)
    assert [c["id"] for c in bundle["verifiableCredential"]] == [world.writing.credential_id]
    verifier = world.verifier()
    assert verify_presentation_with(
        verifier, bundle, challenge="abc", domain="registrar.example", now=NOW
    ).verified
    assert not verify_presentation_with(
        verifier, bundle, challenge="xyz", domain="registrar.example", now=NOW
    ).verified
    with pytest.raises(RecordItemNotFound):
        clr_bundle(world.session, KEYSTORE, world.bob, [world.writing_key], now=NOW)
    with pytest.raises(InvalidInput):
        clr_bundle(world.session, KEYSTORE, world.bob, now=NOW)  # nothing verified to export


def _pdf_text(pdf: bytes) -> str:
    return pdf.decode("latin-1")


def test_resume_pdf_is_one_page_with_all_sections(world: World) -> None:
    add_entry(
        world.session,
        world.ada,
        EmploymentInput(
            employer="Harbor Diner",
            role="Line cook",
            start_date=date(2019, 6, 1),
            end_date=date(2021, 2, 28),
        ),
    )
    issue_employment_credential(
        world.session,
        SETTINGS,
        KEYSTORE,
        world.employer,
        EmploymentCredentialRequest(
            recipient=world.ada_did, role="Welder II", start_date=date(2021, 3, 1)
        ),
        now=NOW,
    )
    world.import_unverified(world.ada, [WELDING])
    share = _share(world)
    export = resume_pdf(world.session, SETTINGS, world.ada, share.id, now=NOW)
    pdf = export.content
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 1" in pdf
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    assert export.media_type == "application/pdf"
    assert export.filename == "resume-ada-lovelace.pdf"
    text = _pdf_text(pdf)
    assert "Ada Lovelace" in text
    assert "Databases I" in text
    assert "Technical Writing" in text
    assert "Tampered" not in text  # an unverified import is no verified credential
    assert "Welder II" in text
    assert "Verified: issued by the employer" in text
    assert "Line cook" in text
    assert "Self-asserted" in text
    assert "SQL" in text
    assert f"/s/{share.token}" in text
    # The QR code is drawn as vector squares: many filled rectangles.
    assert text.count(" re") > 100
    # Deterministic: the same record gives the same bytes.
    assert resume_pdf(world.session, SETTINGS, world.ada, share.id, now=NOW).content == pdf


def test_a_long_record_still_fits_one_page(world: World) -> None:
    for n in range(25):
        achievement = published(world.session, world.college, f"Module {n:02d}", [WELDING])
        issue_credential(
            world.session,
            SETTINGS,
            KEYSTORE,
            world.college,
            IssueRequest(achievement.id, world.ada_did),
            now=NOW,
        )
    for n in range(10):
        add_entry(
            world.session,
            world.ada,
            EmploymentInput(
                employer=f"Employer {n}",
                role=f"Role {n}",
                start_date=date(2000 + n, 1, 1),
                description="A long description of the work. " * 20,
            ),
        )
    share = _share(world)
    pdf = resume_pdf(world.session, SETTINGS, world.ada, share.id, now=NOW).content
    assert b"/Count 1" in pdf
    assert "more not shown here" in _pdf_text(pdf)


def test_resume_needs_the_learners_active_share(world: World) -> None:
    share = _share(world, expires_at=NOW + timedelta(days=1))
    with pytest.raises(ShareNotFound):
        resume_pdf(world.session, SETTINGS, world.bob, share.id, now=NOW)
    with pytest.raises(ShareExpired):
        resume_pdf(world.session, SETTINGS, world.ada, share.id, now=NOW + timedelta(days=2))
    revoke_share(world.session, world.ada, share.id, now=NOW)
    with pytest.raises(ShareRevoked):
        resume_pdf(world.session, SETTINGS, world.ada, share.id, now=NOW)
