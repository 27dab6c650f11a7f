"""Flow ``platform-users-sync``: the platform's users to the Brevo master list.

Users are read through SQLAlchemy (``PLATFORM_DATABASE_URL`` + ``PLATFORM_USERS_TABLE`` or
``PLATFORM_USERS_QUERY``; by default this project's ``platform_users`` table, which the demo
seeds), stored as interactions of source ``platform`` and pushed through audience-sync (the
same diffed, consent-safe path), where they carry the tag ``platform_user``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from pydantic import BaseModel, Field

from flows.signup_queue import sync_to_master_list
from tasks.failures import explains_failures
from tasks.platform_users import PlatformUsersSettings, read_platform_users, store_platform_users
from tasks.run_locks import IfBusy
from tasks.secrets import resolve_secret_blocks


class PlatformUsersSyncSummary(BaseModel):
    """What ``platform-users-sync`` did."""

    users: int
    source: str
    dry_run: bool
    stored: int = 0
    master_list: dict[str, Any] = Field(default_factory=dict)


@flow(name="platform-users-sync")
@explains_failures
async def platform_users_sync(dry_run: bool = False, if_busy: IfBusy = "wait") -> PlatformUsersSyncSummary:
    """Read the platform's users and sync them to the master list tagged ``platform_user``.

    The push takes the Brevo lists' lock like every push to Brevo: another run holding it is
    waited for or, with ``if_busy="skip"``, the push is skipped and ``master_list`` says why (the
    users are stored all the same; the next run pushes them).
    """
    resolve_secret_blocks()
    logger = get_run_logger()
    settings = PlatformUsersSettings()
    users = read_platform_users(settings)
    where = "query" if settings.users_query else f"table {settings.users_table}"
    summary = PlatformUsersSyncSummary(users=len(users), source=where, dry_run=dry_run)
    if not users.empty:
        summary.stored = store_platform_users(users, dry_run=dry_run)
        summary.master_list = await sync_to_master_list(
            users["email"].astype(str).tolist(), dry_run=dry_run, if_busy=if_busy
        )
    logger.info("platform-users-sync: %s", summary.model_dump(mode="json"))
    await acreate_markdown_artifact(
        key="platform-users-sync",
        markdown=f"# Platform users\n\n{summary.users} users read from the platform's {where}."
        f"{' (dry run: nothing sent)' if dry_run else ''}\n",
        description="Platform users synced to the master list",
    )
    return summary
