"""The public verify page (``/verify``): paste, upload or share link in; the verdict, the
checks in plain language and the credential for humans out.

The application resolves keys and status lists from a folder (never the network) and
checks validity dates against a fixed clock. The HTML is read with the standard
library's parser (see :func:`grab`)."""

from __future__ import annotations

import copy
import json
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from bench.sample import realistic_credential
from openler.api import create_app
from openler.api.middleware import RateLimit
from openler.config import Settings
from openler.core import KeyPair, create_presentation, issue, issue_jwt, sign, sign_presentation
from openler.core.baked import bake_png, bake_svg
from openler.core.status import Bitstring, build_status_list_credential, status_entry
from openler.resolvers import FolderResolver, FolderStatusFetcher
from openler.services.trust import RegistryEntry
from openler.store.db import Database
from openler.store.models import TrustedIssuer
from tests.integration.api._client import TestClient
from tests.unit._http_fakes import block_network

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SIGNED_AT = NOW - timedelta(days=1)
ISSUER_KEY = KeyPair.from_seed(bytes(range(32)))
HOLDER_KEY = KeyPair.from_seed(bytes(range(1, 33)))
REVOCATIONS = "https://riverside.example.edu/status/1"
SUSPENSIONS = "https://riverside.example.edu/status/2"
MISSING_LIST = "https://riverside.example.edu/status/404"
REVOKED, SUSPENDED = 7, 9
MAX_BYTES = 64 * 1024
VECTORS = Path(__file__).parents[2] / "vectors" / "examples"

MakeApp = Callable[..., FastAPI]


# -- reading the page -----------------------------------------------------------------------


_VOID = frozenset({"input", "img", "br", "meta", "link", "hr"})
_BLOCKS = frozenset({"p", "li", "dt", "dd", "td", "th", "br", "div", "h2", "h3", "h4", "h5"})


class _Grab(HTMLParser):
    """The text of every element matching ``match(tag, attrs)`` (nesting-aware)."""

    def __init__(self, match: Callable[[str, Mapping[str, str | None]], bool]) -> None:
        super().__init__()
        self.match = match
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: list[Any] | None = None  # [tag, depth, parts, attrs]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open is None:
            if self.match(tag, dict(attrs)):
                if tag in _VOID:
                    self.found.append((dict(attrs), ""))
                else:
                    self._open = [tag, 1, [], dict(attrs)]
        else:
            if tag in _BLOCKS:
                self._open[2].append(" ")
            if tag == self._open[0]:
                self._open[1] += 1

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self._open[1] -= 1
            if self._open[1] == 0:
                text = " ".join("".join(self._open[2]).split())
                self.found.append((self._open[3], text))
                self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2].append(data)


def grab(html: str, **attrs: str) -> list[tuple[dict[str, str | None], str]]:
    """Elements whose attributes include ``attrs`` (``class_`` matches one class)."""

    def match(_tag: str, found: Mapping[str, str | None]) -> bool:
        for key, wanted in attrs.items():
            name = key.rstrip("_").replace("_", "-")
            value = found.get(name) or ""
            if name == "class" and wanted not in value.split():
                return False
            if name != "class" and value != wanted:
                return False
        return True

    parser = _Grab(match)
    parser.feed(html)
    return parser.found


def verdict(html: str) -> tuple[str, str]:
    """The overall verdict: (verified | warnings | failed, its text)."""
    [(attrs, text)] = grab(html, role="status")
    classes = (attrs.get("class") or "").split()
    status = next(c.removeprefix("verdict-") for c in classes if c.startswith("verdict-"))
    return status, text


def row(html: str, area: str) -> tuple[str, str]:
    """A check row: (pass | fail | warning | skipped, its text)."""
    found = grab(html, data_area=area)
    assert found, f"no {area} row"
    attrs, text = found[0]
    classes = (attrs.get("class") or "").split()
    return next(c.removeprefix("check-") for c in classes if c != "check-row"), text


def page_text(html: str) -> str:
    [(_, text)] = grab(html, id="verify-result")
    return text


# -- the application ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)


