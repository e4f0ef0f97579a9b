"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from openler.config import Settings
from openler.store.db import create_engine
from openler.store.migrate import current_revision, downgrade, head, upgrade
from openler.store.models import Base
from tests.integration.conftest import BACKENDS, drop_postgres_database, fresh_database_url


def _diff(engine: Engine, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))


def test_models_match_migrations(db_engine: Engine) -> None:
    assert _diff(db_engine) == []


def test_the_comparison_notices_a_difference(db_engine: Engine) -> None:
    changed = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        copy = table.to_metadata(changed)
        if table.name == "organizations":
            copy.append_column(sa.Column("motto", sa.String(50)))
            copy.c.name.type = sa.String(20)
    kinds = {
        diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in _diff(db_engine, changed)
    }
    assert kinds == {"add_column", "modify_type"}


def test_database_is_at_head(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        assert current_revision(connection) == head()


def test_check_constraints_are_named_as_in_the_models(db_engine: Engine) -> None:
    inspector = sa.inspect(db_engine)
    for table in Base.metadata.sorted_tables:
        expected = {str(c.name) for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name


def test_every_table_has_a_uuid_primary_key(db_engine: Engine) -> None:
    inspector = sa.inspect(db_engine)
    for table in Base.metadata.sorted_tables:
        assert inspector.get_pk_constraint(table.name)["constrained_columns"] == ["id"]
        assert isinstance(table.c.id.type, sa.Uuid)


def test_identifiers_fit_postgresql_limits() -> None:
    names = [i.name for t in Base.metadata.sorted_tables for i in t.indexes]
    names += [c.name for t in Base.metadata.sorted_tables for c in t.constraints]
    assert all(name is not None and len(str(name)) <= 63 for name in names)


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_to_base_and_up_again(backend: str, tmp_path: Path) -> None:
    url = fresh_database_url(backend, tmp_path)
    try:
        assert upgrade(Settings(database_url=url)) == head()
        assert downgrade(url, "base") is None
        engine = create_engine(url)
        try:
            assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()
        assert upgrade(url) == head()
        assert upgrade(url) == head()  # a second upgrade is a no-op
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
