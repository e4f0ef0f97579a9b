"""``openler status create | set | check``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openler.core import KeyPair
from openler.core.status import Bitstring
from tests.unit.cli.conftest import LIST_URL, Run, one_error_line, write_json


def _load(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text("utf-8"))  # type: ignore[no-any-return]


def _bits(path: str | Path) -> Bitstring:
    return Bitstring.decode(_load(path)["credentialSubject"]["encodedList"])


@pytest.fixture
def status_list(create_status_list: Run) -> Path:
    result = create_status_list()
    assert result.exit_code == 0, result.output
    return Path("list.json").resolve()


def _issue_with_status(issue: Run, index: int, purpose: str = "revocation") -> None:
    result = issue("--status", f"{LIST_URL}#{index}", "--status-purpose", purpose, out="cred.json")
    assert result.exit_code == 0, result.output


def test_create_signs_an_all_clear_list(cli: Run, key: KeyPair, status_list: Path) -> None:
    document = _load(status_list)
    assert document["id"] == LIST_URL
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["issuer"] == key.controller
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    bits = _bits(status_list)
    assert bits.length == 131_072
    assert not list(bits.set_indexes())
    result = cli("verify", "--offline", "--json", "list.json")
    assert json.loads(result.stdout)[0]["errors"] == []


def test_create_refuses_a_short_list(create_status_list: Run) -> None:
    result = create_status_list("--length", "8")
    assert result.exit_code == 2
    assert "131,072" in one_error_line(result)
    assert not Path("list.json").exists()


def test_set_check_and_clear(cli: Run, issue: Run, status_list: Path) -> None:
    _issue_with_status(issue, 42)
    result = cli("status", "check", "cred.json", "--list", "list.json")
    assert (result.exit_code, result.stdout) == (0, "revocation entry 42: active\n")

    result = cli("status", "set", "list.json", "--index", "42", "--key", "key.json")
    assert result.exit_code == 0, result.output
    assert "revoked" in result.stdout
    assert list(_bits(status_list).set_indexes()) == [42]
    result = cli("status", "check", "cred.json", "--list", "list.json")
    assert (result.exit_code, result.stdout) == (1, "revocation entry 42: revoked\n")
    assert cli("verify", "--offline", "list.json").exit_code == 0  # re-signed

    result = cli("status", "set", "list.json", "--index", "42", "--clear", "--key", "key.json")
    assert result.exit_code == 0
    assert cli("status", "check", "cred.json", "--list", "list.json").exit_code == 0


def test_set_with_out_leaves_the_original(cli: Run, status_list: Path) -> None:
    before = status_list.read_text("utf-8")
    result = cli(
        "status", "set", "list.json", "--index", "5", "--key", "key.json", "--out", "next.json"
    )
    assert result.exit_code == 0, result.output
    assert status_list.read_text("utf-8") == before
    assert list(_bits("next.json").set_indexes()) == [5]


def test_suspension(cli: Run, issue: Run, create_status_list: Run) -> None:
    assert create_status_list("--purpose", "suspension").exit_code == 0
    _issue_with_status(issue, 3, "suspension")
    assert cli("status", "set", "list.json", "--index", "3", "--key", "key.json").exit_code == 0
    result = cli("status", "check", "cred.json", "--list", "list.json")
    assert (result.exit_code, result.stdout) == (1, "suspension entry 3: suspended\n")


def test_set_refuses_another_issuers_key(cli: Run, status_list: Path, tmp_path: Path) -> None:
    write_json(tmp_path / "other.json", KeyPair.generate().to_key_file())
    result = cli("status", "set", "list.json", "--index", "1", "--key", "other.json")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[key_not_authorized]")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--index", "131072"), "status_index_out_of_range"),
        (("--index", "-1"), "usage_error"),
    ],
)
def test_set_bad_index(cli: Run, status_list: Path, args: tuple[str, ...], code: str) -> None:
    result = cli("status", "set", "list.json", "--key", "key.json", *args)
    assert result.exit_code == 2
    assert one_error_line(result).endswith(f"[{code}]")


@pytest.mark.usefixtures("status_list")
def test_check_a_credential_from_another_list(cli: Run, issue: Run) -> None:
    result = issue("--status", "https://example.com/status/2#1", out="c.json")
    assert result.exit_code == 0
    result = cli("status", "check", "c.json", "--list", "list.json")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[no_status_entry]")


def test_set_on_something_that_is_not_a_list(cli: Run, key: KeyPair, achievement: Path) -> None:
    result = cli("status", "set", "achievement.json", "--index", "1", "--key", "key.json")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("[status_list_type_mismatch]")