def _status_list(url: str, purpose: str, index: int) -> dict[str, Any]:
    bits = Bitstring()
    bits.set(index)
    unsigned = build_status_list_credential(
        list_id=url,
        issuer=ISSUER_KEY.controller,
        purpose=purpose,  # type: ignore[arg-type]
        bitstring=bits,
        valid_from=SIGNED_AT,
    )
    return sign(unsigned, ISSUER_KEY.signer(), created=SIGNED_AT)


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A folder mirror of the web: a revocation list (7 revoked), a suspension list (9)."""
    root = tmp_path / "web"
    for url, purpose, index in (
        (REVOCATIONS, "revocation", REVOKED),
        (SUSPENSIONS, "suspension", SUSPENDED),
    ):
        target = root / (url.removeprefix("https://") + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(_status_list(url, purpose, index)), encoding="utf-8")
    return root


class Recording:
    """A resolver and status fetcher over a folder that records what was asked."""

    def __init__(self, root: Path) -> None:
        self.resolver = FolderResolver(root)
        self.fetcher = FolderStatusFetcher(root)
        self.asked: list[str] = []

    def resolve(self, identifier: str) -> Mapping[str, Any]:
        self.asked.append(identifier)
        return self.resolver.resolve(identifier)

    def fetch(self, url: str) -> Mapping[str, Any]:
        self.asked.append(url)
        return self.fetcher.fetch(url)


@pytest.fixture
def recording(web: Path) -> Recording:
    return Recording(web)


@pytest.fixture
def make_app(tmp_path: Path, recording: Recording) -> MakeApp:
    def build(**kwargs: Any) -> FastAPI:
        settings = Settings(env="test", data_dir=tmp_path / "var", max_request_bytes=MAX_BYTES)
        kwargs.setdefault("resolver", recording)
        kwargs.setdefault("status_fetcher", recording)
        kwargs.setdefault("clock", lambda: NOW)
        return create_app(kwargs.pop("settings", settings), **kwargs)

    return build


@pytest.fixture
def client(make_app: MakeApp) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


def credential(
    *,
    status: tuple[str, int, str] | None = None,
    valid_from: datetime = SIGNED_AT,
    valid_until: datetime | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """An unsigned OB 3.0 credential from the did:key issuer."""
    doc = realistic_credential(1)
    doc["issuer"]["id"] = ISSUER_KEY.controller
    doc["validFrom"] = f"{valid_from:%Y-%m-%dT%H:%M:%SZ}"
    if valid_until is not None:
        doc["validUntil"] = f"{valid_until:%Y-%m-%dT%H:%M:%SZ}"
    del doc["credentialStatus"]
    if status is not None:
        url, index, purpose = status
        doc["credentialStatus"] = status_entry(url, index, purpose)  # type: ignore[arg-type]
    doc.update(changes)
    return doc


def signed(doc: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    return issue(doc or credential(**kwargs), ISSUER_KEY.signer(), created=SIGNED_AT)


def paste(client: TestClient, text: str | Mapping[str, Any], **headers: str) -> Any:
    body = text if isinstance(text, str) else json.dumps(text)
    return client.post("/verify", data={"credential": body}, headers=headers)


def upload(client: TestClient, name: str, data: bytes, media_type: str) -> Any:
    return client.post("/verify", files={"file": (name, data, media_type)})


def png(*extra: bytes) -> bytes:
    """A 1x1 greyscale PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + pixels + chunk(b"IEND", b"")


# -- the form ---------------------------------------------------------------------------------


def test_the_form_works_with_and_without_javascript(client: TestClient) -> None:
    response = client.get("/verify")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    html = response.text
    [(form, _)] = grab(html, class_="verify-form")
    assert form["method"] == "post"
    assert form["action"] == "/verify"  # works without JavaScript
    assert form["enctype"] == "multipart/form-data"
    assert form["hx-post"] == "/verify"
    assert form["hx-target"] == "#verify-result"
    assert '<label for="credential">' in html
    assert '<label for="file">' in html
    assert "at most 64 KB" in html
    assert "csrf_token" not in form  # anonymous: no session, no token
    assert grab(html, id="verify-result")


def test_nothing_to_verify_is_a_clear_422(client: TestClient) -> None:
    response = client.post("/verify", data={"credential": "  "})
    assert response.status_code == 422
    assert response.headers["x-openler-error"] == "nothing_to_verify"
    [(_, alert)] = grab(response.text, role="alert")
    assert "Paste a credential" in alert


