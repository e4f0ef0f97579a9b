"""The view models of :mod:`openler.web.present` (frozen dataclasses, built by its
functions; templates read them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RowStatus = Literal["pass", "fail", "warning", "skipped"]
VerdictStatus = Literal["verified", "warnings", "failed"]
CredentialKind = Literal["achievement", "endorsement", "clr", "generic"]


@dataclass(frozen=True, slots=True)
class ImageView:
    src: str  # a data:image/... URL
    alt: str


@dataclass(frozen=True, slots=True)
class TrustView:
    """The trust registry's verdict on an issuer (``trusted`` false: not listed)."""

    trusted: bool
    registry_name: str | None
    accreditation: str | None
    sentence: str


@dataclass(frozen=True, slots=True)
class IssuerView:
    id: str | None
    name: str
    url: str | None
    email: str | None
    description: str | None
    image: ImageView | None
    trust: TrustView | None  # None: the registry was not consulted


@dataclass(frozen=True, slots=True)
class IdentifierView:
    """One way the subject is identified. ``value`` is None when it is hashed."""

    kind: str
    value: str | None
    hashed: bool


@dataclass(frozen=True, slots=True)
class SubjectView:
    name: str | None
    id: str | None
    id_kind: str | None
    identifiers: tuple[IdentifierView, ...]
    role: str | None
    term: str | None
    license_number: str | None
    credits_earned: str | None
    activity_start: str | None
    activity_end: str | None

    @property
    def display(self) -> str:
        """How the page names the subject: a name, else the first identifier's kind."""
        if self.name:
            return self.name
        for identifier in self.identifiers:
            if identifier.value and not identifier.hashed:
                return identifier.value
        if self.identifiers:
            return f"Identified by {self.identifiers[0].kind.lower()} (hashed)"
        if self.id:
            return self.id
        return "Not named"


@dataclass(frozen=True, slots=True)
class AlignmentView:
    name: str
    url: str | None
    code: str | None
    description: str | None
    target_type: str | None


@dataclass(frozen=True, slots=True)
class FrameworkGroup:
    framework: str  # "Other skills" when the alignment names none
    alignments: tuple[AlignmentView, ...]


@dataclass(frozen=True, slots=True)
class ResultView:
    name: str
    value: str | None
    level: str | None
    level_description: str | None
    status: str | None
    result_type: str | None
    required: str | None
    allowed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AchievementView:
    id: str | None
    name: str
    type_label: str | None
    description: str | None
    criteria_narrative: str | None
    criteria_url: str | None
    image: ImageView | None
    credits_available: str | None
    level: str | None
    field_of_study: str | None
    specialization: str | None
    human_code: str | None
    tags: tuple[str, ...]
    creator: str | None
    version: str | None


@dataclass(frozen=True, slots=True)
class EvidenceView:
    name: str | None
    description: str | None
    narrative: str | None
    url: str | None
    genre: str | None
    audience: str | None


@dataclass(frozen=True, slots=True)
class NestedVerdict:
    """The verdict on an embedded credential that was verified on its own."""

    status: VerdictStatus
    sentence: str


@dataclass(frozen=True, slots=True)
class EndorsementView:
    id: str | None
    about: str  # "this credential", "the achievement", "the issuer", ...
    issuer: IssuerView
    comment: str | None
    valid_from: str | None
    valid_until: str | None
    verdict: NestedVerdict | None  # None: not verified separately


@dataclass(frozen=True, slots=True)
class AssociationView:
    source: str
    relation: str
    target: str


@dataclass(frozen=True, slots=True)
class ClaimView:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class CredentialView:
    kind: CredentialKind
    kind_label: str
    id: str | None
    name: str
    description: str | None
    types: tuple[str, ...]
    vcdm: str | None
    image: ImageView | None
    issuer: IssuerView
    subject: SubjectView | None
    achievement: AchievementView | None
    results: tuple[ResultView, ...]
    skills: tuple[FrameworkGroup, ...]
    evidence: tuple[EvidenceView, ...]
    narrative: str | None
    awarded: str | None
    valid_from: str | None
    valid_until: str | None
    endorsements: tuple[EndorsementView, ...]
    endorsement_comment: str | None
    endorsed: str | None
    clr_credentials: tuple[CredentialView, ...]
    clr_associations: tuple[AssociationView, ...]
    claims: tuple[ClaimView, ...]
    verdict: NestedVerdict | None  # for a credential inside a CLR, when verified


@dataclass(frozen=True, slots=True)
class ProofInfo:
    """How a credential is secured: the suite (or ``VC-JWT (EdDSA)``) and the key."""

    suite: str
    key: str | None


@dataclass(frozen=True, slots=True)
class CheckRow:
    area: str  # signature, issuer, status, validity, schema, format, holder
    title: str
    status: RowStatus
    label: str  # a word or two: "Valid", "Revoked", "Status unavailable", ...
    sentence: str
    details: tuple[str, ...]  # the verifier's own messages, for the curious
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    status: VerdictStatus
    headline: str
    summary: str


@dataclass(frozen=True, slots=True)
class ReportView:
    verdict: Verdict
    rows: tuple[CheckRow, ...]

    def row(self, area: str) -> CheckRow | None:
        return next((r for r in self.rows if r.area == area), None)
