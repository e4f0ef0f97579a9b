"""The issuer trust registry: which issuers this deployment vouches for.

The registry is deployment-wide (one list, not one per organization). Only the
organizations that operate the deployment may curate it (``OPENLER_OPERATOR_ORGS``; see
:func:`check_curator` and :meth:`openler.config.Settings.may_curate_trust`) — and of those,
only tokens with the ``trust:manage`` scope and admins; every change is audited as
``trust_registry.change`` with the acting organization and principal.

Verification consults it through :func:`trust_check`: an issuer with an *active* entry
is ``trusted_issuer`` (pass); any other issuer — this platform's own organizations
included, unless they are listed — is ``issuer_not_in_registry`` (a warning, never a
failure: trust is a statement about the issuer, not about the credential's integrity).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.results import Check, VerificationResult
from openler.services.audit import Actor, record
from openler.store.db import Database
from openler.store.models import AuditAction, Organization, TrustedIssuer

__all__ = [
    "TRUST_CHECK",
    "TrustCurationNotAllowed",
    "TrustEntryExists",
    "TrustEntryNotFound",
    "TrustEntryRequest",
    "add_entry",
    "add_trust_checks",
    "check_curator",
    "deactivate_entry",
    "entry_view",
    "get_entry",
    "list_entries",
    "trust_check",
    "update_entry",
]

#: The name of the check that verification reports gain.
TRUST_CHECK: Final = "trust"

_ISSUER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


class TrustEntryNotFound(OpenlerError):
    code = "not_found"


class TrustEntryExists(OpenlerError):
    code = "conflict"


class TrustCurationNotAllowed(OpenlerError):
    """This organization does not operate the deployment, so it may not change the
    deployment-wide trust registry (403)."""

    code = "trust_curation_not_allowed"


def check_curator(settings: Settings, org: Organization) -> None:
    """Raise :class:`TrustCurationNotAllowed` unless ``org`` may curate the registry."""
    if not settings.may_curate_trust(org.slug):
        raise TrustCurationNotAllowed(
            "Only the organizations that operate this deployment (OPENLER_OPERATOR_ORGS) "
            "may change the issuer trust registry."
        )


@dataclass(frozen=True)
class TrustEntryRequest:
    issuer_id: str
    name: str
    accreditation: str | None = None
    notes: str | None = None
    active: bool = True


def _valid_issuer_id(value: str) -> str:
    value = value.strip()
    if not _ISSUER_ID.match(value):
        raise InvalidInput(
            "The issuer must be a DID or an absolute URL, as credentials name it.",
            details={"issuerId": value[:200]},
        )
    return value


def _valid_name(value: str) -> str:
    if not value.strip():
        raise InvalidInput("A trust registry entry needs a name.")
    return value.strip()


def entry_view(entry: TrustedIssuer) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "issuerId": entry.issuer_id,
        "name": entry.name,
        "accreditation": entry.accreditation,
        "notes": entry.notes,
        "active": entry.active,
        "createdAt": _iso(entry.created_at),
        "updatedAt": _iso(entry.updated_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def list_entries(session: Session, *, active: bool | None = None) -> list[TrustedIssuer]:
    query = sa.select(TrustedIssuer)
    if active is not None:
        query = query.where(TrustedIssuer.active == active)
    return list(session.scalars(query.order_by(TrustedIssuer.name, TrustedIssuer.issuer_id)))


def get_entry(session: Session, entry_id: str | uuid.UUID) -> TrustedIssuer:
    try:
        key = entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(entry_id)
    except ValueError:
        raise TrustEntryNotFound("No such trust registry entry.") from None
    entry = session.get(TrustedIssuer, key)
    if entry is None:
        raise TrustEntryNotFound("No such trust registry entry.")
    return entry


def _audit(
    session: Session,
    org: Organization,
    actor: Actor | None,
    change: str,
    entry: TrustedIssuer,
) -> None:
    _bump_generation()
    record(
        session,
        org,
        actor,
        AuditAction.TRUST_REGISTRY_CHANGE,
        entry.issuer_id,
        {"change": change, "entry": str(entry.id), "name": entry.name, "active": entry.active},
    )


def add_entry(
    session: Session,
    org: Organization,
    request: TrustEntryRequest,
    *,
    actor: Actor | None = None,
) -> TrustedIssuer:
    issuer_id = _valid_issuer_id(request.issuer_id)
    taken = session.scalar(sa.select(TrustedIssuer.id).where(TrustedIssuer.issuer_id == issuer_id))
    if taken is not None:
        raise TrustEntryExists(
            "This issuer is already in the registry; update its entry instead.",
            details={"issuerId": issuer_id, "entry": str(taken)},
        )
    entry = TrustedIssuer(
        issuer_id=issuer_id,
        name=_valid_name(request.name),
        accreditation=request.accreditation,
        notes=request.notes,
        active=request.active,
    )
    session.add(entry)
    session.flush()
    _audit(session, org, actor, "add", entry)
    return entry


def update_entry(
    session: Session,
    org: Organization,
    entry_id: str,
    request: TrustEntryRequest,
    *,
    actor: Actor | None = None,
) -> TrustedIssuer:
    """Replace an entry's members (a PUT: every member as given)."""
    entry = get_entry(session, entry_id)
    issuer_id = _valid_issuer_id(request.issuer_id)
    if issuer_id != entry.issuer_id:
        clash = session.scalar(
            sa.select(TrustedIssuer.id).where(TrustedIssuer.issuer_id == issuer_id)
        )
        if clash is not None:
            raise TrustEntryExists(
                "Another entry already names this issuer.",
                details={"issuerId": issuer_id, "entry": str(clash)},
            )
    entry.issuer_id = issuer_id
    entry.name = _valid_name(request.name)
    entry.accreditation = request.accreditation
    entry.notes = request.notes
    entry.active = request.active
    session.flush()
    _audit(session, org, actor, "update", entry)
    return entry


