"""Column mappings (JSON form, resolving against headers and the achievement, guessing)
and the row checks, one stable code per kind of problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openler.services.bulk import ColumnMapping, MappingInvalid, suggest_mapping
from openler.services.bulk.mapping import resolve
from openler.services.bulk.validate import RowChecker, parse_date
from openler.store.models.enums import RecipientKind

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

ACHIEVEMENT: dict[str, Any] = {
    "id": "https://issuer.example/a/1",
    "type": ["Achievement"],
    "name": "Welding I",
    "resultDescription": [
        {
            "id": "urn:rd:grade",
            "type": ["ResultDescription"],
            "name": "Grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C"],
        },
        {
            "id": "urn:rd:score",
            "type": ["ResultDescription"],
            "name": "Score",
            "resultType": "Percent",
            "valueMin": "0",
            "valueMax": "100",
        },
        {
            "id": "urn:rd:level",
            "type": ["ResultDescription"],
            "name": "Performance",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": "urn:lv:1", "type": ["RubricCriterionLevel"], "name": "Novice"},
                {"id": "urn:lv:2", "type": ["RubricCriterionLevel"], "name": "Expert"},
            ],
        },
    ],
}
HEADERS = [
    "E-mail",
    "Student ID",
    "DID",
    "Full name",
    "Grade",
    "Score",
    "Level",
    "Portfolio",
    "Start",
    "End",
    "Expires",
    "Notes",
]
MAPPING = {
    "recipientEmail": "e-mail",
    "recipientIdentifier": "student id",
    "recipientDid": "DID",
    "recipientName": "Full Name",
    "evidenceUrl": "Portfolio",
    "activityStartDate": "Start",
    "activityEndDate": "End",
    "validUntil": "Expires",
    "narrative": "Notes",
    "identifierType": "sourcedId",
    "results": {"urn:rd:grade": "Grade", "Score": "Score", "performance": "Level"},
}


def _checker(mapping: dict[str, Any] | None = None) -> RowChecker:
    resolved = resolve(ColumnMapping.from_json(mapping or MAPPING), HEADERS, ACHIEVEMENT)
    return RowChecker(resolved, now=NOW)


def _row(**cells: str) -> list[str]:
    values = {
        "E-mail": "Ada@Example.org",
        "Student ID": "S-1",
        "DID": "",
        "Full name": "Ada Lovelace",
        "Grade": "a",
        "Score": "91.5",
        "Level": "expert",
        "Portfolio": "https://portfolio.example/ada",
        "Start": "2025-01-06",
        "End": "2025-05-30T16:00:00+02:00",
        "Expires": "2030-06-01",
        "Notes": "With *distinction*.",
    }
    values.update({k.replace("_", " "): v for k, v in cells.items()})
    return [values[h] for h in HEADERS]


def test_a_valid_row_is_normalized() -> None:
    verdict = _checker().check(_row())
    assert verdict.issues == []
    row = verdict.row
    assert row is not None
    assert row.recipient_kind is RecipientKind.EMAIL
    assert row.email == "ada@example.org"
    assert verdict.recipient == row.recipient == "ada@example.org"
    assert row.identifier == "S-1"
    assert row.results == (
        {"type": ["Result"], "resultDescription": "urn:rd:grade", "value": "A"},
        {"type": ["Result"], "resultDescription": "urn:rd:score", "value": "91.5"},
        {"type": ["Result"], "resultDescription": "urn:rd:level", "achievedLevel": "urn:lv:2"},
    )
    assert row.activity_start == "2025-01-06T00:00:00Z"
    assert row.activity_end == "2025-05-30T14:00:00Z"
    assert row.valid_until == datetime(2030, 6, 1, tzinfo=UTC)


def test_a_did_is_the_primary_recipient() -> None:
    verdict = _checker().check(_row(DID="did:key:z6MkAbc"))
    assert verdict.row is not None
    assert verdict.row.recipient_kind is RecipientKind.DID
    assert verdict.recipient == "did:key:z6mkabc"


@pytest.mark.parametrize(
    ("cells", "field", "code"),
    [
        ({"E-mail": "not-an-address"}, "recipientEmail", "invalid_email"),
        ({"E-mail": "a@b"}, "recipientEmail", "invalid_email"),
        ({"E-mail": "a..b@example.org"}, "recipientEmail", "invalid_email"),
        ({"DID": "not a did"}, "recipientDid", "invalid_did"),
        ({"E-mail": "", "Student ID": ""}, "recipient", "missing_recipient"),
        ({"Grade": "F"}, "urn:rd:grade", "unknown_result"),
        ({"Grade": ""}, "urn:rd:grade", "missing_value"),
        ({"Score": "lots"}, "urn:rd:score", "not_a_number"),
        ({"Score": "101"}, "urn:rd:score", "out_of_range"),
        ({"Level": "Master"}, "urn:rd:level", "unknown_result"),
        ({"Start": "06/01/2025"}, "activityStartDate", "invalid_date"),
        ({"Start": "2025-13-01"}, "activityStartDate", "invalid_date"),
        ({"End": "2024-12-31"}, "activityEndDate", "date_order"),
        ({"Expires": "2025-06-01"}, "validUntil", "expired"),
        ({"Portfolio": "ftp://files.example/x"}, "evidenceUrl", "invalid_url"),
        ({"Full_name": "x" * 501}, "recipientName", "invalid_value"),
        ({"Notes": "bad\x07bell"}, "narrative", "invalid_value"),
    ],
)
def test_row_problems_have_stable_codes(cells: dict[str, str], field: str, code: str) -> None:
    verdict = _checker().check(_row(**cells))
    assert verdict.row is None
    assert [(i.field, i.code) for i in verdict.issues] == [(field, code)]
    assert verdict.issues[0].message


def test_every_problem_of_a_row_is_reported_with_its_column() -> None:
    verdict = _checker().check(_row(Grade="Z", Start="soon", **{"E-mail": "nope"}))
    assert {(i.column, i.code) for i in verdict.issues} == {
        ("E-mail", "invalid_email"),
        ("Start", "invalid_date"),
        ("Grade", "unknown_result"),
    }
    assert verdict.recipient is None  # the recipient itself is unreadable


def test_an_invalid_row_still_names_a_readable_recipient() -> None:
    verdict = _checker().check(_row(Grade="Z"))
    assert verdict.row is None
    assert verdict.recipient == "ada@example.org"  # duplicates are found among these too


def test_cells_beyond_the_header_and_overlong_cells() -> None:
    checker = _checker()
    assert [i.code for i in checker.check([*_row(), "extra"]).issues] == ["too_many_cells"]
    long_cell = _row(Notes="n" * 10_001)
    assert [i.code for i in checker.check(long_cell).issues] == ["cell_too_long"]


def test_required_fields_and_optional_results() -> None:
    mapping = {**MAPPING, "required": ["recipientName"]}
    verdict = _checker(mapping).check(_row(Full_name="", Grade=""))
    assert [(i.field, i.code) for i in verdict.issues] == [("recipientName", "missing_value")]


def test_parse_date() -> None:
    assert parse_date("2025-06-01") == datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_date("2025-06-01T10:00:00Z") == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert parse_date("2025-06-01 10:00") == datetime(2025, 6, 1, 10, tzinfo=UTC)
    for bad in ("1/6/2025", "2025-06", "June 1 2025", "2025-06-01T25:00:00Z"):
        with pytest.raises(ValueError):
            parse_date(bad)


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ({"recipientEmail": "Mail"}, "no column 'Mail'"),
        ({"recipientName": "Full name"}, "map a recipient column"),
        ({"recipientEmail": "E-mail", "results": {"urn:rd:nope": "Grade"}}, "no result"),
        ({"recipientEmail": "E-mail", "required": ["narrative"]}, "not a mapped field"),
    ],
)
def test_mappings_that_do_not_fit(mapping: dict[str, Any], problem: str) -> None:
    with pytest.raises(MappingInvalid) as caught:
        resolve(ColumnMapping.from_json(mapping), HEADERS, ACHIEVEMENT)
    assert problem in caught.value.message


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"recipientEmail": 3},
        {"colour": "Red"},
        {"results": ["Grade"]},
        {"identifierType": "not a type"},
        {"identifierType": "studentId"},  # not an OB 3.0 type: ext:StudentId is
        {"required": "recipientName"},
    ],
)
def test_malformed_mappings(data: Any) -> None:
    with pytest.raises(MappingInvalid):
        ColumnMapping.from_json(data)


def test_the_json_form_round_trips() -> None:
    mapping = ColumnMapping.from_json({**MAPPING, "identifierType": "ext:StudentId"})
    assert ColumnMapping.from_json(mapping.to_json()) == mapping


def test_suggest_mapping_from_headers() -> None:
    headers = ["Student Email", "Student Number", "Name", "Grade", "Completion Date", "Whatever"]
    guess = suggest_mapping(headers, ACHIEVEMENT)
    assert dict(guess.columns) == {
        "recipientEmail": "Student Email",
        "recipientIdentifier": "Student Number",
        "recipientName": "Name",
        "activityEndDate": "Completion Date",
    }
    assert dict(guess.results) == {"urn:rd:grade": "Grade"}
