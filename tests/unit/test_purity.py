"""The core is pure: importing it (and using it) pulls in no database, HTTP or web
framework, and it never reads the environment or opens a socket."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_core_imports_no_io_frameworks() -> None:
    code = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        import openler.core as core
        from openler.core import KeyPair, issue, verify_credential
        from openler.core import baked, status, model  # noqa: F401
        sys.path.insert(0, ".")
        from bench.sample import realistic_credential
        key = KeyPair.from_seed(bytes(32))
        doc = realistic_credential(1)
        doc["issuer"]["id"] = key.controller
        now = datetime(2026, 7, 1, tzinfo=UTC)
        assert verify_credential(issue(doc, key.signer(), created=now), now=now).verified
        banned = {"sqlalchemy", "httpx", "fastapi", "requests", "aiohttp", "urllib3",
                  "starlette", "uvicorn", "celery", "jinja2"}
        loaded = sorted(m for m in banned if m in sys.modules)
        print(",".join(loaded))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_core_reads_no_environment_or_clock() -> None:
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "openler" / "core"
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                offenders.append(f"{path.name}: os.{node.attr}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("now", "utcnow", "today")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("datetime", "date")
            ):
                offenders.append(f"{path.name}: {node.value.id}.{node.attr}()")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "time"
                and isinstance(node.value, ast.Name)
                and node.value.id == "time"
            ):
                offenders.append(f"{path.name}: time.time()")
    assert offenders == []
