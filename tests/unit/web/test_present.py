"""Credentials and reports for humans (openler.web.present) and the Jinja components that
render them, on the 1EdTech examples and on hand-made reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openler.core.results import Check, VerificationResult
from openler.web.present import (
    ProofInfo,
    credential_view,
    human_date,
    humanize,
    nested_credentials,
    nested_verdict,
    report_view,
)
from openler.web.templating import environment

EXAMPLES = Path(__file__).parents[2] / "vectors" / "examples"
KEY = "did:key:z6MkexampleKey#z6MkexampleKey"


def example(*parts: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXAMPLES.joinpath(*parts).read_text(encoding="utf-8"))
    return loaded


def checks(
    *items: tuple[str, str, str], document: dict[str, Any] | None = None
) -> VerificationResult:
    doc = document if document is not None else {"issuer": {"id": "did:key:z6Mkx", "name": "Acme"}}
    return VerificationResult(
        tuple(Check(name, status, code, f"{code} message") for name, status, code in items),  # type: ignore[arg-type]
        document=doc,
    )


GOOD = (
    ("structure", "pass", "structure_valid"),
    ("context", "pass", "contexts_known"),
    ("schema", "pass", "schema_valid"),
    ("proof", "pass", "proof_valid"),
    ("issuer", "pass", "issuer_key_authorized"),
    ("validity", "pass", "valid_now"),
)


# -- the credential ---------------------------------------------------------------------------


def test_full_open_badge() -> None:
    view = credential_view(example("ob3-spec", "fullOpenBadge.json"))
    assert view.kind == "achievement"
    assert view.kind_label == "Open Badge"
    assert view.name == "1EdTech University Degree for Example Student"
    assert view.issuer.name == "1EdTech University"
    assert view.issuer.url == "https://1edtech.edu"
    assert view.issuer.trust is None  # no report: the registry was not consulted
    assert view.issuer.image is None  # a remote image is not loaded (page policy)
    subject = view.subject
    assert subject is not None
    assert [(i.kind, i.value) for i in subject.identifiers] == [
        ("Email address", "student@1edtech.edu"),
        ("Email address", "somebody@gmail.com"),
    ]
    assert subject.id_kind == "Decentralized identifier (DID)"
    assert (subject.role, subject.term, subject.credits_earned) == ("Major Domo", "Fall", "42")
    assert subject.activity_start == "2010-01-01T00:00:00Z"
    achievement = view.achievement
    assert achievement is not None
    assert achievement.type_label == "Degree"
    assert achievement.field_of_study == "Research"
    assert achievement.credits_available == "36"
    assert achievement.tags == ("research", "computer science")
    assert achievement.criteria_url == "https://1edtech.edu/achievements/degree"
    assert achievement.creator == "1EdTech University"
    assert [(r.name, r.value, r.level, r.status) for r in view.results] == [
        ("Final Project Grade", "A", None, None),
        ("Final Project Grade", None, "Mastery", None),  # the rubric level, by its id
        ("Final Project Grade", None, None, "Completed"),
    ]
    assert view.results[1].level_description == "The author demonstrated..."
    assert view.results[0].allowed == ("D", "C", "B", "A")
    assert view.results[0].required == "C"
    [group] = view.skills
    assert group.framework == "1EdTech University Program and Course Catalog"
    assert [a.name for a in group.alignments] == [
        "1EdTech University Degree",
        "1EdTech University Degree",
        "Final Project",
    ]
    assert group.alignments[0].target_type == "CF item"
    assert [e.name for e in view.evidence] == ["Final Project Report", "Final Project Code"]
    assert view.evidence[1].url == "https://github.com/somebody/project"
    assert [e.about for e in view.endorsements] == [
        "this credential",
        "the achievement",
        "the issuer",
    ]
    assert all(e.verdict is None for e in view.endorsements)
    assert view.endorsements[0].comment == "1EdTech University is in good standing"
    assert view.valid_until == "2030-01-01T00:00:00Z"


def test_a_hashed_identity_never_shows_its_hash() -> None:
    doc = example("ob3-spec", "fullOpenBadge.json")
    salted = "sha256$c7ef86405ba71b85acd8e2e95166c4b111448089f2e1599f42fe1bba46e865c5"
    doc["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "identityHash": salted,
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "not-used",
        },
    ]
    del doc["credentialSubject"]["id"]
    view = credential_view(doc)
    assert view.subject is not None
    [identifier] = view.subject.identifiers
    assert (identifier.kind, identifier.value, identifier.hashed) == ("Email address", None, True)
    assert view.subject.display == "Identified by email address (hashed)"
    assert salted not in repr(view)
    html = (
        environment()
        .from_string('{% from "components/credential.html" import credential %}{{ credential(v) }}')
        .render(v=view)
    )
    assert salted not in html
    assert "hashed (not shown)" in html


def test_an_endorsement_credential() -> None:
    view = credential_view(example("ob3-spec", "endorsement.json"))
    assert view.kind == "endorsement"
    assert view.endorsement_comment == "1EdTech University is in good standing"
    assert view.endorsed == "https://1edtech.edu/issuers/565049"
    assert view.subject is None
    assert view.issuer.name == "State Department of Education"


def test_a_clr_lists_its_achievements_and_how_they_relate() -> None:
    doc = example("1edtech-validator", "clr20", "complex.json")
    view = credential_view(doc)
    assert view.kind == "clr"
    assert view.name == "Ellis Monday"
    assert len(view.clr_credentials) == 6
    names = [c.name for c in view.clr_credentials]
    assert "Nurse Assistant 1 Program with Licensure" in names
    assert all(c.kind == "achievement" for c in view.clr_credentials)
    assert view.clr_associations
    first = view.clr_associations[0]
    assert first.relation == "is parent of"
    assert first.source in names
    assert first.target in names
    keys = [key for key, _ in nested_credentials(doc)]
    assert len(keys) == len(set(keys)) == 6


def test_nested_reports_become_verdicts() -> None:
    doc = example("1edtech-validator", "clr20", "complex.json")
    key, _ = nested_credentials(doc)[0]
    failed = checks(("proof", "fail", "signature_invalid"))
    view = credential_view(doc, nested={key: failed})
    verdicts = [c.verdict for c in view.clr_credentials]
    assert verdicts[0] is not None
    assert verdicts[0].status == "failed"
    assert "signature does not match" in verdicts[0].sentence
    assert verdicts[1:] == [None] * 5
    assert nested_verdict(checks(*GOOD)).status == "verified"


def test_a_generic_credential_shows_its_claims() -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "EmployeeCredential"],
        "issuer": "did:web:acme.example",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:alice",
            "name": "Alice",
            "jobTitle": "Welder",
            "employer": {"name": "Acme", "sites": ["Lyon", "Turin"]},
            "certified": True,
        },
    }
    view = credential_view(doc)
    assert view.kind == "generic"
    assert view.name == "Verifiable credential"
    assert view.issuer.name == "did:web:acme.example"
    assert view.subject is not None
    assert view.subject.name == "Alice"
    assert [(c.label, c.value) for c in view.claims] == [
        ("Name", "Alice"),
        ("Job title", "Welder"),
        ("Employer › Name", "Acme"),
        ("Employer › Sites", "Lyon, Turin"),
        ("Certified", "yes"),
    ]


def test_only_safe_links_and_inline_images_are_kept() -> None:
    doc = copy.deepcopy(example("ob3-spec", "fullOpenBadge.json"))
    pixel = "data:image/png;base64,iVBORw0KGgo="
    doc["issuer"]["image"] = {"id": pixel, "type": "Image", "caption": "Seal"}
    doc["issuer"]["url"] = "javascript:alert(1)"
    doc["evidence"][1]["id"] = "data:text/html,<script>alert(1)</script>"
    doc["credentialSubject"]["achievement"]["image"] = "data:text/html;base64,PHNjcmlwdD4="
    view = credential_view(doc)
    assert view.issuer.image is not None
    assert (view.issuer.image.src, view.issuer.image.alt) == (pixel, "Seal")
    assert view.issuer.url is None
    assert view.evidence[1].url is None
    assert view.achievement is not None
    assert view.achievement.image is None


def test_hostile_shapes_do_not_break_the_view() -> None:
    view = credential_view(
        {
            "type": 7,
            "issuer": ["x"],
            "name": {"@value": "Named", "@language": "en"},
            "credentialSubject": [{"achievement": "nope", "result": [1, None]}],
            "evidence": "x" * 10,
            "endorsement": [{"issuer": 3}, "not.a.jwt"],
        }
    )
    assert view.name == "Named"
    assert view.issuer.name == "Unknown issuer"
    assert view.results == ()
    assert len(view.endorsements) == 1
    long = credential_view({"name": "x" * 20_000, "issuer": "did:x"})
    assert len(long.name) <= 500


@pytest.mark.parametrize(
    ("term", "label"),
    [
        ("BachelorDegree", "Bachelor degree"),
        ("ext:Employment", "Employment"),
        ("emailAddress", "Email address"),
        ("CFItem", "CF item"),
        ("isParentOf", "Is parent of"),
    ],
)
def test_humanize(term: str, label: str) -> None:
    assert humanize(term) == label


def test_human_date() -> None:
    assert human_date("2026-06-01T12:00:00Z") == "1 June 2026"
    assert human_date("someday") == "someday"
    assert human_date(None) is None


# -- the report ---------------------------------------------------------------------------------


def test_everything_passes() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "issuer": {"id": "did:key:z6Mkx", "name": "Acme"},
        "validFrom": "2026-01-01T00:00:00Z",
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "verificationMethod": KEY,
        },
    }
    report = report_view(checks(*GOOD, ("status", "pass", "status_active"), document=document))
    assert report.verdict.status == "verified"
    assert report.verdict.headline == "Verified"
    assert [r.area for r in report.rows] == [
        "signature",
        "issuer",
        "status",
        "validity",
        "schema",
        "format",
    ]
    signature = report.row("signature")
    assert signature is not None
    assert signature.sentence.startswith(f"Signed with eddsa-rdfc-2022 by the key {KEY}")
    issuer = report.row("issuer")
    assert issuer is not None
    assert issuer.sentence.startswith("Issued by Acme (did:key:z6Mkx)")
    validity = report.row("validity")
    assert validity is not None
    assert validity.sentence == ("Valid since 1 January 2026; it has no expiry date.")
    format_row = report.row("format")
    assert format_row is not None
    assert "(data model 2.0)" in format_row.sentence


@pytest.mark.parametrize(
    ("code", "headline", "label"),
    [("revoked", "Revoked", "Revoked"), ("suspended", "Suspended", "Suspended")],
)
def test_revoked_and_suspended(code: str, headline: str, label: str) -> None:
    report = report_view(checks(*GOOD, ("status", "fail", code)))
    assert report.verdict.status == "failed"
    assert report.verdict.headline == headline
    status = report.row("status")
    assert status is not None
    assert (status.status, status.label) == ("fail", label)
    assert report.verdict.summary.startswith(label)


@pytest.mark.parametrize(
    "code",
    [
        "status_unavailable",
        "status_list_invalid",
        "status_list_issuer_mismatch",
        "status_unchecked",
    ],
)
def test_status_unavailable_is_a_warning_and_never_revoked(code: str) -> None:
    report = report_view(checks(*GOOD, ("status", "warning", code)))
    assert report.verdict.status == "warnings"
    assert report.verdict.headline == "Verified, with warnings"
    status = report.row("status")
    assert status is not None
    assert (status.status, status.label) == ("warning", "Status unavailable")
    assert "does not mean the credential is revoked" in status.sentence
    assert "Revoked" not in status.label + report.verdict.headline


def test_status_unavailable_under_a_strict_policy_fails_but_is_not_revoked() -> None:
    report = report_view(checks(*GOOD, ("status", "fail", "status_unavailable")))
    assert report.verdict.status == "failed"
    assert report.verdict.headline == "Not verified"
    status = report.row("status")
    assert status is not None
    assert status.label == "Status unavailable"


def test_expired_and_not_yet_valid() -> None:
    expired = Check("validity", "fail", "expired", "m", {"validUntil": "2026-01-31T00:00:00+00:00"})
    base = [c for c in checks(*GOOD).checks if c.name != "validity"]
    report = report_view(VerificationResult((*base, expired), document={}))
    assert report.verdict.headline == "Expired"
    row = report.row("validity")
    assert row is not None
    assert row.sentence == "Expired on 31 January 2026."
    early = Check("validity", "fail", "not_yet_valid", "m", {"validFrom": "2026-03-12T00:00:00Z"})
    report = report_view(VerificationResult((*base, early), document={}))
    assert report.verdict.headline == "Not yet valid"


def test_a_signature_failure_leaves_the_issuer_unconfirmed() -> None:
    report = report_view(
        checks(("structure", "pass", "structure_valid"), ("proof", "fail", "signature_invalid"))
    )
    assert report.verdict.status == "failed"
    signature, issuer = report.row("signature"), report.row("issuer")
    assert signature is not None
    assert (signature.status, signature.label) == ("fail", "Invalid")
    assert issuer is not None
    assert issuer.label == "Not confirmed"
    assert "because the signature did not verify" in issuer.sentence


def test_trust_comes_from_the_trust_check() -> None:
    trusted = Check(
        "trust",
        "pass",
        "trusted_issuer",
        "m",
        {"issuer": "did:key:z6Mkx", "name": "Acme College", "accreditation": "WASC"},
    )
    base = checks(*GOOD)
    report = VerificationResult((*base.checks, trusted), document=base.document)
    issuer = report_view(report).row("issuer")
    assert issuer is not None
    assert (issuer.status, issuer.label) == ("pass", "Trusted")
    assert "as Acme College (WASC)" in issuer.sentence
    view = credential_view(dict(base.document or {}), report=report)
    assert view.issuer.trust is not None
    assert view.issuer.trust.trusted
    unlisted = Check("trust", "warning", "issuer_not_in_registry", "m", {"issuer": "x"})
    report = VerificationResult((*base.checks, unlisted), document=base.document)
    issuer = report_view(report).row("issuer")
    assert issuer is not None
    assert issuer.status == "warning"
    assert report_view(report).verdict.status == "warnings"


def test_a_jwt_names_its_algorithm_and_key() -> None:
    report = report_view(checks(*GOOD), proofs=[ProofInfo("VC-JWT (EdDSA)", KEY)])
    signature = report.row("signature")
    assert signature is not None
    assert signature.sentence.startswith(f"Signed with VC-JWT (EdDSA) by the key {KEY}")


# -- the components -----------------------------------------------------------------------------


def test_the_components_render_on_their_own() -> None:
    doc = example("ob3-spec", "fullOpenBadge.json")
    env = environment()
    credential_html = env.from_string(
        '{% from "components/credential.html" import credential, credential_summary %}'
        "{{ credential(v, level=3) }}{{ credential_summary(v) }}"
    ).render(v=credential_view(doc))
    assert "<h3>1EdTech University Degree for Example Student</h3>" in credential_html
    assert "<h4>Skills and alignments</h4>" in credential_html
    assert 'href="https://1edtech.edu" rel="nofollow noopener noreferrer"' in credential_html
    checks_html = env.from_string(
        '{% from "components/checks.html" import verdict, checks %}'
        "{{ verdict(r) }}{{ checks(r, level=4) }}"
    ).render(r=report_view(checks(*GOOD, ("status", "fail", "revoked"))))
    assert 'role="status"' in checks_html
    assert "<h4>Checks</h4>" in checks_html
    assert 'data-area="status"' in checks_html
    assert 'Status</strong>: <span class="check-label">Revoked' in checks_html


def test_document_text_is_escaped() -> None:
    doc = example("ob3-spec", "endorsement.json")
    doc["credentialSubject"]["endorsementComment"] = "<script>alert(1)</script>"
    html = (
        environment()
        .from_string('{% from "components/credential.html" import credential %}{{ credential(v) }}')
        .render(v=credential_view(doc))
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_validity_window_with_an_end() -> None:
    document = {"validFrom": "2026-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}
    row = report_view(checks(*GOOD, document=document)).row("validity")
    assert row is not None
    assert row.sentence == "Valid from 1 January 2026 until 1 January 2027."
