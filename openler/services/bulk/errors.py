"""The errors of bulk issuance, each with a stable code (public API)::

OpenlerError
├── BulkJobNotFound      not_found           no such job in this organization (404)
├── BulkJobConflict      conflict            the job is not in a state for that (409)
└── InvalidInput         invalid_input
    ├── RosterUnreadable roster_unreadable   not CSV/XLSX, not UTF-8, no header row …
    ├── RosterTooLarge   input_too_large     more rows or columns than allowed (413)
    ├── MappingInvalid   mapping_invalid     a column or result the roster lacks …
    └── RosterInvalid    roster_invalid      rows failed validation and "issue the
                                             valid rows" was not chosen
"""

from __future__ import annotations

from openler.core.errors import InputTooLarge, InvalidInput, OpenlerError

__all__ = [
    "BulkJobConflict",
    "BulkJobNotFound",
    "MappingInvalid",
    "RosterInvalid",
    "RosterTooLarge",
    "RosterUnreadable",
]


class BulkJobNotFound(OpenlerError):
    code = "not_found"


class BulkJobConflict(OpenlerError):
    code = "conflict"


class RosterUnreadable(InvalidInput):
    code = "roster_unreadable"


class RosterTooLarge(InputTooLarge):
    code = "input_too_large"


class MappingInvalid(InvalidInput):
    code = "mapping_invalid"


class RosterInvalid(InvalidInput):
    code = "roster_invalid"
