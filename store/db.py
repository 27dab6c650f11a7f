"""Engine and session factory, database settings, and the migration guard.

The one way tasks and flows reach the project database: ``with session_scope() as session:`` (no argument)
opens a session on the process-wide engine built once from ``DATABASE_URL``; :func:`default_engine` gives that
engine to the few callers that need one (pandas reads, locks). Tests choose the database by setting
``DATABASE_URL``; engines are cached per URL. ``session_scope(engine)`` with an explicit engine is for ``store``'s
own code and tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_HOME = Path(".engarde")


class DatabaseSettings(BaseSettings):
    """``DATABASE_URL``: a SQLite file under ``.engarde/`` by default; PostgreSQL in production."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_HOME / 'engarde.db'}",
        description="SQLAlchemy URL of the project database; the default is a SQLite file under "
        "`.engarde/` in the working directory (plain `postgresql://` URLs use psycopg 3)",
    )
    #: Seconds a SQLite writer waits for a lock before failing.
    sqlite_busy_timeout: float = Field(
        default=30.0,
        description="seconds a SQLite connection waits for a locked database before failing (ignored by PostgreSQL)",
    )


class DatabaseNotMigrated(RuntimeError):
    """The database is missing tables or is behind the code; the message says how to fix it."""


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    """An engine for ``url`` (default: DATABASE_URL). SQLite gets WAL mode and a busy timeout."""
    settings = DatabaseSettings()
    url = normalise_url(url or settings.database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": settings.sqlite_busy_timeout, "check_same_thread": False}, **kw
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout * 1000)}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


_ENGINES: dict[str, Engine] = {}


def engine_for(url: str | None = None) -> Engine:
    """A process-wide engine for ``url`` (default: DATABASE_URL), created once and migrated-checked."""
    from store.migrate import ensure_migrated

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
