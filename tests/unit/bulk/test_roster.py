"""Reading rosters: CSV with or without a BOM and with any of the three delimiters, XLSX,
row numbers as a spreadsheet shows them, and streaming (a roster is never read whole)."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from openler.services.bulk import RosterTooLarge, RosterUnreadable, open_roster


def _read(data: bytes) -> tuple[list[str], Any, list[tuple[int, list[str]]]]:
    with open_roster(io.BytesIO(data)) as roster:
        return roster.headers, roster.info, list(roster.rows())


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_delimiters_and_bom(delimiter: str, bom: bytes) -> None:
    text = delimiter.join(["E-mail", "Name", "Grade"]) + "\r\n"
    text += delimiter.join(["ada@example.org", "Ada Lovelace", "A"]) + "\r\n"
    text += delimiter.join(["bob@example.org", '"Smith, Bob; Jr"', "B"]) + "\r\n"
    headers, info, rows = _read(bom + text.encode("utf-8"))
    assert headers == ["E-mail", "Name", "Grade"]  # the BOM is not part of the first header
    assert info.delimiter == delimiter
    assert info.bom is bool(bom)
    assert rows == [
        (2, ["ada@example.org", "Ada Lovelace", "A"]),
        (3, ["bob@example.org", "Smith, Bob; Jr", "B"]),
    ]


def test_a_one_column_roster_and_non_ascii_text() -> None:
    headers, info, rows = _read("Email\nzoë@example.org\n名@example.org\n".encode())
    assert headers == ["Email"]
    assert info.delimiter == ","
    assert rows == [(2, ["zoë@example.org"]), (3, ["名@example.org"])]


def test_quoted_newlines_blank_rows_and_row_numbers() -> None:
    data = b'\n\nEmail,Note\na@x.org,"two\nlines"\n\n,\nb@x.org,ok\n'
    headers, _, rows = _read(data)
    assert headers == ["Email", "Note"]
    # Records are counted as a spreadsheet counts rows; blank ones are skipped.
    assert rows == [(4, ["a@x.org", "two\nlines"]), (7, ["b@x.org", "ok"])]


def test_headers_are_trimmed_named_and_made_unique() -> None:
    headers, _, rows = _read(b" Email , ,Name,name,,\nx,y,z,w,,\n")
    assert headers == ["Email", "Column 2", "Name", "name (2)"]
    assert rows == [(2, ["x", "y", "z", "w"])]  # empty trailing cells dropped


def test_short_rows_are_padded_and_long_ones_kept() -> None:
    _, _, rows = _read(b"a,b,c\n1\n1,2,3,4\n")
    assert rows == [(2, ["1", "", ""]), (3, ["1", "2", "3", "4"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"Email,Name\n\xff\xfeoops\n", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04not really a zip", "XLSX"),
        (b"Email\x00Name\n", "binary"),
    ],
)
def test_unreadable_rosters_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(RosterUnreadable) as caught:
        _read(data)
    assert message in caught.value.message
    assert caught.value.code == "roster_unreadable"


def test_invalid_utf8_after_the_sample_names_its_row() -> None:
    good = b"Email\n" + b"a@example.org\n" * 8000  # > 64 KiB: past the sniffed sample
    with pytest.raises(RosterUnreadable) as caught:
        _read(good + b"b\xff@example.org\n")
    assert caught.value.details["row"] == 8002


def test_too_many_columns() -> None:
    with pytest.raises(RosterTooLarge):
        open_roster(io.BytesIO((",".join(f"c{i}" for i in range(201)) + "\n").encode()))


class CountingReader(io.BytesIO):
    """Counts the bytes handed out, to prove that reading is incremental."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.handed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.handed += len(chunk)
        return chunk

    def read1(self, size: int = -1) -> bytes:
        chunk = super().read1(size)
        self.handed += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.handed += count
        return count


def test_csv_rows_are_streamed_not_loaded() -> None:
    row = b"someone@example.org,Some One,A\n"
    data = b"Email,Name,Grade\n" + row * 200_000  # ~6 MiB
    source = CountingReader(data)
    with open_roster(source) as roster:
        rows = roster.rows()
        for _ in range(10):
            next(rows)
        # The sniffing sample (64 KiB) and the reader's buffer, not the whole file.
        assert source.handed < 512 * 1024 < len(data)
        assert sum(1 for _ in rows) == 200_000 - 10


def _xlsx(*rows: list[Any]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Class of 2025")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_become_text_as_people_read_them() -> None:
    data = _xlsx(
        [],
        ["Email", "Student ID", "Score", "Completed", "Time", "Passed"],
        ["ada@example.org", 1234567, 91.5, date(2025, 6, 1), datetime(2025, 6, 1, 14, 30), True],
        [None, None, None, None, None, None],
        ["bob@example.org", "00042", 80.0, None, None, False],
    )
    headers, info, rows = _read(data)
    assert info.format == "xlsx"
    assert info.sheet == "Class of 2025"
    assert headers == ["Email", "Student ID", "Score", "Completed", "Time", "Passed"]
    assert rows == [
        (3, ["ada@example.org", "1234567", "91.5", "2025-06-01", "2025-06-01T14:30:00", "TRUE"]),
        (5, ["bob@example.org", "00042", "80", "", "", "FALSE"]),
    ]


def test_an_empty_xlsx_is_refused() -> None:
    with pytest.raises(RosterUnreadable):
        _read(_xlsx())
