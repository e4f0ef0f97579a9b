"""Example credentials for the model tests (see tests/vectors/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import VECTORS, load_json

EXAMPLES = VECTORS / "examples"
MANIFEST: list[dict[str, Any]] = load_json(EXAMPLES / "MANIFEST.json")["items"]


def example(relative: str) -> Any:
    """An example by its path under the examples folder (MANIFEST's ``examples/`` dropped)."""
    return load_json(EXAMPLES / relative.removeprefix("examples/"))


def credential_files() -> list[str]:
    """Every example credential (JSON files other than MANIFEST and DID documents)."""
    return sorted(
        str(p.relative_to(EXAMPLES))
        for p in Path(EXAMPLES).rglob("*.json")
        if p.name != "MANIFEST.json" and "/dids/" not in p.as_posix()
    )
