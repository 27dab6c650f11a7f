"""Prefect task: Zoom registrations and attendance for a window, as interactions."""

from __future__ import annotations

from datetime import date

from prefect import task

from audience.from_zoom import zoom_interactions
from connectors.http import RateLimitError
from connectors.zoom import ZoomClient, ZoomExtract, ZoomSettings
from tasks.extraction import SourceExtract, unread_window
from tasks.retry_conditions import unless_refused
from tasks.run_logger import run_logger

SOURCE = "zoom"


@task(
    name="extract-zoom", retries=2, retry_delay_seconds=30, tags=["zoom"], retry_condition_fn=unless_refused
)
async def extract_zoom(date_from: date, date_to: date, settings: ZoomSettings | None = None) -> SourceExtract:
    """Every host's registrations (every status) and one attendance per person per occurrence in the window.

    A meeting whose participant report is gone (404) is noted and skipped. How participants were
    matched (by email, by registrant, not at all) is in ``counts`` and in a note. A daily rate
    limit returns an incomplete, empty extract (Zoom says when to come back).
    """
    logger = run_logger(__name__)
    async with ZoomClient.from_settings(settings) as client:
        try:
            extract = await client.extract_attendance(date_from=date_from, date_to=date_to)
        except RateLimitError as exc:
            wait = f" (retry after about {exc.retry_after / 3600:.1f} h)" if exc.retry_after else ""
            reason = f"Zoom's rate limit was reached{wait}; this window will be read next run"
            return unread_window(
                SOURCE,
                date_from,
                date_to,
                api_calls=client.stats.requests,
                reason=reason,
                cause=exc,
                logger=logger,
            )
        calls = client.stats.requests
    frame = zoom_interactions(
        [r.model_dump(mode="json") for r in extract.registrations],
        [a.model_dump(mode="json") for a in extract.attendances],
    )
    counts = matching_counts(extract)
    notes = list(extract.skipped)
    notes.append(
        f"{counts['participants']} Zoom participants from {extract.hosts} host(s): "
        f"{counts['matched_by_email']} matched by email, {counts['matched_by_registrant']} by registrant "
        f"(id or name), {counts['unmatched']} not at all (no email, no registrant: not in the audience)"
    )
    logger.info(
        "Zoom: %d hosts, %d meetings and %d webinars in window, %d registrations, %d attendances, "
        "%d participants unmatched, %d skipped, %d calls",
        extract.hosts,
        len(extract.meetings),
        len(extract.webinars),
        int((frame["kind"] == "registration").sum()),
        int((frame["kind"] == "attendance").sum()),
        extract.without_email,
        len(extract.skipped),
        calls,
    )
    return SourceExtract(
        SOURCE, date_from, date_to, frame, api_calls=calls, complete=True, notes=notes, counts=counts
    )


def matching_counts(extract: ZoomExtract) -> dict[str, int]:
    """How Zoom participants (per person per occurrence) were tied to an email, for the run summary."""
    by_registrant = extract.by_registrant + extract.by_name
    return {
        "hosts": extract.hosts,
        "participants": extract.by_email + by_registrant + extract.without_email,
        "matched_by_email": extract.by_email,
        "matched_by_registrant": by_registrant,
        "matched_by_registrant_name": extract.by_name,
        "unmatched": extract.without_email,
        "registrations": len(extract.registrations),
    }
