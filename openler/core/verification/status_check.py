"""The *status* check: Bitstring Status List, StatusList2021 or 1EdTechRevocationList,
through the caller's StatusListFetcher; the list credential is verified too. A status that
cannot be established is a warning (a failure under a strict policy), never "revoked"."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from openler.core.errors import OpenlerError, StatusListError
from openler.core.results import Check
from openler.core.status import read_status
from openler.core.verification.checks import as_types as _as_types
from openler.core.verification.checks import fail as _fail
from openler.core.verification.checks import outline_issuer
from openler.core.verification.checks import passed as _pass
from openler.core.verification.checks import skip as _skip
from openler.core.verification.checks import warn as _warn
from openler.core.verification.policy import VerifyPolicy
from openler.core.verification.structure import Outline

if TYPE_CHECKING:
    from openler.core.verification.credential import Verifier

__all__ = ["status_checks"]


def status_checks(
    verifier: Verifier,
    credential: Mapping[str, Any],
    outline: Outline,
    now: datetime | None,
    policy: VerifyPolicy,
    depth: int,
) -> list[Check]:
    if not outline.status_entries:
        return [_skip("status", "no_status", "The credential has no status entry.")]
    if "status" in policy.skip:
        return [_skip("status", "status_skipped", "Revocation status was not checked.")]
    if verifier.status_fetcher is None or depth > 0:
        return [
            _warn(
                "status",
                "status_unchecked",
                "No status service was available, so revocation was not checked.",
            )
        ]
    out = []
    for entry in outline.status_entries:
        out.append(_one_status(verifier, credential, outline, entry, now, policy))
    return out


def _one_status(
    verifier: Verifier,
    credential: Mapping[str, Any],
    outline: Outline,
    entry: Mapping[str, Any],
    now: datetime | None,
    policy: VerifyPolicy,
) -> Check:
    unavailable = _fail if policy.strict else _warn
    url = entry.get("statusListCredential") or entry.get("id")
    purpose = entry.get("statusPurpose", "revocation")
    assert verifier.status_fetcher is not None
    try:
        if not isinstance(url, str):
            raise StatusListError("The status entry names no status list.")
        list_doc = verifier.status_fetcher.fetch(url)
    except OpenlerError as exc:
        return unavailable(
            "status",
            "status_unavailable",
            f"The status list could not be fetched: {exc.message}",
            url=url,
        )
    except Exception as exc:  # a misbehaving fetcher must not crash verification
        return unavailable(
            "status",
            "status_unavailable",
            f"The status list could not be fetched: {exc}",
            url=url,
        )
    if "1EdTechRevocationList" not in _as_types(entry.get("type")):
        list_result = verifier._verify(copy.deepcopy(dict(list_doc)), now, policy, depth=1)
        if not list_result.verified:
            reasons = "; ".join(c.message for c in list_result.errors)
            return unavailable(
                "status",
                "status_list_invalid",
                f"The status list at {url} failed verification: {reasons}",
                url=url,
            )
        list_issuer = outline_issuer(list_doc)
        if list_issuer is not None and list_issuer != outline.issuer:
            return unavailable(
                "status",
                "status_list_issuer_mismatch",
                "The status list was issued by someone other than the credential's issuer.",
                url=url,
            )
    try:
        reading = read_status(
            entry,
            list_doc,
            credential_id=outline.id,
            min_entries=131_072 if policy.strict else 8,
        )
    except OpenlerError as exc:
        return unavailable(
            "status",
            "status_unavailable",
            f"The status could not be read: {exc.message}",
            url=url,
        )
    if reading.set and reading.purpose == "revocation":
        return _fail(
            "status",
            "revoked",
            "The issuer has revoked this credential.",
            url=url,
            index=reading.index,
        )
    if reading.set and reading.purpose == "suspension":
        return _fail(
            "status",
            "suspended",
            "The issuer has suspended this credential.",
            url=url,
            index=reading.index,
        )
    if reading.purpose in ("revocation", "suspension"):
        word = "revoked" if reading.purpose == "revocation" else "suspended"
        return _pass("status", "status_active", f"The credential is not {word}.", url=url)
    return _pass(
        "status",
        "status_read",
        f"Status ({purpose}): {reading.message or reading.value}.",
        url=url,
        value=reading.value,
    )
