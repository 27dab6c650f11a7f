"""Date windows: the incremental window of a scheduled run, and the windows of a backfill."""

from __future__ import annotations

from datetime import date, timedelta


def incremental_window(
    last_end: date | None, today: date, *, lookback_days: int, initial_days: int, horizon_days: int
) -> tuple[date, date]:
    """From the high-water mark minus the look-back (or ``initial_days`` ago on a first run) to ``today + horizon``.

    The look-back re-reads recent days so late cancellations and refunds are seen; the horizon
    takes in upcoming bookings.
    """
    start = last_end - timedelta(days=lookback_days) if last_end else today - timedelta(days=initial_days)
    return min(start, today), today + timedelta(days=horizon_days)


def backfill_windows(date_from: date, date_to: date, window_days: int) -> list[tuple[date, date]]:
    """Consecutive inclusive windows of ``window_days`` days covering ``[date_from, date_to]``."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    windows = []
    start = date_from
    while start <= date_to:
        end = min(date_to, start + timedelta(days=window_days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows
