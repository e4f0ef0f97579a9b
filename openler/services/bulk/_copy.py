"""Batched inserts: PostgreSQL ``COPY … FROM STDIN`` (psycopg), ``executemany`` elsewhere.

COPY skips SQLAlchemy's per-row parameter processing and PostgreSQL's per-statement
parsing; it runs in the session's transaction like any statement. Values are given as
Python objects (UUIDs, aware datetimes, bytes, enums, lists and dicts for JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

__all__ = ["insert_rows"]


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | dict):  # JSON / JSONB columns take JSON text
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, column names) into ``table``."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        session.execute(sa.insert(table), list(rows))
        return
    columns = list(rows[0])
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])
