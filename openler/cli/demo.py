"""``openler demo``: issue, verify, revoke and verify again, explaining each step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from openler.cli._common import CliError, Network, echo, utc_now, write_file
from openler.cli.issue import IssueRequest, issue_from_request
from openler.cli.keys import generate_key_file
from openler.cli.status import create_status_list, set_status
from openler.cli.verify import format_report, make_verifier, verify_file
from openler.core import VerifyPolicy
from openler.core.baked import bake_svg
from openler.core.keys.did_key import did_key_from_public_key
from openler.resolvers.folder import url_path_in_dir

__all__ = ["DEMO_ACHIEVEMENT", "demo_command", "run_demo"]

_BASE: Final = "https://college.example/achievements/aas-web-development"
STATUS_URL: Final = "https://college.example/status/1"
STATUS_INDEX: Final = 42
LEARNER: Final = "ada.lovelace@example.org"

#: An associate degree with skill alignments, a graded result and a scored rubric.
DEMO_ACHIEVEMENT: Final[dict[str, Any]] = {
    "id": _BASE,
    "type": ["Achievement"],
    "achievementType": "AssociateDegree",
    "name": "Associate of Applied Science in Web Development",
    "description": "A two-year programme in designing, building, testing and running "
    "accessible web applications.",
    "criteria": {
        "narrative": "Earn 60 credits in the programme with a cumulative GPA of at least "
        "2.0, including a capstone project scored *Proficient* or better on the "
        "capstone rubric.",
    },
    "creditsAvailable": 60,
    "fieldOfStudy": "Web Development",
    "humanCode": "AAS-WEB",
    "inLanguage": "en",
    "alignment": [
        {
            "type": ["Alignment"],
            "targetName": "Develop accessible web applications",
            "targetUrl": "https://skills.example/framework/web/accessible-applications",
            "targetFramework": "Example Digital Skills Framework",
            "targetCode": "WEB-01",
            "targetType": "ceasn:Competency",
        },
        {
            "type": ["Alignment"],
            "targetName": "Test and debug software",
            "targetUrl": "https://skills.example/framework/web/testing",
            "targetFramework": "Example Digital Skills Framework",
            "targetCode": "WEB-04",
            "targetType": "ceasn:Competency",
        },
        {
            "type": ["Alignment"],
            "targetName": "Work with relational databases",
            "targetUrl": "https://skills.example/framework/data/relational-databases",
            "targetFramework": "Example Digital Skills Framework",
            "targetCode": "DATA-02",
            "targetType": "ceasn:Competency",
        },
    ],
    "resultDescription": [
        {
            "id": f"{_BASE}/results/gpa",
            "type": ["ResultDescription"],
            "name": "Cumulative GPA",
            "resultType": "GradePointAverage",
            "valueMin": "0.0",
            "valueMax": "4.0",
            "requiredValue": "2.0",
        },
        {
            "id": f"{_BASE}/results/capstone",
            "type": ["ResultDescription"],
            "name": "Capstone project",
            "resultType": "RubricCriterionLevel",
            "requiredLevel": f"{_BASE}/results/capstone/proficient",
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Capstone rubric",
                    "targetUrl": "https://college.example/rubrics/capstone",
                    "targetType": "CFRubric",
                },
            ],
            "rubricCriterionLevel": [
                {
                    "id": f"{_BASE}/results/capstone/{level.lower()}",
                    "type": ["RubricCriterionLevel"],
                    "name": level,
                    "description": description,
                    "points": points,
                }
                for level, description, points in (
                    ("Developing", "Works with guidance; key requirements missing.", "1"),
                    ("Proficient", "Meets every requirement on their own.", "2"),
                    ("Exemplary", "Exceeds the requirements; could mentor others.", "3"),
                )
            ],
        },
    ],
}

_BADGE_SVG: Final = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">'
    b'<circle cx="120" cy="120" r="110" fill="#1f5fbf"/>'
    b'<text x="120" y="132" font-family="sans-serif" font-size="40" fill="#ffffff" '
    b'text-anchor="middle">AAS</text></svg>\n'
)


def _step(number: int, text: str, *paths: Path) -> None:
    echo(f"{number}. {text}")
    for path in paths:
        echo(f"   {path}")


def _indented(report: str) -> str:
    return "\n".join("   " + line for line in report.splitlines()[1:])


def run_demo(out: Path) -> bool:
    """Run every step, writing into ``out`` (files there from an earlier run are
    overwritten). True when each verification gave the expected verdict."""
    now = utc_now()
    web = out / "web"
    echo(
        f"openler demo: an issuer awards a degree, a verifier checks it, the issuer revokes "
        f"it. Files go to {out}/.\n"
    )

    key_path = out / "issuer-key.json"
    key = generate_key_file(key_path, force=True)
    issuer = did_key_from_public_key(key.public_key)
    _step(
        1,
        f"Made the college's signing key (Ed25519). Its DID, which names the issuer "
        f"in everything it signs, is {issuer}",
        key_path,
    )

    achievement_path = out / "achievement.json"
    write_file(achievement_path, json.dumps(DEMO_ACHIEVEMENT, indent=2) + "\n")
    _step(
        2,
        f'Described the achievement: "{DEMO_ACHIEVEMENT["name"]}", an associate degree '
        "aligned to three skills, with a GPA result and a capstone rubric.",
        achievement_path,
    )

    list_path = web / Path(*url_path_in_dir(STATUS_URL).parts)
    list_path = list_path.with_name(list_path.name + ".json")
    signer = key.signer()
    write_file(
        list_path,
        json.dumps(create_status_list(STATUS_URL, issuer, signer, now=now), indent=2) + "\n",
    )
    _step(
        3,
        f"Created a signed revocation list of 131,072 entries, all clear, to publish at "
        f"{STATUS_URL}. A copy sits where an offline verifier looks for it:",
        list_path,
    )

    request = IssueRequest(
        achievement=DEMO_ACHIEVEMENT,
        recipient=LEARNER,
        key=key,
        suites=("eddsa-rdfc-2022", "Ed25519Signature2020"),
        issuer_name="Example Community College",
        results=("Cumulative GPA=3.6", "Capstone project=Exemplary"),
        credential_id="urn:uuid:5d9b2a4e-6f0c-4d1a-9c53-0c1f6f7e0a42",
        status=(STATUS_URL, STATUS_INDEX),
        now=now,
    )
    credential = issue_from_request(request, None)
    text = json.dumps(credential, indent=2, ensure_ascii=False) + "\n"
    credential_path, badge_path = out / "credential.json", out / "badge.svg"
    write_file(credential_path, text)
    write_file(badge_path, bake_svg(_BADGE_SVG, text))
    _step(
        4,
        f"Issued the degree to {LEARNER} (the credential holds only a salted hash of "
        "the address), with a GPA of 3.6 and an Exemplary capstone. It carries two "
        "proofs, eddsa-rdfc-2022 and Ed25519Signature2020, and status entry "
        f"{STATUS_INDEX} in the list. The same credential is baked into a badge image.",
        credential_path,
        badge_path,
    )

    policy = VerifyPolicy()
    with Network(web, offline=True) as network:
        verifier = make_verifier(policy, network.resolver, network.status_fetcher)
        first = verify_file(badge_path, verifier, now=now)
        _step(5, f"Verified the badge image offline (the status list is read from {web}/):")
        echo(_indented(format_report(str(badge_path), first)))

        status_list = json.loads(list_path.read_text("utf-8"))
        write_file(
            list_path,
            json.dumps(set_status(status_list, STATUS_INDEX, True, signer, now=now), indent=2)
            + "\n",
        )
        _step(
            6,
            f"Revoked it: set entry {STATUS_INDEX} of the status list and signed the list again.",
            list_path,
        )

        second = verify_file(credential_path, verifier, now=now)
        _step(7, "Verified the credential again:")
        echo(_indented(format_report(str(credential_path), second)))

    echo("\nTry it yourself:")
    echo(f"  openler verify --offline --resolve-from {web} {credential_path}")
    echo(f"  openler status check {credential_path} --list {list_path}")
    revoked = second.check("status")
    return (
        first.verified
        and not second.verified
        and revoked is not None
        and (revoked.code == "revoked")
    )


def demo_command(
    out: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Folder for the demo's files (overwritten)."),
    ] = Path("demo-out"),
) -> None:
    """Walk through issuing, verifying and revoking a credential, explaining each step."""
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} exists and is not a folder.", "not_a_folder")
    if not run_demo(out):
        raise CliError(
            "The demo's verifications did not give the expected verdicts.", "demo_failed"
        )
