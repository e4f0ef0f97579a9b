"""A credential for humans: :func:`credential_view` (see :mod:`openler.web.present`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from openler.core.results import VerificationResult
from openler.web.present._models import (
    AchievementView,
    AlignmentView,
    AssociationView,
    ClaimView,
    CredentialKind,
    CredentialView,
    EndorsementView,
    EvidenceView,
    FrameworkGroup,
    IdentifierView,
    NestedVerdict,
    ResultView,
    SubjectView,
)
from openler.web.present._read import (
    MAX_CLAIMS,
    MAX_ENDORSEMENTS,
    MAX_ITEMS,
    _first_subject,
    _id,
    _id_kind,
    _image,
    _issuer,
    _items,
    _maps,
    _text,
    _trust,
    _types,
    _url,
    _vcdm,
    humanize,
)
from openler.web.present._report import nested_verdict

# -- issuer, subject, achievement -------------------------------------------------------


def _identifier(identity: Mapping[str, Any]) -> IdentifierView | None:
    kind_term = _text(identity.get("identityType") or identity.get("identifierType"), 100)
    kind = humanize(kind_term) if kind_term else "Identifier"
    hashed = identity.get("hashed") is not False and "identityHash" in identity
    raw = identity.get("identityHash", identity.get("identifier"))
    value = None if hashed else _text(raw, 500)
    if value is None and not hashed:
        return None
    return IdentifierView(kind=kind, value=value, hashed=hashed)


def _subject(subject: Mapping[str, Any]) -> SubjectView:
    identifiers = [i for i in map(_identifier, _maps(subject.get("identifier"), 20)) if i]
    name = _text(subject.get("name"), 500)
    if name is None:
        name = next((i.value for i in identifiers if i.kind == "Name" and i.value), None)
    subject_id = _id(subject)
    return SubjectView(
        name=name,
        id=subject_id,
        id_kind=_id_kind(subject_id),
        identifiers=tuple(identifiers),
        role=_text(subject.get("role"), 500),
        term=_text(subject.get("term"), 500),
        license_number=_text(subject.get("licenseNumber"), 500),
        credits_earned=_text(subject.get("creditsEarned"), 50),
        activity_start=_text(subject.get("activityStartDate"), 100),
        activity_end=_text(subject.get("activityEndDate"), 100),
    )


def _achievement(achievement: Mapping[str, Any]) -> AchievementView:
    criteria = achievement.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    kind = _text(achievement.get("achievementType"), 200)
    name = _text(achievement.get("name"), 500) or "Unnamed achievement"
    creator = achievement.get("creator")
    return AchievementView(
        id=_id(achievement),
        name=name,
        type_label=humanize(kind) if kind else None,
        description=_text(achievement.get("description")),
        criteria_narrative=_text(criteria.get("narrative")),
        criteria_url=_url(criteria.get("id")),
        image=_image(achievement.get("image"), f"Image of {name}"),
        credits_available=_text(achievement.get("creditsAvailable"), 50),
        level=_text(achievement.get("level"), 200),
        field_of_study=_text(achievement.get("fieldOfStudy"), 500),
        specialization=_text(achievement.get("specialization"), 500),
        human_code=_text(achievement.get("humanCode"), 200),
        tags=tuple(t for t in map(_text, _items(achievement.get("tag"), 50)) if t),
        creator=_issuer(creator).name if creator is not None else None,
        version=_text(achievement.get("version"), 100),
    )


def _skills(sources: Iterable[Any]) -> tuple[FrameworkGroup, ...]:
    groups: dict[str, list[AlignmentView]] = {}
    seen: set[tuple[str, str, str | None]] = set()
    for alignment in sources:
        if not isinstance(alignment, Mapping):
            continue
        name = _text(alignment.get("targetName"), 500)
        if name is None:
            continue
        framework = _text(alignment.get("targetFramework"), 500) or "Other skills"
        url = _url(alignment.get("targetUrl"))
        if (framework, name, url) in seen:
            continue
        seen.add((framework, name, url))
        target_type = _text(alignment.get("targetType"), 100)
        groups.setdefault(framework, []).append(
            AlignmentView(
                name=name,
                url=url,
                code=_text(alignment.get("targetCode"), 200),
                description=_text(alignment.get("targetDescription")),
                target_type=humanize(target_type.split(":")[-1]) if target_type else None,
            )
        )
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "Other skills", kv[0].lower()))
    return tuple(FrameworkGroup(f, tuple(a[:MAX_ITEMS])) for f, a in ordered)


def _results(subject: Mapping[str, Any], achievement: Mapping[str, Any]) -> list[ResultView]:
    described = _maps(achievement.get("resultDescription"))
    descriptions = {d["id"]: d for d in described if isinstance(d.get("id"), str)}
    levels = {
        lv["id"]: lv
        for d in described
        for lv in _maps(d.get("rubricCriterionLevel"))
        if isinstance(lv.get("id"), str)
    }
    out = []
    for result in _maps(subject.get("result")):
        description = descriptions.get(result.get("resultDescription"), {})
        level = levels.get(result.get("achievedLevel"))
        level_name = None
        if level is not None:
            level_name = _text(level.get("name"), 200) or _text(level.get("level"), 200)
        elif result.get("achievedLevel") is not None:
            level_name = _text(result.get("achievedLevel"), 200)
        result_type = _text(description.get("resultType"), 100)
        status = _text(result.get("status"), 100)
        required_level = levels.get(description.get("requiredLevel"), {})
        out.append(
            ResultView(
                name=_text(description.get("name"), 500) or "Result",
                value=_text(result.get("value"), 500),
                level=level_name,
                level_description=_text(level.get("description")) if level else None,
                status=humanize(status) if status else None,
                result_type=humanize(result_type) if result_type else None,
                required=_text(description.get("requiredValue"), 200)
                or _text(required_level.get("name"), 200),
                allowed=tuple(v for v in map(_text, _items(description.get("allowedValue"))) if v),
            )
        )
    return out


def _evidence(document: Mapping[str, Any]) -> list[EvidenceView]:
    out = []
    for item in _maps(document.get("evidence")):
        view = EvidenceView(
            name=_text(item.get("name"), 500),
            description=_text(item.get("description")),
            narrative=_text(item.get("narrative")),
            url=_url(item.get("id")),
            genre=_text(item.get("genre"), 200),
            audience=_text(item.get("audience"), 200),
        )
        if any((view.name, view.description, view.narrative, view.url)):
            out.append(view)
    return out


# -- embedded credentials -----------------------------------------------------------------


def _decoded_jwt(token: str) -> Mapping[str, Any] | None:
    """The credential a VC-JWT carries (signature not checked here)."""
    from openler.core.errors import OpenlerError
    from openler.core.proofs.vc_jwt import decode_jwt

    try:
        return dict(decode_jwt(token).credential)
    except (OpenlerError, ValueError, TypeError):
        return None


def _as_credential(item: Any) -> Mapping[str, Any] | None:
    if isinstance(item, Mapping):
        return item
    if isinstance(item, str):
        return _decoded_jwt(item.strip())
    return None


def _key_of(item: Any) -> str | None:
    """How :func:`credential_view` looks an embedded credential up in ``nested``."""
    if isinstance(item, str):
        return item.strip() or None
    return _id(item) if isinstance(item, Mapping) else None


def _endorsement_sources(document: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(what is endorsed, embedded endorsement) pairs of a credential."""
    subject = _first_subject(document) or {}
    found, profile = subject.get("achievement"), document.get("issuer")
    achievement: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    issuer: Mapping[str, Any] = profile if isinstance(profile, Mapping) else {}
    out: list[tuple[str, Any]] = []
    for about, holder in (
        ("this credential", document),
        ("the achievement", achievement),
        ("the issuer", issuer),
    ):
        for key in ("endorsement", "endorsementJwt"):
            out += [(about, e) for e in _items(holder.get(key), MAX_ENDORSEMENTS)]
    return out[:MAX_ENDORSEMENTS]


