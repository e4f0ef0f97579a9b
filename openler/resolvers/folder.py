"""A folder that mirrors the web, for working offline (``openler verify --resolve-from DIR``).

Layout (the same one ``did:web`` uses on a web server)::

    did:web:example.com                    -> DIR/example.com/.well-known/did.json
    did:web:example.com:orgs:acme          -> DIR/example.com/orgs/acme/did.json
    did:web:example.com%3A8443             -> DIR/example.com%3A8443/.well-known/did.json
    https://example.com/issuers/1          -> DIR/example.com/issuers/1  (or .../1.json)
    https://example.com/status/3           -> DIR/example.com/status/3   (or .../3.json)
    https://example.com/                   -> DIR/example.com/index.json

Nothing outside ``DIR`` is ever read: ``.``/``..`` segments, encoded slashes, queries and
symbolic links that lead out of the folder are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Final
from urllib.parse import unquote, urlsplit

from openler.core.errors import (
    DidNotFound,
    DidResolutionError,
    OpenlerError,
    StatusListError,
    StatusListNotFound,
)
from openler.core.keys.did_web import DID_WEB_PREFIX, did_web_path_in_dir
from openler.core.limits import Limits, parse_json

__all__ = ["DEFAULT_MAX_FILE_BYTES", "FolderResolver", "FolderStatusFetcher", "url_path_in_dir"]

#: The largest file read from the folder (the core's own cap on a JSON document).
DEFAULT_MAX_FILE_BYTES: Final = 4 * 1024 * 1024
_SCHEMES: Final = ("https", "http")


class _Refused(Exception):
    """An identifier that cannot name a file in the folder (message for people)."""


def url_path_in_dir(url: str) -> PurePosixPath:
    """Relative path of the document published at ``url`` in a folder mirror of the web.

    Raises :class:`ValueError` when the URL cannot map to a file (not http(s), a query,
    user info, ``..`` segments, encoded slashes)."""
    try:
        return _url_path(url)
    except _Refused as exc:
        raise ValueError(str(exc)) from None


def _url_path(url: str) -> PurePosixPath:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _Refused(f"{url!r} is not a valid URL.") from None
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise _Refused(f"{url!r} is not an https:// URL.")
    if parts.query or parts.username or parts.password:
        raise _Refused(f"{url!r} has a query or user info, which a folder cannot mirror.")
    host = parts.hostname.lower()
    if not all(c.isalnum() or c in ".-" for c in host) or host.strip(".") != host:
        raise _Refused(f"{url!r} has a host name that cannot be a folder name.")
    top = host if port is None else f"{host}%3A{port}"
    raw = parts.path.split("/")[1:]
    segments = [unquote(s) for s in raw]
    for segment in segments[:-1]:
        _check_segment(segment, url, allow_empty=False)
    if not segments or segments[-1] == "":
        return PurePosixPath(top, *segments[:-1], "index.json")
    _check_segment(segments[-1], url, allow_empty=False)
    return PurePosixPath(top, *segments)


def _check_segment(segment: str, url: str, *, allow_empty: bool) -> None:
    if (
        (not segment and not allow_empty)
        or segment in (".", "..")
        or any(c in segment for c in "/\\\x00")
    ):
        raise _Refused(f"{url!r} has a path segment that cannot be a file name.")


class _Folder:
    """Reads JSON objects from files below ``root``, never from outside it."""

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def read(self, relative: PurePosixPath, *, try_json_suffix: bool) -> Mapping[str, Any] | None:
        """The parsed object, or ``None`` when no file exists there. Raises ``_Refused``
        for a file that is outside the folder, too large, unreadable or not an object."""
        if not self.root.is_dir():
            raise _Refused(f"{self.root} is not a folder.")
        root = self.root.resolve()
        candidates = [root.joinpath(*relative.parts)]
        if try_json_suffix and relative.suffix != ".json":
            candidates.append(root.joinpath(*relative.parts[:-1], relative.name + ".json"))
        for candidate in candidates:
            if not candidate.is_file():
                continue
            real = candidate.resolve()
            if not real.is_relative_to(root):
                raise _Refused(f"{candidate} leads outside {self.root}.")
            return self._load(real)
        return None

    def _load(self, path: Path) -> Mapping[str, Any]:
        try:
            with path.open("rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except OSError as exc:
            raise _Refused(f"{path} cannot be read: {exc.strerror or exc}.") from None
        if len(data) > self.max_bytes:
            raise _Refused(f"{path} is larger than {self.max_bytes:,} bytes.")
        try:
            value = parse_json(data, Limits(max_bytes=self.max_bytes))
        except OpenlerError as exc:
            raise _Refused(f"{path}: {exc.message}") from None
        if not isinstance(value, Mapping):
            raise _Refused(f"{path} does not hold a JSON object.")
        return value


class _FolderAdapter:
    """What the folder resolver and status fetcher share: the folder they read, and the
    errors for a file that is not there (``_not_found``) or cannot be used (``_error``)."""

    _what: ClassVar[str]
    _key: ClassVar[str]
    _error: ClassVar[type[OpenlerError]]
    _not_found: ClassVar[type[OpenlerError]]

    def __init__(self, root: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self._folder = _Folder(root, max_bytes)

    @property
    def root(self) -> Path:
        return self._folder.root

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def _get(
        self, name: str, relative: PurePosixPath, *, try_json_suffix: bool
    ) -> Mapping[str, Any]:
        details = {self._key: name}
        try:
            document = self._folder.read(relative, try_json_suffix=try_json_suffix)
        except _Refused as exc:
            raise self._error(str(exc), details=details) from None
        if document is None:
            looked = self.root / Path(*relative.parts)
            raise self._not_found(
                f"No {self._what} for {name} in {self.root} (looked for {looked}).",
                details={**details, "path": str(relative)},
            )
        return document


class FolderResolver(_FolderAdapter):
    """A :class:`~openler.core.ports.ControllerResolver` over a folder mirror of the web:
    ``did:web`` DIDs and ``https://`` controller-document URLs (see the module docstring).

    Raises :class:`DidNotFound` when no file is there (so a chain can move on) and
    :class:`DidResolutionError` for anything else that is wrong."""

    _what = "document"
    _key = "id"
    _error = DidResolutionError
    _not_found = DidNotFound

    def path_for(self, identifier: str) -> PurePosixPath:
        """Where ``identifier``'s document sits, relative to the folder."""
        if not isinstance(identifier, str):
            raise DidResolutionError("An identifier to resolve must be a string.")
        base = identifier.partition("#")[0]
        if base.startswith(DID_WEB_PREFIX):
            return did_web_path_in_dir(base)
        if base.lower().startswith("https://"):
            try:
                return _url_path(base)
            except _Refused as exc:
                raise DidResolutionError(str(exc), details={"id": identifier}) from None
        raise DidResolutionError(
            f"{identifier!r} is neither a did:web DID nor an https:// URL, so no folder can "
            "hold its document.",
            details={"id": identifier},
        )

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        relative = self.path_for(identifier)
        is_did = identifier.startswith(DID_WEB_PREFIX)
        return self._get(identifier, relative, try_json_suffix=not is_did)


class FolderStatusFetcher(_FolderAdapter):
    """A :class:`~openler.core.ports.StatusListFetcher` over a folder mirror of the web:
    the list published at ``https://host/a/b`` is ``DIR/host/a/b`` or ``DIR/host/a/b.json``.

    Raises :class:`StatusListNotFound` when no file is there and
    :class:`~openler.core.errors.StatusListError` for anything else that is wrong."""

    _what = "status list"
    _key = "url"
    _error = StatusListError
    _not_found = StatusListNotFound

    def fetch(self, url: str) -> Mapping[str, Any]:
        if not isinstance(url, str):
            raise StatusListError("A status list URL must be a string.")
        try:
            relative = _url_path(url.partition("#")[0])
        except _Refused as exc:
            raise StatusListError(str(exc), details={"url": url}) from None
        return self._get(url, relative, try_json_suffix=True)
