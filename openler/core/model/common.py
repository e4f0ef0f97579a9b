"""Building blocks shared by the Open Badges 3.0 and CLR 2.0 models.

* :class:`OpenModel` — the base of every model: extension properties are kept
  (``extra="allow"``), Python names are snake_case and the JSON names are the spec's
  camelCase (``validFrom``, ``credentialSubject`` …) via aliases.
* :data:`ListOrOne` — a property the spec defines as an array also accepts the JSON-LD
  compacted single value (``"type": "Profile"``); the model always holds a list.
* :data:`Text` — a human-readable string in any form the VCDM 2.0 / OB contexts allow:
  a plain string, a language value object ``{"@value": …, "@language": …,
  "@direction": …}`` (VCDM 2.0 "Language and Base Direction"), or a list of those.
* :data:`DateTimeStamp` — an XSD ``dateTimeStamp`` (date, time *and* offset), checked with
  the expression given by the VCDM 2.0 JSON Schema; the string is kept verbatim.

Validation options travel in the pydantic validation context (see :data:`LENIENT`
and :data:`NAIVE_AS_UTC`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
)
from pydantic.alias_generators import to_camel

from openler.core.errors import InvalidInput, MalformedJson
from openler.core.model.vocab import is_extension_term

__all__ = [
    "LENIENT",
    "NAIVE_AS_UTC",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "DateTimeStamp",
    "LanguageValue",
    "ListOrOne",
    "OpenModel",
    "Text",
    "TextItem",
    "VcdmVersion",
    "as_list",
    "context_flag",
    "format_date_time",
    "json_copy",
    "parse_date_time",
    "text_value",
    "types_of",
    "vcdm_version",
    "vocabulary",
]

VC_V1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"

VcdmVersion = Literal["1.1", "2.0"]

#: Validation-context key: be lenient about rules that do not stop a credential from being
#: read — any string where a vocabulary term is expected (``achievementType: "Program"``),
#: an AchievementSubject with neither ``id`` nor ``identifier``. The JSON Schema check
#: still reports what the schema forbids.
LENIENT: Final = "openler.lenient"
#: Validation-context key: read a date-time without offset as UTC (VCDM 2.0, "Representing
#: Time", asks verifiers to do so for "incorrectly serialized" values) instead of rejecting it.
NAIVE_AS_UTC: Final = "openler.naive_as_utc"


def context_flag(info: ValidationInfo, key: str) -> bool:
    """Whether the pydantic validation context sets option ``key``."""
    ctx = info.context
    return isinstance(ctx, Mapping) and bool(ctx.get(key))


# -- arrays and compaction ---------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """``None`` -> ``[]``, a list -> itself, a tuple -> a list, anything else -> ``[value]``."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def _wrap_single(value: Any) -> Any:
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


T = TypeVar("T")
ListOrOne = Annotated[list[T], BeforeValidator(_wrap_single)]


def types_of(node: Mapping[str, Any]) -> list[str]:
    """The ``type`` values of a JSON object as a list of strings (non-strings dropped)."""
    return [t for t in as_list(node.get("type")) if isinstance(t, str)]


def vcdm_version(doc: Mapping[str, Any]) -> VcdmVersion | None:
    """``"2.0"`` or ``"1.1"`` from the first ``@context`` entry; ``None`` when it is neither
    (both data models require the base context to come first)."""
    contexts = as_list(doc.get("@context"))
    first = contexts[0] if contexts else None
    if first == VC_V2_CONTEXT:
        return "2.0"
    if first == VC_V1_CONTEXT:
        return "1.1"
    return None


def json_copy(value: Any, path: str = "") -> Any:
    """A deep copy made of dict / list / str / int / float / bool / None only (Mappings become
    dicts, tuples lists); anything else, a non-string key or NaN/Infinity raises
    :class:`MalformedJson`. Keys keep their order."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MalformedJson(f"{path or '/'}: {value} is not a JSON number")
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise MalformedJson(f"{path or '/'}: object keys must be strings, got {key!r}")
            out[key] = json_copy(item, f"{path}/{key}")
        return out
    if isinstance(value, list | tuple):
        return [json_copy(item, f"{path}/{i}") for i, item in enumerate(value)]
    raise MalformedJson(f"{path or '/'}: a {type(value).__name__} is not a JSON value")


# -- the base model ----------------------------------------------------------------------


class OpenModel(BaseModel):
    """Base of all models: unknown (extension) properties are kept as given."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
        frozen=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The model as JSON with the spec's names, arrays normalized, ``None`` left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# -- language-tagged text ----------------------------------------------------------------


