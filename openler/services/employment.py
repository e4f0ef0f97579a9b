"""A learner's employment history: jobs they state themselves, and employment credentials
issued by employers.

**Self-asserted entries** (:class:`~openler.store.models.sharing.EmploymentEntry`):
employer, role, start and end dates (no end: current), a description, and the skills used
(free text, plus optional items of the bundled skills frameworks, kept as OB 3.0
Alignments). They are the learner's word: :class:`EmploymentItem` marks them
``self_asserted`` and never ``verified``, and they never enter the skills profile.

**Employer-issued employment credentials** are ordinary OB 3.0 credentials
(``OpenBadgeCredential``), so every wallet and verifier can read and verify them:

- ``credentialSubject.achievement.achievementType`` is ``ext:Employment``. OB 3.0's
  AchievementType vocabulary has no term for a job (``Membership`` and
  ``ApprenticeshipCertificate`` mean other things), and the vocabulary is *extensible*:
  a term outside it must be ``ext:`` followed by a name (the 1EdTech JSON Schema's
  pattern ``(ext:)[a-z|A-Z|0-9|.|-|_]+``), which is what this is.
- the **employer** is the credential's ``issuer`` (the organization that signs it);
- the **role** is both the achievement's ``name`` (one achievement per role and employer)
  and ``credentialSubject.role`` (the AchievementSubject property for "the role of the
  recipient"); the **dates** are ``credentialSubject.activityStartDate`` and
  ``activityEndDate`` (none: still employed); a description of this person's work goes in
  ``credentialSubject.narrative``;
- the skills the job used are ``Alignment``s on the achievement, so an employment
  credential counts in the skills profile like any verified achievement.

:func:`issue_employment_credential` issues one for an organization through the issuing
service's sign-and-store path (:func:`openler.services.issuing.sign_and_store`, as the
VC-API does): it keeps one published achievement per role (``employment-<role>-<hash>``,
a new version when the skills change), allocates a status entry, signs, stores, audits.
:func:`employment_history` shows both kinds together, each credential with the
verification state the learner's record gives it.

Errors::

    OpenlerError
    ├── EmploymentNotFound   not_found       no such entry among the learner's
    └── InvalidInput         invalid_input   a bad field (empty role, end before start, …)
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.builders import build_achievement_credential
from openler.core.model.identity import hashed_identity
from openler.core.skills import text_value
from openler.core.status import status_entry
from openler.services.achievements import (
    AchievementNotFound,
    achievement_url,
    create_achievement,
    edit_achievement,
    get_achievement,
    publish_achievement,
    validate_achievement,
)
from openler.services.audit import Actor
from openler.services.issuing import (
    StoredRecipient,
    earlier_issue,
    recipient_lookup,
    sign_and_store,
)
from openler.services.keystore import KeyStore
from openler.services.organizations import issuer_profile
from openler.services.record import LearnerRecord, learner_record
from openler.services.seed import alignment as framework_alignment
from openler.services.seed import framework_items
from openler.store.models import (
    AchievementDefinition,
    IssuedCredential,
    Organization,
    PublicationStatus,
    RecipientKind,
    StatusPurpose,
    User,
    utcnow,
)
from openler.store.models.sharing import EmploymentEntry
from openler.store.status import allocate_status_entry

__all__ = [
    "EMPLOYMENT_ACHIEVEMENT_TYPE",
    "EmploymentClaim",
    "EmploymentCredentialRequest",
    "EmploymentInput",
    "EmploymentItem",
    "EmploymentNotFound",
    "add_entry",
    "credential_item",
    "delete_entry",
    "employment_from_credential",
    "employment_history",
    "entry_item",
    "get_entry",
    "issue_employment_credential",
    "list_entries",
    "skill_choices",
    "update_entry",
]

#: ``achievementType`` of an employment credential's achievement (an OB 3.0 extension term).
EMPLOYMENT_ACHIEVEMENT_TYPE: Final = "ext:Employment"
MAX_SKILLS: Final = 30
_MAX_SKILL_CHARS: Final = 100
_MAX_NAME_CHARS: Final = 200
_MAX_DESCRIPTION_CHARS: Final = 5000
_DID_OR_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmploymentNotFound(OpenlerError):
    code = "not_found"


# -- self-asserted entries -------------------------------------------------------------------


@dataclass(frozen=True)
class EmploymentInput:
    """A self-asserted job as the learner enters it. ``framework_skills`` are keys of the
    bundled framework items (``onet:2.A.1.a``, ``esco:<uuid>``; see :func:`skill_choices`)."""

    employer: str
    role: str
    start_date: date
    end_date: date | None = None
    description: str | None = None
    skills: Sequence[str] = ()
    framework_skills: Sequence[str] = ()


def _name(value: str, what: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput(f"The {what} is required.", details={"field": what})
    if len(text) > _MAX_NAME_CHARS:
        raise InvalidInput(
            f"The {what} is at most {_MAX_NAME_CHARS} characters.", details={"field": what}
        )
    return text


def _description(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > _MAX_DESCRIPTION_CHARS:
        raise InvalidInput(
            f"The description is at most {_MAX_DESCRIPTION_CHARS} characters.",
            details={"field": "description"},
        )
    return text or None


def _dates(start: date, end: date | None) -> None:
    if not isinstance(start, date) or (end is not None and not isinstance(end, date)):
        raise InvalidInput("Dates must be calendar dates.", details={"field": "start_date"})
    if end is not None and end < start:
        raise InvalidInput("The end date is before the start date.", details={"field": "end_date"})


def _free_skills(skills: Sequence[str]) -> list[str]:
    out: list[str] = []
    for raw in skills:
        text = " ".join(str(raw).split())
        if not text:
            continue
        if len(text) > _MAX_SKILL_CHARS:
            raise InvalidInput(
                f"A skill is at most {_MAX_SKILL_CHARS} characters.", details={"field": "skills"}
            )
        if text.casefold() not in {s.casefold() for s in out}:
            out.append(text)
    if len(out) > MAX_SKILLS:
        raise InvalidInput(f"At most {MAX_SKILLS} skills.", details={"field": "skills"})
    return out


def _framework_skills(keys: Sequence[str]) -> list[dict[str, Any]]:
    known = framework_items()
    unique = list(dict.fromkeys(keys))
    if len(unique) > MAX_SKILLS:
        raise InvalidInput(f"At most {MAX_SKILLS} skills.", details={"field": "framework_skills"})
    unknown = [k for k in unique if k not in known]
    if unknown:
        raise InvalidInput(
            "Unknown framework skill.",
            details={"field": "framework_skills", "keys": [k[:100] for k in unknown]},
        )
    return [framework_alignment(k) for k in unique]


def skill_choices() -> list[dict[str, str]]:
    """The bundled framework skills a learner (or an employer) can pick: ``key``,
    ``name`` and ``framework``, sorted by framework and name."""
    items = [
        {"key": key, "name": str(item["name"]), "framework": str(item["frameworkName"])}
        for key, item in framework_items().items()
    ]
    return sorted(items, key=lambda i: (i["framework"], i["name"].casefold()))


def _apply(entry: EmploymentEntry, data: EmploymentInput) -> None:
    _dates(data.start_date, data.end_date)
    entry.employer = _name(data.employer, "employer")
    entry.role = _name(data.role, "role")
    entry.start_date = data.start_date
    entry.end_date = data.end_date
    entry.description = _description(data.description)
    entry.skills = _free_skills(data.skills)
    entry.framework_skills = _framework_skills(data.framework_skills)


def add_entry(session: Session, user: User, data: EmploymentInput) -> EmploymentEntry:
    """A new self-asserted entry in the learner's employment history."""
    entry = EmploymentEntry(user_id=user.id)
    _apply(entry, data)
    session.add(entry)
    session.flush()
    return entry