def _clr_items(document: Mapping[str, Any]) -> list[Any]:
    if "ClrCredential" not in _types(document.get("type")):
        return []
    subject = _first_subject(document) or {}
    return _items(subject.get("verifiableCredential"))


def nested_credentials(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any] | str]]:
    """The credentials embedded in ``document`` that a page may verify on their own:
    endorsements (of the credential, its achievement and its issuer) and a CLR's
    credentials, as ``(key, credential)`` pairs; ``key`` is what ``nested`` of
    :func:`credential_view` is looked up by (the credential's id, or the JWT itself)."""
    out: list[tuple[str, Mapping[str, Any] | str]] = []
    for item in [e for _, e in _endorsement_sources(document)] + _clr_items(document):
        key = _key_of(item)
        if key is not None and isinstance(item, Mapping | str):
            out.append((key, item))
    return out


def _endorsement(
    about: str, item: Any, nested: Mapping[str, VerificationResult]
) -> EndorsementView | None:
    document = _as_credential(item)
    if document is None:
        return None
    report = nested.get(_key_of(item) or "")
    subject = _first_subject(document) or {}
    return EndorsementView(
        id=_id(document),
        about=about,
        issuer=_issuer(document.get("issuer"), _trust(report)),
        comment=_text(subject.get("endorsementComment")),
        valid_from=_text(document.get("validFrom") or document.get("issuanceDate"), 100),
        valid_until=_text(document.get("validUntil") or document.get("expirationDate"), 100),
        verdict=nested_verdict(report) if report is not None else None,
    )


