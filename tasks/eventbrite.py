"""Prefect task: Eventbrite tickets for a window, as interactions.

The token lookup is :mod:`tasks.eventbrite_token`; the incremental ``changed_since`` comes from
:mod:`tasks.windows`; every call takes the shared budgets of :mod:`tasks.budgets`.
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import task

from audience.from_eventbrite import eventbrite_interactions
from connectors.eventbrite import EventbriteClient, EventbriteSettings
from connectors.http import RateLimitError
from tasks.eventbrite_token import with_stored_token
from tasks.extraction import SourceExtract, unread_window
from tasks.retry_conditions import unless_refused
from tasks.run_logger import run_logger

SOURCE = "eventbrite"


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
    logger = run_logger(__name__)
    notes: list[str] = []
    if changed_since is not None:
        notes.append(
            f"incremental read: only attendees changed since {changed_since:%Y-%m-%d %H:%M} UTC "
            "(not a full re-read of the window)"
        )
    async with EventbriteClient.from_settings(await with_stored_token(settings)) as client:
        try:
            extract = await client.extract_attendees(
                date_from=date_from, date_to=date_to, changed_since=changed_since
            )
        except RateLimitError as exc:
            reason = "Eventbrite's hourly rate limit was reached; this window will be read next run"
            unread = unread_window(
                SOURCE,
                date_from,
                date_to,
                api_calls=client.stats.requests,
                reason=reason,
                cause=exc,
                logger=logger,
            )
            unread.notes[:0] = notes
            return unread
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