def get_entry(session: Session, user: User, entry_id: uuid.UUID | str) -> EmploymentEntry:
    """One of the learner's entries; :class:`EmploymentNotFound` for an unknown id or one
    that is another learner's (not told apart)."""
    try:
        wanted = entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(str(entry_id))
    except ValueError:
        raise EmploymentNotFound("No such employment entry.") from None
    entry = session.get(EmploymentEntry, wanted)
    if entry is None or entry.user_id != user.id:
        raise EmploymentNotFound("No such employment entry.")
    return entry


def list_entries(session: Session, user: User) -> list[EmploymentEntry]:
    """The learner's self-asserted entries, the most recent job first."""
    return list(
        session.scalars(
            sa.select(EmploymentEntry)
            .where(EmploymentEntry.user_id == user.id)
            .order_by(EmploymentEntry.start_date.desc(), EmploymentEntry.id)
        )
    )


def update_entry(
    session: Session, user: User, entry_id: uuid.UUID | str, data: EmploymentInput
) -> EmploymentEntry:
    entry = get_entry(session, user, entry_id)
    _apply(entry, data)
    session.flush()
    return entry


def delete_entry(session: Session, user: User, entry_id: uuid.UUID | str) -> None:
    """Remove an entry (and with it its place in any share)."""
    session.delete(get_entry(session, user, entry_id))
    session.flush()