# -- verdicts ---------------------------------------------------------------------------------


def test_a_valid_credential_is_verified_and_rendered(client: TestClient) -> None:
    doc = signed(status=(REVOCATIONS, 3, "revocation"))
    response = paste(client, doc)
    assert response.status_code == 200, response.text
    html = response.text
    status, text = verdict(html)
    assert status == "verified"
    assert "Verified" in text
    sig_status, sig_text = row(html, "signature")
    assert sig_status == "pass"
    assert "eddsa-rdfc-2022" in sig_text
    assert ISSUER_KEY.controller in sig_text  # which key
    assert row(html, "issuer") == ("pass", row(html, "issuer")[1])
    assert "Riverside Community College" in row(html, "issuer")[1]
    assert row(html, "status")[0] == "pass"
    assert "Active" in row(html, "status")[1]
    assert row(html, "validity")[0] == "pass"
    assert "1 March 2026" in row(html, "validity")[1]
    assert row(html, "schema")[0] == "pass"
    # then the credential for humans, then the raw JSON in a <details>
    text = page_text(html)
    assert text.index("Checks") < text.index("Certified Welding Technician")
    assert "Final grade" in text
    assert "Letter grade" in text
    assert "Open Skills Network" in text
    assert "Skill 0: Weld Inspection" in text
    assert "Pass the AWS D1.1 structural performance test" in text
    [(_, raw)] = grab(html, class_="raw-json")
    assert doc["proof"]["proofValue"] in raw
    # the order on the page: verdict, checks, credential, raw JSON
    assert html.index('role="status"') < html.index('data-area="signature"')
    assert html.index('data-area="signature"') < html.index('class="credential ')
    assert html.index('class="credential ') < html.index("raw-json")


def test_a_tampered_credential_fails_its_signature(client: TestClient) -> None:
    doc = signed()
    doc["credentialSubject"]["achievement"]["name"] = "Master Welder"
    html = paste(client, doc).text
    status, text = verdict(html)
    assert status == "failed"
    assert "Not verified" in text
    sig_status, sig_text = row(html, "signature")
    assert sig_status == "fail"
    assert "signature does not match" in sig_text
    assert "not confirmed" in row(html, "issuer")[1]


def test_revoked(client: TestClient) -> None:
    html = paste(client, signed(status=(REVOCATIONS, REVOKED, "revocation"))).text
    status, text = verdict(html)
    assert (status, text.split()[1]) == ("failed", "Revoked")
    row_status, row_text = row(html, "status")
    assert row_status == "fail"
    assert row_text.startswith("✗ Fail Status: Revoked")
    assert row(html, "signature")[0] == "pass"  # authentic, but revoked


def test_suspended(client: TestClient) -> None:
    html = paste(client, signed(status=(SUSPENSIONS, SUSPENDED, "suspension"))).text
    assert verdict(html)[0] == "failed"
    assert "Suspended" in verdict(html)[1]
    row_status, row_text = row(html, "status")
    assert row_status == "fail"
    assert "Status: Suspended" in row_text
    assert "Revoked" not in row_text


def test_an_unreachable_status_list_is_a_warning_not_revoked(
    client: TestClient, recording: Recording
) -> None:
    html = paste(client, signed(status=(MISSING_LIST, 3, "revocation"))).text
    status, text = verdict(html)
    assert status == "warnings"
    assert "Verified, with warnings" in text
    row_status, row_text = row(html, "status")
    assert row_status == "warning"
    assert "Status: Status unavailable" in row_text
    assert "does not mean the credential is revoked" in row_text
    assert "Status: Revoked" not in row_text
    assert MISSING_LIST in recording.asked
    assert str(recording.fetcher.root) not in row_text.split("Technical details")[0]


def test_expired(client: TestClient) -> None:
    doc = signed(valid_from=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=30))
    html = paste(client, doc).text
    assert verdict(html)[0] == "failed"
    assert "Expired" in verdict(html)[1]
    row_status, row_text = row(html, "validity")
    assert row_status == "fail"
    assert "Expired on 31 January 2026" in row_text


