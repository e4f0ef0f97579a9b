"""Verifiable Credentials Data Model properties shared by every credential type (VCDM 2.0,
with the VCDM 1.1 ``issuanceDate`` / ``expirationDate`` kept for old credentials), and the
generic :class:`VerifiableCredential` for credentials that are not OB / CLR."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator

from openler.core.model.common import DateTimeStamp, ListOrOne, OpenModel, Text, as_list

__all__ = [
    "CredentialBase",
    "CredentialSchema",
    "CredentialStatus",
    "CredentialSubject",
    "Evidence",
    "IssuerObject",
    "Proof",
    "RefreshService",
    "TermsOfUse",
    "VerifiableCredential",
]


class CredentialStatus(OpenModel):
    """``credentialStatus``: e.g. ``BitstringStatusListEntry`` or ``1EdTechRevocationList``.
    ``type`` keeps its shape (the OB 3.0 schema wants a single string here)."""

    id: str | None = None
    type: str | list[str]
    status_purpose: str | None = None
    status_list_index: str | int | None = None
    status_list_credential: str | None = None


class CredentialSchema(OpenModel):
    """``credentialSchema``: e.g. ``{"id": ".../ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019"}``."""

    id: str
    type: str


class RefreshService(OpenModel):
    """``refreshService``: e.g. ``1EdTechCredentialRefresh``."""

    id: str | None = None
    type: str


class TermsOfUse(OpenModel):
    """``termsOfUse``: a policy (type required, everything else is the policy's own)."""

    id: str | None = None
    type: str


class Proof(OpenModel):
    """An embedded proof (Data Integrity or a legacy Linked Data Signature suite); other
    members (``jws``, ``expires``, ``previousProof`` …) are kept as extensions."""

    type: str
    created: str | None = None
    cryptosuite: str | None = None
    challenge: str | None = None
    domain: str | list[str] | None = None
    nonce: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None
    verification_method: str | dict[str, Any] | None = None


class Evidence(OpenModel):
    """``evidence`` (OB 3.0 Evidence: narrative, name, description, genre, audience)."""

    id: str | None = None
    type: ListOrOne[str]
    narrative: Text | None = None
    name: Text | None = None
    description: Text | None = None
    genre: Text | None = None
    audience: Text | None = None


class CredentialBase(OpenModel):
    """Properties of every verifiable credential. Concrete classes add ``issuer`` and
    ``credentialSubject`` with their own types."""

    context: ListOrOne[str | dict[str, Any]] = Field(
        validation_alias=AliasChoices("@context"), serialization_alias="@context"
    )
    id: str | None = None
    type: ListOrOne[str]
    name: Text | None = None
    description: Text | None = None
    valid_from: DateTimeStamp | None = None
    valid_until: DateTimeStamp | None = None
    issuance_date: DateTimeStamp | None = None
    expiration_date: DateTimeStamp | None = None
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    credential_schema: ListOrOne[CredentialSchema] | None = None
    refresh_service: RefreshService | list[RefreshService] | None = None
    terms_of_use: ListOrOne[TermsOfUse] | None = None
    evidence: ListOrOne[Evidence] | None = None
    proof: ListOrOne[Proof] | None = None

    def credential_statuses(self) -> list[CredentialStatus]:
        """``credentialStatus`` as a list (OB 3.0 allows one; VCDM 2.0 one or more)."""
        return as_list(self.credential_status)

    def refresh_services(self) -> list[RefreshService]:
        """``refreshService`` as a list (OB 3.0 allows one; VCDM 2.0 one or more)."""
        return as_list(self.refresh_service)

    @field_validator("type")
    @classmethod
    def _is_verifiable_credential(cls, value: list[str]) -> list[str]:
        if "VerifiableCredential" not in value:
            raise ValueError('a credential\'s type must include "VerifiableCredential"')
        return value


class IssuerObject(OpenModel):
    """A VCDM issuer given as an object: only ``id`` is required."""

    id: str
    type: ListOrOne[str] | None = None
    name: Text | None = None


class CredentialSubject(OpenModel):
    """A credential subject of any credential type (its claims are extensions)."""

    id: str | None = None
    type: ListOrOne[str] | None = None


class VerifiableCredential(CredentialBase):
    """Any verifiable credential that is not an OB 3.0 / CLR 2.0 type (a status list
    credential, for instance)."""

    issuer: str | IssuerObject
    credential_subject: Annotated[ListOrOne[CredentialSubject], Field(min_length=1)]
