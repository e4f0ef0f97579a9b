"""``openler issue``: award an achievement to a learner as a signed credential."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from openler.cli._build import build_credential, build_results, recipient_subject
from openler.cli._common import (
    CliError,
    Network,
    echo,
    load_key,
    parse_when,
    read_json_object,
    signer_for_issuer,
    utc_now,
    write_file,
)
from openler.core import KeyPair, issue, issue_jwt
from openler.core.ports import ControllerResolver
from openler.core.status import StatusPurpose, status_entry

__all__ = ["IssueRequest", "Suite", "issue_command", "issue_from_request", "parse_status_option"]


class Suite(StrEnum):
    EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
    EDDSA_JCS_2022 = "eddsa-jcs-2022"
    ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
    VC_JWT = "vc-jwt"


class StatusPurposeOption(StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


@dataclass
class IssueRequest:
    """Everything ``openler issue`` needs, already read from files."""

    achievement: dict[str, Any]
    recipient: str
    key: KeyPair
    suites: Sequence[str] = ("eddsa-rdfc-2022",)
    issuer: str | None = None
    issuer_name: str | None = None
    recipient_type: str | None = None
    results: Sequence[str] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    credential_id: str | None = None
    status: tuple[str, int] | None = None
    status_purpose: str = "revocation"
    now: datetime = field(default_factory=utc_now)


def parse_status_option(text: str) -> tuple[str, int]:
    """``https://example.org/status/1#42`` -> (``https://example.org/status/1``, 42)."""
    url, sep, index = text.rpartition("#")
    if not sep or not index.isdigit() or ":" not in url:
        raise typer.BadParameter(
            f"{text!r} is not URL#INDEX (e.g. https://example.org/status/1#42).",
            param_hint="--status",
        )
    return url, int(index)


def issue_from_request(
    request: IssueRequest, resolver: ControllerResolver | None
) -> dict[str, Any] | str:
    """The signed credential (an object), or a compact VC-JWT when the suite is vc-jwt."""
    suites = list(dict.fromkeys(request.suites)) or [Suite.EDDSA_RDFC_2022.value]
    if Suite.VC_JWT.value in suites and len(suites) > 1:
        raise CliError(
            "--suite vc-jwt wraps the whole credential and cannot be combined with other suites.",
            "invalid_suites",
        )
    issuer_id, signer = signer_for_issuer(request.key, request.issuer, resolver)
    subject = recipient_subject(request.recipient, request.recipient_type)
    results = build_results(request.achievement, request.results)
    status = None
    if request.status is not None:
        url, index = request.status
        status = status_entry(url, index, cast(StatusPurpose, request.status_purpose))
    credential = build_credential(
        request.achievement,
        issuer_id=issuer_id,
        issuer_name=request.issuer_name,
        subject=subject,
        results=results,
        credential_id=request.credential_id or f"urn:uuid:{uuid.uuid4()}",
        valid_from=request.valid_from or request.now,
        valid_until=request.valid_until,
        status=status,
    )
    if suites == [Suite.VC_JWT.value]:
        return issue_jwt(credential, signer, issued_at=request.now)
    return issue(credential, signer, suites=suites, created=request.now)


def issue_command(
    achievement: Annotated[
        Path,
        typer.Option(
            "--achievement", metavar="ACHIEVEMENT.json", help="The OB 3.0 Achievement to award."
        ),
    ],
    recipient: Annotated[
        str,
        typer.Option(
            "--recipient",
            metavar="ID",
            help="The learner: a DID or URI (credentialSubject.id), or an email address or other "
            "identifier (stored salted and hashed).",
        ),
    ],
    key: Annotated[Path, typer.Option("--key", metavar="KEY.json", help="The signing key.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="CREDENTIAL.json", help="Where to write the credential ('-': stdout)."
        ),
    ],
    suite: Annotated[
        list[Suite] | None,
        typer.Option(
            "--suite",
            help="Proof suite; repeat for a proof set. vc-jwt must be alone. "
            "[default: eddsa-rdfc-2022]",
        ),
    ] = None,
    issuer_name: Annotated[
        str | None, typer.Option("--issuer-name", metavar="NAME", help="The issuer's display name.")
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            metavar="DID",
            help="Issue as this DID (did:web...), whose DID document lists the key under "
            "assertionMethod. Default: the key's did:key.",
        ),
    ] = None,
    resolve_from: Annotated[
        Path | None,
        typer.Option(
            "--resolve-from",
            metavar="DIR",
            help="Folder mirroring the web, where the issuer's DID document is looked up first.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Never use the network (the DID document must be in DIR)."),
    ] = False,
    result: Annotated[
        list[str] | None,
        typer.Option(
            "--result",
            metavar="NAME_OR_ID=VALUE",
            help="A result for one of the achievement's resultDescriptions; repeatable.",
        ),
    ] = None,
    recipient_type: Annotated[
        str | None,
        typer.Option(
            "--recipient-type",
            metavar="TYPE",
            help="identityType for a hashed recipient (e.g. sourcedId, studentId via "
            "ext:StudentId). Default: emailAddress or identifier.",
        ),
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", metavar="DATETIME", help="Default: now.")
    ] = None,
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", metavar="DATETIME", help="When the credential expires."),
    ] = None,
    credential_id: Annotated[
        str | None,
        typer.Option("--id", metavar="URN", help="The credential's id. Default: a new urn:uuid."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="URL#INDEX",
            help="Add a BitstringStatusListEntry for this list URL and index.",
        ),
    ] = None,
    status_purpose: Annotated[
        StatusPurposeOption, typer.Option("--status-purpose", help="The status entry's purpose.")
    ] = StatusPurposeOption.REVOCATION,
) -> None:
    """Issue an Open Badges 3.0 credential for an achievement, signed with your key."""
    request = IssueRequest(
        achievement=read_json_object(achievement, "achievement"),
        recipient=recipient,
        key=load_key(key),
        suites=[s.value for s in suite or [Suite.EDDSA_RDFC_2022]],
        issuer=issuer,
        issuer_name=issuer_name,
        recipient_type=recipient_type,
        results=result or [],
        valid_from=parse_when(valid_from, "--valid-from") if valid_from else None,
        valid_until=parse_when(valid_until, "--valid-until") if valid_until else None,
        credential_id=credential_id or f"urn:uuid:{uuid.uuid4()}",
        status=parse_status_option(status) if status else None,
        status_purpose=status_purpose.value,
    )
    with Network(resolve_from, offline=offline) as network:
        signed = issue_from_request(request, network.resolver)
    if isinstance(signed, str):
        write_file(out, signed + "\n")
        kind = "vc-jwt"
    else:
        write_file(out, json.dumps(signed, indent=2, ensure_ascii=False) + "\n")
        proofs = signed["proof"] if isinstance(signed["proof"], list) else [signed["proof"]]
        kind = " + ".join(str(p.get("cryptosuite") or p.get("type")) for p in proofs)
    if str(out) != "-":
        echo(f"Issued {request.credential_id} ({kind}) to {recipient}; wrote {out}.")