def test_not_yet_valid(client: TestClient) -> None:
    html = paste(client, signed(valid_from=NOW + timedelta(days=10))).text
    assert verdict(html)[0] == "failed"
    row_status, row_text = row(html, "validity")
    assert row_status == "fail"
    assert "Not valid until 12 March 2026" in row_text


def test_a_vc_jwt_is_verified(client: TestClient) -> None:
    token = issue_jwt(credential(), ISSUER_KEY.signer(), issued_at=SIGNED_AT)
    html = paste(client, token).text
    assert verdict(html)[0] == "verified"
    sig_status, sig_text = row(html, "signature")
    assert sig_status == "pass"
    assert "VC-JWT (EdDSA)" in sig_text
    assert "Certified Welding Technician" in page_text(html)
    [(_, raw)] = grab(html, class_="raw-json")
    assert token in raw
    assert '"Riverside Community College"' in raw


def test_an_enveloped_vc_jwt_is_verified(client: TestClient) -> None:
    token = issue_jwt(credential(), ISSUER_KEY.signer(), issued_at=SIGNED_AT)
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": "data:application/vc+jwt," + token,
        "type": "EnvelopedVerifiableCredential",
    }
    assert verdict(paste(client, envelope).text)[0] == "verified"


# -- uploads ----------------------------------------------------------------------------------


def test_a_baked_png_upload_is_verified(client: TestClient) -> None:
    baked = bake_png(png(), json.dumps(signed()))
    response = upload(client, "badge.png", baked, "image/png")
    assert response.status_code == 200, response.text
    assert verdict(response.text)[0] == "verified"
    assert "badge.png (baked PNG image)" in page_text(response.text)


def test_a_baked_svg_with_a_jwt_is_verified(client: TestClient) -> None:
    token = issue_jwt(credential(), ISSUER_KEY.signer(), issued_at=SIGNED_AT)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    response = upload(client, "badge.svg", bake_svg(svg, token), "image/svg+xml")
    assert verdict(response.text)[0] == "verified"
    assert "badge.svg (baked SVG image (VC-JWT))" in page_text(response.text)


def test_a_json_file_upload_is_verified(client: TestClient) -> None:
    response = upload(client, "badge.json", json.dumps(signed()).encode(), "application/json")
    assert verdict(response.text)[0] == "verified"


def test_a_png_with_no_credential_gets_a_clear_message(client: TestClient) -> None:
    response = upload(client, "photo.png", png(), "image/png")
    assert response.status_code == 422
    assert response.headers["x-openler-error"] == "no_credential_in_image"
    [(_, alert)] = grab(response.text, role="alert")
    assert "No credential in this image" in alert
    assert "photo.png is an image with no credential baked into it" in alert
    [(attrs, _)] = grab(response.text, id="file")
    assert attrs["aria-invalid"] == "true"


def test_an_oversized_upload_is_refused_before_it_is_read(client: TestClient) -> None:
    big = png() + b"\x00" * (MAX_BYTES + 1)
    response = upload(client, "huge.png", big, "image/png")
    assert response.status_code == 413
    assert "larger than 65,536 bytes" in response.text


def test_pasting_more_than_the_cap_is_refused(client: TestClient) -> None:
    response = paste(client, "{" + " " * MAX_BYTES + "}")
    assert response.status_code == 413


def test_malformed_json_is_a_4xx_page_that_keeps_the_text(client: TestClient) -> None:
    response = paste(client, '{"type": ["VerifiableCredential"], "issuer": }')
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-openler-error"] == "malformed_json"
    [(_, alert)] = grab(response.text, role="alert")
    assert "This is not valid JSON" in alert
    assert "line 1, column 46" in alert
    [(attrs, kept)] = grab(response.text, id="credential")
    assert attrs["aria-invalid"] == "true"
    assert kept.startswith('{"type"')


def test_unrecognised_text_and_json_lists_are_explained(client: TestClient) -> None:
    text = paste(client, "hello there")
    assert (text.status_code, text.headers["x-openler-error"]) == (422, "unrecognized_format")
    listing = paste(client, "[{}]")
    assert listing.status_code == 422
    assert "paste one credential" in grab(listing.text, role="alert")[0][1]