# -- the credential ---------------------------------------------------------------------


_KIND_LABELS: Final[Mapping[CredentialKind, str]] = {
    "achievement": "Open Badge",
    "endorsement": "Endorsement",
    "clr": "Comprehensive Learner Record",
    "generic": "Verifiable credential",
}


def _kind(types: tuple[str, ...]) -> CredentialKind:
    if "ClrCredential" in types:
        return "clr"
    if "EndorsementCredential" in types:
        return "endorsement"
    if {"OpenBadgeCredential", "AchievementCredential"} & set(types):
        return "achievement"
    return "generic"


def _claims(value: Any, prefix: str = "", depth: int = 0) -> list[ClaimView]:
    out: list[ClaimView] = []
    if depth > 3:
        return out
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key in ("id", "type", "@context") and depth == 0:
                continue
            label = f"{prefix} › {humanize(str(key))}" if prefix else humanize(str(key))
            out += _claims(inner, label, depth + 1)
    elif isinstance(value, list):
        texts = [t for t in map(_text, value[:MAX_CLAIMS]) if t]
        if texts and len(texts) == len(value[:MAX_CLAIMS]):
            out.append(ClaimView(prefix, ", ".join(texts)))
        else:
            for index, inner in enumerate(value[:10]):
                out += _claims(inner, f"{prefix} {index + 1}", depth + 1)
    elif isinstance(value, bool):
        out.append(ClaimView(prefix, "yes" if value else "no"))
    elif (text := _text(value)) is not None:
        out.append(ClaimView(prefix, text))
    return out[:MAX_CLAIMS]


