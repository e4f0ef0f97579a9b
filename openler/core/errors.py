"""The one error tree of openler's core.

Every error carries a stable, machine-readable ``code`` (public API: a change is a
CHANGELOG entry) and a plain-language message. Bad *credentials* given to the verifier
never raise: they get a verdict (see :mod:`openler.core.results`). These exceptions are
for a broken setup or for input the caller asked us to sign, build or parse::

    OpenlerError                      openler_error
    ├── InvalidInput                  invalid_input
    │   ├── InputTooLarge             input_too_large
    │   ├── MalformedJson             malformed_json
    │   ├── SchemaInvalid             schema_invalid
    │   ├── SchemaNotBundled          schema_not_bundled
    │   ├── MalformedImage            malformed_image
    │   ├── NoCredentialInImage       no_credential_in_image
    │   └── UnrecognizedFormat        unrecognized_format
    ├── JsonLdError                   jsonld_error
    │   ├── ContextNotAllowed         context_not_allowed
    │   ├── UndefinedTerm             undefined_term
    │   ├── InvalidIri                invalid_iri
    │   └── CanonicalizationLimit     canonicalization_limit
    ├── KeyError_                     key_error
    │   └── UnsupportedKeyType        unsupported_key_type
    ├── DidResolutionError            did_resolution_error
    │   └── DidNotFound               did_not_found
    ├── ProofError                    proof_error
    │   ├── UnsupportedSuite          unsupported_suite
    │   └── SuiteNotAllowed           suite_not_allowed
    └── StatusListError               status_list_error
        ├── StatusListIndexOutOfRange status_index_out_of_range
        ├── StatusListMalformed       status_list_malformed
        ├── StatusListTooLarge        status_list_too_large
        ├── StatusListTooShort        status_list_too_short
        ├── StatusListTypeMismatch    status_list_type_mismatch
        ├── StatusPurposeMismatch     status_purpose_mismatch
        ├── StatusListCredentialMismatch  status_list_credential_mismatch
        ├── StatusListNotFound        status_list_not_found
        └── UnsupportedStatusType     unsupported_status_type
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "CanonicalizationLimit",
    "ContextNotAllowed",
    "DidNotFound",
    "DidResolutionError",
    "InputTooLarge",
    "InvalidInput",
    "InvalidIri",
    "JsonLdError",
    "KeyError_",
    "MalformedImage",
    "MalformedJson",
    "NoCredentialInImage",
    "OpenlerError",
    "ProofError",
    "SchemaInvalid",
    "SchemaNotBundled",
    "StatusListCredentialMismatch",
    "StatusListError",
    "StatusListIndexOutOfRange",
    "StatusListMalformed",
    "StatusListNotFound",
    "StatusListTooLarge",
    "StatusListTooShort",
    "StatusListTypeMismatch",
    "StatusPurposeMismatch",
    "SuiteNotAllowed",
    "UndefinedTerm",
    "UnrecognizedFormat",
    "UnsupportedKeyType",
    "UnsupportedStatusType",
    "UnsupportedSuite",
]


class OpenlerError(Exception):
    """Base class; ``code`` is stable, ``message`` is a sentence for people."""

    code: ClassVar[str] = "openler_error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


class InvalidInput(OpenlerError):
    code = "invalid_input"


class InputTooLarge(InvalidInput):
    code = "input_too_large"


class MalformedJson(InvalidInput):
    code = "malformed_json"


class SchemaInvalid(InvalidInput):
    code = "schema_invalid"


class JsonLdError(OpenlerError):
    code = "jsonld_error"


class ContextNotAllowed(JsonLdError):
    code = "context_not_allowed"


class UndefinedTerm(JsonLdError):
    code = "undefined_term"


class InvalidIri(JsonLdError):
    code = "invalid_iri"


class CanonicalizationLimit(JsonLdError):
    code = "canonicalization_limit"


class KeyError_(OpenlerError):  # trailing underscore avoids shadowing builtins.KeyError
    code = "key_error"


class UnsupportedKeyType(KeyError_):
    code = "unsupported_key_type"


class DidResolutionError(OpenlerError):
    code = "did_resolution_error"


class DidNotFound(DidResolutionError):
    code = "did_not_found"


class ProofError(OpenlerError):
    code = "proof_error"


class UnsupportedSuite(ProofError):
    code = "unsupported_suite"


class SuiteNotAllowed(ProofError):
    code = "suite_not_allowed"


class StatusListError(OpenlerError):
    code = "status_list_error"


class StatusListIndexOutOfRange(StatusListError):
    code = "status_index_out_of_range"


class MalformedImage(InvalidInput):
    """A PNG or SVG that cannot be parsed (bad CRC, truncated, invalid XML, DTD)."""

    code = "malformed_image"


class NoCredentialInImage(InvalidInput):
    """A well-formed PNG or SVG with no baked credential in it."""

    code = "no_credential_in_image"


class UnrecognizedFormat(InvalidInput):
    """Bytes that are neither PNG, SVG, a JSON object nor a compact JWS."""

    code = "unrecognized_format"


class StatusListMalformed(StatusListError):
    """A status entry or list that breaks the spec's MUSTs (MALFORMED_VALUE_ERROR)."""

    code = "status_list_malformed"


class StatusListTooLarge(StatusListError):
    """A list that decompresses (or would be created) beyond the size cap."""

    code = "status_list_too_large"


class StatusListTooShort(StatusListError):
    """Fewer entries than the minimum (STATUS_LIST_LENGTH_ERROR)."""

    code = "status_list_too_short"


class StatusListTypeMismatch(StatusListError):
    """The list credential's type does not match the status entry's type."""

    code = "status_list_type_mismatch"


class StatusPurposeMismatch(StatusListError):
    """The entry's statusPurpose is not a purpose of the list (STATUS_VERIFICATION_ERROR)."""

    code = "status_purpose_mismatch"


class StatusListCredentialMismatch(StatusListError):
    """The entry's statusListCredential is not the list credential's id (when required)."""

    code = "status_list_credential_mismatch"


class StatusListNotFound(StatusListError):
    """Nothing is published at the status list's URL (a folder without the file, HTTP 404).

    The counterpart of :class:`DidNotFound`: a chain of fetchers tries its next member
    only on this error."""

    code = "status_list_not_found"


class UnsupportedStatusType(StatusListError):
    """A credentialStatus type this library does not read."""

    code = "unsupported_status_type"


class SchemaNotBundled(InvalidInput):
    """A JSON Schema ``$id`` that is not among the schemas bundled with openler (schemas
    are never fetched)."""

    code = "schema_not_bundled"
