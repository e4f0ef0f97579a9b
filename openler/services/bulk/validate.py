"""Checking one roster row against the mapping and the achievement: every problem of the
row at once, each with a stable code, and (when there is none) the row's values, ready to
become a credential.

Codes (public API: they appear in the downloadable error report)::

    missing_recipient   no e-mail address, identifier or DID in the row
    missing_value       a required field is empty
    invalid_email       not an e-mail address
    invalid_did         not a DID or absolute URI
    invalid_value       too long, or holds control characters
    invalid_url         evidence that is not an http(s) URL
    invalid_date        not YYYY-MM-DD or an ISO 8601 date-time
    date_order          the activity ends before it starts
    expired             validUntil is not in the future
    unknown_result      a value that is not one of the result description's rubric levels
                        or allowed values
    not_a_number        a numeric result that is not a number
    out_of_range        a numeric result outside the description's valueMin..valueMax
    too_many_cells      more filled cells than the header has columns
    cell_too_long       a cell longer than the roster limit
    duplicate_recipient the same recipient as an earlier row (added by the job, which sees
                        every row)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from openler.core.model.common import as_list, format_date_time, text_value
from openler.services.bulk.mapping import ResolvedMapping, ResultColumn
from openler.services.bulk.roster import MAX_CELL_CHARS
from openler.store.models.enums import RecipientKind

__all__ = ["CheckedRow", "RowChecker", "RowIssue", "Verdict", "parse_date"]

_EMAIL: Final = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}$"
)
_URI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_URL: Final = re.compile(r"^https?://[^\s/?#<>\"]+[^\s<>\"]*$", re.IGNORECASE)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_EMAIL: Final = 320
_MAX_TEXT: Final = 500


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One problem of a row: which field (and column), a stable code, a sentence."""

    field: str
    column: str | None
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A valid row's values, normalized (e-mail lower-cased, dates in UTC)."""

    recipient_kind: RecipientKind
    #: The primary recipient, normalized: what duplicates are judged on.
    recipient: str
    email: str | None
    identifier: str | None
    did: str | None
    name: str | None
    results: tuple[dict[str, Any], ...]
    evidence_url: str | None
    activity_start: str | None
    activity_end: str | None
    valid_until: datetime | None
    narrative: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A row's values (``row``, when valid) or its problems, and its recipient key (set
    whenever the recipient itself is readable, so duplicates are found among invalid rows
    too)."""

    row: CheckedRow | None
    issues: list[RowIssue]
    recipient: str | None


def parse_date(text: str) -> datetime:
    """``2025-06-01`` (midnight UTC) or an ISO 8601 date-time (no offset: UTC); anything
    else, day/month orders included, is a ValueError."""
    value = text.strip()
    if _DATE.match(value):
        return datetime.combine(date.fromisoformat(value), time(0), UTC)
    if len(value) < 16 or value[4] != "-" or value[10] not in "Tt ":
        raise ValueError(value)
    moment = datetime.fromisoformat(value.replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _names(node: Mapping[str, Any]) -> list[str]:
    return [t for t in (text_value(v) for v in as_list(node.get("name"))) if t]


class _ResultRule:
    """How the values of one result description are checked and written."""

    def __init__(self, result: ResultColumn) -> None:
        self.result = result
        description = result.description
        self.levels: dict[str, str] = {}
        for level in as_list(description.get("rubricCriterionLevel")):
            if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                self.levels[level["id"].casefold()] = level["id"]
                for name in _names(level):
                    self.levels.setdefault(name.strip().casefold(), level["id"])
        self.allowed = {
            a.strip().casefold(): a
            for a in (text_value(v) for v in as_list(description.get("allowedValue")))
            if a
        }
        bounds = [description.get("valueMin"), description.get("valueMax")]
        self.low, self.high = (_number(b) if isinstance(b, str) else None for b in bounds)
        self.choices = ", ".join(
            repr(v) for v in (list(self.levels.values()) if self.levels else self.allowed.values())
        )

    def check(self, value: str) -> dict[str, Any] | RowIssue:
        result = self.result
        out: dict[str, Any] = {"type": ["Result"], "resultDescription": result.id}
        key = value.strip().casefold()
        if self.levels:
            level = self.levels.get(key)
            if level is None:
                return self._issue(
                    "unknown_result",
                    f"{value!r} is not a rubric level of {result.label!r} ({self._level_names()})",
                )
            out["achievedLevel"] = level
            return out
        if self.allowed:
            allowed = self.allowed.get(key)
            if allowed is None:
                return self._issue(
                    "unknown_result",
                    f"{value!r} is not an allowed value of {result.label!r} ({self.choices})",
                )
            value = allowed
        if self.low is not None or self.high is not None:
            number = _number(value)
            if number is None:
                return self._issue("not_a_number", f"{value!r} is not a number")
            if (self.low is not None and number < self.low) or (
                self.high is not None and number > self.high
            ):
                low = self.low if self.low is not None else "…"
                high = self.high if self.high is not None else "…"
                return self._issue("out_of_range", f"{value} is outside {low} to {high}")
        out["value"] = value.strip()
        return out

    def _level_names(self) -> str:
        names: list[str] = []
        for level in as_list(self.result.description.get("rubricCriterionLevel")):
            if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                names.append(repr((_names(level) or [level["id"]])[0]))
        return ", ".join(names)

    def _issue(self, code: str, message: str) -> RowIssue:
        return RowIssue(self.result.id, None, code, message)


class RowChecker:
    """Checks rows of one roster under one mapping; ``now`` judges ``validUntil``."""

    def __init__(self, mapping: ResolvedMapping, *, now: datetime) -> None:
        self.mapping = mapping
        self.now = now
        self.width = len(mapping.headers)
        self._rules = [_ResultRule(r) for r in mapping.results]

    def _cell(self, cells: Sequence[str], name: str) -> str:
        position = self.mapping.columns.get(name)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    def check(self, cells: Sequence[str]) -> Verdict:
        """The row's values, or its problems (never both)."""
        issues: list[RowIssue] = []
        mapping = self.mapping

        def issue(name: str, code: str, message: str) -> None:
            column = mapping.header(name) if name in mapping.columns else None
            issues.append(RowIssue(name, column, code, message))

        if len(cells) > self.width:
            issue(
                "row",
                "too_many_cells",
                f"the row has {len(cells)} cells but the header has {self.width} columns",
            )
        for position, cell in enumerate(cells[: self.width]):
            if len(cell) > MAX_CELL_CHARS:
                issues.append(
                    RowIssue(
                        "row",
                        mapping.headers[position],
                        "cell_too_long",
                        f"the cell has {len(cell):,} characters (at most {MAX_CELL_CHARS:,})",
                    )
                )
        if issues:
            return Verdict(None, issues, None)

        for name in mapping.required:
            if name in mapping.columns and not self._cell(cells, name):
                issue(name, "missing_value", f"{mapping.header(name)!r} is empty")

        email = self._cell(cells, "recipientEmail") or None
        if email is not None:
            email = email.removeprefix("mailto:").removeprefix("MAILTO:").lower()
            if len(email) > _MAX_EMAIL or not _EMAIL.match(email):
                issue("recipientEmail", "invalid_email", f"{email!r} is not an e-mail address")
        identifier = self._text(cells, "recipientIdentifier", issue)
        did = self._cell(cells, "recipientDid") or None
        if did is not None and (len(did) > _MAX_TEXT or not _URI.match(did)):
            issue("recipientDid", "invalid_did", f"{did!r} is not a DID or absolute URI")
        if not (email or identifier or did) and not any(
            i.field in ("recipientEmail", "recipientIdentifier", "recipientDid") for i in issues
        ):
            issue("recipient", "missing_recipient", "the row names no recipient")
        name = self._text(cells, "recipientName", issue)
        narrative = self._text(cells, "narrative", issue, limit=MAX_CELL_CHARS)

        evidence = self._cell(cells, "evidenceUrl") or None
        if evidence is not None and (len(evidence) > 2000 or not _URL.match(evidence)):
            issue("evidenceUrl", "invalid_url", f"{evidence!r} is not an http(s) URL")

        start = self._date(cells, "activityStartDate", issue)
        end = self._date(cells, "activityEndDate", issue)
        if start is not None and end is not None and end < start:
            issue("activityEndDate", "date_order", "the activity ends before it starts")
        valid_until = self._date(cells, "validUntil", issue)
        if valid_until is not None and valid_until <= self.now:
            issue("validUntil", "expired", f"{format_date_time(valid_until)} is not in the future")

        results: list[dict[str, Any]] = []
        for rule in self._rules:
            value = cells[rule.result.column].strip() if rule.result.column < len(cells) else ""
            if not value:
                if rule.result.id in mapping.required:
                    issues.append(
                        RowIssue(
                            rule.result.id,
                            mapping.headers[rule.result.column],
                            "missing_value",
                            f"{mapping.headers[rule.result.column]!r} is empty",
                        )
                    )
                continue
            checked = rule.check(value)
            if isinstance(checked, RowIssue):
                issues.append(
                    RowIssue(
                        checked.field,
                        mapping.headers[rule.result.column],
                        checked.code,
                        checked.message,
                    )
                )
            else:
                results.append(checked)
        recipient_fields = ("recipientDid", "recipientEmail", "recipientIdentifier")
        readable = not any(i.field in recipient_fields for i in issues)
        primary = (did or email or identifier) if readable else None
        key = primary.lower() if primary is not None else None
        if issues:
            return Verdict(None, issues, key)
        assert key is not None
        if did is not None:
            kind = RecipientKind.DID
        elif email is not None:
            kind = RecipientKind.EMAIL
        else:
            kind = RecipientKind.INSTITUTIONAL_ID
        row = CheckedRow(
            recipient_kind=kind,
            recipient=key,
            email=email,
            identifier=identifier,
            did=did,
            name=name,
            results=tuple(results),
            evidence_url=evidence,
            activity_start=format_date_time(start) if start is not None else None,
            activity_end=format_date_time(end) if end is not None else None,
            valid_until=valid_until,
            narrative=narrative,
        )
        return Verdict(row, [], key)

    def _text(self, cells: Sequence[str], name: str, issue: Any, limit: int = _MAX_TEXT) -> Any:
        value = self._cell(cells, name) or None
        if value is not None:
            if len(value) > limit:
                issue(name, "invalid_value", f"longer than {limit:,} characters")
            elif _CONTROL.search(value):
                issue(name, "invalid_value", "holds control characters")
        return value

    def _date(self, cells: Sequence[str], name: str, issue: Any) -> datetime | None:
        value = self._cell(cells, name)
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            issue(
                name,
                "invalid_date",
                f"{value!r} is not a date: write YYYY-MM-DD or an ISO 8601 date-time",
            )
            return None
