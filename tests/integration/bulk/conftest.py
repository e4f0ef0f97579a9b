"""Bulk issuance tests: a database of their own per backend (the jobs commit for real,
and workers run in other threads and processes), and a ``world`` per test: a fresh
organization with a published achievement, settings with small chunks."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from openler.config import Settings
from openler.services.achievements import create_achievement, publish_achievement
from openler.services.bulk import (
    ColumnMapping,
    JobOptions,
    create_job,
    get_job,
    job_progress,
    start_job,
)
from openler.services.bulk.runner import Worker
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.db import Database
from openler.store.migrate import upgrade
from openler.store.models import (
    AchievementDefinition,
    IssuedCredential,
    Organization,
    StatusList,
)
from openler.store.models.bulk import BulkChunk, BulkIssued, BulkJob, BulkRow
from tests.integration.conftest import BACKENDS, drop_postgres_database, fresh_database_url

SECRET = "a-bulk-issuance-test-secret-0123456789abcdef"
KEYSTORE = KeyStore(SECRET)
HEADER = "Email,Name,Grade"
ACHIEVEMENT: dict[str, Any] = {
    "type": ["Achievement"],
    "achievementType": "Certificate",
    "name": "Welding I",
    "description": "Safe setup and basic structural welds.",
    "criteria": {"narrative": "Pass the practical test."},
    "resultDescription": [
        {
            "id": "urn:example:rd:grade",
            "type": ["ResultDescription"],
            "name": "Grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C"],
        }
    ],
}


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="package", params=BACKENDS)
def bulk_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    url = fresh_database_url(backend, tmp_path_factory.mktemp("bulk"))
    try:
        upgrade(url)
        yield url
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.fixture(scope="package")
def bulk_database(bulk_url: str) -> Iterator[Database]:
    database = Database.from_url(bulk_url)
    yield database
    database.dispose()


def roster(rows: Sequence[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def learners(count: int, start: int = 0) -> list[str]:
    return [
        f"learner{n}@example.org,Learner {n},{'ABC'[n % 3]}" for n in range(start, start + count)
    ]


@dataclass
class World:
    """One organization's corner of the test database."""

    url: str
    database: Database
    settings: Settings
    org: Organization
    achievement: AchievementDefinition
    jobs: list[Any] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return self.database.backend

    def job(
        self,
        data: bytes,
        *,
        mapping: dict[str, Any] | None = None,
        options: JobOptions | None = None,
        settings: Settings | None = None,
    ) -> BulkJob:
        job = create_job(
            self.database,
            settings or self.settings,
            self.org,
            self.achievement,
            io.BytesIO(data),
            roster_name="class-of-2025.csv",
            mapping=ColumnMapping.from_json(mapping) if mapping is not None else None,
            options=options or JobOptions(status_list_length=16),
            now=now(),
        )
        self.jobs.append(job.id)
        return job

    def start(self, job: BulkJob, *, valid_rows_only: bool = False) -> BulkJob:
        with self.database.session_scope(immediate=True) as session:
            return start_job(session, self.org, job.id, valid_rows_only=valid_rows_only, now=now())

    def run(self, job: BulkJob) -> None:
        Worker(self.database, self.settings, KEYSTORE, job_id=job.id, until_done=True).run()

    def reload(self, job: BulkJob) -> BulkJob:
        with self.database.session_scope() as session:
            return get_job(session, self.org, job.id)

    def progress(self, job: BulkJob) -> Any:
        with self.database.session_scope() as session:
            return job_progress(session, get_job(session, self.org, job.id), now=now())

    def scalar(self, query: Any) -> Any:
        with self.database.session_scope() as session:
            return session.scalar(query)

    def rows(self, query: Any) -> list[Any]:
        with self.database.session_scope() as session:
            return list(session.execute(query))

    def issued(self, job: BulkJob) -> list[Any]:
        """(row_no, credential row) of every credential the job issued."""
        return self.rows(
            sa.select(BulkIssued.row_no, IssuedCredential)
            .join(IssuedCredential, IssuedCredential.id == BulkIssued.credential_id)
            .where(BulkIssued.job_id == job.id)
            .order_by(BulkIssued.row_no)
        )

    def status_entries(self) -> list[tuple[int, int]]:
        """(list sequence, index) of every revocation entry of the organization."""
        return [
            (row.sequence, row.revocation_index)
            for row in self.rows(
                sa.select(StatusList.sequence, IssuedCredential.revocation_index)
                .join(StatusList, StatusList.id == IssuedCredential.revocation_list_id)
                .where(IssuedCredential.organization_id == self.org.id)
            )
        ]

    def count(self, model: Any, *where: Any) -> int:
        return int(self.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)

    def chunk_states(self, job: BulkJob) -> list[str]:
        return [
            row.state.value
            for row in self.rows(
                sa.select(BulkChunk.state)
                .where(BulkChunk.job_id == job.id)
                .order_by(BulkChunk.chunk_no)
            )
        ]

    def row_states(self, job: BulkJob) -> dict[int, str]:
        return {
            row.row_no: row.state.value
            for row in self.rows(
                sa.select(BulkRow.row_no, BulkRow.state).where(BulkRow.job_id == job.id)
            )
        }


def make_world(url: str, database: Database, **settings: Any) -> World:
    config = Settings(
        env="test",
        base_url="https://issuer.example",
        database_url=url,
        secret_key=SECRET,
        **{"bulk_chunk_size": 5, "bulk_lease_seconds": 30, "bulk_poll_seconds": 0.05, **settings},
    )
    with database.session_scope(immediate=True) as session:
        org = create_organization(
            session, config, KEYSTORE, slug=f"org-{secrets.token_hex(4)}", name="Lakeshore College"
        )
        create_achievement(session, config, org, ACHIEVEMENT, logical_id="welding-1")
        achievement = publish_achievement(session, org, "welding-1")
    return World(url, database, config, org, achievement)


@pytest.fixture
def world(bulk_url: str, bulk_database: Database) -> World:
    return make_world(bulk_url, bulk_database)
