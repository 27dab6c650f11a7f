"""Where the Eventbrite OAuth token is found when ``EVENTBRITE_OAUTH_TOKEN`` is unset.

``engarde eventbrite exchange`` stores it in the project database's platform connections or in a
Prefect Secret block; the database is tried first.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from connectors.eventbrite import EventbriteSettings
from tasks.run_logger import run_logger

PROVIDER = "eventbrite"
DEFAULT_BLOCK = "eventbrite-oauth-token"


async def stored_eventbrite_token(block_name: str = DEFAULT_BLOCK) -> SecretStr | None:
    """The token ``engarde eventbrite exchange`` stored: the database's platform connection, else the Secret block."""
    try:
        from sqlalchemy import select

        from store.db import session_scope
        from store.models import PlatformConnection

        with session_scope() as session:
            row = session.scalar(select(PlatformConnection).where(PlatformConnection.provider == PROVIDER))
            if row is not None and row.credentials and row.status == "connected":
                return SecretStr(row.credentials)
    except Exception as exc:  # no database, or not migrated: try the next place
        run_logger(__name__).debug("no Eventbrite token in the database (%s)", type(exc).__name__)
    try:
        from prefect.blocks.system import Secret

        block: Secret[Any] = await Secret.aload(block_name)
        value = block.get()
    except Exception as exc:
        run_logger(__name__).debug("no Eventbrite Secret block %r (%s)", block_name, type(exc).__name__)
        return None
    return SecretStr(str(value))


async def with_stored_token(settings: EventbriteSettings | None) -> EventbriteSettings:
    """``settings`` (default: from the environment), with the stored token when none is set."""
    settings = settings or EventbriteSettings()
    if settings.oauth_token is None and (token := await stored_eventbrite_token()) is not None:
        settings = settings.model_copy(update={"oauth_token": token})
    return settings
