"""``openler status create | set | check``: Bitstring Status Lists for revocation and
suspension."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from openler.cli._common import (
    CliError,
    Network,
    echo,
    load_key,
    read_bytes,
    read_json_object,
    signer_for_issuer,
    utc_now,
    write_file,
)
from openler.core import OpenlerError, sign
from openler.core.baked import MAX_IMAGE_BYTES, extract_credential
from openler.core.keys.keypair import LocalSigner
from openler.core.limits import parse_json
from openler.core.model.common import format_date_time
from openler.core.proofs import SUITES
from openler.core.status import (
    MIN_LENGTH,
    Bitstring,
    StatusPurpose,
    build_status_list_credential,
    read_status,
)

__all__ = ["create_status_list", "set_status", "status_app"]

status_app = typer.Typer(
    help="Create and update status lists (revocation, suspension).", no_args_is_help=True
)

_LIST_TYPE = "BitstringStatusListCredential"
_RESIGNABLE = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")


class Purpose(StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


# -- operations (also used by ``openler demo``) ---------------------------------------


def create_status_list(
    url: str,
    issuer: str,
    signer: LocalSigner,
    *,
    purpose: str = "revocation",
    length: int = MIN_LENGTH,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A signed, all-clear BitstringStatusListCredential to publish at ``url``."""
    unsigned = build_status_list_credential(
        list_id=url,
        issuer=issuer,
        purpose=cast(StatusPurpose, purpose),
        bitstring=Bitstring(length),
        valid_from=now or utc_now(),
    )
    return sign(unsigned, signer, created=now)


def _subject(status_list: dict[str, Any]) -> dict[str, Any]:
    types = status_list.get("type")
    if _LIST_TYPE not in (types if isinstance(types, list) else [types]):
        raise CliError(f"This is not a {_LIST_TYPE}.", "status_list_type_mismatch")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("encodedList"), str):
        raise CliError(
            "The status list has no credentialSubject.encodedList.", "status_list_malformed"
        )
    if subject.get("statusSize", 1) not in (1, "1"):
        raise CliError(
            "Only status lists of one bit per entry can be changed here.", "status_list_malformed"
        )
    return subject


def _suites_of(status_list: dict[str, Any]) -> list[str]:
    proofs = status_list.get("proof")
    names = []
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict):
            for name in _RESIGNABLE:
                if SUITES[name].matches(proof) and name not in names:
                    names.append(name)
    return names or ["eddsa-rdfc-2022"]


