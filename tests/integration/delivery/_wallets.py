"""Scripted wallets that play the delivery protocols over HTTP against the application,
as the real ones do: the Learner Credential Wallet (VC-API exchange, DIDAuthentication)
and a generic OpenID4VCI wallet (pre-authorized code flow, proof JWT)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openler.core import KeyPair, create_presentation, sign_presentation
from tests.integration.api._client import TestClient
from tests.integration.platform.conftest import SETTINGS

VC_V1 = "https://www.w3.org/2018/credentials/v1"


def path_of(url: str) -> str:
    """The in-process path of an absolute URL of the deployment."""
    assert url.startswith(SETTINGS.base_url + "/"), url
    return url.removeprefix(SETTINGS.base_url)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class LcwWallet:
    """Plays the Learner Credential Wallet: a did:key holder that answers a VC-API
    DIDAuthentication request with a presentation signed for ``authentication``.

    ``legacy``: a VC 1.1 presentation signed with Ed25519Signature2020 (what the LCW's
    Digital Bazaar stack produces); otherwise VC 2.0 with eddsa-rdfc-2022."""

    client: TestClient
    legacy: bool = True
    key: KeyPair = field(default_factory=KeyPair.generate)
    log: list[Any] = field(default_factory=list)

    @property
    def did(self) -> str:
        return self.key.controller

    @staticmethod
    def exchange_from_deep_link(link: str) -> str:
        """The exchange URL inside an LCW deep link (``…/request?request=<json>``)."""
        query = parse_qs(urlsplit(link).query)
        request = json.loads(query["request"][0])
        assert request["credentialRequestOrigin"] == SETTINGS.base_url
        return str(request["protocols"]["vcapi"])

    def did_auth(
        self,
        *,
        challenge: str | None,
        domain: str | None,
        holder: str | None = None,
        signer: KeyPair | None = None,
        created: datetime | None = None,
    ) -> dict[str, Any]:
        holder = holder or self.did
        if self.legacy:
            unsigned: dict[str, Any] = {
                "@context": [VC_V1],
                "type": ["VerifiablePresentation"],
                "holder": holder,
            }
            suites = ["Ed25519Signature2020"]
        else:
            unsigned = create_presentation([], holder=holder)
            unsigned.pop("verifiableCredential")
            suites = ["eddsa-rdfc-2022"]
        return sign_presentation(
            unsigned,
            (signer or self.key).signer(),
            challenge=challenge,
            domain=domain,
            suites=suites,
            created=created,
        )

    def start(self, exchange_url: str) -> Any:
        response = self.client.post(path_of(exchange_url), json={})
        self.log.append(response)
        return response

    def answer(self, endpoint: str, presentation: Mapping[str, Any]) -> Any:
        response = self.client.post(
            path_of(endpoint), json={"verifiablePresentation": dict(presentation)}
        )
        self.log.append(response)
        return response

    def pick_up(self, exchange_url: str, *, created: datetime | None = None) -> dict[str, Any]:
        """The whole exchange, as the LCW runs it; returns the delivered credential."""
        started = self.start(exchange_url)
        assert started.status_code == 200, started.text
        request = started.json()["verifiablePresentationRequest"]
        queries = request["query"] if isinstance(request["query"], list) else [request["query"]]
        assert any(q["type"] == "DIDAuthentication" for q in queries)
        vp = self.did_auth(
            challenge=request["challenge"], domain=request["domain"], created=created
        )
        endpoint = request["interact"]["service"][0]["serviceEndpoint"]
        answered = self.answer(endpoint, vp)
        assert answered.status_code == 200, answered.text
        credentials = answered.json()["verifiablePresentation"]["verifiableCredential"]
        assert len(credentials) == 1
        credential: dict[str, Any] = credentials[0]
        return credential


@dataclass
class Oid4vciWallet:
    """Plays a generic OpenID4VCI wallet: offer -> metadata -> token -> (nonce) ->
    credential, proving possession of its did:key (or a jwk) with a proof JWT."""

    client: TestClient
    key: KeyPair = field(default_factory=KeyPair.generate)
    use_jwk: bool = False

    @property
    def did(self) -> str:
        return self.key.controller

    @staticmethod
    def offer_uri(link: str) -> str:
        assert link.startswith("openid-credential-offer://?"), link
        return parse_qs(urlsplit(link).query)["credential_offer_uri"][0]

    def fetch_offer(self, link: str) -> Any:
        return self.client.get(path_of(self.offer_uri(link)))

    def issuer_metadata(self, issuer: str, *, style: str = "1.0") -> dict[str, Any]:
        parts = urlsplit(issuer)
        if style == "1.0":  # inserted after the host (RFC 8414 style)
            url = f"/.well-known/openid-credential-issuer{parts.path}"
        else:  # appended to the issuer identifier (draft 13)
            url = f"{parts.path}/.well-known/openid-credential-issuer"
        response = self.client.get(url)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        assert document["credential_issuer"] == issuer
        return document

    def as_metadata(self, issuer: str) -> dict[str, Any]:
        path = urlsplit(issuer).path
        response = self.client.get(f"/.well-known/oauth-authorization-server{path}")
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def token(self, token_endpoint: str, code: str, tx_code: str | None = None) -> Any:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": code,
        }
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self.client.post(path_of(token_endpoint), data=form)

    def nonce(self, nonce_endpoint: str) -> str:
        response = self.client.post(path_of(nonce_endpoint))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return str(response.json()["c_nonce"])

    def proof_jwt(
        self,
        *,
        aud: str,
        nonce: str | None,
        iat: float,
        typ: str = "openid4vci-proof+jwt",
        alg: str | None = None,
        kid: str | None = None,
        signer: KeyPair | None = None,
    ) -> str:
        header: dict[str, Any] = {
            "alg": alg or ("EdDSA" if self.key.algorithm == "Ed25519" else "ES256"),
            "typ": typ,
        }
        if self.use_jwk:
            header["jwk"] = self.key.public_key.to_jwk()
        else:
            header["kid"] = kid or self.key.key_id
        claims: dict[str, Any] = {"aud": aud, "iat": int(iat)}
        if nonce is not None:
            claims["nonce"] = nonce
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = (signer or self.key).sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"

    def request_credential(
        self, endpoint: str, access_token: str | None, proof: str, *, draft13: bool = False
    ) -> Any:
        if draft13:
            body: dict[str, Any] = {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "proof": {"proof_type": "jwt", "jwt": proof},
            }
        else:
            body = {
                "credential_configuration_id": "OpenBadgeCredential",
                "proofs": {"jwt": [proof]},
            }
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        return self.client.post(path_of(endpoint), json=body, headers=headers)

    def start(self, link: str, *, tx_code: str | None = None) -> dict[str, Any]:
        """Offer -> metadata -> token: everything up to the credential request."""
        offer_response = self.fetch_offer(link)
        assert offer_response.status_code == 200, offer_response.text
        offer = offer_response.json()
        issuer = offer["credential_issuer"]
        metadata = self.issuer_metadata(issuer)
        assert offer["credential_configuration_ids"] == ["OpenBadgeCredential"]
        server = self.as_metadata(issuer)
        grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        token = self.token(server["token_endpoint"], grant["pre-authorized_code"], tx_code)
        assert token.status_code == 200, token.text
        return {"offer": offer, "metadata": metadata, "server": server, "token": token.json()}

    def pick_up(
        self, link: str, *, now: datetime, tx_code: str | None = None, draft13: bool = False
    ) -> Any:
        """The whole flow; returns the credential endpoint's response."""
        state = self.start(link, tx_code=tx_code)
        metadata = state["metadata"]
        nonce = state["token"]["c_nonce"] if draft13 else self.nonce(metadata["nonce_endpoint"])
        proof = self.proof_jwt(aud=metadata["credential_issuer"], nonce=nonce, iat=now.timestamp())
        return self.request_credential(
            metadata["credential_endpoint"], state["token"]["access_token"], proof, draft13=draft13
        )


# -- setting the scene ----------------------------------------------------------------------


def issued_credential(platform: Any, slug: str = "riverside", **body: Any) -> dict[str, Any]:
    """A published achievement and one credential of a (new) organization, acting as it."""
    org = platform.orgs.get(slug) or platform.org(slug)
    platform.act_as(org)
    if platform.client.get("/api/v1/achievements/welding-1").status_code == 404:
        platform.published_achievement()
    meta: dict[str, Any] = platform.issue(**body).json()
    return meta


def make_offer(platform: Any, credential_id: str, **body: Any) -> dict[str, Any]:
    response = platform.client.post(f"/api/v1/credentials/{credential_id}/offers", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    offer: dict[str, Any] = response.json()
    return offer


def verify(platform: Any, credential: Mapping[str, Any], now: datetime) -> Any:
    """Verify as a verifier on the web would (DID documents and status lists fetched from
    the application's own public routes)."""
    return platform.app.state.verifier.verify(dict(credential), now=now)


def audit_actions(platform: Any, subject: str) -> list[str]:
    import sqlalchemy as sa

    from openler.store.models import AuditEvent

    with platform.database.session_scope() as session:
        rows = session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.subject_id == subject)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)
