"""Status-list entries are handed out once each, even to concurrent transactions."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.status import Bitstring
from openler.store.db import Database
from openler.store.models import Organization, OrganizationKind, StatusList, StatusPurpose
from openler.store.status import (
    StatusListFull,
    allocate_status_entry,
    allocate_status_index,
    create_status_list,
    set_status_bit,
)
from tests.integration.store.factories import make_organization, token

REVOCATION = StatusPurpose.REVOCATION


def test_indexes_are_handed_out_in_turn_until_the_list_is_full(db_session: Session) -> None:
    org = make_organization(db_session)
    status_list = create_status_list(db_session, org, REVOCATION, length=5)
    assert [allocate_status_index(db_session, status_list.id) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert status_list.next_index == 5  # the ORM object is refreshed
    assert status_list.is_full
    with pytest.raises(StatusListFull):
        allocate_status_index(db_session, status_list.id)


def test_an_unknown_list(db_session: Session) -> None:
    with pytest.raises(LookupError):
        allocate_status_index(db_session, uuid.uuid4())


def test_a_rolled_back_allocation_is_handed_out_again(db_session: Session) -> None:
    org = make_organization(db_session)
    status_list = create_status_list(db_session, org, REVOCATION, length=5)
    with db_session.begin_nested() as savepoint:
        assert allocate_status_index(db_session, status_list.id) == 0
        savepoint.rollback()
    assert allocate_status_index(db_session, status_list.id) == 0


def test_a_full_list_is_followed_by_the_next(db_session: Session) -> None:
    org = make_organization(db_session, slug="acme")
    entries = [allocate_status_entry(db_session, org, REVOCATION, length=3) for _ in range(7)]
    assert [(lst.sequence, index) for lst, index in entries] == [
        (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 0),
    ]  # fmt: skip
    assert entries[3][0].url_path == "/orgs/acme/status/revocation/2"
    suspension, index = allocate_status_entry(db_session, org, StatusPurpose.SUSPENSION)
    assert (suspension.sequence, suspension.length, index) == (1, 131_072, 0)
    assert len(suspension.bits) == 16 * 1024


def test_set_and_clear_bits(db_session: Session) -> None:
    org = make_organization(db_session)
    status_list = create_status_list(db_session, org, StatusPurpose.SUSPENSION, length=16)
    assert set_status_bit(db_session, status_list.id, 9, True)
    assert not set_status_bit(db_session, status_list.id, 9, True)  # already set
    assert set_status_bit(db_session, status_list.id, 0, True)
    db_session.expunge_all()
    loaded = db_session.get(StatusList, status_list.id)
    assert loaded is not None
    assert list(Bitstring.from_bytes(loaded.bits).set_indexes()) == [0, 9]
    assert loaded.version == 3
    assert set_status_bit(db_session, status_list.id, 9, False)
    assert db_session.get(StatusList, status_list.id).version == 4  # type: ignore[union-attr]
    with pytest.raises(IndexError):
        set_status_bit(db_session, status_list.id, 16, True)


# -- concurrency: real commits, from several threads at once -----------------------------


@pytest.fixture
def committed_organization(database: Database) -> Iterator[Organization]:
    with database.session_scope() as session:
        org = Organization(slug=f"race-{token()}", name="Race", kind=OrganizationKind.EMPLOYER)
        session.add(org)
    yield org
    with database.session_scope() as session:
        session.execute(sa.delete(StatusList).where(StatusList.organization_id == org.id))
        session.execute(sa.delete(Organization).where(Organization.id == org.id))


def _run_in_threads(count: int, work: object) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run() -> None:
        try:
            start.wait()
            work()  # type: ignore[operator]
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


THREADS = 8
PER_THREAD = 25


def test_concurrent_allocations_never_share_an_index(
    database: Database, committed_organization: Organization
) -> None:
    with database.session_scope() as session:
        status_list_id = create_status_list(
            session, committed_organization, REVOCATION, length=THREADS * PER_THREAD
        ).id
    taken: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(PER_THREAD):  # one transaction per allocation, as when issuing
            with database.session_scope(immediate=True) as session:
                index = allocate_status_index(session, status_list_id)
            with lock:
                taken.append(index)

    assert _run_in_threads(THREADS, work) == []
    assert sorted(taken) == list(range(THREADS * PER_THREAD))
    with database.session_scope() as session, pytest.raises(StatusListFull):
        allocate_status_index(session, status_list_id)


def test_concurrent_allocations_across_full_lists(
    database: Database, committed_organization: Organization
) -> None:
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(PER_THREAD):
            with database.session_scope(immediate=True) as session:
                org = session.get_one(Organization, committed_organization.id)
                status_list, index = allocate_status_entry(session, org, REVOCATION, length=16)
                entry = (status_list.sequence, index)
            with lock:
                taken.append(entry)

    assert _run_in_threads(THREADS, work) == []
    total = THREADS * PER_THREAD
    assert len(set(taken)) == total
    assert sorted(taken) == [(1 + n // 16, n % 16) for n in range(total)]


def test_a_rolled_back_transaction_loses_nothing(
    database: Database, committed_organization: Organization
) -> None:
    with database.session_scope() as session:
        status_list_id = create_status_list(session, committed_organization, REVOCATION).id

    def fail_after_allocating() -> None:
        with database.session_scope() as session:
            allocate_status_index(session, status_list_id)
            raise RuntimeError("issuing failed after the allocation")

    with pytest.raises(RuntimeError):
        fail_after_allocating()
    with database.session_scope() as session:
        assert allocate_status_index(session, status_list_id) == 0
