"""Prefect tasks for the platform's users: read them from the platform's own database, store them.

The platform's users may live in a second database (``PLATFORM_DATABASE_URL``); the one way to
reach it is :func:`read_configured_platform_users`. Unset, this project's ``platform_users``
table (which the demo seeds) is read through the project database.
"""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from audience.schema import coerce_interactions
from store import platform_users as platform_store
from store.db import default_engine, make_engine, session_scope
from store.interactions import upsert_interactions
from store.platform_users import PlatformUsersSettings

SOURCE = "platform"

__all__ = [
    "SOURCE",
    "PlatformUsersSettings",
    "platform_interactions",
    "read_configured_platform_users",
    "read_platform_users",
    "store_platform_users",
]


def read_configured_platform_users(settings: PlatformUsersSettings) -> pd.DataFrame:
    """The platform's users (email normalised, one row per email) from ``PLATFORM_DATABASE_URL``,
    or from this project's database when it is unset. A second database's engine is closed after."""
    if not settings.database_url:
        return platform_store.read_platform_users(
            default_engine(), table=settings.users_table, query=settings.users_query
        )
    platform = make_engine(settings.database_url)
    try:
        return platform_store.read_platform_users(
            platform, table=settings.users_table, query=settings.users_query
        )
    finally:
        platform.dispose()


# Reads a database that changes between calls: never served from a cache.
@task(name="read-platform-users", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def read_platform_users(settings: PlatformUsersSettings) -> pd.DataFrame:
    """The platform's users (email normalised, one row per email)."""
    return read_configured_platform_users(settings)


def platform_interactions(users: pd.DataFrame) -> pd.DataFrame:
    """Users as interactions of source ``platform`` (kind ``account``, status ``registered``), one per user.

    Stored with the other interactions, they make each user a person of the audience whose
    ``sources`` include ``platform`` (tag ``platform_user``), so audience-sync carries them.
    """
    frame = pd.DataFrame(
        {
            "source": SOURCE,
            "source_id": "user:" + users["email"].astype(str),
            "email_raw": users["email"],
            "email": users["email"],
            "first_name": users["first_name"],
            "last_name": users["last_name"],
            "kind": "account",
            "status": "registered",
            "occurred_at": users["created_at"],
            "created_at": users["created_at"],
            "service": users["role"],
        }
    )
    return coerce_interactions(frame)


@task(name="store-platform-users", cache_policy=NO_CACHE)
def store_platform_users(users: pd.DataFrame, *, dry_run: bool) -> int:
    """Upsert the users as ``platform`` interactions (nothing in a dry run); returns rows written."""
    if dry_run:
        return 0
    with session_scope() as session:
        return upsert_interactions(session, platform_interactions(users))