# -- employment credentials ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmploymentClaim:
    """What an employment credential says (true only if the credential verifies)."""

    employer: str | None
    employer_id: str | None
    role: str | None
    start_date: date | None
    end_date: date | None
    description: str | None
    skills: tuple[str, ...]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _calendar_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


def employment_from_credential(credential: Mapping[str, Any]) -> EmploymentClaim | None:
    """The employment an ``ext:Employment`` credential states; None for any other
    credential (see the module docstring for where each field comes from)."""
    for subject in _as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        achievement = subject.get("achievement")
        if not isinstance(achievement, Mapping):
            continue
        if achievement.get("achievementType") != EMPLOYMENT_ACHIEVEMENT_TYPE:
            continue
        issuer = credential.get("issuer")
        issuer_id = issuer if isinstance(issuer, str) else None
        employer = None
        if isinstance(issuer, Mapping):
            issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) else None
            employer = text_value(issuer.get("name"))
        skills = tuple(
            name
            for a in _as_list(achievement.get("alignment"))
            if isinstance(a, Mapping) and (name := text_value(a.get("targetName")))
        )
        return EmploymentClaim(
            employer=employer or issuer_id,
            employer_id=issuer_id,
            role=text_value(subject.get("role")) or text_value(achievement.get("name")),
            start_date=_calendar_date(subject.get("activityStartDate")),
            end_date=_calendar_date(subject.get("activityEndDate")),
            description=text_value(subject.get("narrative"))
            or text_value(achievement.get("description")),
            skills=skills,
        )
    return None


@dataclass(frozen=True, slots=True)
class EmploymentItem:
    """One job in the learner's employment history, whichever its source.

    ``source`` is ``self_asserted`` (an entry the learner wrote: never verified) or
    ``credential`` (an employment credential; ``state`` is its state in the record:
    ``verified``, ``revoked``, ``suspended``, ``expired`` or ``unverified``)."""

    source: Literal["self_asserted", "credential"]
    employer: str
    role: str
    start_date: date | None
    end_date: date | None
    description: str | None
    skills: tuple[str, ...]
    state: str
    entry_id: uuid.UUID | None = None
    record_key: str | None = None
    employer_id: str | None = None

    @property
    def self_asserted(self) -> bool:
        return self.source == "self_asserted"

    @property
    def verified(self) -> bool:
        return self.source == "credential" and self.state == "verified"

    @property
    def label(self) -> str:
        """How to mark it wherever it is shown."""
        if self.self_asserted:
            return "Self-asserted"
        return {
            "verified": "Verified",
            "revoked": "Revoked by the employer",
            "suspended": "Suspended by the employer",
            "expired": "Expired",
        }.get(self.state, "Not verified")