def set_status(
    status_list: dict[str, Any],
    index: int,
    value: bool,
    signer: LocalSigner,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A re-signed copy of ``status_list`` with entry ``index`` set (or cleared)."""
    updated = copy.deepcopy(status_list)
    updated.pop("proof", None)
    subject = _subject(updated)
    bits = Bitstring.decode(subject["encodedList"])
    bits.set(index, value)
    subject["encodedList"] = bits.encode()
    moment = now or utc_now()
    updated["validFrom"] = format_date_time(moment)
    return sign(updated, signer, suites=_suites_of(status_list), created=moment)


# -- commands ------------------------------------------------------------------------


@status_app.command("create")
def create(
    url: Annotated[str, typer.Option("--url", help="Where the list will be published.")],
    key: Annotated[Path, typer.Option("--key", metavar="KEY.json", help="The issuer's key.")],
    out: Annotated[Path, typer.Option("--out", metavar="LIST.json", help="Where to write it.")],
    purpose: Annotated[Purpose, typer.Option("--purpose")] = Purpose.REVOCATION,
    length: Annotated[
        int,
        typer.Option("--length", metavar="N", help=f"Number of entries (at least {MIN_LENGTH:,})."),
    ] = MIN_LENGTH,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer", metavar="DID", help="Issue as this DID (default: the key's did:key)."
        ),
    ] = None,
    resolve_from: Annotated[Path | None, typer.Option("--resolve-from", metavar="DIR")] = None,
    offline: Annotated[bool, typer.Option("--offline")] = False,
) -> None:
    """Create a signed BitstringStatusListCredential with every entry clear."""
    if length < MIN_LENGTH:
        raise typer.BadParameter(
            f"a status list needs at least {MIN_LENGTH:,} entries, so "
            "that one credential's status says little about its learner.",
            param_hint="--length",
        )
    pair = load_key(key)
    with Network(resolve_from, offline=offline) as network:
        issuer_id, signer = signer_for_issuer(pair, issuer, network.resolver)
    signed = create_status_list(url, issuer_id, signer, purpose=purpose.value, length=length)
    write_file(out, json.dumps(signed, indent=2) + "\n")
    echo(
        f"Created a {purpose.value} list of {length:,} entries issued by {issuer_id}; "
        f"wrote {out}. Publish it at {url}."
    )


@status_app.command("set")
def set_command(
    list_file: Annotated[Path, typer.Argument(metavar="LIST.json")],
    index: Annotated[int, typer.Option("--index", metavar="N", min=0)],
    key: Annotated[Path, typer.Option("--key", metavar="KEY.json", help="The issuer's key.")],
    clear: Annotated[
        bool, typer.Option("--clear", help="Clear the entry (reinstate) instead of setting it.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write here instead of replacing LIST.json."),
    ] = None,
    resolve_from: Annotated[Path | None, typer.Option("--resolve-from", metavar="DIR")] = None,
    offline: Annotated[bool, typer.Option("--offline")] = False,
) -> None:
    """Set (revoke / suspend) or clear one entry, and re-sign the list."""
    status_list = read_json_object(list_file, "status list")
    subject = _subject(status_list)
    issuer = status_list.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str):
        raise CliError(f"{list_file}: the status list names no issuer.", "status_list_malformed")
    pair = load_key(key)
    with Network(resolve_from, offline=offline) as network:
        _, signer = signer_for_issuer(pair, issuer_id, network.resolver)
    updated = set_status(status_list, index, not clear, signer)
    target = out or list_file
    write_file(target, json.dumps(updated, indent=2) + "\n")
    purpose = subject.get("statusPurpose", "revocation")
    state = {"revocation": "revoked", "suspension": "suspended"}.get(str(purpose), "set")
    if clear:
        echo(
            f"Cleared entry {index}: credentials with this index are active again; wrote {target}."
        )
    else:
        echo(f"Set entry {index}: credentials with this index are {state}; wrote {target}.")


def _credential_from(path: Path) -> dict[str, Any]:
    data = read_bytes(path, MAX_IMAGE_BYTES)
    try:
        found = extract_credential(data, path.name)
        if found.kind == "jwt":
            from openler.core.proofs.vc_jwt import decode_jwt

            return dict(decode_jwt(found.text).credential)
        if found.kind == "json":
            document = parse_json(found.text)
            if isinstance(document, dict):
                return document
    except OpenlerError as exc:
        raise CliError(f"{path}: {exc.message}", exc.code) from None
    raise CliError(f"{path} holds no Open Badges 3.0 credential.", "invalid_input")


@status_app.command("check")
def check(
    credential_file: Annotated[Path, typer.Argument(metavar="CREDENTIAL.json")],
    list_file: Annotated[Path, typer.Option("--list", metavar="LIST.json")],
) -> None:
    """Print a credential's status in a local list: active, revoked or suspended.

    Exit status 0 when active, 1 when revoked or suspended. The list's signature is not
    checked here; `openler verify` does that."""
    credential = _credential_from(credential_file)
    status_list = read_json_object(list_file, "status list")
    list_id = status_list.get("id")
    entries = credential.get("credentialStatus")
    matched, flagged = 0, False
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict):
            continue
        url = entry.get("statusListCredential") or entry.get("id")
        if isinstance(list_id, str) and url != list_id:
            continue
        matched += 1
        try:
            reading = read_status(
                entry, status_list, credential_id=credential.get("id"), min_entries=1
            )
        except OpenlerError as exc:
            raise CliError(f"{list_file}: {exc.message}", exc.code) from None
        where = f"entry {reading.index}" if reading.index is not None else "entry"
        if not reading.set:
            state = "active"
        elif reading.purpose == "revocation":
            state, flagged = "revoked", True
        elif reading.purpose == "suspension":
            state, flagged = "suspended", True
        else:
            state = reading.message or f"value {reading.value}"
        echo(f"{reading.purpose} {where}: {state}")
    if not matched:
        raise CliError(
            f"{credential_file} has no status entry in the list {list_id}.", "no_status_entry"
        )
    if flagged:
        raise typer.Exit(1)
