"""Prefect task: Zoom registrations and attendance for a window, as interactions."""

from __future__ import annotations

import logging
from datetime import date

from prefect import get_run_logger, task
from prefect.exceptions import MissingContextError

from audience.from_zoom import zoom_interactions
from audience.schema import empty_interactions
from connectors._http import RateLimitError
from connectors.zoom import ZoomClient, ZoomSettings
from tasks.extraction import SourceExtract
from tasks.retry_conditions import unless_refused

SOURCE = "zoom"


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    # The run logger inside a run; the module logger when called as ``.fn()`` (tests, scripts).
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


@task(
    name="extract-zoom", retries=2, retry_delay_seconds=30, tags=["zoom"], retry_condition_fn=unless_refused
)
async def extract_zoom(date_from: date, date_to: date, settings: ZoomSettings | None = None) -> SourceExtract:
    """Webinar registrations (every status) and one attendance per person per occurrence held in the window.

    A meeting whose participant report is gone (404) is noted and skipped; participants with
    neither an email nor a registrant to join them to are counted in the notes. A daily rate
    limit returns an incomplete, empty extract (Zoom says when to come back).
    """
    logger = _logger()
    async with ZoomClient.from_settings(settings) as client:
        try:
            extract = await client.extract_attendance(date_from=date_from, date_to=date_to)
        except RateLimitError as exc:
            logger.warning("Zoom rate limit reached; the window stays unread: %s", exc)
            wait = f" (retry after about {exc.retry_after / 3600:.1f} h)" if exc.retry_after else ""
            notes = [f"Zoom's rate limit was reached{wait}; this window will be read next run"]
            return SourceExtract(
                SOURCE, date_from, date_to, empty_interactions(), client.stats.requests, False, notes
            )
        calls = client.stats.requests
    frame = zoom_interactions(
        [r.model_dump(mode="json") for r in extract.registrations],
        [a.model_dump(mode="json") for a in extract.attendances],
    )
    notes = list(extract.skipped)
    if extract.without_email:
        notes.append(
            f"{extract.without_email} Zoom participants had no email and no registrant to join them to; "
            "they are not in the audience"
        )
    logger.info(
        "Zoom: %d meetings and %d webinars held in window, %d registrations, %d attendances, "
        "%d without email, %d skipped, %d calls",
        len(extract.meetings),
        len(extract.webinars),
        int((frame["kind"] == "registration").sum()),
        int((frame["kind"] == "attendance").sum()),
        extract.without_email,
        len(extract.skipped),
        calls,
    )
    return SourceExtract(SOURCE, date_from, date_to, frame, api_calls=calls, complete=True, notes=notes)
