"""What every command shares: reading and writing files, dates, keys, resolvers, and
choosing the verification method an issuer signs with."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Final

import typer

from openler.core import KeyPair, OpenlerError
from openler.core.keys.did_key import did_key_from_public_key, is_did_key
from openler.core.keys.keypair import LocalSigner
from openler.core.keys.resolve import StaticResolver, resolve_verification_method
from openler.core.limits import Limits, parse_json
from openler.core.ports import ControllerResolver, StatusListFetcher
from openler.resolvers import (
    ChainResolver,
    ChainStatusFetcher,
    FolderResolver,
    FolderStatusFetcher,
)

__all__ = [
    "MAX_JSON_BYTES",
    "CliError",
    "Network",
    "echo",
    "load_key",
    "parse_when",
    "read_bytes",
    "read_json_object",
    "signer_for_issuer",
    "utc_now",
    "write_file",
]

#: Largest JSON file a command reads (the core's cap on one document).
MAX_JSON_BYTES: Final = 4 * 1024 * 1024


class CliError(Exception):
    """A problem to report in one line (``error: <message> [code]``), exit status 2."""

    def __init__(self, message: str, code: str = "cli_error", *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.exit_code = exit_code


def echo(text: str = "", *, err: bool = False) -> None:
    typer.echo(text, err=err)


def utc_now() -> datetime:
    """The current time, to the second (credentials carry whole seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


# -- files ---------------------------------------------------------------------------


def read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes; one clear :class:`CliError` when it cannot be read or is too big."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file.", "file_not_found") from None
    except IsADirectoryError:
        raise CliError(f"{path} is a folder, not a file.", "not_a_file") from None
    except PermissionError:
        raise CliError(f"{path}: permission denied.", "permission_denied") from None
    except OSError as exc:
        raise CliError(f"{path} cannot be read: {exc.strerror or exc}.", "os_error") from None
    if len(data) > limit:
        raise CliError(f"{path} is larger than {limit:,} bytes.", "input_too_large")
    return data


def read_json_object(path: Path, what: str = "file") -> dict[str, Any]:
    """A JSON object from ``path`` under the core's size and depth caps."""
    data = read_bytes(path, MAX_JSON_BYTES)
    try:
        value = parse_json(data, Limits(max_bytes=MAX_JSON_BYTES))
    except OpenlerError as exc:
        raise CliError(f"{path}: {exc.message}", exc.code) from None
    if not isinstance(value, dict):
        raise CliError(f"{path}: the {what} must be a JSON object.", "invalid_input")
    return value


def write_file(
    path: Path, content: str | bytes, *, mode: int = 0o644, overwrite: bool = True
) -> None:
    """Write atomically (a temporary file in the same folder, then rename) with ``mode``.

    ``-`` writes to standard output. Without ``overwrite`` an existing file is refused."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if str(path) == "-":
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            stream.write(data)
        sys.stdout.flush()
        return
    if not overwrite and (path.exists() or path.is_symlink()):
        raise CliError(f"{path} already exists; use --force to overwrite it.", "file_exists")
    if path.is_dir():
        raise CliError(f"{path} is a folder; name a file to write.", "not_a_file")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# -- values --------------------------------------------------------------------------


def parse_when(text: str, option: str) -> datetime:
    """``2025-06-01``, ``2025-06-01T12:00:00Z`` or ``...+02:00``; no offset means UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(0), UTC)
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date or date-time (e.g. 2025-06-01 or 2025-06-01T12:00:00Z).",
            param_hint=option,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def load_key(path: Path) -> KeyPair:
    """The key pair in a key file written by ``openler keys generate``."""
    data = read_json_object(path, "key file")
    try:
        return KeyPair.from_key_file(data)
    except OpenlerError as exc:
        raise CliError(f"{path}: {exc.message}", exc.code) from None


# -- resolvers -----------------------------------------------------------------------


class Network:
    """The resolver and status fetcher a command uses: ``--resolve-from DIR`` first, then
    HTTPS unless ``--offline``. Close it when done (it may hold an HTTP client)."""

    def __init__(self, resolve_from: Path | None, *, offline: bool) -> None:
        if resolve_from is not None and not resolve_from.is_dir():
            raise CliError(f"--resolve-from {resolve_from}: no such folder.", "file_not_found")
        resolvers: list[ControllerResolver] = []
        fetchers: list[StatusListFetcher] = []
        self._closers: list[Any] = []
        if resolve_from is not None:
            resolvers.append(FolderResolver(resolve_from))
            fetchers.append(FolderStatusFetcher(resolve_from))
        if not offline:
            from openler.resolvers.http import HttpJsonFetcher, HttpResolver, HttpStatusFetcher

            shared = HttpJsonFetcher()
            self._closers.append(shared)
            resolvers.append(HttpResolver(fetcher=shared))
            fetchers.append(HttpStatusFetcher(fetcher=shared))
        self.resolver: ControllerResolver | None = ChainResolver(*resolvers) if resolvers else None
        self.status_fetcher: StatusListFetcher | None = (
            ChainStatusFetcher(*fetchers) if fetchers else None
        )

    def close(self) -> None:
        for closer in self._closers:
            closer.close()

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def signer_for_issuer(
    key: KeyPair, issuer: str | None, resolver: ControllerResolver | None
) -> tuple[str, LocalSigner]:
    """The issuer id and a signer naming the verification method to sign as.

    The issuer defaults to the key file's controller (the key's did:key for keys made by
    ``openler keys generate``). Any other issuer must publish a controller document
    (did:web, https) that lists this very public key under ``assertionMethod``."""
    issuer = issuer or key.controller
    own_did = did_key_from_public_key(key.public_key)
    if issuer == own_did:
        return issuer, key.with_identity(controller=own_did).signer()
    if is_did_key(issuer):
        raise CliError(
            f"{issuer} is another key's did:key; this key's DID is {own_did}.",
            "key_not_authorized",
        )
    if resolver is None:
        raise CliError(
            f"{issuer} cannot be resolved offline; name a folder with --resolve-from DIR.",
            "did_resolution_error",
        )
    document = resolver.resolve(issuer)
    static = StaticResolver({issuer: document})
    for vm_id in _assertion_method_ids(document, issuer):
        try:
            method = resolve_verification_method(vm_id, static)
        except OpenlerError:
            continue
        if method.public_key == key.public_key and "assertionMethod" in method.purposes:
            return issuer, key.with_identity(controller=issuer, key_id=vm_id).signer()
    raise CliError(
        f"{issuer} does not list this key ({key.fingerprint}) under assertionMethod in its "
        "DID document, so it cannot sign for that issuer.",
        "key_not_authorized",
    )


def _assertion_method_ids(document: Mapping[str, Any], issuer: str) -> list[str]:
    entries = document.get("assertionMethod")
    items = entries if isinstance(entries, list) else [entries]
    ids = []
    for item in items:
        ref = item.get("id") if isinstance(item, Mapping) else item
        if isinstance(ref, str):
            ids.append(issuer + ref if ref.startswith("#") else ref)
    return ids