def credential_view(
    document: Mapping[str, Any],
    *,
    report: VerificationResult | None = None,
    nested: Mapping[str, VerificationResult] | None = None,
    _depth: int = 0,
) -> CredentialView:
    """``document`` (a credential: OB 3.0, CLR 2.0 or any VC 1.1/2.0) for humans.

    ``report``: its verification report (the issuer's trust comes from its ``trust``
    check). ``nested``: reports of embedded credentials by :func:`nested_credentials` key."""
    nested = nested or {}
    types = _types(document.get("type"))
    kind = _kind(types)
    subject = _first_subject(document) or {}
    achievement_doc = subject.get("achievement")
    achievement_doc = achievement_doc if isinstance(achievement_doc, Mapping) else {}
    achievement = _achievement(achievement_doc) if achievement_doc else None
    name = (
        _text(document.get("name"), 500)
        or (achievement.name if achievement else None)
        or _KIND_LABELS[kind]
    )
    alignments: list[Any] = _items(achievement_doc.get("alignment"))
    for result in _maps(subject.get("result")):
        alignments += _items(result.get("alignment"))
    endorsements = [
        endorsement
        for about, item in _endorsement_sources(document)
        if (endorsement := _endorsement(about, item, nested)) is not None
    ]
    clr_views: list[CredentialView] = []
    associations: list[AssociationView] = []
    if kind == "clr" and _depth == 0:
        for item in _clr_items(document):
            inner = _as_credential(item)
            if inner is None:
                continue
            inner_report = nested.get(_key_of(item) or "")
            inner_view = credential_view(inner, report=inner_report, nested=nested, _depth=1)
            if inner_report is not None:
                inner_view = _with_verdict(inner_view, nested_verdict(inner_report))
            clr_views.append(inner_view)
        associations = _associations(subject, clr_views, document)
    claims: list[ClaimView] = []
    if kind == "generic":
        claims = _claims(subject)
    elif kind == "clr" and not clr_views:
        claims = _claims({k: v for k, v in subject.items() if k != "verifiableCredential"})
    is_endorsement = kind == "endorsement"
    return CredentialView(
        kind=kind,
        kind_label=_KIND_LABELS[kind],
        id=_id(document),
        name=name,
        description=_text(document.get("description")),
        types=types,
        vcdm=_vcdm(document),
        image=_image(document.get("image"), f"Image of {name}")
        or (achievement.image if achievement else None),
        issuer=_issuer(document.get("issuer"), _trust(report)),
        subject=None if is_endorsement or not subject else _subject(subject),
        achievement=achievement,
        results=tuple(_results(subject, achievement_doc)),
        skills=_skills(alignments),
        evidence=tuple(_evidence(document)),
        narrative=_text(subject.get("narrative")),
        awarded=_text(document.get("awardedDate"), 100),
        valid_from=_text(document.get("validFrom") or document.get("issuanceDate"), 100),
        valid_until=_text(document.get("validUntil") or document.get("expirationDate"), 100),
        endorsements=tuple(endorsements),
        endorsement_comment=_text(subject.get("endorsementComment")) if is_endorsement else None,
        endorsed=_id(subject) if is_endorsement else None,
        clr_credentials=tuple(clr_views),
        clr_associations=tuple(associations),
        claims=tuple(claims),
        verdict=None,
    )


def _with_verdict(view: CredentialView, verdict: NestedVerdict) -> CredentialView:
    return replace(view, verdict=verdict)


def _associations(
    subject: Mapping[str, Any], views: Sequence[CredentialView], document: Mapping[str, Any]
) -> list[AssociationView]:
    names: dict[str, str] = {}
    for view in views:
        if view.achievement and view.achievement.id:
            names[view.achievement.id] = view.achievement.name
        if view.id:
            names.setdefault(view.id, view.name)
    for achievement in _maps(subject.get("achievement")):
        if (key := _id(achievement)) and (label := _text(achievement.get("name"), 500)):
            names.setdefault(key, label)
    out = []
    for association in _maps(subject.get("association")):
        source, target = _id(association.get("sourceId")), _id(association.get("targetId"))
        relation = _text(association.get("associationType"), 100)
        if source and target and relation:
            out.append(
                AssociationView(
                    source=names.get(source, source),
                    relation=humanize(relation).lower(),
                    target=names.get(target, target),
                )
            )
    return out
