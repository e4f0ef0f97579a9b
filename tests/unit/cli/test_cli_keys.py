"""``openler keys generate`` and ``openler did show``."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from openler.core import KeyPair
from tests.unit.cli.conftest import Run, one_error_line


def test_generate_writes_a_private_key_file_and_prints_the_did_last(
    cli: Run, tmp_path: Path
) -> None:
    result = cli("keys", "generate", "--out", "issuer.json")
    assert result.exit_code == 0, result.output
    path = tmp_path / "issuer.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pair = KeyPair.from_key_file(json.loads(path.read_text("utf-8")))
    assert pair.algorithm == "Ed25519"
    assert result.stdout.strip().splitlines()[-1] == pair.controller
    assert pair.controller.startswith("did:key:z6Mk")


def test_generate_p256(cli: Run, tmp_path: Path) -> None:
    result = cli("keys", "generate", "--out", "p256.json", "--type", "P-256")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("did:key:zDn")


def test_generate_refuses_to_overwrite_without_force(cli: Run, tmp_path: Path) -> None:
    assert cli("keys", "generate", "--out", "k.json").exit_code == 0
    before = (tmp_path / "k.json").read_text("utf-8")
    result = cli("keys", "generate", "--out", "k.json")
    assert result.exit_code == 2
    assert "[file_exists]" in one_error_line(result)
    assert (tmp_path / "k.json").read_text("utf-8") == before

    result = cli("keys", "generate", "--out", "k.json", "--force")
    assert result.exit_code == 0
    assert (tmp_path / "k.json").read_text("utf-8") != before
    assert stat.S_IMODE((tmp_path / "k.json").stat().st_mode) == 0o600


def test_generate_rejects_an_unknown_type(cli: Run) -> None:
    result = cli("keys", "generate", "--out", "k.json", "--type", "RSA")
    assert result.exit_code == 2
    assert "[usage_error]" in one_error_line(result)


def test_did_show_prints_the_did_document(cli: Run, key: KeyPair) -> None:
    result = cli("did", "show", "key.json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["id"] == key.controller
    assert document["assertionMethod"] == [key.key_id]
    assert cli("did", "show", key.controller).stdout == result.stdout


def test_did_show_with_a_missing_or_bad_file(cli: Run, tmp_path: Path) -> None:
    result = cli("did", "show", "nope.json")
    assert result.exit_code == 2
    assert one_error_line(result) == "error: nope.json: no such file. [file_not_found]"
    (tmp_path / "bad.json").write_text('{"type": "Multikey"}', "utf-8")
    result = cli("did", "show", "bad.json")
    assert result.exit_code == 2
    assert one_error_line(result).startswith("error: bad.json: ")
