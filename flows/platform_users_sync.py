"""Flow ``platform-users-sync``: the platform's users to the Brevo master list, tagged ``platform_user``.

Users are read through SQLAlchemy (``PLATFORM_DATABASE_URL`` + ``PLATFORM_USERS_TABLE`` or
``PLATFORM_USERS_QUERY``; by default this project's ``platform_users`` table, which the demo
seeds). The push itself goes through the same diffed, consent-safe path as audience-sync.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from flows.signup_queue import open_engine, sync_to_master_list
from store.db import make_engine
from store.platform_users import PlatformUsersSettings, read_platform_users

TAG = "platform_user"


@task(name="read-platform-users", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def read_users(engine: Engine, settings: PlatformUsersSettings) -> pd.DataFrame:
    """The platform's users (email normalised, one row per email)."""
    source = make_engine(settings.database_url) if settings.database_url else engine
    try:
        return read_platform_users(source, table=settings.users_table, query=settings.users_query)
    finally:
        if source is not engine:
            source.dispose()


def platform_people(users: pd.DataFrame) -> pd.DataFrame:
    """Users as people for the master list: names plus ``PLATFORM_ROLE`` / ``PLATFORM_SINCE`` attributes and the tag."""
    out = users[["email", "first_name", "last_name"]].copy()
    out["PLATFORM_ROLE"] = users["role"]
    out["PLATFORM_SINCE"] = users["created_at"].dt.strftime("%Y-%m-%d")
    out["tags"] = TAG
    return out.reset_index(drop=True)


class PlatformUsersSyncSummary(BaseModel):
    """What ``platform-users-sync`` did."""

    users: int
    source: str
    dry_run: bool
    master_list: dict[str, Any] = Field(default_factory=dict)


@flow(name="platform-users-sync")
async def platform_users_sync(dry_run: bool = False) -> PlatformUsersSyncSummary:
    """Read the platform's users and sync them to the master list tagged ``platform_user``."""
    logger = get_run_logger()
    engine = open_engine()
    settings = PlatformUsersSettings()
    users = read_users(engine, settings)
    where = "query" if settings.users_query else f"table {settings.users_table}"
    summary = PlatformUsersSyncSummary(users=len(users), source=where, dry_run=dry_run)
    if not dry_run and not users.empty:
        summary.master_list = sync_to_master_list(engine, platform_people(users), tag=TAG)
    logger.info("platform-users-sync: %s", summary.model_dump(mode="json"))
    await acreate_markdown_artifact(
        key="platform-users-sync",
        markdown=f"# Platform users\n\n{summary.users} users read from the platform's {where}."
        f"{' (dry run: nothing sent)' if dry_run else ''}\n",
        description="Platform users synced to the master list",
    )
    return summary
