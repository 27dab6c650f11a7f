"""Flow ``booking-stats``: the headline booking numbers (default: the last 30 days) as a table artifact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow
from prefect.artifacts import acreate_table_artifact

from flows.booking_insights import report_window
from insights.narrative import format_value
from tasks.booking_history import refresh_bookings
from tasks.failures import explains_failures
from tasks.insights import compute_booking_facts, load_bookings
from tasks.secrets import resolve_secret_blocks


@flow(name="booking-stats")
@explains_failures
async def booking_stats(
    date_from: date | None = None,
    date_to: date | None = None,
    refresh: bool = False,
) -> dict[str, Any]:
    """Overview and conversion numbers for the window (default: the 30 days up to yesterday) with the
    previous window for comparison; ``refresh`` re-reads both from EasyAppointments first.
    Returns ``{fact id: value}`` plus the window."""
    resolve_secret_blocks()
    now = datetime.now(UTC)
    window = report_window(date_from, date_to, today=now.date())
    if refresh:
        await refresh_bookings(window.previous().date_from, window.date_to)
    bookings, history = load_bookings(window.previous().date_from, window.date_to)
    sheet = compute_booking_facts(
        bookings,
        window.date_from,
        window.date_to,
        ["overview", "conversion"],
        as_of=min(now, window.end.to_pydatetime()),
        history=history,
    )
    rows = [
        {
            "metric": f.label,
            "value": format_value(f.value, f.unit),
            "previous": format_value(f.previous, f.unit),
            "change %": "" if f.change_pct is None else f"{f.change_pct:+.1f}%",
        }
        for f in sheet.facts
    ]
    await acreate_table_artifact(
        table=rows,
        key="booking-stats",
        description=f"Booking stats {window.date_from} to {window.date_to} vs the previous {window.days} days",
    )
    return {
        "date_from": window.date_from.isoformat(),
        "date_to": window.date_to.isoformat(),
        "stats": {f.id: f.value for f in sheet.facts},
    }
