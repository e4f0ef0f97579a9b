"""``openler verify``: check credentials and presentations, as people or programs read it."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from openler.cli._common import Network, echo, parse_when, read_bytes, utc_now
from openler.core import OpenlerError, VerificationResult, Verifier, VerifyPolicy
from openler.core.baked import MAX_IMAGE_BYTES, extract_credential
from openler.core.limits import parse_json
from openler.core.model.common import text_value
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.core.results import Check
from openler.core.verification import SKIPPABLE_CHECKS, verify_presentation_with

__all__ = ["format_report", "verify_command", "verify_file"]

_SYMBOLS = {"pass": "✔", "fail": "✘", "warning": "!", "skipped": "-"}
_ASCII_SYMBOLS = {"pass": "+", "fail": "x", "warning": "!", "skipped": "-"}


def _fail(code: str, message: str) -> VerificationResult:
    return VerificationResult((Check("structure", "fail", code, message),))


def _is_presentation(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return False
    types = document.get("type")
    return "VerifiablePresentation" in (types if isinstance(types, list) else [types])


def verify_file(
    path: Path,
    verifier: Verifier,
    *,
    now: datetime,
    challenge: str | None = None,
    domain: str | None = None,
) -> VerificationResult:
    """Verify the credential or presentation in ``path`` (JSON, VC-JWT, baked PNG/SVG).

    A file that cannot be *read* raises :class:`CliError`; anything in it that is wrong
    is a failed check."""
    data = read_bytes(path, MAX_IMAGE_BYTES)
    try:
        found = extract_credential(data, path.name)
    except OpenlerError as exc:
        return _fail(exc.code, exc.message)
    if found.kind == "url":
        return _fail(
            "hosted_assertion",
            "The image carries the URL of an Open Badges 1.x/2.0 hosted assertion, "
            "which openler does not fetch or verify.",
        )
    if found.kind == "jwt":
        return verifier.verify(found.text, now=now)
    try:
        document = parse_json(found.text, verifier.policy.limits)
    except OpenlerError:
        return verifier.verify(found.text, now=now)  # the verdict explains what is wrong
    if _is_presentation(document):
        return verify_presentation_with(
            verifier, document, now=now, challenge=challenge, domain=domain
        )
    return verifier.verify(document, now=now)


# -- the human report ----------------------------------------------------------------


def _symbols() -> Mapping[str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(_SYMBOLS.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _ASCII_SYMBOLS
    return _SYMBOLS


def _summary(document: Mapping[str, Any] | None, kind: str) -> str:
    if not isinstance(document, Mapping):
        return ""
    if kind == "presentation":
        holder = document.get("holder")
        holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
        return f"presentation by {holder_id}" if isinstance(holder_id, str) else "presentation"
    name = text_value(document.get("name"))
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    issuer_name = text_value(issuer.get("name")) if isinstance(issuer, Mapping) else None
    parts = [f'"{name}"' if name else "credential"]
    if isinstance(issuer_id, str):
        who = f"{issuer_name} ({issuer_id})" if issuer_name else issuer_id
        parts.append(f"issued by {who}")
    return " ".join(parts)


def _verdict(result: VerificationResult) -> str:
    if result.verified:
        warnings = len(result.warnings)
        return "VALID" + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else "")
    failed = [c.code for c in result.errors]
    failed += [f"credential {i + 1}" for i, r in enumerate(result.credentials) if not r.verified]
    return f"INVALID ({', '.join(failed)})"


def _report_lines(result: VerificationResult, indent: str, symbols: Mapping[str, str]) -> list[str]:
    lines = []
    width = max((len(c.name) for c in result.checks), default=0)
    for check in result.checks:
        lines.append(f"{indent}{symbols[check.status]} {check.name:<{width}}  {check.message}")
    for number, inner in enumerate(result.credentials, 1):
        about = _summary(inner.document, inner.kind)
        lines.append(f"{indent}credential {number}{': ' + about if about else ''}")
        lines.extend(_report_lines(inner, indent + "  ", symbols))
        lines.append(f"{indent}  {_verdict(inner)}")
    return lines


def format_report(name: str, result: VerificationResult) -> str:
    """The human report for one file: a heading, one line per check, then the verdict."""
    about = _summary(result.document, result.kind)
    lines = [f"{name}{': ' + about if about else ''}"]
    lines += _report_lines(result, "  ", _symbols())
    lines.append(f"  {_verdict(result)}")
    return "\n".join(lines)


# -- the command ---------------------------------------------------------------------


def _policy(skip: Sequence[str], strict: bool) -> VerifyPolicy:
    wanted = [part for item in skip for part in item.split(",")]
    try:
        return VerifyPolicy(strict=strict).with_skip(wanted)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--skip") from None


def make_verifier(
    policy: VerifyPolicy,
    resolver: ControllerResolver | None,
    status_fetcher: StatusListFetcher | None,
) -> Verifier:
    from openler.core.signing import default_cache

    return Verifier(
        resolver=resolver, status_fetcher=status_fetcher, policy=policy, cache=default_cache()
    )


def verify_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...", help="Credentials or presentations: JSON, VC-JWT, baked PNG/SVG."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON array of reports instead of the human report."),
    ] = False,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CHECKS",
            help=f"Comma-separated checks to skip: {', '.join(sorted(SKIPPABLE_CHECKS))}.",
        ),
    ] = None,
    resolve_from: Annotated[
        Path | None,
        typer.Option(
            "--resolve-from",
            metavar="DIR",
            help="Folder mirroring the web: DID documents (host/path/did.json) and status "
            "lists (host/path) are looked up here first.",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", metavar="DATETIME", help="Check validity dates as of this time."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Treat warnings about contexts, schemas and status as failures."
        ),
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Never use the network: did:web documents and status lists come "
            "only from --resolve-from.",
        ),
    ] = False,
    challenge: Annotated[
        str | None, typer.Option("--challenge", help="The challenge a presentation must answer.")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="The domain a presentation must be bound to.")
    ] = None,
) -> None:
    """Verify credentials and presentations.

    Exit status: 0 when every file is valid, 1 when any is invalid, 2 when the command
    could not run (an unreadable file, a bad option)."""
    policy = _policy(skip or [], strict)
    moment = parse_when(now, "--now") if now else utc_now()
    results: list[tuple[Path, VerificationResult]] = []
    with Network(resolve_from, offline=offline) as network:
        verifier = make_verifier(policy, network.resolver, network.status_fetcher)
        for path in files:
            results.append(
                (path, verify_file(path, verifier, now=moment, challenge=challenge, domain=domain))
            )
    if as_json:
        reports = [{"file": str(path), **result.to_dict()} for path, result in results]
        echo(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        echo("\n\n".join(format_report(str(path), result) for path, result in results))
    if not all(result.verified for _, result in results):
        raise typer.Exit(1)