def test_text_and_a_file_together_are_refused(client: TestClient) -> None:
    response = client.post(
        "/verify",
        data={"credential": json.dumps(signed())},
        files={"file": ("b.json", json.dumps(signed()).encode(), "application/json")},
    )
    assert response.status_code == 422
    assert response.headers["x-openler-error"] == "two_inputs"


# -- share links: redirect to our own, never fetch others ------------------------------------


def test_a_share_link_of_this_site_redirects(client: TestClient, recording: Recording) -> None:
    for link in (
        "http://testserver/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4",
        "http://localhost:8000/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4/",
        "/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4",
    ):
        response = client.post("/verify", data={"credential": link}, follow_redirects=False)
        assert response.status_code == 303, link
        assert response.headers["location"] == "/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4"
    htmx = client.post(
        "/verify",
        data={"credential": "/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4"},
        headers={"HX-Request": "true"},
    )
    assert htmx.headers["hx-redirect"] == "/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4"
    assert recording.asked == []


def test_other_addresses_are_never_fetched(client: TestClient, recording: Recording) -> None:
    for link in (
        "https://evil.example/s/Zm9vYmFyYmF6cXV4LTEyMzQ1Njc4",
        "https://169.254.169.254/latest/meta-data",
        "http://testserver/admin",
        "file:///etc/passwd",
    ):
        response = client.post("/verify", data={"credential": link}, follow_redirects=False)
        assert response.status_code == 422, link
    assert recording.asked == []
    foreign = client.post("/verify", data={"credential": "https://evil.example/s/abcdefgh12"})
    assert "never fetches other addresses" in grab(foreign.text, role="alert")[0][1]


# -- htmx, rate limit -------------------------------------------------------------------------


def test_htmx_gets_only_the_result_region(client: TestClient) -> None:
    ok = paste(client, signed(), **{"HX-Request": "true"})
    assert ok.status_code == 200
    assert "<html" not in ok.text
    assert verdict(ok.text)[0] == "verified"
    bad = paste(client, "{oops", **{"HX-Request": "true"})
    assert bad.status_code == 200  # so that htmx swaps it in
    assert bad.headers["x-openler-error"] == "malformed_json"
    assert "<html" not in bad.text
    assert grab(bad.text, role="alert")


def test_the_verify_page_is_rate_limited(make_app: MakeApp) -> None:
    app = make_app(rate_limit=RateLimit(per_second=0.001, burst=2))
    with TestClient(app) as limited:
        codes = [paste(limited, "{").status_code for _ in range(3)]
    assert codes[:2] == [400, 400]
    assert codes[2] == 429


# -- trust, endorsements, CLR, presentations -------------------------------------------------


class _Snapshot:
    def __init__(self, entries: Mapping[str, RegistryEntry]) -> None:
        self._entries = entries

    def entries(self, _database: Any) -> Mapping[str, RegistryEntry]:
        return self._entries


def test_a_trusted_issuer_is_shown_with_its_accreditation(make_app: MakeApp) -> None:
    app = make_app()
    entry = RegistryEntry(ISSUER_KEY.controller, "Riverside CC", "Regionally accredited", True)
    app.state.trust_snapshot = _Snapshot({ISSUER_KEY.controller: entry})
    with TestClient(app) as trusted_client:
        html = paste(trusted_client, signed()).text
    issuer_status, issuer_text = row(html, "issuer")
    assert issuer_status == "pass"
    assert "Issuer: Trusted" in issuer_text
    assert "as Riverside CC (Regionally accredited)" in issuer_text
    assert "Trusted issuer" in page_text(html)
    assert verdict(html)[0] == "verified"


def test_an_issuer_outside_the_registry_is_a_warning(make_app: MakeApp) -> None:
    app = make_app()
    app.state.trust_snapshot = _Snapshot({})
    with TestClient(app) as untrusted_client:
        html = paste(untrusted_client, signed()).text
    assert row(html, "issuer")[0] == "warning"
    assert "Not in this platform's trust registry" in row(html, "issuer")[1]
    assert verdict(html)[0] == "warnings"


