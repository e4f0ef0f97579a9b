"""Learner identities of OB 3.0 / CLR 2.0 (IdentityObject): making them, plain or hashed,
and checking a claimed identifier against one."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from openler.core.errors import InvalidInput
from openler.core.model.ob3 import IdentityObject

__all__ = ["hashed_identity", "identity_matches", "plain_identity"]


def hashed_identity(identity_type: str, value: str, salt: str) -> IdentityObject:
    """An IdentityObject carrying ``"sha256$" + hex(sha256(value + salt))`` (UTF-8), the
    OB 3.0 IdentityHash form. ``value`` is hashed as given (normalize e-mail case first if
    that is your policy); use a fresh random ``salt`` per credential."""
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return _identity(identity_type, f"sha256${digest}", hashed=True, salt=salt)


def plain_identity(identity_type: str, value: str) -> IdentityObject:
    """An IdentityObject carrying the identifier in clear (``hashed`` false)."""
    return _identity(identity_type, value, hashed=False, salt=None)


def _identity(identity_type: str, value: str, *, hashed: bool, salt: str | None) -> IdentityObject:
    data: dict[str, Any] = {
        "type": "IdentityObject",
        "identityHash": value,
        "identityType": identity_type,
        "hashed": hashed,
    }
    if salt is not None:
        data["salt"] = salt
    try:
        return IdentityObject.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"invalid identity: {where}: {message}") from None


def identity_matches(identity: IdentityObject | Mapping[str, Any], value: str) -> bool:
    """Whether ``value`` is the identifier an IdentityObject stands for: compared in clear
    when not hashed, else re-hashed with its salt (``sha256$`` or ``md5$``, hex in either
    case, as OB 3.0 allows)."""
    if isinstance(identity, IdentityObject):
        hashed, stored, salt = identity.hashed, identity.identity_hash, identity.salt
    else:
        hashed = identity.get("hashed") is True
        stored, salt = str(identity.get("identityHash", "")), identity.get("salt")
    if not hashed:
        return hmac.compare_digest(stored.encode("utf-8"), value.encode("utf-8"))
    algorithm, _, expected = stored.partition("$")
    if algorithm.lower() not in ("sha256", "md5"):
        return False
    salted = (value + (salt if isinstance(salt, str) else "")).encode("utf-8")
    digest = hashlib.new(algorithm.lower(), salted, usedforsecurity=False).hexdigest()
    return hmac.compare_digest(digest, expected.lower())
