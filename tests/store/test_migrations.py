"""Migrations: upgrade from empty on SQLite and PostgreSQL, models and migrations agree, the guard's message."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from store.db import DatabaseNotMigrated, make_engine
from store.migrate import current_revision, ensure_migrated, head_revision
from store.models import Base


def test_upgrade_creates_every_table(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    ensure_migrated(engine)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_unmigrated_database_names_the_fix(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(DatabaseNotMigrated, match="engarde db upgrade"):
        ensure_migrated(engine)


def test_sqlite_runs_in_wal_mode(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
