"""A learner's skills profile: the skills their *verified* achievements align to.

Pure computation over credential documents the caller has already judged. Each
:class:`HeldCredential` says whether it verified; only verified ones count. Every
``Alignment`` of an awarded achievement (``targetFramework``, ``targetName``,
``targetCode``, ``targetUrl``) becomes a skill, grouped by framework, and every skill keeps
its evidence trail: which credential, which issuer, when, with which results.

    >>> profile = build_skills_profile([HeldCredential("c1", credential, verified=True)])
    >>> [s.name for group in profile.frameworks for s in group.skills]

What counts as an awarded achievement:

- an OB 3.0 credential's ``credentialSubject.achievement`` (one subject or several);
- inside a CLR 2.0 ``ClrCredential``, the achievements of the credentials it embeds in
  ``credentialSubject.verifiableCredential`` (JSON objects only; embedded VC-JWT strings
  are not decoded). ``ClrSubject.achievement`` alone lists achievements of the CLR's
  curriculum, not awards, and is not counted.

The same skill (the same ``targetUrl``; failing that, the same framework and
``targetCode``; failing that, the same framework and name, ignoring case) aligned by
several credentials is one skill with several pieces of evidence. Nothing here reads a
clock, the network or the environment; inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "OTHER_FRAMEWORK",
    "HeldCredential",
    "ResultSummary",
    "Skill",
    "SkillEvidence",
    "SkillsFramework",
    "SkillsProfile",
    "awarded_achievements",
    "build_skills_profile",
    "text_value",
]

#: The group of skills whose alignment names no framework.
OTHER_FRAMEWORK: Final = "Other skills"
#: Embedded credentials are followed this deep (a CLR in a CLR …), no deeper.
_MAX_NESTING: Final = 4


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """One credential of a learner's record, as the caller judged it.

    ``ref`` is the caller's reference for it (shown back in the evidence trail);
    ``document`` is the credential as JSON (for a VC-JWT, its decoded credential);
    ``verified`` is the caller's verdict (a verification report without failures)."""

    ref: str
    document: Mapping[str, Any]
    verified: bool


@dataclass(frozen=True, slots=True)
class ResultSummary:
    """One ``Result`` of an awarded achievement, in words: ``name`` from the matching
    ``ResultDescription`` (or the result's type), ``value`` the value, the achieved rubric
    level's name or the status."""

    name: str | None
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}


@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """Why a skill is in the profile: an awarded achievement aligned to it."""

    credential_ref: str
    credential_id: str | None
    credential_name: str | None
    achievement_id: str | None
    achievement_name: str | None
    issuer_id: str | None
    issuer_name: str | None
    #: ``awardedDate``, else ``validFrom``, else ``issuanceDate`` (as written).
    date: str | None
    results: tuple[ResultSummary, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "credentialRef": self.credential_ref,
            "credentialId": self.credential_id,
            "credentialName": self.credential_name,
            "achievementId": self.achievement_id,
            "achievementName": self.achievement_name,
            "issuerId": self.issuer_id,
            "issuerName": self.issuer_name,
            "date": self.date,
            "results": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True, slots=True)
class Skill:
    """A framework item the learner has verified evidence for."""

    name: str
    framework: str
    code: str | None
    url: str | None
    description: str | None
    evidence: tuple[SkillEvidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "framework": self.framework,
            "code": self.code,
            "url": self.url,
            "description": self.description,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class SkillsFramework:
    """The skills of one framework (``targetFramework``), by name."""

    name: str
    skills: tuple[Skill, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "skills": [s.to_dict() for s in self.skills]}


@dataclass(frozen=True, slots=True)
class SkillsProfile:
    """Skills grouped by framework (frameworks by name, :data:`OTHER_FRAMEWORK` last).

    ``verified_credentials``: how many verified credentials were looked at;
    ``unverified_ignored``: how many were left out because they did not verify."""

    frameworks: tuple[SkillsFramework, ...] = ()
    verified_credentials: int = 0
    unverified_ignored: int = 0
    skills: tuple[Skill, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(s for f in self.frameworks for s in f.skills))

    def framework(self, name: str) -> SkillsFramework | None:
        return next((f for f in self.frameworks if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "frameworks": [f.to_dict() for f in self.frameworks],
            "skillCount": len(self.skills),
            "verifiedCredentials": self.verified_credentials,
            "unverifiedIgnored": self.unverified_ignored,
        }


# -- reading credentials ---------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types(value: Any) -> list[str]:
    return [t for t in _as_list(value) if isinstance(t, str)]


def text_value(value: Any) -> str | None:
    """A plain string from a JSON-LD text: a string, a language map (``{"en": …}``, the
    first entry) or a value object (``{"@value": …}``); ``None`` for anything else or
    for blank text."""
    if isinstance(value, Mapping):
        if "@value" in value:
            value = value["@value"]
        else:
            value = next((v for v in value.values() if isinstance(v, str)), None)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _issuer(credential: Mapping[str, Any]) -> tuple[str | None, str | None]:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer, None
    if isinstance(issuer, Mapping):
        return _string(issuer.get("id")), text_value(issuer.get("name"))
    return None, None


def _date(credential: Mapping[str, Any]) -> str | None:
    for key in ("awardedDate", "validFrom", "issuanceDate"):
        value = _string(credential.get(key))
        if value is not None:
            return value
    return None


def _results(subject: Mapping[str, Any], achievement: Mapping[str, Any]) -> list[ResultSummary]:
    descriptions: dict[str, Mapping[str, Any]] = {}
    for description in _as_list(achievement.get("resultDescription")):
        if isinstance(description, Mapping) and isinstance(description.get("id"), str):
            descriptions[description["id"]] = description
    out = []
    for result in _as_list(subject.get("result")):
        if not isinstance(result, Mapping):
            continue
        described = descriptions.get(str(result.get("resultDescription")))
        name = text_value(described.get("name")) if described else None
        value = text_value(result.get("value"))
        level_id = result.get("achievedLevel")
        if value is None and described is not None and isinstance(level_id, str):
            for level in _as_list(described.get("rubricCriterionLevel")):
                if isinstance(level, Mapping) and level.get("id") == level_id:
                    value = text_value(level.get("name"))
        if value is None:
            value = text_value(result.get("status"))
        if value is None:
            continue
        if name is None:
            kinds = _types(result.get("type"))
            name = text_value(described.get("resultType")) if described else None
            name = name or next((k for k in kinds if k != "Result"), None)
        out.append(ResultSummary(name, value))
    return out


def awarded_achievements(
    credential: Mapping[str, Any], *, _depth: int = 0
) -> list[tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]]:
    """``(credential, subject, achievement)`` for each achievement ``credential`` awards,
    including those of the credentials a CLR embeds (see the module docstring)."""
    out: list[tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]] = []
    if _depth > _MAX_NESTING:
        return out
    for subject in _as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        for achievement in _as_list(subject.get("achievement")):
            if isinstance(achievement, Mapping) and "ClrCredential" not in _types(
                credential.get("type")
            ):
                out.append((credential, subject, achievement))
        for embedded in _as_list(subject.get("verifiableCredential")):
            if isinstance(embedded, Mapping):
                out.extend(awarded_achievements(embedded, _depth=_depth + 1))
    return out


