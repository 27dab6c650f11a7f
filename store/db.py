"""Engine and session factory: the one way tasks and flows reach the project database.

``with session_scope() as session:`` (no argument) opens a session on the process-wide engine
built once from ``DATABASE_URL``; :func:`default_engine` gives that engine to the few callers that
need one (pandas reads, locks). Tests choose the database by setting ``DATABASE_URL``; engines are
cached per URL. ``session_scope(engine)`` with an explicit engine is for ``store``'s own code and tests.

Layering inside ``store``: :mod:`store.engine` (settings, building an engine) <- :mod:`store.migrate`
(Alembic and the migration guard) <- this module. The settings, :func:`make_engine` and
:class:`DatabaseNotMigrated` are re-exported here so callers import the database's names from one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.engine import DatabaseSettings, make_engine, normalise_url
from store.migrate import DatabaseNotMigrated, ensure_migrated

__all__ = [
    "DatabaseNotMigrated",
    "DatabaseSettings",
    "default_engine",
    "engine_for",
    "make_engine",
    "normalise_url",
    "session_factory",
    "session_scope",
]


_ENGINES: dict[str, Engine] = {}


def engine_for(url: str | None = None) -> Engine:
    """A process-wide engine for ``url`` (default: DATABASE_URL), created once and migrated-checked."""
    key = normalise_url(url or DatabaseSettings().database_url)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = make_engine(key)
        ensure_migrated(engine)
        _ENGINES[key] = engine
    return engine


def default_engine() -> Engine:
    """The process-wide, migration-checked engine for the configured ``DATABASE_URL``."""
    return engine_for(None)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay readable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (default: on :func:`default_engine`)."""
    with session_factory(engine if engine is not None else default_engine())() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
