"""The platform's users, read through SQLAlchemy (stored platform connections: :mod:`store.connections`).

Production reads the En Garde platform's own user table: ``PLATFORM_DATABASE_URL`` plus
either ``PLATFORM_USERS_TABLE`` (a table with at least an ``email`` column) or
``PLATFORM_USERS_QUERY`` (a SELECT returning ``email`` and optionally ``first_name``,
``last_name``, ``role``, ``created_at``). The demo seeds this project's own
``platform_users`` table, which is the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, MetaData, Table, select, text
from sqlalchemy.orm import Session

from store.models import PlatformUser
from store.upsert import insert_for

#: Column name -> dtype of the frame :func:`read_platform_users` returns.
PLATFORM_USER_DTYPES: Final[dict[str, Any]] = {
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "role": "string",
    "created_at": "datetime64[us, UTC]",
}
PLATFORM_USER_COLUMNS: Final[list[str]] = list(PLATFORM_USER_DTYPES)


class PlatformUsersSettings(BaseSettings):
    """Where the platform's users live. Without ``PLATFORM_DATABASE_URL`` the project database is used."""

    model_config = SettingsConfigDict(env_prefix="PLATFORM_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="database holding the platform's users; unset: the project database"
    )
    users_table: str = Field(
        default="platform_users",
        description="table of users (at least an `email` column; `schema.table` allowed)",
    )
    users_query: str | None = Field(
        default=None,
        description="SELECT returning `email` (and optionally names, role, created_at); replaces the table when set",
    )

    @model_validator(mode="after")
    def _select_only(self) -> PlatformUsersSettings:
        if self.users_query is not None and not self.users_query.lstrip().lower().startswith(
            ("select", "with")
        ):
            raise ValueError("PLATFORM_USERS_QUERY must be a SELECT (or WITH ... SELECT) statement")
        return self


def _frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    raw = pd.DataFrame(
        [{c: r.get(c) for c in PLATFORM_USER_COLUMNS} for r in rows], columns=PLATFORM_USER_COLUMNS
    )
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PLATFORM_USER_DTYPES.items()})
    raw["email"] = raw["email"].astype("string").str.strip().str.lower()
    raw.loc[raw["email"] == "", "email"] = pd.NA
    raw["created_at"] = pd.to_datetime(raw["created_at"], utc=True, errors="coerce")
    out = raw.dropna(subset=["email"]).drop_duplicates("email", keep="first")
    return out.astype(PLATFORM_USER_DTYPES).sort_values("email").reset_index(drop=True)


def read_platform_users(
    engine: Engine, *, table: str = "platform_users", query: str | None = None
) -> pd.DataFrame:
    """The platform's users as a frame (email normalised, one row per email, sorted by email).

    With ``query`` the SELECT is run as given; otherwise ``table`` is reflected (``schema.table``
    allowed) and its known columns read. Missing optional columns come back as NA.
    """
    with engine.connect() as conn:
        if query is not None:
            result = conn.execute(text(query))
            rows = [dict(r) for r in result.mappings()]
        else:
            schema, _, name = table.rpartition(".")
            reflected = Table(name, MetaData(), schema=schema or None, autoload_with=conn)
            if "email" not in reflected.c:
                raise ValueError(f"table {table!r} has no 'email' column")
            columns = [reflected.c[c] for c in PLATFORM_USER_COLUMNS if c in reflected.c]
            rows = [dict(r) for r in conn.execute(select(*columns)).mappings()]
    return _frame(rows)


def seed_platform_users(
    session: Session, users: Iterable[Mapping[str, Any]], *, now: datetime | None = None
) -> int:
    """Insert users into this project's ``platform_users`` table (the demo's platform); existing emails are kept."""
    now = now or datetime.now(UTC)
    rows = [
        {
            "email": str(u["email"]).strip().lower(),
            "first_name": u.get("first_name"),
            "last_name": u.get("last_name"),
            "role": u.get("role"),
            "created_at": u.get("created_at") or now,
        }
        for u in users
    ]
    if not rows:
        return 0
    before = session.query(PlatformUser).count()
    session.execute(
        insert_for(session, PlatformUser).values(rows).on_conflict_do_nothing(index_elements=["email"])
    )
    return session.query(PlatformUser).count() - before
