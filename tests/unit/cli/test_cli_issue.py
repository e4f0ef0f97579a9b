"""``openler issue``: building, signing and writing credentials."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from openler.cli.demo import DEMO_ACHIEVEMENT
from openler.core import KeyPair
from tests.unit.cli.conftest import ISSUER, Run, one_error_line, publish_did_web, write_json


def _issued(
    issue: Run, *extra: str, recipient: str = "did:example:1", out: str = "cred.json"
) -> dict[str, Any]:
    """Issue to ``out``, check that it succeeded, and return the credential."""
    result = issue(*extra, recipient=recipient, out=out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Issued urn:uuid:")
    return json.loads(Path(out).read_text("utf-8"))  # type: ignore[no-any-return]


def test_issue_signs_with_eddsa_rdfc_2022_by_default(cli: Run, issue: Run, key: KeyPair) -> None:
    credential = _issued(issue, "--issuer-name", "Acme", recipient="did:example:learner")
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": key.controller, "type": ["Profile"], "name": "Acme"}
    assert credential["credentialSubject"]["id"] == "did:example:learner"
    assert credential["credentialSubject"]["achievement"]["name"] == "Algebra I"
    assert credential["name"] == "Algebra I"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"]["verificationMethod"] == key.key_id
    assert cli("verify", "--offline", "cred.json").exit_code == 0


def test_an_email_recipient_is_salted_and_hashed(cli: Run, issue: Run) -> None:
    credential = _issued(issue, recipient=" Ada@Example.org ")
    subject = credential["credentialSubject"]
    assert "id" not in subject
    (identity,) = subject["identifier"]
    assert identity["type"] == "IdentityObject"
    assert identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    assert len(identity["salt"]) == 32
    expected = hashlib.sha256(("ada@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    again = _issued(issue, recipient="mailto:ada@example.org", out="again.json")
    assert again["credentialSubject"]["identifier"][0]["salt"] != identity["salt"]
    assert cli("verify", "--offline", "cred.json").exit_code == 0


@pytest.mark.parametrize(
    ("recipient", "extra", "expected"),
    [
        ("urn:uuid:0f6bd2f6-5a1e-4d3e-9b3e-1f1f0e3c1a11", (), {"id": True}),
        ("https://people.example/ada", (), {"id": True}),
        ("S-12345", (), {"identityType": "identifier"}),
        ("S-12345", ("--recipient-type", "sourcedId"), {"identityType": "sourcedId"}),
        ("S-12345", ("--recipient-type", "ext:StudentId"), {"identityType": "ext:StudentId"}),
    ],
)
def test_recipient_kinds(
    issue: Run, recipient: str, extra: tuple[str, ...], expected: dict[str, Any]
) -> None:
    subject = _issued(issue, *extra, recipient=recipient)["credentialSubject"]
    if "id" in expected:
        assert subject["id"] == recipient
    else:
        identity = subject["identifier"][0]
        assert identity["identityType"] == expected["identityType"]
        digest = hashlib.sha256((recipient + identity["salt"]).encode()).hexdigest()
        assert identity["identityHash"] == f"sha256${digest}"


def test_an_unknown_recipient_type_is_refused(issue: Run) -> None:
    result = issue("--recipient-type", "shoeSize", recipient="x")
    assert result.exit_code == 2
    assert "[invalid_recipient]" in one_error_line(result)


@pytest.mark.parametrize(
    "spec",
    [
        "B",
        "Final grade=B",
        "final GRADE=b",
        "https://school.example/achievements/algebra-1/grade=B",
    ],
)
def test_results_match_by_name_or_id(issue: Run, spec: str) -> None:
    credential = _issued(issue, "--result", spec)
    assert credential["credentialSubject"]["result"] == [
        {
            "type": ["Result"],
            "resultDescription": "https://school.example/achievements/algebra-1/grade",
            "value": "B",
        }
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Final grade=E", "not an allowed value (A, B, C, D, F)"),
        ("Midterm=A", "no resultDescription with that name or id"),
        ("Final grade=", "has no value"),
    ],
)
def test_bad_results_are_refused(issue: Run, spec: str, message: str) -> None:
    result = issue("--result", spec)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert message in line
    assert line.endswith("[invalid_result]")
    assert not Path("c.json").exists()


def test_rubric_levels_and_ranges(issue: Run, tmp_path: Path) -> None:
    write_json(tmp_path / "achievement.json", DEMO_ACHIEVEMENT)
    credential = _issued(
        issue, "--result", "Cumulative GPA=3.2", "--result", "Capstone project=proficient"
    )
    results = credential["credentialSubject"]["result"]
    assert results[0]["value"] == "3.2"
    assert results[1]["achievedLevel"].endswith("/capstone/proficient")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Cumulative GPA=4.5", "outside 0.0 to 4.0"),
        ("Cumulative GPA=high", "not a number"),
        ("Capstone project=Stellar", "not one of its rubric levels"),
        ("3.2", "write NAME=VALUE"),
    ],
)
def test_bad_rubric_levels_and_ranges_are_refused(
    issue: Run, tmp_path: Path, spec: str, message: str
) -> None:
    write_json(tmp_path / "achievement.json", DEMO_ACHIEVEMENT)
    result = issue("--result", spec)
    assert result.exit_code == 2
    assert message in one_error_line(result)


def test_several_suites_make_a_proof_set(cli: Run, issue: Run) -> None:
    credential = _issued(
        issue,
        "--suite",
        "eddsa-rdfc-2022",
        "--suite",
        "Ed25519Signature2020",
        "--suite",
        "eddsa-jcs-2022",
    )
    kinds = [p.get("cryptosuite") or p["type"] for p in credential["proof"]]
    assert kinds == ["eddsa-rdfc-2022", "Ed25519Signature2020", "eddsa-jcs-2022"]
    result = cli("verify", "--offline", "--json", "cred.json")
    assert result.exit_code == 0, result.stdout
    proofs = [c for c in json.loads(result.stdout)[0]["checks"] if c["check"] == "proof"]
    assert [c["status"] for c in proofs] == ["pass", "pass", "pass"]


def test_vc_jwt_writes_a_compact_token(cli: Run, issue: Run, tmp_path: Path) -> None:
    result = issue("--suite", "vc-jwt", out="cred.jwt")
    assert result.exit_code == 0, result.output
    token = (tmp_path / "cred.jwt").read_text("utf-8").strip()
    assert token.count(".") == 2
    assert not token.startswith("{")
    assert cli("verify", "--offline", "cred.jwt").exit_code == 0

    result = issue("--suite", "vc-jwt", "--suite", "eddsa-rdfc-2022", out="both.json")
    assert result.exit_code == 2
    assert "[invalid_suites]" in one_error_line(result)


def test_dates_id_and_status(issue: Run) -> None:
    credential = _issued(
        issue,
        "--valid-from",
        "2024-01-01",
        "--valid-until",
        "2024-12-31T23:59:59+01:00",
        "--id",
        "urn:uuid:1234",
        "--status",
        "https://example.com/status/1#42",
    )
    assert credential["validFrom"] == "2024-01-01T00:00:00Z"
    assert credential["validUntil"] == "2024-12-31T22:59:59Z"
    assert credential["id"] == "urn:uuid:1234"
    assert credential["credentialStatus"] == {
        "id": "https://example.com/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://example.com/status/1",
    }


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--valid-from", "yesterday"), "usage_error"),
        (("--status", "https://example.com/status/1"), "usage_error"),
        (("--suite", "rsa-2048"), "usage_error"),
        (("--valid-from", "2025-01-02", "--valid-until", "2025-01-01"), "invalid_input"),
    ],
)
def test_bad_options_exit_2_with_one_line(issue: Run, args: tuple[str, ...], code: str) -> None:
    result = issue(*args)
    assert result.exit_code == 2
    assert one_error_line(result).endswith(f"[{code}]")


def test_a_credential_is_not_an_achievement(issue: Run, tmp_path: Path) -> None:
    credential = {"type": ["VerifiableCredential", "OpenBadgeCredential"]}
    write_json(tmp_path / "achievement.json", credential)
    result = issue()
    assert result.exit_code == 2
    assert "credentialSubject.achievement" in one_error_line(result)


def test_a_schema_violation_is_one_line(issue: Run, tmp_path: Path) -> None:
    no_criteria = {"id": "https://x.example/a", "type": ["Achievement"], "name": "No criteria"}
    write_json(tmp_path / "achievement.json", no_criteria)
    result = issue()
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[schema_invalid]")


@pytest.mark.usefixtures("web")
def test_issue_as_a_did_web_issuer_resolved_from_a_folder(cli: Run, issue: Run) -> None:
    credential = _issued(issue, "--issuer", ISSUER, "--resolve-from", "web", "--offline")
    assert credential["issuer"]["id"] == ISSUER
    assert credential["proof"]["verificationMethod"] == f"{ISSUER}#key-1"
    result = cli("verify", "--offline", "--resolve-from", "web", "cred.json")
    assert result.exit_code == 0, result.stdout
    assert f"belongs to the issuer {ISSUER}" in result.stdout
    # Without the folder, offline, the did:web key cannot be found.
    result = cli("verify", "--offline", "cred.json")
    assert result.exit_code == 1
    assert "verification_method_unresolved" in result.stdout


def test_issue_refuses_a_did_web_that_does_not_list_the_key(
    issue: Run, key: KeyPair, tmp_path: Path
) -> None:
    publish_did_web(tmp_path / "web", ISSUER, KeyPair.generate())
    result = issue("--issuer", ISSUER, "--resolve-from", "web", "--offline")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"{ISSUER} does not list this key ({key.fingerprint})" in line
    assert line.endswith("[key_not_authorized]")

    result = issue("--issuer", "did:web:other.example", "--resolve-from", "web", "--offline")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[did_not_found]")

    result = issue("--issuer", ISSUER, "--offline")
    assert result.exit_code == 2
    assert "--resolve-from" in one_error_line(result)


def test_issue_to_stdout(issue: Run) -> None:
    result = issue(out="-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
