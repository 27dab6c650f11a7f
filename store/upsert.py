"""``INSERT ... ON CONFLICT`` for both databases: the one place the SQLite / PostgreSQL switch is made.

SQLAlchemy builds ``ON CONFLICT DO NOTHING`` / ``DO UPDATE`` only from a dialect's own ``insert``
(``sqlalchemy.dialects.postgresql.insert`` or ``...sqlite.insert``); both expose the same
``on_conflict_do_nothing``, ``on_conflict_do_update`` and ``excluded``. Every repository
function that upserts starts from :func:`insert_for` and never looks at the dialect itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

#: The statement :func:`insert_for` builds: either dialect's insert, with the same conflict clauses.
UpsertInsert = postgresql.Insert | sqlite.Insert


def dialect_name(where: Session | Connection | str) -> str:
    """The dialect name (``"postgresql"``, ``"sqlite"``) of a session's bind, a connection, or a name itself."""
    if isinstance(where, str):
        return where
    if isinstance(where, Session):
        return where.get_bind().dialect.name
    return where.dialect.name


def insert_for(where: Session | Connection | str, table: Any) -> UpsertInsert:
    """``INSERT INTO table`` in the dialect of ``where``, ready for an ``on_conflict_*`` clause.

    PostgreSQL gets PostgreSQL's insert; anything else is SQLite (the two databases the project runs on).
    """
    if dialect_name(where) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
