"""``openler verify``: reports, exit codes, options and every input format."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from openler.core import KeyPair, create_presentation, sign_presentation
from openler.core.baked import PNG_SIGNATURE, bake_png, bake_svg
from openler.resolvers import http as http_resolvers
from tests.unit._http_fakes import Recorder
from tests.unit.cli.conftest import ISSUER, LIST_URL, Run, one_error_line

REPORT_KEYS = {"file", "kind", "verified", "checks", "errors", "warnings"}


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def tiny_png() -> bytes:
    """A 1x1 greyscale PNG."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return PNG_SIGNATURE + ihdr + idat + _chunk(b"IEND", b"")


TINY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@pytest.fixture
def credential(issue: Run) -> Path:
    """A credential issued to did:example:learner, valid through 2030."""
    result = issue(
        "--valid-from",
        "2024-01-01",
        "--valid-until",
        "2030-01-01",
        recipient="did:example:learner",
        out="cred.json",
    )
    assert result.exit_code == 0, result.output
    return Path("cred.json").resolve()


def _report(cli: Run, *args: Any) -> tuple[int, list[dict[str, Any]]]:
    result = cli("verify", "--offline", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def _codes(report: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for check in report["checks"]:
        out.setdefault(check["check"], []).append(check["code"])
    return out


def test_human_report(cli: Run, credential: Path) -> None:
    result = cli("verify", "--offline", "cred.json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == 'cred.json: "Algebra I" issued by '
        + json.loads(credential.read_text("utf-8"))["issuer"]["id"]
    )
    assert lines[1].startswith("  ✔ structure  The document is a well-formed VC 2.0")
    assert any(line.startswith("  - status") for line in lines)
    assert lines[-1] == "  VALID"
    assert result.stderr == ""


def test_json_report_shape(cli: Run, credential: Path) -> None:
    code, reports = _report(cli, "cred.json")
    assert code == 0
    (report,) = reports
    assert set(report) == REPORT_KEYS
    assert report["file"] == "cred.json"
    assert report["kind"] == "credential"
    assert report["verified"] is True
    assert [c["check"] for c in report["checks"]] == [
        "structure",
        "context",
        "schema",
        "proof",
        "issuer",
        "validity",
        "status",
    ]
    for check in report["checks"]:
        assert {"check", "status", "code", "message"} <= set(check)
        assert check["status"] in ("pass", "fail", "warning", "skipped")


def test_a_tampered_credential_is_invalid(cli: Run, credential: Path) -> None:
    document = json.loads(credential.read_text("utf-8"))
    document["credentialSubject"]["achievement"]["name"] = "Algebra II"
    Path("tampered.json").write_text(json.dumps(document), "utf-8")
    result = cli("verify", "--offline", "tampered.json")
    assert result.exit_code == 1
    assert "✘ proof" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("  INVALID (")


def test_several_files_exit_1_when_any_is_invalid(cli: Run, credential: Path) -> None:
    Path("junk.txt").write_text("hello", "utf-8")
    code, reports = _report(cli, "cred.json", "junk.txt")
    assert code == 1
    assert [r["verified"] for r in reports] == [True, False]
    assert reports[1]["errors"] == ["unrecognized_format"]


def test_a_missing_file_exits_2_with_one_line(cli: Run, credential: Path) -> None:
    result = cli("verify", "--offline", "cred.json", "missing.json")
    assert result.exit_code == 2
    assert one_error_line(result) == "error: missing.json: no such file. [file_not_found]"
    assert result.stdout == ""


def test_skip_runs_the_remaining_checks(cli: Run, credential: Path) -> None:
    code, (report,) = _report(cli, "--skip", "status,validity", "--skip", "schema", "cred.json")
    assert code == 0
    codes = _codes(report)
    assert codes["validity"] == ["validity_skipped"]
    assert codes["schema"] == ["schema_skipped"]
    assert codes["proof"] == ["proof_valid"]
    result = cli("verify", "--skip", "proof", "cred.json")
    assert result.exit_code == 2
    assert "Cannot skip proof" in one_error_line(result)


def test_now_moves_the_validity_window(cli: Run, credential: Path) -> None:
    code, (report,) = _report(cli, "--now", "2031-06-01", "cred.json")
    assert code == 1
    assert report["errors"] == ["expired"]
    code, (report,) = _report(cli, "--now", "2029-06-01T12:00:00Z", "cred.json")
    assert code == 0
    code, (report,) = _report(cli, "--now", "2023-06-01", "cred.json")
    assert report["errors"] == ["not_yet_valid"]
    result = cli("verify", "--now", "soon", "cred.json")
    assert result.exit_code == 2
    assert "--now" in one_error_line(result)


def test_an_expired_credential_becomes_valid_with_an_earlier_now(cli: Run, issue: Run) -> None:
    result = issue("--valid-from", "2020-01-01", "--valid-until", "2021-01-01", out="old.json")
    assert result.exit_code == 0
    assert cli("verify", "--offline", "old.json").exit_code == 1
    assert cli("verify", "--offline", "--now", "2020-06-01", "old.json").exit_code == 0


def test_baked_png_and_svg(cli: Run, credential: Path) -> None:
    text = credential.read_text("utf-8")
    Path("badge.png").write_bytes(bake_png(tiny_png(), text))
    Path("badge.svg").write_bytes(bake_svg(TINY_SVG, text))
    Path("plain.png").write_bytes(tiny_png())
    code, reports = _report(cli, "badge.png", "badge.svg", "plain.png")
    assert code == 1
    assert [r["verified"] for r in reports] == [True, True, False]
    assert reports[2]["errors"] == ["no_credential_in_image"]


def test_a_jwt_and_a_baked_jwt(cli: Run, issue: Run) -> None:
    assert issue("--suite", "vc-jwt", out="cred.jwt").exit_code == 0
    token = Path("cred.jwt").read_text("utf-8").strip()
    Path("badge.png").write_bytes(bake_png(tiny_png(), token))
    code, reports = _report(cli, "cred.jwt", "badge.png")
    assert code == 0, reports
    header, payload, signature = token.split(".")
    Path("bad.jwt").write_text(f"{header}.{payload}.{signature[:-4]}AAAA", "utf-8")
    code, (report,) = _report(cli, "bad.jwt")
    assert code == 1
    assert "signature_invalid" in report["errors"]


def test_a_presentation(cli: Run, credential: Path) -> None:
    holder = KeyPair.generate()
    vp = create_presentation([json.loads(credential.read_text("utf-8"))], holder=holder.controller)
    signed = sign_presentation(vp, holder.signer(), challenge="c-123", domain="verifier.example")
    Path("vp.json").write_text(json.dumps(signed), "utf-8")
    code, (report,) = _report(
        cli, "--challenge", "c-123", "--domain", "verifier.example", "vp.json"
    )
    assert code == 0, report
    assert report["kind"] == "presentation"
    assert report["credentials"][0]["verified"] is True
    code, (report,) = _report(cli, "--challenge", "other", "vp.json")
    assert code == 1
    human = cli(
        "verify", "--offline", "--challenge", "c-123", "--domain", "verifier.example", "vp.json"
    ).stdout
    assert "presentation by " + holder.controller in human
    assert 'credential 1: "Algebra I"' in human


def _issue_as_did_web_with_status(
    issue: Run, create_status_list: Run, web: Path, list_out: Path
) -> None:
    """Sign a status list at ``list_out`` and a credential at ``cred.json`` with entry 7 in
    it, both as the did:web :data:`ISSUER` that ``web`` publishes."""
    as_issuer = ("--issuer", ISSUER, "--resolve-from", web, "--offline")
    result = create_status_list(*as_issuer, out=list_out)
    assert result.exit_code == 0, result.output
    assert issue(*as_issuer, "--status", f"{LIST_URL}#7", out="cred.json").exit_code == 0


def test_did_web_issuer_and_status_list_from_a_folder(
    cli: Run, issue: Run, create_status_list: Run, web: Path
) -> None:
    _issue_as_did_web_with_status(issue, create_status_list, web, web / "example.com/status/1.json")
    code, (report,) = _report(cli, "--resolve-from", web, "cred.json")
    assert code == 0, report
    assert _codes(report)["status"] == ["status_active"]

    result = cli(
        "status",
        "set",
        web / "example.com/status/1.json",
        "--index",
        "7",
        "--key",
        "key.json",
        "--resolve-from",
        web,
        "--offline",
    )
    assert result.exit_code == 0, result.output
    code, (report,) = _report(cli, "--resolve-from", web, "cred.json")
    assert code == 1
    assert report["errors"] == ["revoked"]
    # Skipping the status check leaves the rest valid.
    code, _ = _report(cli, "--resolve-from", web, "--skip", "status", "cred.json")
    assert code == 0


def test_offline_without_a_folder_leaves_status_unchecked(cli: Run, issue: Run) -> None:
    assert issue("--status", "https://example.com/status/1#3", out="cred.json").exit_code == 0
    code, (report,) = _report(cli, "cred.json")
    assert code == 0
    assert report["warnings"] == ["status_unchecked"]
    code, (report,) = _report(cli, "--strict", "cred.json")
    assert code == 0  # an unchecked status is a warning even when strict; unavailable is not
    result = cli("verify", "--offline", "--resolve-from", "no-such-dir", "cred.json")
    assert result.exit_code == 2
    assert "[file_not_found]" in one_error_line(result)


def test_by_default_did_web_and_status_lists_come_over_https(
    cli: Run,
    issue: Run,
    create_status_list: Run,
    web: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _issue_as_did_web_with_status(issue, create_status_list, web, tmp_path / "list.json")
    served = {
        "https://example.com/orgs/acme/did.json": (web / "example.com/orgs/acme/did.json"),
        LIST_URL: tmp_path / "list.json",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        path = served.get(str(request.url))
        if path is None:
            return httpx.Response(404)
        return httpx.Response(
            200, content=path.read_bytes(), headers={"Content-Type": "application/json"}
        )

    recorder = Recorder(answer)

    class MockedFetcher(http_resolvers.HttpJsonFetcher):
        def __init__(self, **options: Any) -> None:
            super().__init__(transport=httpx.MockTransport(recorder), **options)

    monkeypatch.setattr(http_resolvers, "HttpJsonFetcher", MockedFetcher)
    result = cli("verify", "--json", "cred.json")
    assert result.exit_code == 0, result.stdout
    assert sorted({str(r.url) for r in recorder.requests}) == sorted(served)
    recorder.requests.clear()
    assert cli("verify", "--offline", "cred.json").exit_code == 1
    assert recorder.requests == []


def test_status_list_unreachable_is_a_warning_not_a_verdict(cli: Run, issue: Run) -> None:
    # The network is blocked in tests, so the HTTPS fetch fails: reported, not "revoked".
    assert issue("--status", "https://status.example/1#3", out="cred.json").exit_code == 0
    result = cli("verify", "--json", "cred.json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["warnings"] == ["status_unavailable"]
    assert cli("verify", "--strict", "cred.json").exit_code == 1