def entry_item(entry: EmploymentEntry) -> EmploymentItem:
    """The history item of a self-asserted entry."""
    framework = tuple(
        name for a in entry.framework_skills or [] if (name := text_value(a.get("targetName")))
    )
    return EmploymentItem(
        source="self_asserted",
        employer=entry.employer,
        role=entry.role,
        start_date=entry.start_date,
        end_date=entry.end_date,
        description=entry.description,
        skills=tuple(dict.fromkeys([*entry.skills, *framework])),
        state="self_asserted",
        entry_id=entry.id,
    )


def credential_item(claim: EmploymentClaim, *, state: str, key: str | None) -> EmploymentItem:
    """The history item of an employment credential in the state given."""
    return EmploymentItem(
        source="credential",
        employer=claim.employer or "Unknown employer",
        role=claim.role or "Unknown role",
        start_date=claim.start_date,
        end_date=claim.end_date,
        description=claim.description,
        skills=claim.skills,
        state=state,
        record_key=key,
        employer_id=claim.employer_id,
    )


def _most_recent_first(item: EmploymentItem) -> tuple[bool, int, str]:
    start = item.start_date.toordinal() if item.start_date else 0
    # Current jobs first, then by start date, newest first; ties by role.
    return (item.end_date is not None, -start, item.role.casefold())


def employment_history(
    session: Session, user: User, *, now: datetime, record: LearnerRecord | None = None
) -> list[EmploymentItem]:
    """The learner's jobs: self-asserted entries and employment credentials of their
    record (with the record's verification state), current jobs first, then the most
    recent. Pass ``record`` when you already have it."""
    record = record or learner_record(session, user, now=now)
    items = [entry_item(entry) for entry in list_entries(session, user)]
    for held in record.items:
        document = held.document()
        claim = employment_from_credential(document) if document is not None else None
        if claim is not None:
            items.append(credential_item(claim, state=held.state, key=held.key))
    return sorted(items, key=_most_recent_first)


