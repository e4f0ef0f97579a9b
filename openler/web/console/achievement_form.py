"""The achievement form: an OB 3.0 Achievement as form fields and back.

:class:`AchievementForm` holds what the form shows (strings, so a rejected submission is
shown again exactly as typed). :meth:`AchievementForm.from_document` fills it from a stored
Achievement, :meth:`AchievementForm.from_form` from a submission, and
:meth:`AchievementForm.to_document` builds the Achievement (or names what is wrong, field
by field). Properties the form does not show (``creator``, ``otherIdentifier``,
``related`` …, e.g. set through the API) are kept as they were.

- **Alignments** are picked from the bundled skills frameworks (O*NET, ESCO; see
  :func:`openler.services.seed.framework_items`), each one submitted as its ``targetUrl``;
  one further alignment can be typed in (name and URL). Alignments already on the
  achievement stay selectable by their URL.
- **Result descriptions**: a name, a result type and either a value range (minimum,
  maximum, required value) or rubric levels, one per line as ``Level: description``.
- **Level**: OB 3.0 has no level property on an Achievement; the level is kept as a
  keyword tag ``level:<text>`` (schema.org keywords), which every OB 3.0 reader shows.
- **Image**: PNG, JPEG or SVG, at most :data:`MAX_IMAGE_BYTES`, recognised by its first
  bytes (never by the name or the declared type), stored in the Achievement as a ``data:``
  URI (OB 3.0 ``Image.id``). SVG with scripts, event handlers, external references or
  entity declarations is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.datastructures import FormData, UploadFile

from openler.core.model.vocab import AchievementType, ResultType
from openler.services.seed import alignment, framework_items

__all__ = [
    "ACHIEVEMENT_TYPES",
    "MAX_IMAGE_BYTES",
    "MAX_RESULT_SLOTS",
    "RESULT_TYPES",
    "AchievementForm",
    "ImageRejected",
    "ResultSlot",
    "image_data_uri",
    "search_skills",
    "skill_label",
]

MAX_IMAGE_BYTES: Final = 256 * 1024
MAX_RESULT_SLOTS: Final = 20
ACHIEVEMENT_TYPES: Final = sorted(t.value for t in AchievementType)
RESULT_TYPES: Final = sorted(t.value for t in ResultType)
LEVEL_TAG: Final = "level:"
#: The members this form manages; every other member of a stored Achievement is kept.
_MANAGED: Final = (
    "name",
    "description",
    "achievementType",
    "criteria",
    "alignment",
    "resultDescription",
    "creditsAvailable",
    "fieldOfStudy",
    "specialization",
    "humanCode",
    "tag",
    "inLanguage",
    "image",
)
_LIMITS: Final = {"name": 200, "description": 10_000, "criteria_narrative": 20_000}
_SVG_FORBIDDEN: Final = re.compile(
    r"<script|javascript:|<foreignobject|<!entity|<!doctype(?!\s+svg)|\son[a-z]+\s*=|"
    r"(?:xlink:)?href\s*=\s*[\"'](?!#|data:image/)",
    re.IGNORECASE,
)


class ImageRejected(ValueError):
    """The upload is not an image the form accepts (the message says why)."""


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or "item"


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8").lstrip("\ufeff \t\r\n")
    except UnicodeDecodeError:
        return None
    head = text[:1024].lower()
    if head.startswith(("<?xml", "<svg", "<!--")) and "<svg" in text.lower():
        if _SVG_FORBIDDEN.search(text):
            raise ImageRejected(
                "This SVG contains scripts, event handlers, links to other files or entity "
                "declarations; export it as a plain SVG or a PNG."
            )
        return "image/svg+xml"
    return None


def image_data_uri(data: bytes) -> str:
    """``data`` as a ``data:`` URI after checking what it is; :class:`ImageRejected`
    for an empty, oversized or non-image file."""
    if not data:
        raise ImageRejected("The image file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(
            f"The image is larger than {MAX_IMAGE_BYTES // 1024} KB; choose a smaller one."
        )
    media_type = _sniff(data)
    if media_type is None:
        raise ImageRejected("This file is not a PNG, JPEG or SVG image.")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _recheck_data_uri(uri: str) -> str:
    """A ``data:`` URI carried through the form, checked again (it came from the client)."""
    header, _, payload = uri.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise ImageRejected("The image could not be read; choose the file again.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected("The image could not be read; choose the file again.") from None
    return image_data_uri(data)


# -- skills --------------------------------------------------------------------------------


def _items_by_url() -> dict[str, tuple[str, dict[str, Any]]]:
    return {item["url"]: (key, item) for key, item in framework_items().items()}


def search_skills(
    query: str, *, exclude: frozenset[str] = frozenset(), limit: int = 25
) -> list[dict[str, Any]]:
    """Framework items whose name, description, code or framework contain every word of
    ``query`` (case-insensitive), by name; ``exclude`` holds target URLs already chosen."""
    words = [w for w in query.lower().split() if w][:10]
    if not words:
        return []
    found = []
    for item in framework_items().values():
        text = " ".join(
            str(item.get(k, "")) for k in ("name", "description", "code", "frameworkName")
        ).lower()
        if item["url"] not in exclude and all(w in text for w in words):
            found.append(item)
    found.sort(key=lambda i: str(i["name"]).lower())
    return found[:limit]


def skill_label(url: str, existing: list[dict[str, Any]]) -> dict[str, str]:
    """Name and framework to show for a chosen alignment URL."""
    known = _items_by_url().get(url)
    if known is not None:
        return {"url": url, "name": known[1]["name"], "framework": known[1]["frameworkName"]}
    for a in existing:
        if a.get("targetUrl") == url:
            return {
                "url": url,
                "name": str(a.get("targetName", url)),
                "framework": str(a.get("targetFramework", "")),
            }
    return {"url": url, "name": url, "framework": ""}


# -- the form ------------------------------------------------------------------------------


@dataclass
class ResultSlot:
    """One result description as typed (``id`` kept for an existing one)."""

    name: str = ""
    result_type: str = ""
    value_min: str = ""
    value_max: str = ""
    required_value: str = ""
    levels: str = ""
    required_level: str = ""
    id: str = ""

    @property
    def empty(self) -> bool:
        return not any(
            (self.name, self.value_min, self.value_max, self.required_value, self.levels)
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class AchievementForm:
    logical_id: str = ""
    name: str = ""
    description: str = ""
    achievement_type: str = ""
    criteria_narrative: str = ""
    criteria_url: str = ""
    alignments: list[str] = field(default_factory=list)
    custom_name: str = ""
    custom_url: str = ""
    custom_framework: str = ""
    custom_code: str = ""
    results: list[ResultSlot] = field(default_factory=list)
    credits: str = ""
    level: str = ""
    field_of_study: str = ""
    specialization: str = ""
    human_code: str = ""
    tags: str = ""
    in_language: str = ""
    image: str = ""
    remove_image: bool = False
    skill_q: str = ""
    #: Alignments of the stored Achievement (to keep custom ones by URL).
    existing_alignments: list[dict[str, Any]] = field(default_factory=list)

    # -- in -----------------------------------------------------------------------------

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], logical_id: str = "") -> AchievementForm:
        criteria = doc.get("criteria") if isinstance(doc.get("criteria"), dict) else {}
        assert isinstance(criteria, dict)
        tags = [t for t in _list(doc.get("tag")) if isinstance(t, str)]
        level = next((t[len(LEVEL_TAG) :] for t in tags if t.startswith(LEVEL_TAG)), "")
        image = doc.get("image")
        image_id = image.get("id") if isinstance(image, dict) else image
        aligned = [a for a in _list(doc.get("alignment")) if isinstance(a, dict)]
        results = []
        for rd in _list(doc.get("resultDescription")):
            if not isinstance(rd, dict):
                continue
            levels = [lv for lv in _list(rd.get("rubricCriterionLevel")) if isinstance(lv, dict)]
            required_level = next(
                (_text(lv.get("name")) for lv in levels if lv.get("id") == rd.get("requiredLevel")),
                "",
            )
            results.append(
                ResultSlot(
                    name=_text(rd.get("name")),
                    result_type=_text(rd.get("resultType")),
                    value_min=_text(rd.get("valueMin")),
                    value_max=_text(rd.get("valueMax")),
                    required_value=_text(rd.get("requiredValue")),
                    levels="\n".join(
                        f"{_text(lv.get('name'))}: {_text(lv.get('description'))}".rstrip(": ")
                        for lv in levels
                    ),
                    required_level=required_level,
                    id=_text(rd.get("id")),
                )
            )
        credits = doc.get("creditsAvailable")
        return cls(
            logical_id=logical_id,
            name=_text(doc.get("name")),
            description=_text(doc.get("description")),
            achievement_type=_text(doc.get("achievementType")),
            criteria_narrative=_text(criteria.get("narrative")),
            criteria_url=_text(criteria.get("id")),
            alignments=[_text(a.get("targetUrl")) for a in aligned if a.get("targetUrl")],
            results=results,
            credits=""
            if credits is None
            else f"{credits:g}"
            if isinstance(credits, float)
            else str(credits),
            level=level,
            field_of_study=_text(doc.get("fieldOfStudy")),
            specialization=_text(doc.get("specialization")),
            human_code=_text(doc.get("humanCode")),
            tags=", ".join(t for t in tags if not t.startswith(LEVEL_TAG)),
            in_language=_text(doc.get("inLanguage")),
            image=_text(image_id),
            existing_alignments=aligned,
        )

    @classmethod
    def from_form(
        cls, form: FormData, existing: Mapping[str, Any] | None = None
    ) -> tuple[AchievementForm, UploadFile | None]:
        """The submitted values (and the uploaded image file, if one was chosen)."""

        def get(name: str, limit: int = 20_000) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        raw_count = get("result_count", 5)
        count = min(MAX_RESULT_SLOTS, int(raw_count)) if raw_count.isdigit() else 0
        results = [
            ResultSlot(
                name=get(f"rd-{i}-name", 200),
                result_type=get(f"rd-{i}-type", 100),
                value_min=get(f"rd-{i}-min", 100),
                value_max=get(f"rd-{i}-max", 100),
                required_value=get(f"rd-{i}-required", 100),
                levels=get(f"rd-{i}-levels", 10_000),
                required_level=get(f"rd-{i}-required-level", 200),
                id=get(f"rd-{i}-id", 500),
            )
            for i in range(count)
        ]
        upload = form.get("image_file")
        chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
        aligned = [a for a in _list((existing or {}).get("alignment")) if isinstance(a, dict)]
        selected = [v for v in form.getlist("alignment") if isinstance(v, str) and v][:100]
        return (
            cls(
                logical_id=get("logical_id", 200),
                name=get("name", 1000),
                description=get("description"),
                achievement_type=get("achievement_type", 100),
                criteria_narrative=get("criteria_narrative"),
                criteria_url=get("criteria_url", 2000),
                alignments=list(dict.fromkeys(selected)),
                custom_name=get("custom_name", 500),
                custom_url=get("custom_url", 2000),
                custom_framework=get("custom_framework", 500),
                custom_code=get("custom_code", 200),
                results=[r for r in results if not r.empty],
                credits=get("credits", 50),
                level=get("level", 100),
                field_of_study=get("field_of_study", 500),
                specialization=get("specialization", 500),
                human_code=get("human_code", 100),
                tags=get("tags", 2000),
                in_language=get("in_language", 35),
                image=get("image_data", MAX_IMAGE_BYTES * 2),
                remove_image=form.get("remove_image") == "1",
                skill_q=get("skill_q", 200),
                existing_alignments=aligned,
            ),
            chosen,
        )

    # -- out ----------------------------------------------------------------------------

    def chosen_skills(self) -> list[dict[str, str]]:
        return [skill_label(url, self.existing_alignments) for url in self.alignments]

    def accept_image(self, upload: UploadFile | None, errors: dict[str, str]) -> None:
        """Take a newly chosen image (checked) into the form, or keep the current one."""
        if upload is not None:
            data = upload.file.read(MAX_IMAGE_BYTES + 1)
            try:
                self.image = image_data_uri(data)
                self.remove_image = False
            except ImageRejected as exc:
                errors["image_file"] = str(exc)
        elif self.image.startswith("data:"):
            try:
                self.image = _recheck_data_uri(self.image)
            except ImageRejected as exc:
                self.image = ""
                errors["image_file"] = str(exc)

    def to_document(
        self, base: Mapping[str, Any], achievement_id: str, errors: dict[str, str]
    ) -> dict[str, Any]:
        """The Achievement: ``base`` (the stored one, or ``{}``) with the form's members
        replaced. Problems are added to ``errors`` (field name -> message)."""
        doc = {k: v for k, v in base.items() if k not in _MANAGED}
        doc["id"] = achievement_id
        doc.setdefault("type", ["Achievement"])
        for name, limit in _LIMITS.items():
            if len(getattr(self, name)) > limit:
                errors[name] = f"At most {limit} characters."
        if not self.name:
            errors["name"] = "Enter the achievement's name."
        if not self.description:
            errors["description"] = "Describe the achievement in a sentence or two."
        if self.achievement_type and not (
            self.achievement_type in ACHIEVEMENT_TYPES or self.achievement_type.startswith("ext:")
        ):
            errors["achievement_type"] = "Choose a type from the list."
        if not self.criteria_narrative and not self.criteria_url:
            errors["criteria_narrative"] = "Say how it is earned, or give the URL of the criteria."
        if self.criteria_url and not _is_web_url(self.criteria_url):
            errors["criteria_url"] = "Enter a full web address starting with https://."
        doc["name"], doc["description"] = self.name, self.description
        if self.achievement_type:
            doc["achievementType"] = self.achievement_type
        criteria: dict[str, Any] = {}
        if self.criteria_url:
            criteria["id"] = self.criteria_url
        if self.criteria_narrative:
            criteria["narrative"] = self.criteria_narrative
        doc["criteria"] = criteria
        aligned = self._alignments(errors)
        if aligned:
            doc["alignment"] = aligned
        described = self._results(achievement_id, errors)
        if described:
            doc["resultDescription"] = described
        if self.credits:
            try:
                credits = float(self.credits)
                if not 0 <= credits <= 100_000:
                    raise ValueError
                doc["creditsAvailable"] = credits
            except ValueError:
                errors["credits"] = "Enter a number of credits, like 3 or 4.5."
        for attr, member in (
            ("field_of_study", "fieldOfStudy"),
            ("specialization", "specialization"),
            ("human_code", "humanCode"),
            ("in_language", "inLanguage"),
        ):
            if getattr(self, attr):
                doc[member] = getattr(self, attr)
        tags = [t.strip() for t in self.tags.split(",") if t.strip()][:50]
        if self.level:
            tags.append(LEVEL_TAG + self.level)
        if tags:
            doc["tag"] = list(dict.fromkeys(tags))
        if self.image and not self.remove_image:
            if not (self.image.startswith("data:image/") or _is_web_url(self.image)):
                errors["image_file"] = "The image could not be read; choose the file again."
            else:
                doc["image"] = {"id": self.image, "type": "Image", "caption": self.name}
        return doc

    def _alignments(self, errors: dict[str, str]) -> list[dict[str, Any]]:
        by_url = _items_by_url()
        kept = {a.get("targetUrl"): a for a in self.existing_alignments}
        out: list[dict[str, Any]] = []
        for url in self.alignments:
            if url in by_url:
                out.append(alignment(by_url[url][0]))
            elif url in kept:
                out.append(dict(kept[url]))
        if self.custom_name or self.custom_url:
            if not self.custom_name:
                errors["custom_name"] = "Name the skill or standard this aligns to."
            if not _is_web_url(self.custom_url):
                errors["custom_url"] = "Enter the full web address of the skill or standard."
            if self.custom_name and _is_web_url(self.custom_url):
                custom: dict[str, Any] = {
                    "type": ["Alignment"],
                    "targetName": self.custom_name,
                    "targetUrl": self.custom_url,
                }
                if self.custom_framework:
                    custom["targetFramework"] = self.custom_framework
                if self.custom_code:
                    custom["targetCode"] = self.custom_code
                out.append(custom)
        return out

    def _results(self, achievement_id: str, errors: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, slot in enumerate(self.results):
            if not slot.name:
                errors[f"rd-{i}-name"] = "Name this result (or clear its fields)."
                continue
            rid = (
                slot.id if _is_web_url(slot.id) else f"{achievement_id}/results/{_slug(slot.name)}"
            )
            if rid in seen:
                errors[f"rd-{i}-name"] = "Two results have this name; give each its own."
                continue
            seen.add(rid)
            levels = _parse_levels(slot.levels)
            result_type = slot.result_type or ("RubricCriterionLevel" if levels else "")
            if not result_type:
                errors[f"rd-{i}-type"] = "Choose what kind of result this is."
                continue
            if result_type not in RESULT_TYPES and not result_type.startswith("ext:"):
                errors[f"rd-{i}-type"] = "Choose a result type from the list."
                continue
            described: dict[str, Any] = {
                "id": rid,
                "type": ["ResultDescription"],
                "name": slot.name,
                "resultType": result_type,
            }
            if levels:
                level_ids = {}
                rubric = []
                for points, (name, text) in enumerate(levels, start=1):
                    level_id = f"{rid}/{_slug(name)}"
                    level_ids[name.lower()] = level_id
                    level: dict[str, Any] = {
                        "id": level_id,
                        "type": ["RubricCriterionLevel"],
                        "name": name,
                        "points": str(points),
                    }
                    if text:
                        level["description"] = text
                    rubric.append(level)
                described["rubricCriterionLevel"] = rubric
                if slot.required_level:
                    wanted = level_ids.get(slot.required_level.lower())
                    if wanted is None:
                        errors[f"rd-{i}-required-level"] = "Name one of the levels listed above."
                    else:
                        described["requiredLevel"] = wanted
            for attr, member in (
                ("value_min", "valueMin"),
                ("value_max", "valueMax"),
                ("required_value", "requiredValue"),
            ):
                if getattr(slot, attr):
                    described[member] = getattr(slot, attr)
            out.append(described)
        return out


def _parse_levels(text: str) -> list[tuple[str, str]]:
    levels = []
    for line in text.splitlines()[:20]:
        name, _, description = line.partition(":")
        if name.strip():
            levels.append((name.strip()[:200], description.strip()[:2000]))
    return levels


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value
