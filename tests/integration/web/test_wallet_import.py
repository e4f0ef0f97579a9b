"""Importing credentials on /wallet/import, and every bad input named in issue 4: tampered
uploads, a PNG with no credential inside, oversized files, broken JSON, things that are
not credentials (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json
import struct
import zlib

import sqlalchemy as sa

from openler.core.baked import bake_png, bake_svg
from openler.store.models.learner import ImportedCredential
from tests.integration.platform.conftest import SETTINGS
from tests.integration.web._wallet_fixtures import (  # noqa: F401
    Wallet,
    dumps,
    wallet_fixture,
    web_fixture,
)

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10"/></svg>'
)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png() -> bytes:
    """A 1x1 greyscale PNG with nothing baked in."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    data = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + data + _chunk(b"IEND", b"")


def _imports(wallet: Wallet) -> list[ImportedCredential]:
    with wallet.web.session() as session:
        return list(session.scalars(sa.select(ImportedCredential)))


def test_a_pasted_credential_is_verified_and_its_report_shown_at_once(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    form = wallet.client.get("/wallet/import")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    response = wallet.import_text(dumps(wallet.foreign_credential()))
    assert response.status_code == 303
    assert "done=imported" in response.headers["location"]
    page = wallet.client.get(response.headers["location"])
    assert "The credential was imported and verified." in page.text
    # the report, at once: verified (with a warning: the issuer is not in the registry)
    assert 'class="verdict verdict-warnings"' in page.text
    assert "Not in this platform&#39;s trust registry" in page.text
    assert 'data-area="signature"' in page.text
    assert "Red Cross Local" in page.text
    record = wallet.client.get("/wallet?state=verified")
    assert "First Aid" in record.text
    skills = wallet.client.get("/wallet/skills")
    assert "collaborate through digital technologies" in skills.text


def test_a_baked_png_and_svg_are_imported(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    png = bake_png(_png(), json.dumps(wallet.foreign_credential("Welding")))
    svg = bake_svg(SVG, json.dumps(wallet.foreign_credential("Brazing")))
    for name, data, media in (("w.png", png, "image/png"), ("b.svg", svg, "image/svg+xml")):
        response = wallet.import_file(name, data, media)
        assert response.status_code == 303, response.text
        assert "done=imported" in response.headers["location"]
    record = wallet.client.get("/wallet").text
    assert "Welding" in record
    assert "Brazing" in record
    assert {row.source_format.value for row in _imports(wallet)} == {"png", "svg"}


def test_a_tampered_credential_is_kept_but_marked_and_never_counted(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    tampered = copy.deepcopy(wallet.foreign_credential())
    tampered["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    response = wallet.import_file("badge.json", dumps(tampered).encode(), "application/json")
    assert response.status_code == 303
    assert "done=imported-unverified" in response.headers["location"]
    page = wallet.client.get(response.headers["location"])
    assert "it did not verify" in page.text
    assert 'class="verdict verdict-failed"' in page.text
    assert 'data-state="unverified"' in page.text
    record = wallet.client.get("/wallet").text
    assert "Not verified: what it says about itself" in record
    assert "Brain Surgery" not in wallet.client.get("/wallet?state=verified").text
    skills = wallet.client.get("/wallet/skills").text
    assert "collaborate through digital technologies" not in skills
    assert "1 credential that did not verify is left out" in skills
    (row,) = _imports(wallet)
    assert row.verified is False


def test_a_png_with_no_credential_inside_is_refused_and_nothing_is_stored(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    response = wallet.import_file("photo.png", _png(), "image/png")
    assert response.status_code == 422
    assert response.headers["x-openler-error"] == "no_credential_in_image"
    assert "photo.png is an image with no credential baked into it" in response.text
    assert 'role="alert"' in response.text
    assert _imports(wallet) == []


def test_broken_input_is_refused_with_the_reason(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    cases = [
        ('{"@context": [', "malformed_json", "is not valid JSON"),
        ("hello there", "unrecognized_format", "is not a JSON credential"),
        (json.dumps({"type": "Assertion", "id": "https://x.example/1"}), "not_a_credential", ""),
        ("", "nothing_to_import", "Paste a credential"),
    ]
    for text, code, sentence in cases:
        response = wallet.import_text(text)
        assert response.status_code in (400, 422), (code, response.status_code)
        assert response.headers["x-openler-error"] == code
        assert sentence in response.text
    assert _imports(wallet) == []


def test_an_oversized_file_is_a_clear_page_and_nothing_is_stored(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    big = b"{" + b" " * SETTINGS.max_request_bytes + b"}"
    response = wallet.post(
        "/wallet/import",
        {"credential": ""},
        files={"file": ("huge.json", big, "application/json")},
        headers={"Accept": "text/html,application/xhtml+xml"},  # as a browser sends
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Too large" in response.text
    assert _imports(wallet) == []


def test_the_same_credential_twice_is_one_import(wallet: Wallet) -> None:
    wallet.sign_up("ada@example.org")
    text = dumps(wallet.foreign_credential())
    first = wallet.import_text(text)
    second = wallet.import_text(text)
    assert "done=reimported" in second.headers["location"]
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    assert len(_imports(wallet)) == 1


def test_importing_needs_a_signed_in_learner(wallet: Wallet) -> None:
    page = wallet.client.get("/wallet/import", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/wallet/import"
