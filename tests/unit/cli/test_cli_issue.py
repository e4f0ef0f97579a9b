"""``openler issue``: building, signing and writing credentials."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from openler.cli.demo import DEMO_ACHIEVEMENT
from openler.core import KeyPair
from openler.core.keys.did_web import did_web_document, did_web_path_in_dir
from tests.unit.cli.conftest import Run, one_error_line

ISSUER = "did:web:example.com:orgs:acme"


def _issue(cli: Run, *extra: str, out: str = "cred.json") -> dict[str, Any]:
    result = cli(
        "issue", "--achievement", "achievement.json", "--key", "key.json", "--out", out, *extra
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Issued urn:uuid:")
    return json.loads(Path(out).read_text("utf-8"))  # type: ignore[no-any-return]


def publish_did_web(root: Path, did: str, key: KeyPair, fragment: str = "key-1") -> Path:
    """Write ``did``'s DID document, listing ``key``, where --resolve-from looks for it."""
    path = root.joinpath(*did_web_path_in_dir(did).parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(did_web_document(did, [(fragment, key.public_key)])), "utf-8")
    return path


@pytest.mark.usefixtures("key", "achievement")
def test_issue_signs_with_eddsa_rdfc_2022_by_default(cli: Run, key: KeyPair) -> None:
    credential = _issue(cli, "--recipient", "did:example:learner", "--issuer-name", "Acme")
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": key.controller, "type": ["Profile"], "name": "Acme"}
    assert credential["credentialSubject"]["id"] == "did:example:learner"
    assert credential["credentialSubject"]["achievement"]["name"] == "Algebra I"
    assert credential["name"] == "Algebra I"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"]["verificationMethod"] == key.key_id
    assert cli("verify", "--offline", "cred.json").exit_code == 0


@pytest.mark.usefixtures("key", "achievement")
def test_an_email_recipient_is_salted_and_hashed(cli: Run) -> None:
    credential = _issue(cli, "--recipient", " Ada@Example.org ")
    subject = credential["credentialSubject"]
    assert "id" not in subject
    (identity,) = subject["identifier"]
    assert identity["type"] == "IdentityObject"
    assert identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    assert len(identity["salt"]) == 32
    expected = hashlib.sha256(("ada@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    again = _issue(cli, "--recipient", "mailto:ada@example.org", out="again.json")
    assert again["credentialSubject"]["identifier"][0]["salt"] != identity["salt"]
    assert cli("verify", "--offline", "cred.json").exit_code == 0


@pytest.mark.usefixtures("key", "achievement")
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
    cli: Run, recipient: str, extra: tuple[str, ...], expected: dict[str, Any]
) -> None:
    subject = _issue(cli, "--recipient", recipient, *extra)["credentialSubject"]
    if "id" in expected:
        assert subject["id"] == recipient
    else:
        identity = subject["identifier"][0]
        assert identity["identityType"] == expected["identityType"]
        digest = hashlib.sha256((recipient + identity["salt"]).encode()).hexdigest()
        assert identity["identityHash"] == f"sha256${digest}"


@pytest.mark.usefixtures("key", "achievement")
def test_an_unknown_recipient_type_is_refused(cli: Run) -> None:
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--out",
        "c.json",
        "--recipient",
        "x",
        "--recipient-type",
        "shoeSize",
    )
    assert result.exit_code == 2
    assert "[invalid_recipient]" in one_error_line(result)


@pytest.mark.usefixtures("key", "achievement")
@pytest.mark.parametrize(
    "spec",
    [
        "B",
        "Final grade=B",
        "final GRADE=b",
        "https://school.example/achievements/algebra-1/grade=B",
    ],
)
def test_results_match_by_name_or_id(cli: Run, spec: str) -> None:
    credential = _issue(cli, "--recipient", "did:example:1", "--result", spec)
    assert credential["credentialSubject"]["result"] == [
        {
            "type": ["Result"],
            "resultDescription": "https://school.example/achievements/algebra-1/grade",
            "value": "B",
        }
    ]


@pytest.mark.usefixtures("key", "achievement")
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Final grade=E", "not an allowed value (A, B, C, D, F)"),
        ("Midterm=A", "no resultDescription with that name or id"),
        ("Final grade=", "has no value"),
    ],
)
def test_bad_results_are_refused(cli: Run, spec: str, message: str) -> None:
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--result",
        spec,
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    line = one_error_line(result)
    assert message in line
    assert line.endswith("[invalid_result]")
    assert not Path("c.json").exists()


