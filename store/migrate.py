"""Alembic, driven from code: upgrade, current/head revisions, and the guard every entry point calls.

Built on :mod:`store.engine` only; :mod:`store.db` calls :func:`ensure_migrated` on every engine it hands out.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from store.engine import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database is missing tables or is behind the code; the message says how to fix it."""


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` using this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str:
    """The newest migration the code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Raise :class:`DatabaseNotMigrated` with the fixing command unless the database is at head."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    state = (
        "has never been migrated" if current is None else f"is at revision {current}, the code needs {head}"
    )
    raise DatabaseNotMigrated(f"The database {where} {state}. Run `engarde db upgrade` to migrate it.")
