"""Flow ``platform-users-sync``: the platform's users to the Brevo master list.

Users are read through SQLAlchemy (``PLATFORM_DATABASE_URL`` + ``PLATFORM_USERS_TABLE`` or
``PLATFORM_USERS_QUERY``; by default this project's ``platform_users`` table, which the demo
seeds), stored as interactions of source ``platform`` and pushed through audience-sync (the
same diffed, consent-safe path), where they carry the tag ``platform_user``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from audience.schema import coerce_interactions
from flows.failures import explains_failures
from flows.signup_queue import open_engine, sync_to_master_list
from store.db import make_engine, session_scope
from store.interactions import upsert_interactions
from store.platform_users import PlatformUsersSettings, read_platform_users
from tasks.secrets import resolve_secret_blocks

SOURCE = "platform"


@task(name="read-platform-users", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def read_users(engine: Engine, settings: PlatformUsersSettings) -> pd.DataFrame:
    """The platform's users (email normalised, one row per email)."""
    source = make_engine(settings.database_url) if settings.database_url else engine
    try:
        return read_platform_users(source, table=settings.users_table, query=settings.users_query)
    finally:
        if source is not engine:
            source.dispose()


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
def store_users(engine: Engine, users: pd.DataFrame, *, dry_run: bool) -> int:
    """Upsert the users as ``platform`` interactions (nothing in a dry run); returns rows written."""
    if dry_run:
        return 0
    with session_scope(engine) as session:
        return upsert_interactions(session, platform_interactions(users))


class PlatformUsersSyncSummary(BaseModel):
    """What ``platform-users-sync`` did."""

    users: int
    source: str
    dry_run: bool
    stored: int = 0
    master_list: dict[str, Any] = Field(default_factory=dict)


@flow(name="platform-users-sync")
@explains_failures
async def platform_users_sync(dry_run: bool = False) -> PlatformUsersSyncSummary:
    """Read the platform's users and sync them to the master list tagged ``platform_user``."""
    resolve_secret_blocks()
    logger = get_run_logger()
    engine = open_engine()
    settings = PlatformUsersSettings()
    users = read_users(engine, settings)
    where = "query" if settings.users_query else f"table {settings.users_table}"
    summary = PlatformUsersSyncSummary(users=len(users), source=where, dry_run=dry_run)
    if not users.empty:
        summary.stored = store_users(engine, users, dry_run=dry_run)
        summary.master_list = await sync_to_master_list(users["email"].astype(str).tolist(), dry_run=dry_run)
    logger.info("platform-users-sync: %s", summary.model_dump(mode="json"))
    await acreate_markdown_artifact(
        key="platform-users-sync",
        markdown=f"# Platform users\n\n{summary.users} users read from the platform's {where}."
        f"{' (dry run: nothing sent)' if dry_run else ''}\n",
        description="Platform users synced to the master list",
    )
    return summary
