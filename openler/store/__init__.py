"""Persistence for the issuer platform: SQLAlchemy 2 models, Alembic migrations, sessions.

- :mod:`openler.store.db` — engines and sessions (:class:`~openler.store.db.Database`)
- :mod:`openler.store.models` — the tables
- :mod:`openler.store.migrate` — ``upgrade(settings)`` and friends
- :mod:`openler.store.status` — status-list index allocation and bit changes

See ``docs/storage.md``.
"""
