"""Reading rosters: CSV (UTF-8 with or without a BOM; comma, semicolon or tab) and XLSX
(the first sheet), one row at a time, so that a roster of millions of rows never sits in
memory.

:func:`open_roster` takes a binary, seekable file and returns a :class:`Roster`: its
``headers`` (the first row) and ``rows()``, an iterator of ``(row_no, cells)`` where
``row_no`` is the row's number as a spreadsheet shows it (the header is row 1) and every
cell is text. Blank rows are skipped (their numbers are not reused). XLSX cells become
text the way a person reads them: ``12`` not ``12.0``, dates as ``2025-06-01`` (or a full
ISO 8601 date-time when there is a time of day).

The delimiter of a CSV file is chosen by reading the first records with each candidate:
the one that splits the header into the most columns and keeps the most records at the
header's width wins (comma on a tie; a one-column roster is fine).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any, Final

from openler.services.bulk.errors import RosterTooLarge, RosterUnreadable

__all__ = [
    "DELIMITERS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "Roster",
    "RosterInfo",
    "open_roster",
]

DELIMITERS: Final = (",", ";", "\t")
#: The most columns a roster may have, and the longest cell (characters).
MAX_COLUMNS: Final = 200
MAX_CELL_CHARS: Final = 10_000
_SAMPLE_BYTES: Final = 64 * 1024
_SAMPLE_RECORDS: Final = 20
_XLSX_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
_UNDECODED: Final = re.compile("[\udc80-\udcff]")

# The csv module refuses fields above its limit; keep it above ours so that our own check
# (with a row number) reports an over-long cell.
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS * 4 + 16))


@dataclass(frozen=True, slots=True)
class RosterInfo:
    """How a roster was read (kept with the job, shown to the user)."""

    format: str  # "csv" or "xlsx"
    delimiter: str | None = None
    bom: bool = False
    sheet: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": self.format}
        if self.format == "csv":
            out["delimiter"] = self.delimiter
            out["bom"] = self.bom
        else:
            out["sheet"] = self.sheet
        return out


class Roster:
    """An open roster: its header row and a one-pass iterator over its data rows.
    Close it (or use it as a context manager) when done."""

    def __init__(
        self,
        headers: list[str],
        info: RosterInfo,
        rows: Iterator[tuple[int, list[str]]],
        closer: Any = None,
    ) -> None:
        self.headers = headers
        self.info = info
        self._rows = rows
        self._closer = closer

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row_no, cells)`` for each non-blank data row, cells padded to the header's
        width (a row with more non-empty cells than the header keeps them all)."""
        return self._rows

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_roster(source: IO[bytes], *, max_columns: int = MAX_COLUMNS) -> Roster:
    """Open a CSV or XLSX roster from a binary, seekable file (told apart by content)."""
    try:
        start = source.read(len(_XLSX_MAGIC))
        source.seek(0)
    except (OSError, ValueError) as exc:
        raise RosterUnreadable(f"The roster cannot be read: {exc}.") from None
    if start.startswith(_XLSX_MAGIC):
        return _open_xlsx(source, max_columns)
    if start.startswith(_OLE_MAGIC):
        raise RosterUnreadable(
            "This is an old binary Excel file (.xls): save it as .xlsx or as CSV (UTF-8)."
        )
    return _open_csv(source, max_columns)


# -- shared ---------------------------------------------------------------------------------


def _headers(raw: list[str], max_columns: int) -> list[str]:
    """Trimmed header names; an empty one is ``Column N``, a repeated one ``Name (2)``."""
    while raw and not raw[-1].strip():
        raw = raw[:-1]  # trailing empty columns (a common export artefact)
    if not raw:
        raise RosterUnreadable("The roster has no header row (its first row is empty).")
    if len(raw) > max_columns:
        raise RosterTooLarge(
            f"The roster has {len(raw)} columns; at most {max_columns} are allowed.",
            details={"maxColumns": max_columns},
        )
    names: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(raw, start=1):
        base = " ".join(name.split()) or f"Column {position}"
        candidate, n = base, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate.casefold())
        names.append(candidate)
    return names


