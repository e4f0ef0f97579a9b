"""``openler keys generate`` and ``openler did show``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from openler.cli._common import echo, load_key, write_file
from openler.core import KeyPair
from openler.core.keys.did_key import did_key_from_public_key, is_did_key, resolve_did_key

__all__ = ["did_app", "generate_key_file", "keys_app"]

keys_app = typer.Typer(help="Make signing keys.", no_args_is_help=True)
did_app = typer.Typer(help="Show DIDs and their documents.", no_args_is_help=True)


class KeyType(StrEnum):
    ED25519 = "Ed25519"
    P256 = "P-256"


def generate_key_file(out: Path, key_type: str = "Ed25519", *, force: bool = False) -> KeyPair:
    """Write a fresh key pair to ``out`` (mode 0600) and return it."""
    key = KeyPair.generate(key_type)
    text = json.dumps(key.to_key_file(), indent=2) + "\n"
    write_file(out, text, mode=0o600, overwrite=force)
    return key


@keys_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="Where to write the key file (JSON).")],
    key_type: Annotated[
        KeyType, typer.Option("--type", help="Key algorithm.", case_sensitive=False)
    ] = KeyType.ED25519,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Generate a key pair, write it to a key file readable only by you, and print its
    did:key (the last line of output)."""
    key = generate_key_file(out, key_type.value, force=force)
    echo(f"Wrote a new {key.algorithm} key to {out} (keep this file secret).")
    echo(did_key_from_public_key(key.public_key))


@did_app.command("show")
def show(
    key_file: Annotated[
        str, typer.Argument(metavar="KEY.json", help="A key file, or a did:key DID.")
    ],
) -> None:
    """Print the DID document of a key's did:key as JSON."""
    if is_did_key(key_file):
        did = key_file
    else:
        did = did_key_from_public_key(load_key(Path(key_file)).public_key)
    echo(json.dumps(resolve_did_key(did), indent=2))