# -- the profile -----------------------------------------------------------------------------


@dataclass
class _Building:
    name: str
    framework: str
    code: str | None
    url: str | None
    description: str | None
    evidence: list[SkillEvidence] = field(default_factory=list)


def _skill_key(framework: str, name: str, code: str | None, url: str | None) -> tuple[str, ...]:
    if url is not None:
        return ("url", url)
    if code is not None:
        return ("code", framework, code)
    return ("name", framework, name.casefold())


def _evidence_key(evidence: SkillEvidence) -> tuple[str | None, ...]:
    return (evidence.credential_ref, evidence.credential_id, evidence.achievement_id)


def build_skills_profile(credentials: Iterable[HeldCredential]) -> SkillsProfile:
    """The skills profile of ``credentials``: only the verified ones count."""
    building: dict[tuple[str, ...], _Building] = {}
    verified = unverified = 0
    for held in credentials:
        if not held.verified:
            unverified += 1
            continue
        verified += 1
        for credential, subject, achievement in awarded_achievements(held.document):
            issuer_id, issuer_name = _issuer(credential)
            evidence = SkillEvidence(
                credential_ref=held.ref,
                credential_id=_string(credential.get("id")),
                credential_name=text_value(credential.get("name")),
                achievement_id=_string(achievement.get("id")),
                achievement_name=text_value(achievement.get("name")),
                issuer_id=issuer_id,
                issuer_name=issuer_name,
                date=_date(credential),
                results=tuple(_results(subject, achievement)),
            )
            for alignment in _as_list(achievement.get("alignment")):
                if not isinstance(alignment, Mapping):
                    continue
                name = text_value(alignment.get("targetName"))
                if name is None:
                    continue
                framework = text_value(alignment.get("targetFramework")) or OTHER_FRAMEWORK
                code = text_value(alignment.get("targetCode"))
                url = _string(alignment.get("targetUrl"))
                key = _skill_key(framework, name, code, url)
                skill = building.get(key)
                if skill is None:
                    skill = building[key] = _Building(
                        name=name,
                        framework=framework,
                        code=code,
                        url=url,
                        description=text_value(alignment.get("targetDescription")),
                    )
                if all(_evidence_key(e) != _evidence_key(evidence) for e in skill.evidence):
                    skill.evidence.append(evidence)
    return SkillsProfile(
        frameworks=_grouped(building.values()),
        verified_credentials=verified,
        unverified_ignored=unverified,
    )


def _grouped(skills: Iterable[_Building]) -> tuple[SkillsFramework, ...]:
    by_framework: dict[str, list[Skill]] = {}
    for item in skills:
        # Newest evidence first; undated evidence last.
        evidence = sorted(item.evidence, key=lambda e: e.date or "", reverse=True)
        by_framework.setdefault(item.framework, []).append(
            Skill(
                name=item.name,
                framework=item.framework,
                code=item.code,
                url=item.url,
                description=item.description,
                evidence=tuple(evidence),
            )
        )
    names: Sequence[str] = sorted(
        by_framework, key=lambda n: (n == OTHER_FRAMEWORK, n.casefold(), n)
    )
    return tuple(
        SkillsFramework(
            name,
            tuple(sorted(by_framework[name], key=lambda s: (s.name.casefold(), s.code or ""))),
        )
        for name in names
    )