def deactivate_entry(
    session: Session, org: Organization, entry_id: str, *, actor: Actor | None = None
) -> TrustedIssuer:
    """Withdraw trust, keeping the entry (and its history) for the record."""
    entry = get_entry(session, entry_id)
    if entry.active:
        entry.active = False
        session.flush()
        _audit(session, org, actor, "deactivate", entry)
    return entry


def trust_check(session: Session, issuer_id: str | None) -> dict[str, Any]:
    """What the registry says about ``issuer_id``, as a verification report entry
    (``check``, ``status``, ``code``, ``message``, ``details``). Never a failure."""
    entry = (
        session.scalar(sa.select(TrustedIssuer).where(TrustedIssuer.issuer_id == issuer_id))
        if issuer_id
        else None
    )
    return trust_entry_check(entry, issuer_id)


def trust_entry_check(entry: Any, issuer_id: str | None) -> dict[str, Any]:
    """The report entry for a registry row (or snapshot of one; None: not listed)."""
    if entry is not None and entry.active:
        details: dict[str, Any] = {"issuer": entry.issuer_id, "name": entry.name}
        if entry.accreditation:
            details["accreditation"] = entry.accreditation
        return {
            "check": TRUST_CHECK,
            "status": "pass",
            "code": "trusted_issuer",
            "message": f"The issuer is in this deployment's trust registry as {entry.name}.",
            "details": details,
        }
    withdrawn = entry is not None
    return {
        "check": TRUST_CHECK,
        "status": "warning",
        "code": "issuer_not_in_registry",
        "message": "The issuer's entry in this deployment's trust registry is inactive."
        if withdrawn
        else "The issuer is not in this deployment's trust registry.",
        "details": {"issuer": issuer_id, "inactiveEntry": withdrawn},
    }


#: A failure of one of these means the issuer is not established: no trust entry then.
_AUTHENTICITY_CHECKS: Final = frozenset({"structure", "context", "proof", "issuer"})


def _issuer_of(document: Mapping[str, Any] | None) -> str | None:
    issuer = document.get("issuer") if isinstance(document, Mapping) else None
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer_id if isinstance(issuer_id, str) else None


def add_trust_checks(
    source: Session | Callable[[str], Any], result: VerificationResult
) -> VerificationResult:
    """``result`` with a ``trust`` check appended to each credential's report (for a
    presentation, to each credential in it), from :func:`trust_check`. A credential whose
    structure, context, proof or issuer check failed gets none: its issuer is not
    established."""
    if result.kind == "presentation":
        inner = tuple(add_trust_checks(source, r) for r in result.credentials)
        return replace(result, credentials=inner)
    if any(c.status == "fail" and c.name in _AUTHENTICITY_CHECKS for c in result.checks):
        return result
    issuer_id = _issuer_of(result.document)
    if issuer_id is None:
        return result
    if isinstance(source, Session):
        entry = trust_check(source, issuer_id)
    else:
        entry = trust_entry_check(source(issuer_id), issuer_id)
    check = Check(
        entry["check"], entry["status"], entry["code"], entry["message"], entry["details"]
    )
    return replace(result, checks=(*result.checks, check))


# -- a snapshot for the hot path of verification ------------------------------------------

_generation = 0
_generation_lock = threading.Lock()


def _bump_generation() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    issuer_id: str
    name: str
    accreditation: str | None
    active: bool


class RegistrySnapshot:
    """The registry held in memory for verification: read at most every ``ttl`` seconds,
    and again at once after a change made in this process (other processes see a change
    within ``ttl``). Saves a database round trip per verified credential."""

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, RegistryEntry] | None = None
        self._loaded_at = 0.0
        self._generation = -1

    def entries(self, database: Database) -> Mapping[str, RegistryEntry]:
        now = self._clock()
        with self._lock:
            fresh = (
                self._entries is not None
                and self._generation == _generation
                and now - self._loaded_at < self._ttl
            )
            if fresh:
                assert self._entries is not None
                return self._entries
        generation = _generation
        with database.session_scope() as session:
            loaded = {
                row.issuer_id: RegistryEntry(row.issuer_id, row.name, row.accreditation, row.active)
                for row in session.scalars(sa.select(TrustedIssuer))
            }
        with self._lock:
            self._entries, self._loaded_at, self._generation = loaded, now, generation
        return loaded
