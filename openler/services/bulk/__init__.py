"""Bulk issuance: a roster (CSV or XLSX) in, one credential per valid row out, exactly once.

The flow, and the module that does each step::

    roster.py    read the roster, streaming (CSV: UTF-8 ± BOM, , ; or tab; XLSX)
    mapping.py   columns -> fields (saved per achievement), result descriptions
    validate.py  check each row: recipient, e-mail, dates, result values …
    jobs.py      stage and validate a roster as a job; start, cancel, resume
    engine.py    claim a chunk (lease), issue it in one transaction, finish the job
    build.py     one row -> a signed credential (the core's cached fast path)
    runner.py    worker processes: `openler worker`, and those `openler serve` starts
    reports.py   progress (done / failed / total, rate, ETA), error and result reports

A task queue calls :func:`process_chunk` (idempotent) for each of
:func:`pending_chunks`; the embedded runner claims chunks itself with
:func:`claim_chunk`. See docs/bulk.md.
"""

from openler.services.bulk.engine import (
    ChunkOutcome,
    ChunkRef,
    claim_chunk,
    finish_idle_jobs,
    finish_job,
    pending_chunks,
    process_chunk,
)
from openler.services.bulk.errors import (
    BulkJobConflict,
    BulkJobNotFound,
    MappingInvalid,
    RosterInvalid,
    RosterTooLarge,
    RosterUnreadable,
)
from openler.services.bulk.jobs import (
    JobOptions,
    cancel_job,
    create_job,
    get_job,
    remap_job,
    resume_job,
    saved_mapping,
    start_job,
    transactions,
)
from openler.services.bulk.mapping import FIELDS, ColumnMapping, suggest_mapping
from openler.services.bulk.reports import Progress, error_report, job_progress, result_report
from openler.services.bulk.roster import open_roster

__all__ = [
    "FIELDS",
    "BulkJobConflict",
    "BulkJobNotFound",
    "ChunkOutcome",
    "ChunkRef",
    "ColumnMapping",
    "JobOptions",
    "MappingInvalid",
    "Progress",
    "RosterInvalid",
    "RosterTooLarge",
    "RosterUnreadable",
    "cancel_job",
    "claim_chunk",
    "create_job",
    "error_report",
    "finish_idle_jobs",
    "finish_job",
    "get_job",
    "job_progress",
    "open_roster",
    "pending_chunks",
    "process_chunk",
    "remap_job",
    "result_report",
    "resume_job",
    "saved_mapping",
    "start_job",
    "suggest_mapping",
    "transactions",
]
