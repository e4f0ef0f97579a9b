"""The bulk tables (and issued_credentials) as Core tables, for batched statements."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from openler.store.models.bulk import BulkChunk, BulkIssued, BulkJob, BulkRow
from openler.store.models.credentials import IssuedCredential

__all__ = ["CHUNKS", "CREDENTIALS", "JOBS", "LINKS", "ROWS"]

ROWS = cast(sa.Table, BulkRow.__table__)
CHUNKS = cast(sa.Table, BulkChunk.__table__)
JOBS = cast(sa.Table, BulkJob.__table__)
LINKS = cast(sa.Table, BulkIssued.__table__)
CREDENTIALS = cast(sa.Table, IssuedCredential.__table__)
