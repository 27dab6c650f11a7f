"""Prefect task: Eventbrite tickets for a window, as interactions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import get_run_logger, task
from prefect.concurrency.asyncio import rate_limit
from prefect.exceptions import MissingContextError
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from audience.from_eventbrite import eventbrite_interactions
from audience.schema import empty_interactions
from connectors.eventbrite import EventbriteClient, EventbriteSettings, eventbrite_limiter
from connectors.http import RateLimiter, RateLimitError
from tasks.extraction import SourceExtract
from tasks.retry_conditions import unless_refused

SOURCE = "eventbrite"


class EventbriteRunSettings(BaseSettings):
    """``EVENTBRITE_PREFECT_RATE_LIMIT``: a Prefect global concurrency limit (with slot decay) every call also takes.

    The connector's limiter shares the 2,000 calls/hour within one process; this name makes
    every flow run share it. Create it once, e.g. ``prefect gcl create eventbrite-api --limit 2000
    --slot-decay-per-second 0.556``. Unset: the process-wide budget only.
    """

    model_config = SettingsConfigDict(env_prefix="EVENTBRITE_", extra="ignore")

    prefect_rate_limit: str | None = Field(
        default=None,
        description="name of a Prefect global concurrency limit (with slot decay) every Eventbrite call "
        "also takes, so all flow runs share one budget; unset: only the per-process budget",
    )


@dataclass
class PrefectBackedLimiter(RateLimiter):
    """A budget shared by every run: the process-wide limiter, then one slot of a Prefect rate limit."""

    limit_name: str = "eventbrite-api"
    #: The process-wide limiter to wait on first (this object's own budgets when None).
    local: RateLimiter | None = None

    async def acquire(self) -> None:
        """Wait for the process-wide budget, then for the shared one."""
        if self.local is not None:
            await self.local.acquire()
        else:
            await super().acquire()
        await rate_limit(self.limit_name, occupy=1, strict=False)


def _limiter() -> RateLimiter | None:
    name = EventbriteRunSettings().prefect_rate_limit
    if not name:
        return None
    local = eventbrite_limiter()
    return PrefectBackedLimiter(budgets=local.budgets, limit_name=name, local=local)


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    # The run logger inside a run; the module logger when called as ``.fn()`` (tests, scripts).
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


DEFAULT_LOOKBACK_DAYS = 7


def changed_since_with_lookback(
    last_run_started: datetime | None, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> datetime | None:
    """``changed_since`` for an incremental run: the previous run's start minus the look-back.

    The look-back re-reads recent changes so late refunds and cancellations are not missed;
    None (no previous run) means a full read of the window.
    """
    if last_run_started is None:
        return None
    if last_run_started.tzinfo is None:
        last_run_started = last_run_started.replace(tzinfo=UTC)
    return last_run_started - timedelta(days=lookback_days)


async def stored_eventbrite_token(block_name: str = "eventbrite-oauth-token") -> SecretStr | None:
    """The token ``engarde eventbrite exchange`` stored: the database's platform connection, else the Secret block."""
    try:
        from sqlalchemy import select

        from store.db import engine_for, session_scope
        from store.models import PlatformConnection

        with session_scope(engine_for()) as session:
            row = session.scalar(select(PlatformConnection).where(PlatformConnection.provider == SOURCE))
            if row is not None and row.credentials and row.status == "connected":
                return SecretStr(row.credentials)
    except Exception as exc:  # no database, or not migrated: try the next place
        _logger().debug("no Eventbrite token in the database (%s)", type(exc).__name__)
    try:
        from prefect.blocks.system import Secret

        block: Secret[Any] = await Secret.aload(block_name)
        value = block.get()
    except Exception as exc:
        _logger().debug("no Eventbrite Secret block %r (%s)", block_name, type(exc).__name__)
        return None
    return SecretStr(str(value))


async def _with_token(settings: EventbriteSettings | None) -> EventbriteSettings:
    settings = settings or EventbriteSettings()
    if settings.oauth_token is None and (token := await stored_eventbrite_token()) is not None:
        settings = settings.model_copy(update={"oauth_token": token})
    return settings


@task(
    name="extract-eventbrite",
    retries=2,
    retry_delay_seconds=30,
    tags=["eventbrite"],
    retry_condition_fn=unless_refused,
)
async def extract_eventbrite(
    date_from: date,
    date_to: date,
    changed_since: datetime | None = None,
    settings: EventbriteSettings | None = None,
) -> SourceExtract:
    """Tickets of the organization's events starting in ``[date_from, date_to]``.

    The token comes from the settings (``EVENTBRITE_OAUTH_TOKEN``) or, when unset, from where
    ``engarde eventbrite exchange`` stored it. Reads the organization's events and its
    attendees; with ``changed_since`` only the attendees changed since then, so the extract is
    not a full re-read of the window and stored rows it does not mention must not be taken as
    deleted. When the hourly budget is
    exhausted beyond the retry policy's patience, returns an incomplete, empty extract.
    """
    logger = _logger()
    notes: list[str] = []
    if changed_since is not None:
        notes.append(
            f"incremental read: only attendees changed since {changed_since:%Y-%m-%d %H:%M} UTC "
            "(not a full re-read of the window)"
        )
    async with EventbriteClient.from_settings(await _with_token(settings), limiter=_limiter()) as client:
        try:
            extract = await client.extract_attendees(
                date_from=date_from, date_to=date_to, changed_since=changed_since
            )
        except RateLimitError as exc:
            logger.warning("Eventbrite hourly limit reached; the window stays unread: %s", exc)
            notes.append("Eventbrite's hourly rate limit was reached; this window will be read next run")
            return SourceExtract(
                SOURCE, date_from, date_to, empty_interactions(), client.stats.requests, False, notes
            )
        calls = client.stats.requests
    frame = eventbrite_interactions(
        [e.model_dump(mode="json") for e in extract.events],
        [a.model_dump(mode="json") for a in extract.attendees],
    )
    logger.info(
        "Eventbrite: %d events in window, %d tickets (%d refunded, %d cancelled) in %d calls",
        len(extract.events),
        len(frame),
        int((frame["status"] == "refunded").sum()),
        int((frame["status"] == "cancelled").sum()),
        calls,
    )
    return SourceExtract(SOURCE, date_from, date_to, frame, api_calls=calls, complete=True, notes=notes)
