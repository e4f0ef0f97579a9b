"""Status lists in the database: handing out entries and flipping their bits.

Every credential gets an entry (a list and an index) in its organization's revocation list
and, optionally, its suspension list. :func:`allocate_status_index` never hands out the same
index twice, however many transactions ask at once:

- PostgreSQL: ``SELECT … FOR UPDATE`` locks the list's row; concurrent allocators queue on
  the lock and each sees the ``next_index`` its predecessor wrote.
- SQLite: one ``UPDATE … SET next_index = next_index + 1 … RETURNING`` statement; SQLite
  runs one writer at a time, so the increment and the read are a single atomic step.

:func:`allocate_status_entry` picks an organization's current list of a purpose and starts
the next one when it is full. :func:`allocate_status_entries` hands out many entries at once
(bulk issuance): one atomic ``UPDATE`` per list, however many entries, growing new lists as
the current one fills. Use these in a ``Database.session_scope(immediate=True)`` on
SQLite, so that concurrent issuers wait for the write lock instead of failing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openler.core.status import Bitstring
from openler.store.models import Organization, StatusList, StatusPurpose, utcnow

__all__ = [
    "DEFAULT_LIST_LENGTH",
    "StatusListFull",
    "StatusRange",
    "allocate_status_entries",
    "allocate_status_entry",
    "allocate_status_index",
    "create_status_list",
    "set_status_bit",
    "status_list_path",
]

#: The Bitstring Status List minimum (and default): 131,072 entries, 16 KiB.
DEFAULT_LIST_LENGTH: Final = 131_072

#: How many times :func:`allocate_status_entry` tries again when other transactions filled
#: the newest list or created the next one first. Every retry means another transaction
#: made progress, so this only bounds pathological cases (tiny lists under heavy
#: concurrency, as the tests use; real lists hold 131,072 entries).
_CREATE_ATTEMPTS: Final = 100


class StatusListFull(Exception):
    """Every index of the list has been handed out."""

    def __init__(self, status_list_id: uuid.UUID) -> None:
        super().__init__(f"status list {status_list_id} is full")
        self.status_list_id = status_list_id


def status_list_path(slug: str, purpose: StatusPurpose, sequence: int) -> str:
    """Where a list is published, relative to the platform's origin (stable: stored with
    the list, so renaming an organization moves no list)."""
    return f"/orgs/{slug}/status/{purpose.value}/{sequence}"


def create_status_list(
    session: Session,
    organization: Organization,
    purpose: StatusPurpose,
    *,
    sequence: int = 1,
    length: int = DEFAULT_LIST_LENGTH,
) -> StatusList:
    """Add (and flush) an all-clear list. ``length`` below the spec's minimum is for tests."""
    if length < 1:
        raise ValueError("a status list needs at least one entry")
    status_list = StatusList(
        organization_id=organization.id,
        purpose=purpose,
        sequence=sequence,
        url_path=status_list_path(organization.slug, purpose, sequence),
        length=length,
        bits=bytes((length + 7) // 8),
    )
    session.add(status_list)
    session.flush()
    return status_list


def allocate_status_index(session: Session, status_list_id: uuid.UUID) -> int:
    """The next free index of the list, now taken; :class:`StatusListFull` when none is left.

    The allocation commits or rolls back with the session's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            sa.select(StatusList.next_index, StatusList.length)
            .where(StatusList.id == status_list_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise LookupError(f"no status list {status_list_id}")
        index, length = row
        if index >= length:
            raise StatusListFull(status_list_id)
        session.execute(
            sa.update(StatusList)
            .where(StatusList.id == status_list_id)
            .values(next_index=index + 1)
            .execution_options(synchronize_session=False)
        )
    else:
        taken = session.execute(
            sa.update(StatusList)
            .where(StatusList.id == status_list_id, StatusList.next_index < StatusList.length)
            .values(next_index=StatusList.next_index + 1)
            .returning(StatusList.next_index)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if taken is None:
            if session.get(StatusList, status_list_id) is None:
                raise LookupError(f"no status list {status_list_id}")
            raise StatusListFull(status_list_id)
        index = taken - 1
    _expire_cached(session, status_list_id)
    return int(index)


def _expire_cached(session: Session, status_list_id: uuid.UUID) -> None:
    # The UPDATE bypassed the ORM: a StatusList loaded earlier would show a stale next_index.
    cached = session.identity_map.get(
        sa.inspect(StatusList).identity_key_from_primary_key((status_list_id,))
    )
    if cached is not None:
        session.expire(cached, ["next_index"])


def allocate_status_entry(
    session: Session,
    organization: Organization,
    purpose: StatusPurpose,
    *,
    length: int = DEFAULT_LIST_LENGTH,
) -> tuple[StatusList, int]:
    """An entry in the organization's newest list of ``purpose``; when that list is full
    (or there is none yet) the next list is created, with ``length`` entries."""
    for _ in range(_CREATE_ATTEMPTS):
        current = session.scalars(
            sa.select(StatusList)
            .where(StatusList.organization_id == organization.id, StatusList.purpose == purpose)
            .order_by(StatusList.sequence.desc())
            .limit(1)
        ).first()
        if current is not None:
            try:
                return current, allocate_status_index(session, current.id)
            except StatusListFull:
                pass
        sequence = 1 if current is None else current.sequence + 1
        try:
            with session.begin_nested():
                created = create_status_list(
                    session, organization, purpose, sequence=sequence, length=length
                )
        except IntegrityError:
            continue  # another transaction created this list first; take from it
        return created, allocate_status_index(session, created.id)
    raise RuntimeError(  # pragma: no cover - needs 100 lists to fill up during one call
        f"could not allocate a {purpose.value} entry for {organization.slug}"
    )


@dataclass(frozen=True, slots=True)
class StatusRange:
    """``count`` consecutive entries of one list, the first at ``start``."""

    status_list: StatusList
    start: int
    count: int

    @property
    def indexes(self) -> range:
        return range(self.start, self.start + self.count)


def allocate_status_entries(
    session: Session,
    organization: Organization,
    purpose: StatusPurpose,
    count: int,
    *,
    length: int = DEFAULT_LIST_LENGTH,
) -> list[StatusRange]:
    """``count`` entries in the organization's lists of ``purpose``, as runs of consecutive
    indexes in list order: the rest of the newest list first, then new lists (of ``length``
    entries) as each fills up.

    Each list is taken with one statement, ``UPDATE … SET next_index = next_index + k
    WHERE next_index + k <= length RETURNING next_index``: atomic on both backends (the row
    lock on PostgreSQL, the single writer on SQLite), so concurrent callers never share an
    index, and the lock is one per list, not one per entry. The entries commit or roll
    back with the session's transaction."""
    if count < 0:
        raise ValueError("count must not be negative")
    ranges: list[StatusRange] = []
    wanted = count
    for _ in range(_CREATE_ATTEMPTS + count // max(length, 1) + 1):
        if wanted == 0:
            return ranges
        current = session.execute(
            sa.select(StatusList.id, StatusList.sequence, StatusList.next_index, StatusList.length)
            .where(StatusList.organization_id == organization.id, StatusList.purpose == purpose)
            .order_by(StatusList.sequence.desc())
            .limit(1)
        ).one_or_none()
        if current is not None and current.next_index < current.length:
            take = min(wanted, current.length - current.next_index)
            end = session.execute(
                sa.update(StatusList)
                .where(
                    StatusList.id == current.id,
                    StatusList.next_index + take <= StatusList.length,
                )
                .values(next_index=StatusList.next_index + take)
                .returning(StatusList.next_index)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            _expire_cached(session, current.id)
            if end is not None:
                status_list = session.get(StatusList, current.id)
                assert status_list is not None
                ranges.append(StatusRange(status_list, int(end) - take, take))
                wanted -= take
            continue  # took a run, or lost a race for the last entries: look again
        sequence = 1 if current is None else current.sequence + 1
        try:
            with session.begin_nested():
                create_status_list(session, organization, purpose, sequence=sequence, length=length)
        except IntegrityError:
            continue  # another transaction created this list first; take from it
    raise RuntimeError(  # pragma: no cover - needs many lists to fill up during one call
        f"could not allocate {count} {purpose.value} entries for {organization.slug}"
    )


def set_status_bit(session: Session, status_list_id: uuid.UUID, index: int, value: bool) -> bool:
    """Set (revoke/suspend) or clear (unsuspend) one entry; return whether it changed.

    A change bumps the list's ``version`` and ``updated_at``. The row is locked (``FOR
    UPDATE`` on PostgreSQL) so that concurrent changes to one list are not lost."""
    status_list = session.scalars(
        sa.select(StatusList)
        .where(StatusList.id == status_list_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if not 0 <= index < status_list.length:
        raise IndexError(f"index {index} is outside the list (length {status_list.length})")
    bits = Bitstring.from_bytes(status_list.bits)
    if bits.is_set(index) == value:
        return False
    bits.set(index, value)
    status_list.bits = bits.to_bytes()
    status_list.version += 1
    status_list.updated_at = utcnow()
    session.flush()
    return True