@dataclass(frozen=True)
class EmploymentCredentialRequest:
    """What an employer states about one employee. ``recipient`` is the learner's DID
    (best: the credential is then bound to their holder key) or e-mail address (kept only
    as a salted hash in the credential). ``skills`` are keys of the bundled framework items;
    ``alignments`` further OB 3.0 Alignment objects."""

    recipient: str
    role: str
    start_date: date
    end_date: date | None = None
    narrative: str | None = None
    skills: Sequence[str] = ()
    alignments: Sequence[Mapping[str, Any]] = ()
    suites: Sequence[str] = ("eddsa-rdfc-2022",)
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        body = {
            "employment": True,
            "recipient": self.recipient,
            "role": self.role,
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat() if self.end_date else None,
            "narrative": self.narrative,
            "skills": list(self.skills),
            "alignments": [dict(a) for a in self.alignments],
            "suites": list(self.suites),
        }
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _role_logical_id(role: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", role.casefold()).strip("-")[:60] or "role"
    digest = hashlib.sha256(role.encode("utf-8")).hexdigest()[:8]
    return f"employment-{slug}-{digest}"


def _role_achievement(
    session: Session,
    settings: Settings,
    org: Organization,
    role: str,
    alignments: list[dict[str, Any]],
    actor: Actor | None,
) -> AchievementDefinition:
    """The organization's published ``ext:Employment`` achievement for ``role`` with
    these skills, made (or given a new version) when needed."""
    logical_id = _role_logical_id(role)
    wanted: dict[str, Any] = {
        "id": achievement_url(settings, org, logical_id),
        "type": ["Achievement"],
        "achievementType": EMPLOYMENT_ACHIEVEMENT_TYPE,
        "name": role,
        "description": f"Employment in the role of {role} at {org.name}.",
        "criteria": {
            "narrative": (
                f"Employed by {org.name} as {role}. The dates of employment are the "
                "credential subject's activityStartDate and activityEndDate."
            )
        },
    }
    if alignments:
        wanted["alignment"] = alignments
    wanted = validate_achievement(wanted)
    try:
        latest: AchievementDefinition | None = get_achievement(session, org, logical_id)
    except AchievementNotFound:
        latest = None
    if latest is None:
        create_achievement(session, settings, org, wanted, logical_id=logical_id, actor=actor)
    elif latest.status is PublicationStatus.PUBLISHED and latest.achievement == wanted:
        return latest
    else:
        edit_achievement(session, settings, org, logical_id, wanted, actor=actor)
    return publish_achievement(session, org, logical_id, actor=actor)


def _subject_recipient(recipient: str) -> tuple[dict[str, Any], StoredRecipient]:
    value = recipient.strip()
    if _EMAIL.match(value):
        address = value.lower()
        salt = secrets.token_hex(16)
        identity = hashed_identity("emailAddress", address, salt)
        stored = StoredRecipient(
            RecipientKind.EMAIL, identity.identity_hash, True, salt, recipient_lookup(address)
        )
        return {"identifier": [identity.to_json_dict()]}, stored
    if _DID_OR_URI.match(value):
        stored = StoredRecipient(RecipientKind.DID, value, False, None, recipient_lookup(value))
        return {"id": value}, stored
    raise InvalidInput(
        "The recipient is the learner's DID or e-mail address.", details={"field": "recipient"}
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def issue_employment_credential(
    session: Session,
    settings: Settings,
    keystore: KeyStore,
    org: Organization,
    request: EmploymentCredentialRequest,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> tuple[IssuedCredential, bool]:
    """Issue an employment credential from ``org`` (the employer), in the caller's
    transaction. Returns ``(credential, created)``; with an idempotency key a repeat of
    the same request returns the stored credential (``created`` False), a different
    request under the same key is an :class:`~openler.services.issuing.
    IdempotencyConflict`."""
    fingerprint = request.fingerprint()
    existing = earlier_issue(session, org, request.idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    role = _name(request.role, "role")
    _dates(request.start_date, request.end_date)
    narrative = _description(request.narrative)
    alignments = _framework_skills(request.skills) + [dict(a) for a in request.alignments]
    subject, stored = _subject_recipient(request.recipient)
    now = now or utcnow()
    achievement = _role_achievement(session, settings, org, role, alignments, actor)
    subject["role"] = role
    subject["activityStartDate"] = _midnight(request.start_date).strftime("%Y-%m-%dT%H:%M:%SZ")
    if request.end_date is not None:
        subject["activityEndDate"] = _midnight(request.end_date).strftime("%Y-%m-%dT%H:%M:%SZ")
    if narrative is not None:
        subject["narrative"] = narrative
    purpose = StatusPurpose.REVOCATION
    status_list, index = allocate_status_entry(session, org, purpose)
    unsigned = build_achievement_credential(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=issuer_profile(settings, org),
        achievement=achievement.achievement,
        subject=subject,
        valid_from=now,
        credential_status=status_entry(
            settings.base_url + status_list.url_path, index, purpose.value
        ),
        name=f"{role} at {org.name}",
        credential_schema=False,
    )
    issued = sign_and_store(
        session,
        settings,
        keystore,
        org,
        unsigned=unsigned,
        achievement=achievement,
        recipient=stored,
        status_list=status_list,
        index=index,
        suites=request.suites,
        now=now,
        actor=actor,
        idempotency_key=request.idempotency_key,
        request_hash=fingerprint,
        audit_details={"employment": True, "role": role},
    )
    return issued, True
