"""Alembic environment for openler: runs on the connection handed in by
:func:`openler.store.migrate.alembic_config`, or on ``sqlalchemy.url`` / the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from openler.store.models import Base

target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from openler.config import Settings

    return Settings().sqlalchemy_url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        from openler.store.db import create_engine

        engine = create_engine(_url())
        try:
            with engine.begin() as connection:
                _run(connection)
        finally:
            engine.dispose()