def test_the_trust_registry_is_read_from_the_database(
    make_app: MakeApp, database: Database
) -> None:
    with database.session_scope() as session:
        entry = TrustedIssuer(
            issuer_id=ISSUER_KEY.controller, name="Riverside (registry)", accreditation=None
        )
        session.add(entry)
    try:
        with TestClient(make_app(database=database)) as db_client:
            html = paste(db_client, signed()).text
    finally:
        with database.session_scope() as session:
            session.delete(session.get(TrustedIssuer, entry.id))
    assert "as Riverside (registry)" in row(html, "issuer")[1]
    assert row(html, "issuer")[0] == "pass"


def test_an_endorsement_credential_is_rendered(client: TestClient) -> None:
    doc = json.loads((VECTORS / "ob3-spec" / "endorsement.json").read_text())
    doc["issuer"]["id"] = ISSUER_KEY.controller
    doc["validFrom"] = f"{SIGNED_AT:%Y-%m-%dT%H:%M:%SZ}"
    for key in ("credentialStatus", "refreshService", "credentialSchema"):
        doc.pop(key)
    doc["@context"] = doc["@context"][:2]
    html = paste(client, signed(doc)).text
    assert verdict(html)[0] == "verified"
    text = page_text(html)
    assert "Endorsement" in text
    assert "1EdTech University is in good standing" in text
    [(_, endorsed)] = [f for f in grab(html, class_="facts") if "Endorses" in f[1]]
    assert "Endorses https://1edtech.edu/issuers/565049" in endorsed
    assert "State Department of Education" in text


def test_an_embedded_endorsement_is_verified_too(client: TestClient) -> None:
    endorsement = signed(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": "urn:uuid:6c1e3a40-0000-4000-8000-000000000001",
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": "Welding association endorsement",
            "issuer": {"id": ISSUER_KEY.controller, "type": ["Profile"], "name": "Welders Guild"},
            "validFrom": f"{SIGNED_AT:%Y-%m-%dT%H:%M:%SZ}",
            "credentialSubject": {
                "id": "https://riverside.example.edu/achievements/welding-tech",
                "type": ["EndorsementSubject"],
                "endorsementComment": "Meets the guild's shop standard.",
            },
        }
    )
    doc = credential()
    doc["credentialSubject"]["achievement"]["endorsement"] = [endorsement]
    forged = copy.deepcopy(endorsement)
    forged["id"] = "urn:uuid:6c1e3a40-0000-4000-8000-000000000002"
    forged["credentialSubject"]["endorsementComment"] = "Forged praise."
    doc["endorsement"] = [forged]
    html = paste(client, signed(doc)).text
    [(_, section)] = list(grab(html, class_="endorsements"))
    assert "Welders Guild endorses the achievement" in section
    assert "Meets the guild's shop standard." in section
    assert "Its signature and issuer are confirmed." in section
    assert "Forged praise." in section
    assert "signature does not match" in section


def test_a_clr_is_rendered_with_its_achievements(client: TestClient) -> None:
    doc = json.loads((VECTORS / "1edtech-validator" / "clr20" / "complex.json").read_text())
    response = paste(client, doc)
    assert response.status_code == 200
    text = page_text(response.text)
    assert "Comprehensive Learner Record" in text
    assert "Achievements in this record (6)" in text
    for name in ("Nurse Assistant 1 Program with Licensure", "Health Careers 1"):
        assert name in text
    assert "How the achievements relate" in text
    assert "is parent of" in text
    assert "Oregon State Board of Nursing endorses the achievement" in text


def test_a_presentation_shows_each_credential(client: TestClient) -> None:
    vp = create_presentation(
        [signed(), signed(status=(REVOCATIONS, REVOKED, "revocation"))],
        holder=HOLDER_KEY.controller,
    )
    vp = sign_presentation(vp, HOLDER_KEY.signer(), challenge="c-1", created=SIGNED_AT)
    html = paste(client, vp).text
    assert verdict(html)[0] == "failed"
    text = page_text(html)
    assert "Presentation checks" in text
    assert "Credential 1 of 2" in text
    assert "Credential 2 of 2" in text
    statuses = [attrs.get("class") for attrs, _ in grab(html, data_area="status")]
    assert statuses == ["check-row check-skipped", "check-row check-fail"]
    assert "not bound to a challenge from this verifier" in text