@pytest.mark.usefixtures("key")
def test_rubric_levels_and_ranges(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "achievement.json").write_text(json.dumps(DEMO_ACHIEVEMENT), "utf-8")
    credential = _issue(
        cli,
        "--recipient",
        "did:example:1",
        "--result",
        "Cumulative GPA=3.2",
        "--result",
        "Capstone project=proficient",
    )
    results = credential["credentialSubject"]["result"]
    assert results[0]["value"] == "3.2"
    assert results[1]["achievedLevel"].endswith("/capstone/proficient")
    for spec, message in (
        ("Cumulative GPA=4.5", "outside 0.0 to 4.0"),
        ("Cumulative GPA=high", "not a number"),
        ("Capstone project=Stellar", "not one of its rubric levels"),
        ("3.2", "write NAME=VALUE"),
    ):
        result = cli(
            "issue",
            "--achievement",
            "achievement.json",
            "--key",
            "key.json",
            "--recipient",
            "did:example:1",
            "--result",
            spec,
            "--out",
            "c.json",
        )
        assert result.exit_code == 2
        assert message in one_error_line(result)


@pytest.mark.usefixtures("key", "achievement")
def test_several_suites_make_a_proof_set(cli: Run) -> None:
    credential = _issue(
        cli,
        "--recipient",
        "did:example:1",
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


@pytest.mark.usefixtures("key", "achievement")
def test_vc_jwt_writes_a_compact_token(cli: Run, tmp_path: Path) -> None:
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--suite",
        "vc-jwt",
        "--out",
        "cred.jwt",
    )
    assert result.exit_code == 0, result.output
    token = (tmp_path / "cred.jwt").read_text("utf-8").strip()
    assert token.count(".") == 2
    assert not token.startswith("{")
    assert cli("verify", "--offline", "cred.jwt").exit_code == 0

    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--suite",
        "vc-jwt",
        "--suite",
        "eddsa-rdfc-2022",
        "--out",
        "both.json",
    )
    assert result.exit_code == 2
    assert "[invalid_suites]" in one_error_line(result)


@pytest.mark.usefixtures("key", "achievement")
def test_dates_id_and_status(cli: Run) -> None:
    credential = _issue(
        cli,
        "--recipient",
        "did:example:1",
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


@pytest.mark.usefixtures("key", "achievement")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--valid-from", "yesterday"), "usage_error"),
        (("--status", "https://example.com/status/1"), "usage_error"),
        (("--suite", "rsa-2048"), "usage_error"),
        (("--valid-from", "2025-01-02", "--valid-until", "2025-01-01"), "invalid_input"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli: Run, args: tuple[str, ...], code: str) -> None:
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--out",
        "c.json",
        *args,
    )
    assert result.exit_code == 2
    assert one_error_line(result).endswith(f"[{code}]")


@pytest.mark.usefixtures("key")
def test_a_credential_is_not_an_achievement(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "achievement.json").write_text(
        json.dumps({"type": ["VerifiableCredential", "OpenBadgeCredential"]}), "utf-8"
    )
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    assert "credentialSubject.achievement" in one_error_line(result)


@pytest.mark.usefixtures("key")
def test_a_schema_violation_is_one_line(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "achievement.json").write_text(
        json.dumps({"id": "https://x.example/a", "type": ["Achievement"], "name": "No criteria"}),
        "utf-8",
    )
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[schema_invalid]")


@pytest.mark.usefixtures("achievement")
def test_issue_as_a_did_web_issuer_resolved_from_a_folder(
    cli: Run, key: KeyPair, tmp_path: Path
) -> None:
    web = tmp_path / "web"
    publish_did_web(web, ISSUER, key)
    credential = _issue(
        cli,
        "--recipient",
        "did:example:1",
        "--issuer",
        ISSUER,
        "--resolve-from",
        "web",
        "--offline",
    )
    assert credential["issuer"]["id"] == ISSUER
    assert credential["proof"]["verificationMethod"] == f"{ISSUER}#key-1"
    result = cli("verify", "--offline", "--resolve-from", "web", "cred.json")
    assert result.exit_code == 0, result.stdout
    assert f"belongs to the issuer {ISSUER}" in result.stdout
    # Without the folder, offline, the did:web key cannot be found.
    result = cli("verify", "--offline", "cred.json")
    assert result.exit_code == 1
    assert "verification_method_unresolved" in result.stdout


@pytest.mark.usefixtures("achievement")
def test_issue_refuses_a_did_web_that_does_not_list_the_key(
    cli: Run, key: KeyPair, tmp_path: Path
) -> None:
    publish_did_web(tmp_path / "web", ISSUER, KeyPair.generate())
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--issuer",
        ISSUER,
        "--resolve-from",
        "web",
        "--offline",
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"{ISSUER} does not list this key ({key.fingerprint})" in line
    assert line.endswith("[key_not_authorized]")

    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--issuer",
        "did:web:other.example",
        "--resolve-from",
        "web",
        "--offline",
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[did_not_found]")

    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--issuer",
        ISSUER,
        "--offline",
        "--out",
        "c.json",
    )
    assert result.exit_code == 2
    assert "--resolve-from" in one_error_line(result)


@pytest.mark.usefixtures("key", "achievement")
def test_issue_to_stdout(cli: Run) -> None:
    result = cli(
        "issue",
        "--achievement",
        "achievement.json",
        "--key",
        "key.json",
        "--recipient",
        "did:example:1",
        "--out",
        "-",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
