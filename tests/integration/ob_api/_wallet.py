"""A scripted learner's wallet for the 1EdTech service API tests: it registers itself
(RFC 7591 with every property OB 3.0 / CLR 2.0 require), sends the learner through the
sign-in and consent form with PKCE, exchanges the code, refreshes and revokes tokens and
calls the APIs, the way a real wallet does over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openler.core.model.schema import validate_against
from openler.services.users import create_user
from tests.integration.platform.conftest import Platform

OB = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/scope/"
OB_READ, OB_UPSERT = OB + "credential.readonly", OB + "credential.upsert"
OB_PROFILE_READ, OB_PROFILE_UPDATE = OB + "profile.readonly", OB + "profile.update"
CLR_READ, CLR_UPSERT = CLR + "credential.readonly", CLR + "credential.upsert"
CLR_PROFILE_READ, CLR_PROFILE_UPDATE = CLR + "profile.readonly", CLR + "profile.update"
OB_ALL = (OB_READ, OB_UPSERT, OB_PROFILE_READ, OB_PROFILE_UPDATE)
CLR_ALL = (CLR_READ, CLR_UPSERT, CLR_PROFILE_READ, CLR_PROFILE_UPDATE)
REDIRECT = "https://wallet.example/callback"
PASSWORD = "correct horse battery staple"
IMSX_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_imsx_statusinfo_schema.json"
)


def registration(**overrides: Any) -> dict[str, Any]:
    """A registration request with every property the specifications require."""
    body = {
        "client_name": "Test Wallet",
        "client_uri": "https://wallet.example/",
        "logo_uri": "https://wallet.example/logo.png",
        "tos_uri": "https://wallet.example/terms",
        "policy_uri": "https://wallet.example/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "1.0.0",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": " ".join([*OB_ALL, *CLR_ALL, "offline_access"]),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def learner(platform: Platform, email: str = "ada@example.org") -> None:
    with platform.database.session_scope() as session:
        create_user(session, email=email, display_name="Ada L", password=PASSWORD)


def assert_imsx(response: Any, status: int, minor: str) -> dict[str, Any]:
    """An imsx_StatusInfo failure, valid against the 1EdTech schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert validate_against(body, IMSX_SCHEMA) == []
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    field_ = body["imsx_codeMinor"]["imsx_codeMinorField"][0]
    assert field_["imsx_codeMinorFieldValue"] == minor
    return body


def set_clock(platform: Platform, moment: datetime) -> None:
    platform.app.state.clock = lambda: moment


def later(platform: Platform, delta: timedelta) -> None:
    now = platform.app.state.clock()
    set_clock(platform, now + delta)


@dataclass
class Wallet:
    platform: Platform
    registered: dict[str, Any]
    verifiers: list[str] = field(default_factory=list)

    @classmethod
    def register(cls, platform: Platform, **overrides: Any) -> Wallet:
        response = platform.client.post("/oauth/register", json=registration(**overrides))
        assert response.status_code == 201, response.text
        return cls(platform, response.json())

    @property
    def client_id(self) -> str:
        return str(self.registered["client_id"])

    @property
    def secret(self) -> str | None:
        return self.registered.get("client_secret")

    def _client_auth(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, form) authenticating this client as it registered."""
        method = self.registered["token_endpoint_auth_method"]
        if method == "client_secret_basic":
            raw = f"{self.client_id}:{self.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}, form
        if method == "client_secret_post":
            return {}, {**form, "client_id": self.client_id, "client_secret": str(self.secret)}
        return {}, {**form, "client_id": self.client_id}

    def authorize(
        self, email: str, scopes: Iterable[str], *, state: str = "xyz"
    ) -> tuple[str, str, str]:
        """(code, the scope the redirect confirmed, the PKCE verifier)."""
        verifier = secrets.token_urlsafe(48)
        page = self.platform.client.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": REDIRECT,
                "scope": " ".join(scopes),
                "state": state,
                "code_challenge": challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200, page.text
        assert "<script" not in page.text
        token = re.search(r'name="request" value="([^"]+)"', page.text)
        assert token is not None
        answer = self.platform.client.post(
            "/oauth/authorize",
            data={
                "request": token.group(1),
                "email": email,
                "password": PASSWORD,
                "decision": "approve",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        location = urlsplit(answer.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        query = parse_qs(location.query)
        assert query["state"] == [state]
        return query["code"][0], query["scope"][0], verifier

    def token(self, **form: str) -> Any:
        headers, body = self._client_auth(form)
        return self.platform.client.post("/oauth/token", data=body, headers=headers)

    def exchange(self, code: str, verifier: str, **extra: str) -> Any:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        return self.token(**{**form, **extra})

    def login(self, email: str, scopes: Iterable[str]) -> dict[str, Any]:
        code, _, verifier = self.authorize(email, scopes)
        response = self.exchange(code, verifier)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def refresh(self, refresh_token: str, **extra: str) -> Any:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token, **extra)

    def revoke(self, token: str, **extra: str) -> Any:
        headers, body = self._client_auth({"token": token, **extra})
        return self.platform.client.post("/oauth/revoke", data=body, headers=headers)

    def call(self, method: str, path: str, access_token: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
        return self.platform.client.request(method, path, headers=headers, **kwargs)