class LanguageValue(BaseModel):
    """A JSON-LD value object carrying language and base direction (VCDM 2.0, "Language
    and Base Direction")."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    value: str = Field(
        validation_alias=AliasChoices("@value", "value"), serialization_alias="@value"
    )
    language: str | None = Field(
        default=None,
        validation_alias=AliasChoices("@language", "language"),
        serialization_alias="@language",
    )
    direction: Literal["ltr", "rtl"] | None = Field(
        default=None,
        validation_alias=AliasChoices("@direction", "direction"),
        serialization_alias="@direction",
    )


_TEXT_SHAPE = (
    'expected a string, a language value object {"@value": ..., "@language": ...} or a list of them'
)


def _check_text_item(item: Any) -> None:
    if isinstance(item, str):
        return
    if isinstance(item, Mapping) and "@value" in item:
        return
    raise ValueError(_TEXT_SHAPE)


def _check_text(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            _check_text_item(item)
    else:
        _check_text_item(value)
    return value


TextItem = str | LanguageValue
Text = Annotated[str | LanguageValue | list[TextItem], BeforeValidator(_check_text)]


def text_value(text: Any, language: str | None = None) -> str | None:
    """A display string from a :data:`Text` (model or raw JSON): the entry in ``language``
    (exact tag, then primary subtag) when given, else the first entry."""
    items = as_list(text)
    pairs: list[tuple[str, str | None]] = []
    for item in items:
        if isinstance(item, str):
            pairs.append((item, None))
        elif isinstance(item, LanguageValue):
            pairs.append((item.value, item.language))
        elif isinstance(item, Mapping) and isinstance(item.get("@value"), str):
            lang = item.get("@language")
            pairs.append((item["@value"], lang if isinstance(lang, str) else None))
    if not pairs:
        return None
    if language:
        wanted = language.lower()
        for value, lang in pairs:
            if lang and lang.lower() == wanted:
                return value
        primary = wanted.split("-")[0]
        for value, lang in pairs:
            if lang and lang.lower().split("-")[0] == primary:
                return value
    return pairs[0][0]


# -- dates -------------------------------------------------------------------------------

# XSD 1.1 dateTimeStamp, as written in the VCDM 2.0 JSON Schema (offset required); the
# offset group is made optional here so that a missing offset gets its own message.
_DATE_TIME = re.compile(
    r"(?P<year>-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(?P<month>0[1-9]|1[0-2])"
    r"-(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9]):(?P<second>[0-5][0-9])"
    r"(?:\.(?P<fraction>[0-9]+))?|(?P<midnight>24:00:00(?:\.0+)?))"
    r"(?P<offset>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)


def parse_date_time(value: Any, *, naive_as_utc: bool = False) -> datetime:
    """An XSD ``dateTimeStamp`` string -> an aware :class:`datetime`.

    Raises :class:`InvalidInput` when ``value`` is not a string of that form, when the
    offset is missing (unless ``naive_as_utc``), or when the date does not exist or falls
    outside years 1-9999. ``24:00:00`` is the first instant of the next day; fractions
    of a second beyond microseconds are truncated.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"expected a date-time string, got {type(value).__name__}")
    m = _DATE_TIME.fullmatch(value)
    if m is None:
        raise InvalidInput(
            f"{value!r} is not an XSD dateTimeStamp (expected e.g. 2024-05-01T12:00:00Z)"
        )
    offset = m["offset"]
    if offset is None and not naive_as_utc:
        raise InvalidInput(f"{value!r} has no time zone offset (add Z or ±hh:mm)")
    year = int(m["year"])
    if not 1 <= year <= 9999:
        raise InvalidInput(f"{value!r}: year {year} is outside the supported range 1-9999")
    if offset is None or offset == "Z":
        tz: timezone = UTC
    else:
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        if m["midnight"]:
            day = datetime(year, int(m["month"]), int(m["day"]), tzinfo=tz)
            return day + timedelta(days=1)
        micros = int((m["fraction"] or "0")[:6].ljust(6, "0"))
        return datetime(
            year,
            int(m["month"]),
            int(m["day"]),
            int(m["hour"]),
            int(m["minute"]),
            int(m["second"]),
            micros,
            tzinfo=tz,
        )
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"{value!r} is not a valid date: {exc}") from None


def format_date_time(moment: datetime) -> str:
    """An aware datetime -> ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (sub-seconds dropped)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("a naive datetime is ambiguous: give a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_date_time(value: str, info: ValidationInfo) -> str:
    try:
        parse_date_time(value, naive_as_utc=context_flag(info, NAIVE_AS_UTC))
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    return value


DateTimeStamp = Annotated[str, AfterValidator(_check_date_time)]


# -- vocabularies ------------------------------------------------------------------------


def vocabulary(terms: type[StrEnum], *, extensible: bool) -> AfterValidator:
    """A validator accepting the terms of ``terms`` (and ``ext:Name`` when ``extensible``);
    any string passes when the validation context sets :data:`LENIENT`."""
    allowed = frozenset(t.value for t in terms)
    hint = " or ext:Name" if extensible else ""

    def check(value: str, info: ValidationInfo) -> str:
        if value in allowed or (extensible and is_extension_term(value)):
            return value
        if context_flag(info, LENIENT):
            return value
        raise ValueError(f"{value!r} is not a {terms.__name__} term (one of the spec's{hint})")

    return AfterValidator(check)
