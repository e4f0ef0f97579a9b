"""The page layout: the start page, the page headers, HTML error pages for page routes
and problem+json everywhere else, and the static files."""

from __future__ import annotations

from pathlib import Path

from openler.api.app import create_app
from openler.config import Settings
from openler.resolvers import FolderResolver, FolderStatusFetcher
from tests.integration.api._client import TestClient


def _client(tmp_path: Path) -> TestClient:
    settings = Settings(env="test", data_dir=tmp_path / "var")
    app = create_app(
        settings, resolver=FolderResolver(tmp_path), status_fetcher=FolderStatusFetcher(tmp_path)
    )
    return TestClient(app)


def test_start_page_is_html_with_a_strict_policy(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert 'href="#main"' in response.text  # skip link
    assert '<html lang="en">' in response.text


def test_static_files_are_served(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        css = client.get("/static/openler.css")
        htmx = client.get("/static/htmx.min.js")
    assert css.status_code == 200
    assert "--brand" in css.text
    assert htmx.status_code == 200
    assert "htmx" in htmx.text


def test_api_errors_stay_problem_json(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_page_routes_answer_errors_with_html(tmp_path: Path) -> None:
    from openler.core.errors import InvalidInput
    from openler.web.templating import WebError, web_router

    settings = Settings(env="test", data_dir=tmp_path / "var")
    app = create_app(
        settings, resolver=FolderResolver(tmp_path), status_fetcher=FolderStatusFetcher(tmp_path)
    )
    router = web_router()

    @router.get("/test-web-error")
    def web_error() -> None:
        raise WebError(410, "Link expired", "This link has expired.", code="share_expired")

    @router.get("/test-core-error")
    def core_error() -> None:
        raise InvalidInput("The e-mail address is not valid.")

    app.include_router(router)
    with TestClient(app) as client:
        gone = client.get("/test-web-error")
        invalid = client.get("/test-core-error")
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("text/html")
    assert gone.headers["x-openler-error"] == "share_expired"
    assert "This link has expired." in gone.text
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("text/html")
    assert "The e-mail address is not valid." in invalid.text


def test_oversized_bodies_from_browsers_get_a_page(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path / "var", max_request_bytes=2048)
    app = create_app(
        settings, resolver=FolderResolver(tmp_path), status_fetcher=FolderStatusFetcher(tmp_path)
    )
    body = b"x" * 4096
    with TestClient(app) as client:
        page = client.post("/verify", content=body, headers={"Accept": "text/html"})
        fragment = client.post("/verify", content=body, headers={"HX-Request": "true"})
        api = client.post("/credentials/verify", content=body)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-openler-error"] == "input_too_large"
    assert "larger than 2,048 bytes" in page.text
    assert "<html" in page.text
    assert fragment.status_code == 413
    assert 'role="alert"' in fragment.text
    assert "<html" not in fragment.text
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"


def test_roster_uploads_take_their_own_cap(tmp_path: Path) -> None:
    settings = Settings(
        env="test", data_dir=tmp_path / "var", max_request_bytes=2048, max_roster_bytes=8192
    )
    app = create_app(
        settings, resolver=FolderResolver(tmp_path), status_fetcher=FolderStatusFetcher(tmp_path)
    )
    with TestClient(app) as client:
        roster = client.post("/api/v1/bulk/jobs", content=b"x" * 4096)
        console = client.post("/console/acme/bulk/new", content=b"x" * 4096)
        too_big = client.post("/api/v1/bulk/jobs", content=b"x" * 9000)
        elsewhere = client.post("/api/v1/credentials", content=b"x" * 4096)
    # Past the body cap (then refused for other reasons: no token, no session, no form).
    assert roster.status_code != 413
    assert console.status_code != 413
    assert too_big.status_code == 413
    assert too_big.json()["details"]["maxBytes"] == 8192
    assert elsewhere.status_code == 413
