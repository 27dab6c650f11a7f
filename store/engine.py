"""Building an engine: the database settings (``DATABASE_URL``), the URL's driver, SQLite's pragmas.

The bottom of ``store``: it imports nothing of the project, so both :mod:`store.migrate` (the
migration guard) and :mod:`store.db` (the process-wide engine and sessions) build on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

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
