"""Days as instants: the one conversion of a window of UTC days the connectors query by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """``[date_from 00:00 UTC, date_to + 1 day 00:00 UTC)``: the window as instants."""
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end