def _fit(cells: list[str], width: int) -> list[str]:
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        return cells[:width]
    return cells


# -- CSV ------------------------------------------------------------------------------------


def _sniff(sample: str) -> str:
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            records = []
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                records.append(record)
                if len(records) >= _SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        records = [r for r in records if any(c.strip() for c in r)]
        if not records:
            continue
        width = len(records[0])
        # The last sampled record may be cut off mid-way: judge by the complete ones.
        steady = sum(1 for r in records[1:-1] if len(r) == width) if len(records) > 2 else 0
        score = (width if width > 1 else 0, steady)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_csv(source: IO[bytes], max_columns: int) -> Roster:
    raw = source.read(_SAMPLE_BYTES)
    source.seek(0)
    bom = raw.startswith(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        sample = decoder.decode(raw, final=len(raw) < _SAMPLE_BYTES)
    except UnicodeDecodeError:
        raise _not_utf8(1) from None
    if "\x00" in sample:
        raise RosterUnreadable("The roster is not a CSV or XLSX file (it holds binary data).")
    delimiter = _sniff(sample)
    # Undecodable bytes become lone surrogates, found per row below: the error then names
    # the row that holds them (the decoder itself runs ahead of the CSV reader).
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    header_row = 0
    try:
        for header_row, first in enumerate(reader, start=1):  # noqa: B007 - used after
            if any(cell.strip() for cell in first):
                if _UNDECODED.search("".join(first)):
                    raise UnicodeDecodeError("utf-8", b"", 0, 1, "invalid")
                break
        else:
            text.detach()
            raise RosterUnreadable("The roster is empty.")
    except (UnicodeDecodeError, csv.Error) as exc:
        text.detach()
        raise _csv_problem(exc, header_row + 1) from None
    headers = _headers(first, max_columns)

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_no = header_row
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                raise _csv_problem(exc, row_no + 1) from None
            row_no += 1
            if any(cell.strip() for cell in record):
                if _UNDECODED.search("".join(record)):
                    raise _not_utf8(row_no)
                yield row_no, _fit(record, len(headers))

    info = RosterInfo("csv", delimiter=delimiter, bom=bom)
    return Roster(headers, info, rows(), closer=text.detach)


def _not_utf8(row_no: int) -> RosterUnreadable:
    return RosterUnreadable(
        f"The roster is not UTF-8 text (row {row_no}): save it as CSV UTF-8, or as .xlsx.",
        details={"row": row_no},
    )


def _csv_problem(exc: Exception, row_no: int) -> RosterUnreadable:
    if isinstance(exc, UnicodeDecodeError):
        return _not_utf8(row_no)
    return RosterUnreadable(f"Row {row_no} is not valid CSV: {exc}.", details={"row": row_no})


# -- XLSX -----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _open_xlsx(source: IO[bytes], max_columns: int) -> Roster:
    import openpyxl  # only rosters in XLSX need it

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterUnreadable(f"The XLSX file cannot be opened: {exc}.") from None
    if not workbook.worksheets:
        workbook.close()
        raise RosterUnreadable("The XLSX file has no worksheet.")
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    row_no = 0
    headers: list[str] | None = None
    for row_no, raw in enumerate(values, start=1):  # noqa: B007 - row_no is used after
        cells = [_cell_text(v) for v in raw]
        if any(c.strip() for c in cells):
            headers = _headers(cells, max_columns)
            break
    if headers is None:
        workbook.close()
        raise RosterUnreadable("The first worksheet is empty.")
    header_row, width = row_no, len(headers)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, raw in enumerate(values, start=header_row + 1):
            cells = [_cell_text(v) for v in raw]
            if any(c.strip() for c in cells):
                yield number, _fit(cells, width)

    return Roster(headers, RosterInfo("xlsx", sheet=sheet.title), rows(), closer=workbook.close)
