"""The Service Description Documents against what OB 3.0 / CLR 2.0 require of them
(ServiceDescriptionDocument, OpenApiInfo, OpenApiOAuth2SecurityScheme), and their caching."""

from __future__ import annotations

import pytest

from openler.api.ims_discovery import discovery_document
from openler.api.obapi import OB_SERVICE
from openler.config import Settings
from tests.integration.ob_api._wallet import CLR_ALL, OB_ALL
from tests.integration.platform.conftest import Platform


@pytest.mark.parametrize(
    ("prefix", "scopes"), [("/ims/ob/v3p0", OB_ALL), ("/ims/clr/v2p0", CLR_ALL)]
)
def test_the_document_has_what_the_specifications_require(
    platform: Platform, prefix: str, scopes: tuple[str, ...]
) -> None:
    response = platform.client.get(f"{prefix}/discovery")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    info = document["info"]
    assert info["title"]
    assert info["version"]
    assert info["termsOfService"] == "https://issuer.example/"
    assert info["x-imssf-privacyPolicyUrl"] == "https://issuer.example/"
    assert info["x-imssf-image"].startswith("data:image/svg+xml;base64,")
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == "https://issuer.example/oauth/register"
    assert scheme["x-imssf-privacyPolicyUrl"] == "https://issuer.example/"
    assert scheme["x-imssf-termsOfServiceUrl"] == "https://issuer.example/"
    assert scheme["x-imssf-name"]
    assert scheme["x-openler-revocationUrl"] == "https://issuer.example/oauth/revoke"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "https://issuer.example/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == "https://issuer.example/oauth/token"
    assert list(flow["scopes"]) == list(scopes)
    paths = document["paths"]
    operations = {
        (path, method): op["operationId"]
        for path, ops in paths.items()
        for method, op in ops.items()
    }
    assert operations == {
        ("/credentials", "get"): "getCredentials",
        ("/credentials", "post"): "upsertCredential",
        ("/profile", "get"): "getProfile",
        ("/profile", "put"): "putProfile",
        ("/discovery", "get"): "getServiceDescription",
    }
    assert paths["/discovery"]["get"]["security"] == []
    needed = {
        op["operationId"]: op["security"][0]["OAuth2ACG"][0]
        for ops in paths.values()
        for op in ops.values()
        if op["security"]
    }
    assert sorted(needed.values()) == sorted(scopes)
    assert needed["getCredentials"].endswith("credential.readonly")
    assert needed["putProfile"].endswith("profile.update")
    names = {p["name"] for p in paths["/credentials"]["get"]["parameters"]}
    assert names == {"limit", "offset", "since"}
    assert set(paths["/credentials"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "application/vc+ld+json",
        "text/plain",
    }


def test_the_document_is_cacheable(platform: Platform) -> None:
    first = platform.client.get("/ims/ob/v3p0/discovery")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=3600"
    again = platform.client.get("/ims/ob/v3p0/discovery", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = platform.client.get("/ims/ob/v3p0/discovery", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200
    clr = platform.client.get("/ims/clr/v2p0/discovery")
    assert clr.headers["etag"] != etag


def test_the_policies_come_from_the_settings() -> None:
    settings = Settings(
        env="test",
        base_url="https://issuer.example",
        privacy_policy_url="https://issuer.example/privacy",
        terms_of_service_url="https://issuer.example/terms",
    )
    document = discovery_document(OB_SERVICE, settings)
    assert document["info"]["x-imssf-privacyPolicyUrl"] == "https://issuer.example/privacy"
    assert document["info"]["termsOfService"] == "https://issuer.example/terms"
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-termsOfServiceUrl"] == "https://issuer.example/terms"
    assert scheme["x-imssf-privacyPolicyUrl"] == "https://issuer.example/privacy"
